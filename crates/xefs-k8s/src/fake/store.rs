//! The object store: whole objects as JSON with the metadata the API server keeps
//! (`uid`, `resourceVersion`, `generation`, `creationTimestamp`), the kinds it serves and
//! their scope, and the simulation's own bookkeeping per object. Serializable, so a world can
//! be saved between commands.

use std::collections::BTreeMap;

use ::kube::discovery::ApiResource;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xefs_core::sim::SimTime;

use super::shell::Process;
use crate::kube::resources::{self, Resource};

/// `2026-01-01T00:00:00Z`: the simulated world's creation, as timestamps show it.
const EPOCH_SECONDS: i64 = 1_767_225_600;

/// A simulated time as the API server writes timestamps (RFC 3339, seconds).
pub(super) fn timestamp(t: SimTime) -> String {
    let seconds = EPOCH_SECONDS.saturating_add(i64::try_from(t.as_millis() / 1000).unwrap_or(0));
    k8s_openapi::jiff::Timestamp::from_second(seconds)
        .map(|ts| ts.to_string())
        .unwrap_or_else(|_| "2026-01-01T00:00:00Z".to_owned())
}

/// Kinds the fake serves besides those the kube adapter knows without discovery.
const EXTRA_KINDS: &[(&str, &str, &str, bool)] = &[(
    "operators.coreos.com/v1alpha1",
    "CatalogSource",
    "catalogsources",
    true,
)];

/// The REST resource of a kind, if the fake serves it: the adapter's own table (so both agree
/// on scope and plural), plus a few kinds only read or written by the simulated controllers.
pub(super) fn resource_of(api_version: &str, kind: &str) -> Option<Resource> {
    resources::builtin(api_version, kind).or_else(|| {
        EXTRA_KINDS
            .iter()
            .find(|(v, k, _, _)| *v == api_version && *k == kind)
            .map(|(_, _, plural, namespaced)| Resource {
                api: ApiResource::from_gvk_with_plural(&resources::gvk(api_version, kind), plural),
                namespaced: *namespaced,
            })
    })
}

/// Where an object lives: its group and kind (any version of them is the same object, as on
/// the API server), its namespace (`None` for cluster-scoped kinds) and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Key {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Key {
    /// The key of an object of a served kind; the namespace is dropped for cluster-scoped
    /// kinds. `None` for a kind the fake does not serve.
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Self> {
        let r = resource_of(api_version, kind)?;
        Some(Self::of_resource(&r, namespace, name))
    }

    /// The key of `name` in `namespace` of resource `r`.
    pub fn of_resource(r: &Resource, namespace: Option<&str>, name: &str) -> Self {
        Self {
            group: r.api.group.clone(),
            kind: r.api.kind.clone(),
            namespace: if r.namespaced {
                namespace.map(str::to_owned)
            } else {
                None
            },
            name: name.to_owned(),
        }
    }

    /// The key of a stored object (from its own `apiVersion`, `kind` and metadata).
    pub fn of_object(object: &Value) -> Option<Self> {
        Self::new(
            object["apiVersion"].as_str()?,
            object["kind"].as_str()?,
            object["metadata"]["namespace"].as_str(),
            object["metadata"]["name"].as_str()?,
        )
    }

    /// `Kind ns/name`, as the port's errors and kubectl show objects.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// The simulation's bookkeeping for one object (never shown to clients).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Sim {
    /// Failed attempts so far (provisioning, mounting, scheduling), for the backoff.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u32,
    /// The generation OLM last resolved (a Subscription).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_generation: Option<i64>,
    /// The container's process (a running Pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    /// The container's log (a Pod).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log: String,
    /// Files outside any volume mount (a Pod's own filesystem).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub local_files: BTreeMap<String, String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One stored object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Stored {
    /// The object as clients read it.
    pub object: Value,
    /// When it was created.
    pub created: SimTime,
    /// What field manager `xefs` last applied (the fields it owns), so that a later apply
    /// removes what it no longer sets, as server-side apply does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<Value>,
    /// The simulation's bookkeeping.
    #[serde(default)]
    pub sim: Sim,
}

impl Stored {
    /// `metadata.uid`.
    pub fn uid(&self) -> &str {
        self.object["metadata"]["uid"].as_str().unwrap_or_default()
    }
}

/// Every object, with the counters the API server keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Store {
    #[serde(with = "as_list")]
    objects: BTreeMap<Key, Stored>,
    /// The last `resourceVersion` handed out (one counter for the whole store, like etcd's).
    resource_version: u64,
    /// The last uid handed out.
    uids: u64,
    /// The last generated-name suffix handed out.
    names: u64,
}

impl Store {
    /// The object at `key`.
    pub fn get(&self, key: &Key) -> Option<&Stored> {
        self.objects.get(key)
    }

    /// The object at `key`, to change its bookkeeping (not the object: use [`Store::modify`]).
    pub fn sim_mut(&mut self, key: &Key) -> Option<&mut Sim> {
        self.objects.get_mut(key).map(|s| &mut s.sim)
    }

    /// The last `resourceVersion` handed out: it changes exactly when an object does.
    pub fn version(&self) -> u64 {
        self.resource_version
    }

    /// A fresh suffix for generated names (`install-…`, event names, access points).
    pub fn next_suffix(&mut self) -> u64 {
        self.names += 1;
        self.names
    }

