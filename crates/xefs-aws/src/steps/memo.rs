//! What one engine run has already read, by id ([`RunMemo`]): discovery's listings of a VPC's
//! route tables and subnets, and the requester's view of the peering, serve the observations
//! of the steps that need them by id, so that a no-op apply reads each once.

use xefs_core::ids::{AccountId, PeeringId, RouteTableId, SubnetId};
use xefs_core::step::RunMemo;

use crate::ports::{Peering, RouteTable, Subnet};

fn route_table_key(account: &AccountId, id: &RouteTableId) -> String {
    format!("ec2/{account}/route-table/{id}")
}

fn subnet_key(account: &AccountId, id: &SubnetId) -> String {
    format!("ec2/{account}/subnet/{id}")
}

/// Both accounts see the one peering connection.
fn peering_key(id: &PeeringId) -> String {
    format!("ec2/peering/{id}")
}

/// Keeps what a listing returned, for the rest of the run.
pub(crate) fn remember_route_tables(account: &AccountId, tables: &[RouteTable]) {
    if let Some(memo) = RunMemo::current() {
        for t in tables {
            memo.put(&route_table_key(account, &t.id), t.clone());
        }
    }
}

/// Keeps what a listing returned, for the rest of the run.
pub(crate) fn remember_subnets(account: &AccountId, subnets: &[Subnet]) {
    if let Some(memo) = RunMemo::current() {
        for s in subnets {
            memo.put(&subnet_key(account, &s.id), s.clone());
        }
    }
}

/// Keeps what a listing returned, for the rest of the run.
pub(crate) fn remember_peerings(peerings: &[Peering]) {
    if let Some(memo) = RunMemo::current() {
        for p in peerings {
            memo.put(&peering_key(&p.id), p.clone());
        }
    }
}

/// Every one of `ids`, if this run has read them all.
pub(crate) fn recall_route_tables(
    account: &AccountId,
    ids: &[RouteTableId],
) -> Option<Vec<RouteTable>> {
    let memo = RunMemo::current()?;
    ids.iter()
        .map(|id| memo.get(&route_table_key(account, id)))
        .collect()
}

/// Every one of `ids`, if this run has read them all.
pub(crate) fn recall_subnets(account: &AccountId, ids: &[SubnetId]) -> Option<Vec<Subnet>> {
    let memo = RunMemo::current()?;
    ids.iter()
        .map(|id| memo.get(&subnet_key(account, id)))
        .collect()
}

/// The peering, if this run has read it.
pub(crate) fn recall_peering(id: &PeeringId) -> Option<Peering> {
    RunMemo::current()?.get(&peering_key(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::discovery::fixtures::{subnet, table, vpc_id};

    #[tokio::test]
    async fn recalls_only_within_a_run_and_only_when_every_id_was_read() {
        let (a, b) = (
            AccountId::parse("111111111111").expect("account"),
            AccountId::parse("222222222222").expect("account"),
        );
        let vpc = vpc_id("1");
        let t1 = table("1", &vpc, true, &[]);
        remember_route_tables(&a, std::slice::from_ref(&t1));
        assert_eq!(
            recall_route_tables(&a, std::slice::from_ref(&t1.id)),
            None,
            "no run, no memo"
        );
        RunMemo::default()
            .scope(async {
                remember_route_tables(&a, std::slice::from_ref(&t1));
                assert_eq!(
                    recall_route_tables(&a, std::slice::from_ref(&t1.id)),
                    Some(vec![t1.clone()])
                );
                let other = table("2", &vpc, false, &[]);
                assert_eq!(recall_route_tables(&a, &[t1.id.clone(), other.id]), None);
                assert_eq!(recall_route_tables(&b, std::slice::from_ref(&t1.id)), None);
                let s = subnet("1", &vpc, 1);
                remember_subnets(&a, std::slice::from_ref(&s));
                assert_eq!(
                    recall_subnets(&a, std::slice::from_ref(&s.id)),
                    Some(vec![s.clone()])
                );
            })
            .await;
    }
}
