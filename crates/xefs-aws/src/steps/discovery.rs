//! Discovery: the read-only steps that learn each account's side of the network before
//! anything is written, so later steps act on what is really there rather than on what the
//! guide assumes (one route table per node, zone names that match across accounts).

mod cluster;
mod storage;

use std::collections::BTreeSet;

use xefs_core::ids::{RouteTableId, SubnetId, VpcId};
use xefs_core::step::StepError;

pub use cluster::DiscoverClusterAccountStep;
pub use storage::DiscoverStorageAccountStep;

use super::common::scope;
use crate::Account;
use crate::ports::RouteTable;

/// The route tables that serve `subnets`, sorted and without duplicates.
///
/// A subnet uses the table explicitly associated with it, else the VPC's main table: subnets
/// on the main table have no association at all, which is why the guide's
/// `association.subnet-id` filter finds nothing for them. Several subnets share a table, and
/// the guide then adds the same route once per node and fails on the second.
fn route_tables_serving(
    account: &Account,
    vpc: &VpcId,
    subnets: &[SubnetId],
    tables: &[RouteTable],
) -> Result<Vec<RouteTableId>, StepError> {
    let main = tables.iter().find(|t| t.main);
    let mut serving = BTreeSet::new();
    for subnet in subnets {
        let table = tables
            .iter()
            .find(|t| t.subnets.contains(subnet))
            .or(main)
            .ok_or_else(|| {
                StepError::permanent(format!(
                    "subnet {subnet} has no route table of its own and VPC {vpc} has no main \
                     route table; check that the VPC exists in account {} and region {}",
                    account.id, account.region
                ))
                .with_context(scope(account), "DescribeRouteTables")
                .with_resource(vpc.to_string())
            })?;
        serving.insert(table.id.clone());
    }
    Ok(serving.into_iter().collect())
}

/// Builders of domain values for the discovery and preflight tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use xefs_core::ids::{AzId, InstanceId, Ipv4Cidr, RouteTableId, SubnetId, VpcId};

    use crate::ports::{Instance, RouteTable, Subnet};

    /// `subnet-000000<n>`.
    pub(crate) fn subnet_id(n: &str) -> SubnetId {
        SubnetId::parse(&format!("subnet-{n:0>8}")).expect("test subnet id")
    }

    /// `rtb-000000<n>`.
    pub(crate) fn table_id(n: &str) -> RouteTableId {
        RouteTableId::parse(&format!("rtb-{n:0>8}")).expect("test route table id")
    }

    /// `vpc-000000<n>`.
    pub(crate) fn vpc_id(n: &str) -> VpcId {
        VpcId::parse(&format!("vpc-{n:0>8}")).expect("test VPC id")
    }

    /// `i-000000<n>`.
    pub(crate) fn instance_id(n: &str) -> InstanceId {
        InstanceId::parse(&format!("i-{n:0>8}")).expect("test instance id")
    }

    /// `use1-az<n>`.
    pub(crate) fn az(n: u8) -> AzId {
        AzId::parse(&format!("use1-az{n}")).expect("test zone id")
    }

    /// A subnet of `vpc` in zone `use1-az<zone>`.
    pub(crate) fn subnet(n: &str, vpc: &VpcId, zone: u8) -> Subnet {
        Subnet {
            id: subnet_id(n),
            vpc_id: vpc.clone(),
            az_name: format!("us-east-1{}", char::from(b'a' + zone)),
            az_id: az(zone),
            cidr: Ipv4Cidr::parse("10.0.0.0/24").expect("test CIDR"),
        }
    }

    /// A route table of `vpc` explicitly associated with `subnets`.
    pub(crate) fn table(n: &str, vpc: &VpcId, main: bool, subnets: &[&str]) -> RouteTable {
        RouteTable {
            id: table_id(n),
            vpc_id: vpc.clone(),
            main,
            subnets: subnets.iter().map(|s| subnet_id(s)).collect(),
            routes: Vec::new(),
        }
    }

    /// A running instance in `subnet` with `profile` as its instance profile ARN.
    pub(crate) fn instance(
        n: &str,
        vpc: &VpcId,
        subnet: Option<&str>,
        profile: Option<&str>,
    ) -> Instance {
        Instance {
            id: instance_id(n),
            subnet_id: subnet.map(subnet_id),
            vpc_id: Some(vpc.clone()),
            instance_profile_arn: profile.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::steps::test_support::{A, Mocks};

    fn account() -> Account {
        Mocks::default().account(A)
    }

    #[test]
    fn explicit_table_else_main_deduped() -> Result<(), StepError> {
        let vpc = vpc_id("1");
        let tables = [
            table("2", &vpc, false, &["b"]),
            table("1", &vpc, true, &[]),
            table("3", &vpc, false, &["c", "d"]),
        ];
        let subnets = [
            subnet_id("a"),
            subnet_id("b"),
            subnet_id("c"),
            subnet_id("d"),
            subnet_id("e"),
        ];
        let found = route_tables_serving(&account(), &vpc, &subnets, &tables)?;
        assert_eq!(found, vec![table_id("1"), table_id("2"), table_id("3")]);
        Ok(())
    }

    #[test]
    fn no_main_table_names_the_subnet_and_vpc() {
        let vpc = vpc_id("1");
        let err = route_tables_serving(&account(), &vpc, &[subnet_id("a")], &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("subnet-0000000a"), "{err}");
        assert!(err.contains("vpc-00000001"), "{err}");
        assert!(err.contains("no main route table"), "{err}");
    }
}
