//! What a test inspects: every object and every volume's files, and how many calls of each
//! kind the port served.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::world::World;

/// Everything in the cluster, comparable: a test takes one after seeding and asserts that
/// `destroy` leaves exactly that (same objects, same `resourceVersion`s, no volume left).
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    /// Every object (Events included), by `Kind namespace/name`.
    pub objects: BTreeMap<String, Value>,
    /// Each volume's files (path → content), by PersistentVolume name.
    pub volumes: BTreeMap<String, BTreeMap<String, String>>,
}

impl Inventory {
    pub(super) fn of(world: &World) -> Self {
        Self {
            objects: world
                .store
                .iter()
                .map(|(k, s)| (k.display(), s.object.clone()))
                .collect(),
            volumes: world.volumes.clone(),
        }
    }

    /// The names (`Kind namespace/name`) of the objects in `self` but not in `other`.
    pub fn added_since(&self, other: &Inventory) -> Vec<&str> {
        self.objects
            .keys()
            .filter(|k| !other.objects.contains_key(*k))
            .map(String::as_str)
            .collect()
    }
}

/// How many calls of each kind the fake served: a second `apply` that writes nothing shows
/// as no new `apply` and no new `delete`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    /// `apply`.
    pub apply: u64,
    /// `get`.
    pub get: u64,
    /// `list`.
    pub list: u64,
    /// `delete`.
    pub delete: u64,
    /// `wait_for`.
    pub wait: u64,
    /// `pod_logs`.
    pub logs: u64,
    /// `events`.
    pub events: u64,
    /// `nodes`.
    pub nodes: u64,
    /// `authentication`.
    pub authentication: u64,
}

impl CallCounts {
    /// The calls that write: `apply` and `delete`.
    pub fn writes(&self) -> u64 {
        self.apply + self.delete
    }
}
