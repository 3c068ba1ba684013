//! Counts of the AWS calls a run made, by service and by read or write: for `--output json`,
//! the benchmarks, and tests proving a second apply writes nothing.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;

use serde::Serialize;

use crate::Service;

/// Whether a call changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallKind {
    /// `Describe*`, `Get*`, `List*`.
    Read,
    /// Everything else.
    Write,
}

/// Reads and writes of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCount {
    /// Read-only calls.
    pub reads: u64,
    /// Mutating calls.
    pub writes: u64,
}

/// Calls counted per service and API call name.
type Counts = BTreeMap<(Service, &'static str), (CallKind, u64)>;

/// A shared, cloneable call counter; the SDK adapters of both accounts can share one.
#[derive(Debug, Clone, Default)]
pub struct CallStats(Arc<Mutex<Counts>>);

impl CallStats {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one call.
    pub fn record(&self, service: Service, call: &'static str, kind: CallKind) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((service, call)).or_insert((kind, 0)).1 += 1;
    }

    /// Totals per service (`iam`, `ec2`, …).
    pub fn by_service(&self) -> BTreeMap<&'static str, CallCount> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: BTreeMap<&'static str, CallCount> = BTreeMap::new();
        for ((service, _), (kind, n)) in map.iter() {
            let c = out.entry(service.as_str()).or_default();
            match kind {
                CallKind::Read => c.reads += n,
                CallKind::Write => c.writes += n,
            }
        }
        out
    }

    /// Totals over every service.
    pub fn total(&self) -> CallCount {
        self.by_service()
            .values()
            .fold(CallCount::default(), |acc, c| CallCount {
                reads: acc.reads + c.reads,
                writes: acc.writes + c.writes,
            })
    }

    /// Counts per API call (`ec2:CreateRoute` → 2), for finding what a run spent its calls on.
    pub fn by_call(&self) -> BTreeMap<String, u64> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.iter()
            .map(|((s, call), (_, n))| (format!("{s}:{call}"), *n))
            .collect()
    }

    /// Forgets every count.
    pub fn reset(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_service_and_kind() {
        let stats = CallStats::new();
        stats.record(Service::Iam, "GetRole", CallKind::Read);
        stats.record(Service::Iam, "GetRole", CallKind::Read);
        stats.record(Service::Iam, "CreateRole", CallKind::Write);
        stats.record(Service::Ec2, "CreateRoute", CallKind::Write);
        let by = stats.by_service();
        assert_eq!(
            by["iam"],
            CallCount {
                reads: 2,
                writes: 1
            }
        );
        assert_eq!(
            by["ec2"],
            CallCount {
                reads: 0,
                writes: 1
            }
        );
        assert_eq!(
            stats.total(),
            CallCount {
                reads: 2,
                writes: 2
            }
        );
        assert_eq!(stats.by_call()["iam:GetRole"], 2);
        stats.reset();
        assert_eq!(stats.total(), CallCount::default());
    }
}
