//! Injected faults: throttling, server errors, answers lost after the write, and calls that
//! hang, drawn from a seeded generator so that a failing run can be replayed exactly.

use std::time::Duration;

use crate::Service;
use crate::sdk::classify::Fault;

/// What the fake does wrong on purpose.
///
/// Each attempt of a call draws once: below `throttle_rate` it is throttled, within the next
/// `server_error_rate` it fails with a 5xx — both **before** any effect, so nothing is half
/// written. Within the next `lost_response_rate` the call takes effect and *then* answers 5xx,
/// as when AWS did the write but the answer never arrived: the caller must converge without
/// duplicates.
///
/// Like the SDK clients behind the real ports (standard retry mode), an injected fault is
/// retried inside the call, up to `sdk_max_attempts` attempts with the SDK's jittered
/// exponential backoff (1 s base, 20 s cap); only the last attempt's fault reaches the caller.
/// With `sdk_max_attempts: 1` every fault does.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Share of attempts throttled (`Throttling`, `RequestLimitExceeded`,
    /// `ThrottlingException`, by service): retryable.
    pub throttle_rate: f64,
    /// Share of attempts failing with a 5xx (`InternalError`, `ServiceUnavailable`…) before
    /// their effect: retryable.
    pub server_error_rate: f64,
    /// Share of attempts that take effect and then fail with a 5xx. Off by default.
    pub lost_response_rate: f64,
    /// Every call with this API name (e.g. `CreateMountTarget`) takes this long before it acts,
    /// for timeouts and cancellation.
    pub hang: Option<(String, Duration)>,
    /// The generator's seed (faults and per-call latencies).
    pub seed: u64,
    /// Attempts per call, as the SDK's standard retry mode makes (3).
    pub sdk_max_attempts: u32,
}

impl Default for Faults {
    fn default() -> Self {
        Self::none()
    }
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self {
            throttle_rate: 0.0,
            server_error_rate: 0.0,
            lost_response_rate: 0.0,
            hang: None,
            seed: 0,
            sdk_max_attempts: 3,
        }
    }

    /// Throttling and server errors at these rates, from `seed`.
    pub fn rates(throttle_rate: f64, server_error_rate: f64, seed: u64) -> Self {
        Self {
            throttle_rate,
            server_error_rate,
            seed,
            ..Self::none()
        }
    }

    /// What one attempt of a call meets, from one draw of `rng`.
    pub(crate) fn draw(&self, rng: &mut fastrand::Rng) -> Injected {
        let x = rng.f64();
        let throttle = self.throttle_rate.clamp(0.0, 1.0);
        let server = throttle + self.server_error_rate.clamp(0.0, 1.0);
        let lost = server + self.lost_response_rate.clamp(0.0, 1.0);
        if x < throttle {
            Injected::Throttled
        } else if x < server {
            Injected::ServerError {
                unavailable: rng.bool(),
            }
        } else if x < lost {
            Injected::LostResponse
        } else {
            Injected::None
        }
    }

    /// How long a call named `call` hangs before it acts.
    pub(crate) fn hang_for(&self, call: &str) -> Duration {
        match &self.hang {
            Some((name, d)) if name == call => *d,
            _ => Duration::ZERO,
        }
    }
}

/// The fault one attempt meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    None,
    Throttled,
    ServerError { unavailable: bool },
    LostResponse,
}

/// The throttling answer each service gives.
pub(crate) fn throttled(service: Service) -> Fault {
    match service {
        Service::Ec2 => Fault::service("RequestLimitExceeded", "Request limit exceeded.", 503),
        Service::Efs => Fault::service("ThrottlingException", "Rate exceeded", 429),
        Service::Iam | Service::Sts => Fault::service("Throttling", "Rate exceeded", 400),
    }
}

/// A server-side failure as each service reports it.
pub(crate) fn server_error(service: Service, unavailable: bool) -> Fault {
    if unavailable {
        return Fault::service(
            "ServiceUnavailable",
            "The service is unavailable. Please try again shortly.",
            503,
        );
    }
    match service {
        Service::Ec2 => Fault::service("InternalError", "An internal error has occurred", 500),
        Service::Efs => Fault::service("InternalServerError", "Internal server error", 500),
        Service::Iam => Fault::service(
            "ServiceFailure",
            "The request processing has failed because of an unknown error.",
            500,
        ),
        Service::Sts => Fault::service("InternalFailure", "Internal failure", 500),
    }
}

/// The SDK standard retry mode's delay before attempt `next` (2, 3, …): full jitter over an
/// exponential of 1 s, capped at 20 s.
pub(crate) fn sdk_backoff(next: u32, rng: &mut fastrand::Rng) -> Duration {
    let exp = 2u64.saturating_pow(next.saturating_sub(2)).min(20);
    Duration::from_millis((rng.f64() * (exp * 1000) as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let faults = Faults::rates(0.2, 0.2, 7);
        let draws = |seed| {
            let mut rng = fastrand::Rng::with_seed(seed);
            (0..200).map(|_| faults.draw(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let faulted = draws(7).iter().filter(|i| **i != Injected::None).count();
        assert!((50..110).contains(&faulted), "{faulted} of 200");
    }

    #[test]
    fn no_faults_never_draw_one() {
        let mut rng = fastrand::Rng::with_seed(1);
        assert!((0..1000).all(|_| Faults::none().draw(&mut rng) == Injected::None));
    }

    #[test]
    fn injected_answers_are_classified_retryable() {
        use crate::sdk::classify::classify;
        for service in [Service::Iam, Service::Ec2, Service::Efs, Service::Sts] {
            assert!(classify(service, "X", &throttled(service)).retryable);
            assert!(classify(service, "X", &server_error(service, false)).retryable);
            assert!(classify(service, "X", &server_error(service, true)).retryable);
        }
    }
}
