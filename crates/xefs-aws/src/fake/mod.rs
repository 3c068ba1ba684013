//! An in-memory AWS (feature `fake`): the [`Iam`](crate::ports::Iam), [`Ec2`](crate::ports::Ec2),
//! [`Efs`](crate::ports::Efs) and [`Sts`](crate::ports::Sts) ports over one simulated world of
//! any number of accounts, for whole-flow tests and `--simulate`.
//!
//! It keeps AWS's rules where the procedure meets them, and answers with the very
//! [`AwsError`](crate::AwsError)s (code and retryable) the SDK adapters give for the same AWS
//! answer — its errors go through [`classify`](crate::sdk::classify) like theirs:
//!
//! * IAM: `EntityAlreadyExists`; `NoSuchEntity`; `DeleteConflict` for a role with attached
//!   policies (or in an instance profile) and a policy with attachments or extra versions;
//!   `LimitExceeded` at five policy versions; `MalformedPolicyDocument` "Invalid principal in
//!   policy" for a role or OIDC provider that does not exist — or that was created less than
//!   [`Latency::iam_propagation`] ago, which is IAM's propagation window (retryable, as
//!   classify says).
//! * EC2: `RouteAlreadyExists` for any existing route to the destination (as EC2 answers even
//!   an identical one), `InvalidPermission.Duplicate` (which the port turns into success, as the
//!   adapter does), `InvalidGroup.Duplicate`, `DependencyViolation` deleting a group a mount
//!   target still uses; peerings go `pending-acceptance` → (accept, only with the accepter
//!   account's ports, else `OperationNotPermitted`) `provisioning` → `active`, a request the
//!   VPCs cannot have (overlapping CIDRs, unknown accepter VPC, a peering already joining them)
//!   `failed`, a deleted one `deleting` → `deleted` (visible two hours), and routes through a
//!   peering that is not active are blackholes.
//! * EFS: `FileSystemAlreadyExists` for a reused creation token (which the port turns into the
//!   existing file system, as the adapter does); `MountTargetConflict` for a second mount
//!   target in a zone or one in another VPC; `FileSystemInUse`;
//!   `IncorrectFileSystemLifeCycleState` and `IncorrectMountTargetState` acting on a resource
//!   that is still changing; `SecurityGroupNotFound`/`SecurityGroupMismatch`;
//!   `InvalidPolicyException` for a policy naming an unknown principal.
//!
//! Time is the world's [`SimClock`]: file systems take seconds, mount targets ninety seconds
//! ([`Latency`]), nothing of which costs real time under tokio's paused clock. [`Faults`]
//! throttle, fail, lose answers and hang calls, deterministically from a seed; opt-in
//! [`RateLimits`] ([`FakeAws::with_rate_limits`]) throttle beyond AWS-like token buckets per
//! account and service, for fleets of stacks sharing one world. The whole world —
//! its time, its id counter, every resource — is saved with [`FakeAws::save`] and resumed
//! with [`FakeAws::load`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use xefs_aws::fake::{FakeAws, Latency};
//! use xefs_aws::ports::{Efs, LifeCycle, NewFileSystem, Tags};
//! use xefs_core::ids::{AccountId, Region};
//! use xefs_core::sim::SimClock;
//!
//! let aws = FakeAws::new(SimClock::new()).with_latency(Latency::default());
//! let b = aws.ports(&AccountId::parse("222222222222")?, &Region::parse("us-east-1")?);
//! let new = NewFileSystem {
//!     creation_token: "demo".into(),
//!     performance_mode: Default::default(),
//!     throughput_mode: Default::default(),
//!     provisioned_throughput_mibps: None,
//!     encrypted: true,
//!     kms_key_id: None,
//!     one_zone_az_name: None,
//!     tags: Tags::new(),
//! };
//! let fs = b.efs.create_file_system(&new).await?;
//! assert_eq!(fs.life_cycle, LifeCycle::Creating);
//! // The same token is the same file system, as EFS intends.
//! assert_eq!(b.efs.create_file_system(&new).await?.id, fs.id);
//!
//! // Save mid-operation, resume in "another process": the world's time goes on.
//! let saved = aws.save();
//! let resumed = FakeAws::load(saved.clone(), SimClock::starting_at(FakeAws::saved_at(&saved)?))?;
//! tokio::time::sleep(std::time::Duration::from_secs(5)).await;
//! let b = resumed.ports(&AccountId::parse("222222222222")?, &Region::parse("us-east-1")?);
//! let now = b.efs.describe_file_system(&fs.id).await?.ok_or("still there")?;
//! assert_eq!(now.life_cycle, LifeCycle::Available);
//! # Ok(()) }
//! ```

