//! AWS-like request rate limits (opt-in): one token bucket per account and service, as AWS
//! meters API requests per account; an attempt finding its bucket empty is throttled with the
//! service's own throttling error, before any effect.

use std::collections::HashMap;
use std::time::Duration;

use xefs_core::ids::AccountId;
use xefs_core::sim::SimTime;

use crate::Service;

/// The sustained rate and burst of one service's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Requests per second refilled.
    pub rate: f64,
    /// Requests the bucket holds when full.
    pub burst: f64,
}

/// One token bucket per (account, service), the same rate and burst for every account.
///
/// [`RateLimits::aws_like`] uses round figures of AWS's documented defaults, one bucket per
/// service rather than AWS's per-action families: EC2 20 requests/s (burst 100, its
/// non-mutating bucket; mutating actions are lower in AWS), EFS 15/s (burst 30), IAM 10/s
/// (burst 20; IAM's quota is account-wide, not per region), STS 50/s (burst 100).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// IAM's bucket.
    pub iam: Bucket,
    /// EC2's bucket.
    pub ec2: Bucket,
    /// EFS's bucket.
    pub efs: Bucket,
    /// STS's bucket.
    pub sts: Bucket,
}

impl RateLimits {
    /// Round figures of AWS's defaults (see the type's documentation).
    pub fn aws_like() -> Self {
        Self {
            iam: Bucket {
                rate: 10.0,
                burst: 20.0,
            },
            ec2: Bucket {
                rate: 20.0,
                burst: 100.0,
            },
            efs: Bucket {
                rate: 15.0,
                burst: 30.0,
            },
            sts: Bucket {
                rate: 50.0,
                burst: 100.0,
            },
        }
    }

    /// The bucket of `service`.
    pub fn bucket(&self, service: Service) -> Bucket {
        match service {
            Service::Iam => self.iam,
            Service::Ec2 => self.ec2,
            Service::Efs => self.efs,
            Service::Sts => self.sts,
        }
    }
}

/// The buckets' levels.
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    levels: HashMap<(AccountId, Service), (f64, SimTime)>,
}

impl Buckets {
    /// Takes a token for one attempt at `now`; false when the bucket is empty (throttled).
    pub(crate) fn take(
        &mut self,
        limits: &RateLimits,
        account: &AccountId,
        service: Service,
        now: SimTime,
    ) -> bool {
        let Bucket { rate, burst } = limits.bucket(service);
        let (tokens, last) = self
            .levels
            .entry((account.clone(), service))
            .or_insert((burst, now));
        let refill = now.since(*last).as_secs_f64() * rate;
        *tokens = (*tokens + refill).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The least time `calls` requests of `service` need under `limits` (the burst spent first).
pub fn bound(limits: &RateLimits, service: Service, calls: u64) -> Duration {
    let Bucket { rate, burst } = limits.bucket(service);
    let over = (calls as f64 - burst).max(0.0);
    Duration::from_secs_f64(over / rate)
}
