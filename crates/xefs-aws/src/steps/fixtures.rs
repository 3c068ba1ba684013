//! Values and builders shared by the network and EFS steps' tests.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use xefs_core::ids::{AccountId, PeeringId, VpcId};
use xefs_core::spec::STACK_TAG;

use super::test_support::{A, B};
use crate::ports::{Peering, PeeringStatus};

/// The stack's peering.
pub(crate) const PCX: &str = "pcx-0000000a";
/// A's VPC.
pub(crate) const VPC_A: &str = "vpc-0000000a";
/// B's VPC.
pub(crate) const VPC_B: &str = "vpc-0000000b";

/// The `xefs:stack` tag of `stack`.
pub(crate) fn stack_tags(stack: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(STACK_TAG.to_owned(), stack.to_owned())])
}

/// A peering id.
pub(crate) fn pcx(id: &str) -> PeeringId {
    PeeringId::parse(id).expect("test peering id")
}

/// A peering from A's VPC to B's.
pub(crate) fn peering(id: &str, status: PeeringStatus, tags: BTreeMap<String, String>) -> Peering {
    Peering {
        id: pcx(id),
        requester_vpc: VpcId::parse(VPC_A).expect("vpc"),
        requester_owner: AccountId::parse(A).expect("account"),
        accepter_vpc: VpcId::parse(VPC_B).expect("vpc"),
        accepter_owner: AccountId::parse(B).expect("account"),
        status,
        accepter_allows_remote_dns: false,
        tags,
    }
}

/// Answers with each value in turn, repeating the last; the counter tells how many calls
/// were made.
pub(crate) fn in_turn<T: Clone + Send + 'static>(
    values: Vec<T>,
) -> (impl FnMut() -> T + Send + 'static, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let next = move || {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        values[n.min(values.len() - 1)].clone()
    };
    (next, calls)
}
