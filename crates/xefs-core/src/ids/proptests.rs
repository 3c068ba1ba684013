//! No string makes an id parser panic, and every accepted value round-trips through
//! `Display`, `FromStr` and serde unchanged.

use proptest::prelude::*;

use super::*;

macro_rules! never_panics_and_round_trips {
    ($name:ident, $ty:ty) => {
        proptest! {
            #[test]
            fn $name(s in "\\PC{0,80}|[a-z0-9:/.*-]{0,40}") {
                if let Ok(v) = <$ty>::parse(&s) {
                    let shown = v.to_string();
                    prop_assert_eq!(<$ty>::parse(&shown).ok(), Some(v.clone()));
                    let json = serde_json::to_string(&v).unwrap();
                    prop_assert_eq!(serde_json::from_str::<$ty>(&json).unwrap(), v);
                }
            }
        }
    };
}

never_panics_and_round_trips!(account_id, AccountId);
never_panics_and_round_trips!(region, Region);
never_panics_and_round_trips!(arn, Arn);
never_panics_and_round_trips!(az_id, AzId);
never_panics_and_round_trips!(cidr, Ipv4Cidr);
never_panics_and_round_trips!(oidc, OidcProvider);
never_panics_and_round_trips!(stack_name, StackName);
never_panics_and_round_trips!(iam_name, IamName);
never_panics_and_round_trips!(k8s_name, K8sName);
never_panics_and_round_trips!(vpc_id, VpcId);
never_panics_and_round_trips!(file_system_id, FileSystemId);

proptest! {
    #[test]
    fn valid_generated_ids_parse(hex in "[0-9a-f]{17}", digits in "[0-9]{12}", a in 0u8..=255, b in 0u8..=255, len in 8u8..=28) {
        let vpc = format!("vpc-{hex}");
        let subnet = format!("subnet-{}", &hex[..8]);
        let net = ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(10, a, b, 0), len).unwrap().trunc().to_string();
        prop_assert!(VpcId::parse(&vpc).is_ok());
        prop_assert!(SubnetId::parse(&subnet).is_ok());
        prop_assert!(AccountId::parse(&digits).is_ok());
        prop_assert!(Ipv4Cidr::parse(&net).is_ok());
    }
}
