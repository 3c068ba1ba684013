//! The simulated world: the store, the controllers' pending timers, the volumes' files, and
//! the simulated time it has reached. Nothing runs in the background: each call first
//! [`advance`](World::advance)s the world to the clock's time, executing every timer that fell
//! due, in time order, each at its own time; after every write the controllers
//! [`settle`](World::settle) (react to what changed and schedule what follows).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xefs_core::sim::SimTime;

use super::controllers::{self, Action};
use super::delays::Delays;
use super::inventory::CallCounts;
use super::oracle::MountOracle;
use super::seed::NodeSeed;
use super::store::{Key, Store, Stored, timestamp};

/// How many rounds the controllers get to settle after one change; each round reacts to the
/// previous one's writes. Far more than any chain needs; a bound against a bug looping.
const MAX_SETTLE_ROUNDS: usize = 64;

/// An action due at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Timer {
    due: SimTime,
    /// Order among timers due at the same time: first scheduled, first run.
    seq: u64,
    action: Action,
}

/// A file system's files, by path inside the volume.
pub(super) type Files = BTreeMap<String, String>;

/// Everything the fake cluster holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct World {
    pub store: Store,
    timers: Vec<Timer>,
    next_timer: u64,
    /// Each provisioned volume's files, by PersistentVolume name.
    pub volumes: BTreeMap<String, Files>,
    /// The nodes as seeded (with what Node objects do not say, like the zone id).
    pub nodes: Vec<NodeSeed>,
    pub delays: Delays,
    /// The time the world has reached.
    pub now: SimTime,
    pub calls: CallCounts,
}

impl World {
    /// An empty world (no objects yet) at `now`.
    pub fn new(nodes: Vec<NodeSeed>, delays: Delays, now: SimTime) -> Self {
        Self {
            store: Store::default(),
            timers: Vec::new(),
            next_timer: 0,
            volumes: BTreeMap::new(),
            nodes,
            delays,
            now,
            calls: CallCounts::default(),
        }
    }

    /// Executes every timer due by `to`, in time order, each at its own time (and the
    /// controllers' reactions to it), then sets the time to `to`.
    pub fn advance(&mut self, to: SimTime, oracle: &dyn MountOracle) {
        while let Some(i) = self.next_timer_due(to) {
            let timer = self.timers.remove(i);
            self.now = self.now.max(timer.due);
            controllers::execute(self, &timer.action, oracle);
            self.settle();
        }
        self.now = self.now.max(to);
    }

    fn next_timer_due(&self, to: SimTime) -> Option<usize> {
        self.timers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.due <= to)
            .min_by_key(|(_, t)| (t.due, t.seq))
            .map(|(i, _)| i)
    }

    /// When the next timer falls due.
    pub fn next_due(&self) -> Option<SimTime> {
        self.timers.iter().map(|t| t.due).min()
    }

    /// Lets the controllers react to the current state until nothing changes.
    pub fn settle(&mut self) {
        for _ in 0..MAX_SETTLE_ROUNDS {
            let (version, timers) = (self.store.version(), self.next_timer);
            controllers::react(self);
            if self.store.version() == version && self.next_timer == timers {
                return;
            }
        }
        tracing::warn!("the simulated controllers did not settle");
    }

    /// Runs `action` `after` from now, unless the same action is already pending.
    pub fn schedule(&mut self, after: Duration, action: Action) {
        if self.is_pending(&action) {
            return;
        }
        self.next_timer += 1;
        self.timers.push(Timer {
            due: self.now.after(after),
            seq: self.next_timer,
            action,
        });
    }

    /// Whether `action` is pending.
    pub fn is_pending(&self, action: &Action) -> bool {
        self.timers.iter().any(|t| &t.action == action)
    }

    /// The object at `key`.
    pub fn get(&self, key: &Key) -> Option<&Stored> {
        self.store.get(key)
    }

    /// The object of `kind` at `namespace`/`name`.
    pub fn find(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<(Key, &Stored)> {
        let key = Key::new(api_version, kind, namespace, name)?;
        let stored = self.store.get(&key)?;
        Some((key, stored))
    }

    /// The keys of every object of a kind, in a namespace or everywhere.
    pub fn keys(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Key> {
        match Key::new(api_version, kind, None, "") {
            Some(k) => self.store.keys(&k.group, &k.kind, namespace),
            None => Vec::new(),
        }
    }

    /// Creates an object written by a controller (not by the user: no applied fields).
    pub fn create(&mut self, object: Value) -> Option<Key> {
        let key = Key::of_object(&object)?;
        if self.store.get(&key).is_some() {
            return None;
        }
        self.store.create(&key, object, self.now, None);
        Some(key)
    }

    /// Changes the object at `key`; false when it does not exist or did not change.
    pub fn modify(&mut self, key: &Key, change: impl FnOnce(&mut Value)) -> bool {
        self.store.modify(key, change)
    }

    /// Removes the object at `key` now, with what the simulation kept for it.
    pub fn remove(&mut self, key: &Key) -> Option<Stored> {
        let removed = self.store.remove(key)?;
        if key.kind == "PersistentVolume" {
            self.volumes.remove(&key.name);
        }
        let uid = removed.uid().to_owned();
        self.timers.retain(|t| !t.action.concerns(&uid));
        Some(removed)
    }

    /// Records an event about the object at `about`, or counts it again when the same one
    /// (type, reason and message) was recorded before, as the event recorder aggregates.
    pub fn event(&mut self, about: &Key, normal: bool, reason: &str, message: &str, source: &str) {
        let Some(involved) = self.store.get(about).map(|s| s.object.clone()) else {
            return;
        };
        let namespace = about
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let uid = involved["metadata"]["uid"].clone();
        let event_type = if normal { "Normal" } else { "Warning" };
        let now = timestamp(self.now);
        let same = self
            .keys("v1", "Event", Some(&namespace))
            .into_iter()
            .find(|k| {
                self.store.get(k).is_some_and(|e| {
                    let e = &e.object;
                    e["involvedObject"]["uid"] == uid
                        && e["reason"] == reason
                        && e["message"] == message
                        && e["type"] == event_type
                })
            });
        if let Some(key) = same {
            self.store.modify(&key, |e| {
                let count = e["count"].as_i64().unwrap_or(1);
                e["count"] = json!(count + 1);
                e["lastTimestamp"] = json!(now);
            });
            return;
        }
        let suffix = self.store.next_suffix();
        let (component, host) = match source.split_once('@') {
            Some((c, h)) => (c, Some(h)),
            None => (source, None),
        };
        let mut source = json!({ "component": component });
        if let Some(h) = host {
            source["host"] = json!(h);
        }
        self.create(json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": { "name": format!("{}.{suffix:016x}", about.name), "namespace": namespace },
            "involvedObject": {
                "apiVersion": involved["apiVersion"],
                "kind": involved["kind"],
                "name": about.name,
                "namespace": about.namespace,
                "uid": uid,
                "resourceVersion": involved["metadata"]["resourceVersion"],
            },
            "type": event_type,
            "reason": reason,
            "message": message,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": source,
            "reportingComponent": component,
        }));
    }
}