    /// Creates `object` at `key` (which must be free) with the server's metadata.
    pub fn create(&mut self, key: &Key, mut object: Value, now: SimTime, applied: Option<Value>) {
        self.uids += 1;
        self.resource_version += 1;
        let meta = &mut object["metadata"];
        meta["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.uids));
        meta["resourceVersion"] = json!(self.resource_version.to_string());
        meta["generation"] = json!(1);
        meta["creationTimestamp"] = json!(timestamp(now));
        if let Some(ns) = &key.namespace {
            meta["namespace"] = json!(ns);
        } else if let Some(m) = meta.as_object_mut() {
            m.remove("namespace");
        }
        self.objects.insert(
            key.clone(),
            Stored {
                object,
                created: now,
                applied,
                sim: Sim::default(),
            },
        );
    }

    /// Changes the object at `key` with `change`; a change bumps its `resourceVersion`, and
    /// its `generation` when more than metadata and status changed. False when there is no
    /// such object or nothing changed.
    pub fn modify(&mut self, key: &Key, change: impl FnOnce(&mut Value)) -> bool {
        let Some(stored) = self.objects.get_mut(key) else {
            return false;
        };
        let before = stored.object.clone();
        change(&mut stored.object);
        if stored.object == before {
            return false;
        }
        if spec_of(&stored.object) != spec_of(&before) {
            let generation = before["metadata"]["generation"].as_i64().unwrap_or(1);
            stored.object["metadata"]["generation"] = json!(generation + 1);
        }
        self.resource_version += 1;
        stored.object["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
        true
    }

    /// Records what field manager `xefs` applied to the object at `key`.
    pub fn set_applied(&mut self, key: &Key, applied: Value) {
        if let Some(s) = self.objects.get_mut(key) {
            s.applied = Some(applied);
        }
    }

    /// Removes the object at `key`.
    pub fn remove(&mut self, key: &Key) -> Option<Stored> {
        let removed = self.objects.remove(key);
        if removed.is_some() {
            self.resource_version += 1;
        }
        removed
    }

    /// The keys of every object of a group and kind, in one namespace or everywhere, in the
    /// API server's order (namespace, then name).
    pub fn keys(&self, group: &str, kind: &str, namespace: Option<&str>) -> Vec<Key> {
        self.objects
            .keys()
            .filter(|k| k.group == group && k.kind == kind)
            .filter(|k| namespace.is_none() || k.namespace.as_deref() == namespace)
            .cloned()
            .collect()
    }

    /// The keys of every object in a namespace.
    pub fn keys_in(&self, namespace: &str) -> Vec<Key> {
        self.objects
            .keys()
            .filter(|k| k.namespace.as_deref() == Some(namespace))
            .cloned()
            .collect()
    }

    /// Every object, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Stored)> {
        self.objects.iter()
    }
}

/// Everything but metadata and status: what a change of bumps `generation`.
fn spec_of(object: &Value) -> Value {
    match object {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "metadata" | "status"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The store's map as a list of objects (JSON maps need string keys; each key is read back
/// from its object).
mod as_list {
    use std::collections::BTreeMap;

    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{Key, Stored};

    pub fn serialize<S: Serializer>(map: &BTreeMap<Key, Stored>, s: S) -> Result<S::Ok, S::Error> {
        map.values().collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Key, Stored>, D::Error> {
        let list = Vec::<Stored>::deserialize(d)?;
        list.into_iter()
            .map(|s| {
                let key = Key::of_object(&s.object).ok_or_else(|| {
                    D::Error::custom(format!("a saved object of no served kind: {}", s.object))
                })?;
                Ok((key, s))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_count_from_the_simulated_epoch() {
        assert_eq!(timestamp(SimTime::ZERO), "2026-01-01T00:00:00Z");
        assert_eq!(
            timestamp(SimTime::from_millis(90_500)),
            "2026-01-01T00:01:30Z"
        );
    }

    #[test]
    fn keys_drop_the_namespace_of_cluster_scoped_kinds() {
        let sc = Key::new("storage.k8s.io/v1", "StorageClass", Some("x"), "efs-sc");
        assert_eq!(sc.map(|k| k.namespace), Some(None));
        let cs = Key::new(
            "operators.coreos.com/v1alpha1",
            "CatalogSource",
            Some("openshift-marketplace"),
            "redhat-operators",
        );
        assert_eq!(
            cs.map(|k| k.display()).as_deref(),
            Some("CatalogSource openshift-marketplace/redhat-operators")
        );
        assert_eq!(Key::new("example.com/v1", "Widget", None, "w"), None);
    }

    #[test]
    fn changes_bump_the_resource_version_and_spec_changes_the_generation() {
        let mut store = Store::default();
        let key = Key::new("v1", "Namespace", None, "a").expect("served");
        store.create(
            &key,
            json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "a" } }),
            SimTime::ZERO,
            None,
        );
        let rv = store.version();
        assert!(!store.modify(&key, |_| {}));
        assert_eq!(store.version(), rv);
        assert!(store.modify(&key, |o| o["status"] = json!({ "phase": "Active" })));
        let object = &store.get(&key).expect("stored").object;
        assert_eq!(object["metadata"]["generation"], 1);
        assert_eq!(object["metadata"]["resourceVersion"], (rv + 1).to_string());
        assert!(store.modify(&key, |o| o["spec"] =
            json!({ "finalizers": ["kubernetes"] })));
        assert_eq!(
            store.get(&key).expect("stored").object["metadata"]["generation"],
            2
        );
    }
}