mod ec2;
mod efs;
mod faults;
mod iam;
mod inventory;
mod latency;
mod principals;
mod rate_limits;
mod seed;
mod sts;
#[cfg(test)]
mod tests;
mod world;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use xefs_core::blueprint::Address;
use xefs_core::ids::{AccountId, Ipv4Cidr, Partition, Region, RouteTableId, SecurityGroupId};
use xefs_core::sim::{SimClock, SimTime};

pub use ec2::FakeEc2;
pub use efs::FakeEfs;
pub use faults::Faults;
pub use iam::FakeIam;
pub use inventory::{AccountInventory, Inventory};
pub use latency::Latency;
pub use rate_limits::{Bucket, RateLimits, bound as rate_limit_bound};
pub use seed::{Seeded, SeededWorker};
pub use sts::FakeSts;

use self::faults::{Injected, sdk_backoff, server_error, throttled};
use self::world::{RouteRec, RouteTargetRec, World};
use crate::sdk::classify::{Fault, classify};
use crate::{Account, AwsResult, CallKind, CallStats, Service};

/// The format tag of a saved world.
const FORMAT: &str = "xefs-fake-aws/1";

/// A simulated AWS shared by every account it serves. Cheap to clone: clones share the world.
///
/// The world sits behind a mutex held only for the instant of a call's effect, never across an
/// `.await`; latencies and faults are slept outside it.
#[derive(Clone)]
pub struct FakeAws {
    inner: Arc<Mutex<Inner>>,
    clock: SimClock,
    /// A [`FakeAws::quiet`] view: no latency, faults, records or counts.
    quiet: bool,
}

struct Inner {
    world: World,
    latency: Latency,
    faults: Faults,
    rng: fastrand::Rng,
    calls: Vec<CallRecord>,
    stats: Option<CallStats>,
    /// Opt-in request rate limits ([`FakeAws::with_rate_limits`]).
    rate_limits: Option<RateLimits>,
    buckets: rate_limits::Buckets,
    /// Bumped whenever something but time may have changed the world (see
    /// [`FakeAws::revision`]).
    revision: u64,
}

impl std::fmt::Debug for FakeAws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("FakeAws")
            .field("now", &self.clock.now())
            .field("accounts", &inner.world.accounts.len())
            .field("latency", &inner.latency)
            .field("faults", &inner.faults)
            .finish_non_exhaustive()
    }
}

/// One attempt of one call, as the fake answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The calling account.
    pub account: AccountId,
    /// The service.
    pub service: Service,
    /// The API call, e.g. `CreateMountTarget`.
    pub call: &'static str,
    /// Whether this attempt succeeded.
    pub ok: bool,
    /// Whether its failure was injected (throttling, 5xx, a lost answer).
    pub injected: bool,
    /// When the attempt was answered, on the world's clock.
    pub at: SimTime,
    /// The engine's step that made the call ([`current_step`]), if the engine made it.
    ///
    /// [`current_step`]: xefs_core::engine::current_step
    pub step: Option<Address>,
    /// Whether the call was a step's poll of something settling
    /// ([`RateLimits::is_polling`](xefs_core::engine::RateLimits::is_polling)).
    pub poll: bool,
}

impl CallRecord {
    /// Whether the call only reads (`Describe…`, `Get…`, `List…`), as AWS names them.
    pub fn is_read(&self) -> bool {
        is_read(self.call)
    }
}

/// Why a saved world cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// The value is not a world saved by this version of [`FakeAws::save`].
    #[error("not a saved fake AWS world ({0}); save it again with this version of xefs")]
    Format(String),
    /// The world's JSON does not decode.
    #[error("the saved fake AWS world does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    /// The spec cannot be seeded: its VPC exists already, or its CIDR is too small.
    #[error("cannot seed the fake AWS world: {0}")]
    Seed(String),
    /// The clock given to [`FakeAws::load`] is behind the world's time.
    #[error(
        "the clock reads {now}, before the world's saved time {saved_at}: resume with \
         SimClock::starting_at(FakeAws::saved_at(&saved)?)"
    )]
    ClockBehind {
        /// The world's time when it was saved.
        saved_at: SimTime,
        /// The clock's time.
        now: SimTime,
    },
}

