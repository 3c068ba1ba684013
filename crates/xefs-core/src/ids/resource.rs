use super::{ParseIdError, string_id};

/// Defines an AWS resource id of the form `<prefix>-<8 or 17 lowercase hex digits>`.
macro_rules! resource_id {
    ($(#[$doc:meta])* $ty:ident, $prefix:literal, $what:literal, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(String);

        impl $ty {
            /// The id's prefix, including the dash.
            pub const PREFIX: &'static str = concat!($prefix, "-");

            /// Parses the id: the prefix followed by 8 or 17 lowercase hex digits.
            pub fn parse(s: &str) -> Result<Self, ParseIdError> {
                let ok = s.strip_prefix(Self::PREFIX).is_some_and(|hex| {
                    (hex.len() == 8 || hex.len() == 17)
                        && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                });
                if ok {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(ParseIdError::new(
                        $what,
                        s,
                        concat!("expected `", $prefix, "-` and 8 or 17 lowercase hex digits, like `", $example, "`"),
                    ))
                }
            }
        }

        string_id!($ty, concat!("An ", $what, " such as ", $example));
    };
}

resource_id!(
    /// A VPC id (`vpc-…`).
    VpcId, "vpc", "EC2 VPC id", "vpc-0a1b2c3d4e5f60718"
);
resource_id!(
    /// A subnet id (`subnet-…`).
    SubnetId, "subnet", "EC2 subnet id", "subnet-0a1b2c3d4e5f60718"
);
resource_id!(
    /// A route table id (`rtb-…`).
    RouteTableId, "rtb", "EC2 route table id", "rtb-0a1b2c3d4e5f60718"
);
resource_id!(
    /// A security group id (`sg-…`).
    SecurityGroupId, "sg", "EC2 security group id", "sg-0a1b2c3d4e5f60718"
);
resource_id!(
    /// A VPC peering connection id (`pcx-…`).
    PeeringId, "pcx", "EC2 VPC peering connection id", "pcx-0a1b2c3d4e5f60718"
);
resource_id!(
    /// An EC2 instance id (`i-…`), behind an OpenShift node.
    InstanceId, "i", "EC2 instance id", "i-0a1b2c3d4e5f60718"
);
resource_id!(
    /// An EFS file system id (`fs-…`).
    FileSystemId, "fs", "EFS file system id", "fs-0a1b2c3d4e5f60718"
);
resource_id!(
    /// An EFS mount target id (`fsmt-…`).
    MountTargetId, "fsmt", "EFS mount target id", "fsmt-0a1b2c3d4e5f60718"
);
resource_id!(
    /// An EFS access point id (`fsap-…`).
    AccessPointId, "fsap", "EFS access point id", "fsap-0a1b2c3d4e5f60718"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_short_and_long_forms() {
        assert!(VpcId::parse("vpc-0a1b2c3d").is_ok());
        assert!(VpcId::parse("vpc-0a1b2c3d4e5f60718").is_ok());
        assert!(MountTargetId::parse("fsmt-12345678").is_ok());
    }

    #[test]
    fn rejects_wrong_prefix_case_and_length() {
        for bad in [
            "vpc-",
            "vpc-0A1B2C3D",
            "subnet-0a1b2c3d",
            "vpc-0a1b2c3",
            "vpc-0a1b2c3d4e",
            "vpc_0a1b2c3d",
        ] {
            assert!(VpcId::parse(bad).is_err(), "{bad:?}");
        }
        // A subnet id where a file system id is expected is a classic copy-paste slip.
        let err = FileSystemId::parse("subnet-0a1b2c3d").unwrap_err();
        assert!(err.to_string().contains("fs-"), "{err}");
    }
}
