//! Whole flows on the simulated AWS and OpenShift, under tokio's paused clock: the real
//! engine, journal and providers, the fakes' latencies (a mount target's ninety seconds and
//! the operator's install cost no real time), and the simulated driver judged by doctor.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic: that is its report

mod support;

mod bench;
mod breaks;
mod crashes;
mod faults;
mod flow;