/// The four ports of one account of a [`FakeAws`], for tests that call them directly
/// (an [`Account`] hands them out only through the engine's rate limits).
#[derive(Debug, Clone)]
pub struct FakePorts {
    /// The account they act in.
    pub id: AccountId,
    /// IAM.
    pub iam: FakeIam,
    /// EC2.
    pub ec2: FakeEc2,
    /// EFS.
    pub efs: FakeEfs,
    /// STS.
    pub sts: FakeSts,
}

impl FakeAws {
    /// An empty world on `clock`, with realistic [`Latency`] and no [`Faults`].
    pub fn new(clock: SimClock) -> Self {
        Self::with_world(World::default(), clock)
    }

    fn with_world(world: World, clock: SimClock) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                world,
                latency: Latency::default(),
                faults: Faults::none(),
                rng: fastrand::Rng::with_seed(0),
                calls: Vec::new(),
                stats: None,
                rate_limits: None,
                buckets: rate_limits::Buckets::default(),
                revision: 0,
            })),
            clock,
            quiet: false,
        }
    }

    /// A view of the same world whose calls take no time, are never faulted and are neither
    /// recorded nor counted: for observers that are not xefs (the simulated CSI driver judging
    /// whether it could mount), so they neither skew xefs's timings nor draw from its faults.
    pub fn quiet(&self) -> FakeAws {
        FakeAws {
            inner: Arc::clone(&self.inner),
            clock: self.clock,
            quiet: true,
        }
    }

    /// The world, even after a panic elsewhere poisoned the lock: every write is a whole
    /// `World` update under it, so what it holds is consistent.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Uses these timings from now on.
    #[must_use]
    pub fn with_latency(self, latency: Latency) -> Self {
        self.set_latency(latency);
        self
    }

    /// Injects these faults from now on (and reseeds the generator with `faults.seed`).
    #[must_use]
    pub fn with_faults(self, faults: Faults) -> Self {
        self.set_faults(faults);
        self
    }

    /// Meters every attempt against a token bucket per (account, service), as AWS does, and
    /// throttles an attempt finding its bucket empty with the service's throttling error
    /// (retried inside the call like an injected fault, see [`Faults::sdk_max_attempts`]).
    /// Off by default: a world without limits answers every call.
    #[must_use]
    pub fn with_rate_limits(self, limits: RateLimits) -> Self {
        self.lock().rate_limits = Some(limits);
        self
    }

    /// Also counts every call in `stats`, once per port call as the SDK adapters do.
    #[must_use]
    pub fn with_stats(self, stats: CallStats) -> Self {
        self.lock().stats = Some(stats);
        self
    }

    /// Changes the timings of a running world (resources already in a passing state keep
    /// their end time).
    pub fn set_latency(&self, latency: Latency) {
        self.lock().latency = latency;
    }

    /// Changes the faults of a running world, reseeding the generator.
    pub fn set_faults(&self, faults: Faults) {
        let mut inner = self.lock();
        inner.rng = fastrand::Rng::with_seed(faults.seed);
        inner.faults = faults;
    }

    /// The world's clock.
    pub fn clock(&self) -> SimClock {
        self.clock
    }

    /// The world's time now.
    pub fn now(&self) -> SimTime {
        self.clock.now()
    }

    /// An [`Account`] whose ports act as `id` in `region`: what the steps and doctor use.
    pub fn account(&self, id: AccountId, region: Region) -> Account {
        let p = self.ports(&id, &region);
        Account::new(
            id,
            region,
            Arc::new(p.iam),
            Arc::new(p.ec2),
            Arc::new(p.efs),
            Arc::new(p.sts),
        )
    }

    /// The ports of `account` in `region`, to call directly.
    pub fn ports(&self, account: &AccountId, region: &Region) -> FakePorts {
        let caller = |service| Caller {
            fake: self.clone(),
            account: account.clone(),
            region: region.clone(),
            service,
        };
        FakePorts {
            id: account.clone(),
            iam: FakeIam(caller(Service::Iam)),
            ec2: FakeEc2(caller(Service::Ec2)),
            efs: FakeEfs(caller(Service::Efs)),
            sts: FakeSts(caller(Service::Sts)),
        }
    }

    /// Every attempt of every call so far, in order.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.lock().calls.clone()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// A number that changes whenever something other than time may have changed the world:
    /// a call that writes (whether it succeeded or not, quiet or not), seeding, a test helper
    /// such as [`FakeAws::add_gateway_route`]. The world is a function of its revision and its
    /// time: an observer that read it at the same revision and [`FakeAws::now`] need not read
    /// it again.
    pub fn revision(&self) -> u64 {
        self.lock().revision
    }

    /// The world as JSON: its time, its id counter and every resource. Latency, faults and
    /// the call log are settings of this process, not of the world, and are not saved.
    pub fn save(&self) -> serde_json::Value {
        let mut inner = self.lock();
        let now = self.clock.now();
        inner.world.settle(now);
        serde_json::json!({
            "format": FORMAT,
            "saved_at": now,
            "world": inner.world,
        })
    }

    /// The world's time when `saved` was saved: start the clock of the resumed world there.
    pub fn saved_at(saved: &serde_json::Value) -> Result<SimTime, FakeError> {
        check_format(saved)?;
        let at = saved
            .get("saved_at")
            .cloned()
            .ok_or_else(|| FakeError::Format("no saved_at".into()))?;
        Ok(serde_json::from_value(at)?)
    }

    /// Resumes a world saved by [`FakeAws::save`] on `clock`, which must not be behind the time
    /// it was saved at (use `SimClock::starting_at(FakeAws::saved_at(&saved)?)`, or a clock
    /// shared with the other fakes that resumed with it). Latency and faults start at their
    /// defaults.
    pub fn load(saved: serde_json::Value, clock: SimClock) -> Result<Self, FakeError> {
        let saved_at = Self::saved_at(&saved)?;
        let now = clock.now();
        if now < saved_at {
            return Err(FakeError::ClockBehind { saved_at, now });
        }
        let world = saved
            .get("world")
            .cloned()
            .ok_or_else(|| FakeError::Format("no world".into()))?;
        let world: World = serde_json::from_value(world)?;
        Ok(Self::with_world(world, clock))
    }

    /// Adds a route to `destination` through a gateway (`igw-…`, `tgw-…`) in a route table,
    /// as someone working behind xefs's back would: for tests of route conflicts. Returns
    /// false when there is no such table.
    pub fn add_gateway_route(
        &self,
        account: &AccountId,
        region: &Region,
        table: &RouteTableId,
        destination: Ipv4Cidr,
        gateway: &str,
    ) -> bool {
        let mut inner = self.lock();
        let Some(t) = inner
            .world
            .region_mut(account, region.as_str())
            .route_tables
            .get_mut(table)
        else {
            return false;
        };
        t.routes.retain(|r| r.destination != destination);
        t.routes.push(RouteRec {
            destination,
            target: RouteTargetRec::Other(gateway.to_owned()),
        });
        inner.revision += 1;
        true
    }

    /// Removes every ingress rule of a security group that admits TCP `port` (a TCP rule whose
    /// range holds it, or an all-traffic rule), whatever its source, as someone working behind
    /// xefs's back would with `RevokeSecurityGroupIngress` — which the [`Ec2`](crate::ports::Ec2)
    /// port has not, as xefs deletes its own group whole: for tests of a blocked NFS path.
    /// Returns false when there is no such group.
    pub fn revoke_ingress(
        &self,
        account: &AccountId,
        region: &Region,
        group: &SecurityGroupId,
        port: i32,
    ) -> bool {
        let mut inner = self.lock();
        let Some(g) = inner
            .world
            .region_mut(account, region.as_str())
            .security_groups
            .get_mut(group)
        else {
            return false;
        };
        g.ingress.retain(|r| {
            let tcp = r.protocol == "tcp"
                && r.from_port.is_none_or(|from| from <= port)
                && r.to_port.is_none_or(|to| port <= to);
            !(tcp || r.protocol == "-1")
        });
        inner.revision += 1;
        true
    }
}

