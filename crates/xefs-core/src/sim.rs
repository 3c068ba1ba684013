//! The simulated clock the fake clouds share (`xefs-aws` and `xefs-k8s`, feature `fake`).
//!
//! Simulated worlds are saved between commands (`--simulate` keeps them in the state
//! directory), so their timestamps cannot be `tokio::time::Instant`s. A [`SimClock`] counts
//! time since the world was created, on tokio's clock: under a paused runtime a ninety-second
//! wait for a mount target takes no real time, yet every duration reads as ninety seconds.
//! Saving [`SimClock::now`] and resuming with [`SimClock::starting_at`] carries the world's
//! time on across processes.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use xefs_core::sim::{SimClock, SimTime};
//!
//! let clock = SimClock::starting_at(SimTime::from_millis(5_000));
//! tokio::time::sleep(Duration::from_secs(90)).await; // instant under a paused clock
//! assert_eq!(clock.now(), SimTime::from_millis(95_000));
//! assert_eq!(clock.now().since(SimTime::from_millis(5_000)), Duration::from_secs(90));
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// A point in a simulated world's time: milliseconds since the world was created.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(u64);

impl SimTime {
    /// The world's creation.
    pub const ZERO: SimTime = SimTime(0);

    /// `ms` milliseconds after the world's creation.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the world's creation.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// This time plus `d` (saturating).
    pub fn after(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// How long after `earlier` this is; zero when it is not later.
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t+{:.1}s", self.0 as f64 / 1000.0)
    }
}

/// A world's clock: [`SimTime`] advancing with tokio's clock. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    base: SimTime,
    started: Instant,
}

impl SimClock {
    /// A clock for a new world: [`SimTime::ZERO`] now.
    pub fn new() -> Self {
        Self::starting_at(SimTime::ZERO)
    }

    /// A clock resuming a saved world: `base` now.
    pub fn starting_at(base: SimTime) -> Self {
        Self {
            base,
            started: Instant::now(),
        }
    }

    /// The world's current time.
    pub fn now(&self) -> SimTime {
        self.base.after(self.started.elapsed())
    }
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new()
    }
}