/// Whether an API call only reads (`Describe…`, `Get…`, `List…`), as AWS names them.
fn is_read(call: &str) -> bool {
    ["Describe", "Get", "List"]
        .iter()
        .any(|p| call.starts_with(p))
}

fn check_format(saved: &serde_json::Value) -> Result<(), FakeError> {
    match saved.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => Ok(()),
        Some(other) => Err(FakeError::Format(format!(
            "format {other}, expected {FORMAT}"
        ))),
        None => Err(FakeError::Format("no format tag".into())),
    }
}

/// What an operation on the world knows about its call.
pub(crate) struct Cx<'a> {
    /// The world's time.
    pub(crate) now: SimTime,
    /// The calling account.
    pub(crate) account: &'a AccountId,
    /// The region the call goes to.
    pub(crate) region: &'a str,
    /// The partition, for ARNs.
    pub(crate) partition: Partition,
    /// The timings, for the states the call starts.
    pub(crate) latency: &'a Latency,
}

/// One service's ports of one account: the bookkeeping every call shares.
#[derive(Clone)]
pub(crate) struct Caller {
    fake: FakeAws,
    account: AccountId,
    region: Region,
    service: Service,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fake")
            .field("service", &self.service)
            .field("account", &self.account)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// Runs one call: its round-trip latency and any hang, then the injected fault or the
    /// operation on the world, retried as the SDK retries injected faults. World errors are
    /// AWS's answers, classified as the adapters classify them.
    pub(crate) async fn call<T, F>(
        &self,
        call: &'static str,
        resource: Option<&str>,
        mut op: F,
    ) -> AwsResult<T>
    where
        F: FnMut(&mut World, &Cx<'_>) -> Result<T, Fault> + Send,
        T: Send,
    {
        if self.fake.quiet {
            let mut inner = self.fake.lock();
            let now = self.fake.clock.now();
            let Inner {
                world,
                latency,
                revision,
                ..
            } = &mut *inner;
            world.settle(now);
            let cx = Cx {
                now,
                account: &self.account,
                region: self.region.as_str(),
                partition: self.region.partition(),
                latency,
            };
            if !is_read(call) {
                *revision += 1;
            }
            return op(world, &cx).map_err(|fault| {
                let err = classify(self.service, call, &fault).in_account(&self.account);
                match resource {
                    Some(r) => err.on(r),
                    None => err,
                }
            });
        }
        let max_attempts = {
            let inner = self.fake.lock();
            if let Some(stats) = &inner.stats {
                let kind = if is_read(call) {
                    CallKind::Read
                } else {
                    CallKind::Write
                };
                stats.record(self.service, call, kind);
            }
            inner.faults.sdk_max_attempts.max(1)
        };
        let mut attempt = 1;
        loop {
            let (pause, injected) = {
                let mut inner = self.fake.lock();
                let Inner {
                    latency,
                    faults,
                    rng,
                    rate_limits,
                    buckets,
                    ..
                } = &mut *inner;
                let (lo, hi) = latency.per_call;
                let spread = hi.saturating_sub(lo).as_millis() as u64;
                let round_trip = lo + Duration::from_millis(rng.u64(0..=spread));
                let limited = rate_limits.as_ref().is_some_and(|limits| {
                    !buckets.take(limits, &self.account, self.service, self.fake.clock.now())
                });
                let injected = if limited {
                    Injected::Throttled
                } else {
                    faults.draw(rng)
                };
                (round_trip + faults.hang_for(call), injected)
            };
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            let outcome = match injected {
                Injected::Throttled => Err(throttled(self.service)),
                Injected::ServerError { unavailable } => {
                    Err(server_error(self.service, unavailable))
                }
                Injected::None | Injected::LostResponse => {
                    let mut inner = self.fake.lock();
                    let now = self.fake.clock.now();
                    let Inner {
                        world,
                        latency,
                        revision,
                        ..
                    } = &mut *inner;
                    world.settle(now);
                    if !is_read(call) {
                        *revision += 1;
                    }
                    let cx = Cx {
                        now,
                        account: &self.account,
                        region: self.region.as_str(),
                        partition: self.region.partition(),
                        latency,
                    };
                    let result = op(world, &cx);
                    if injected == Injected::LostResponse {
                        Err(server_error(self.service, false))
                    } else {
                        result
                    }
                }
            };
            let is_injected = injected != Injected::None;
            self.fake.lock().calls.push(CallRecord {
                account: self.account.clone(),
                service: self.service,
                call,
                ok: outcome.is_ok(),
                injected: is_injected && outcome.is_err(),
                at: self.fake.clock.now(),
                step: xefs_core::engine::current_step(),
                poll: xefs_core::engine::RateLimits::is_polling(),
            });
            match outcome {
                Ok(value) => return Ok(value),
                Err(_) if is_injected && attempt < max_attempts => {
                    attempt += 1;
                    let delay = sdk_backoff(attempt, &mut self.fake.lock().rng);
                    tokio::time::sleep(delay).await;
                }
                Err(fault) => {
                    let err = classify(self.service, call, &fault).in_account(&self.account);
                    return Err(match resource {
                        Some(r) => err.on(r),
                        None => err,
                    });
                }
            }
        }
    }
}
