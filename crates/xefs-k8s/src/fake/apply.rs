//! Writes as the API server takes them: server-side apply (create if absent; otherwise merge
//! what field manager `xefs` sets into the live object and drop what it set before and no
//! longer does), with the server's validation (names, immutable fields, a namespace that must
//! exist and not be terminating) and defaults (Secret `stringData` → `data`, a new
//! Namespace's finalizer and phase, a new Pod's and claim's `Pending`); and deletes (a
//! namespace terminates first; the `ClusterCSIDriver` waits for its operator).

use serde_json::{Value, json};

use super::controllers::{self, Action};
use super::errors::{self, context, qualified_kind};
use super::store::{Key, resource_of};
use super::world::World;
use crate::kube::resources::Resource;
use crate::{K8sError, K8sResult, ObjectRef};

/// The namespace of a namespaced object that names none: the client's default, as with the
/// kube adapter (and `kubectl`).
pub(super) const DEFAULT_NAMESPACE: &str = "default";

/// Namespaces the API server refuses to delete.
const UNDELETABLE: &[&str] = &["default", "kube-system", "kube-public"];

/// Metadata the server owns: never taken from an applied object.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "namespace",
];

/// A call's target: its kind's resource, its key and how the adapter names it.
pub(super) struct Target {
    pub resource: Resource,
    pub key: Key,
    pub namespace: Option<String>,
    pub about: String,
}

impl Target {
    /// The target of `object`, or `None` when the kind is not served.
    pub fn of(object: &ObjectRef) -> Option<Self> {
        let resource = resource_of(&object.api_version, &object.kind)?;
        let namespace = resource.namespaced.then(|| {
            object
                .namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
        });
        let key = Key::of_resource(&resource, namespace.as_deref(), &object.name);
        Some(Self {
            resource,
            key,
            namespace,
            about: object.to_string(),
        })
    }
}

/// Server-side apply of `object` by field manager `xefs`, forcing ownership; the object as
/// stored.
pub(super) fn apply(world: &mut World, object: &Value) -> K8sResult<Value> {
    let reference = ObjectRef::of(object).map_err(|e| K8sError { call: "apply", ..e })?;
    let target = Target::of(&reference)
        .ok_or_else(|| errors::not_served("apply", &reference.api_version, &reference.kind))?;
    let ctx = context(
        "apply",
        "patch",
        &target.resource,
        target.namespace.as_deref(),
        &target.about,
    );
    let invalid = |message: String| {
        errors::api(
            &ctx,
            422,
            "Invalid",
            format!(
                "{} \"{}\" is invalid: {message}",
                qualified_kind(&target.resource),
                target.key.name
            ),
        )
    };
    validate_name(&target).map_err(invalid)?;
    if let Some(ns) = &target.namespace {
        let Some(namespace) = world.find("v1", "Namespace", None, ns) else {
            return Err(errors::api(
                &ctx,
                404,
                "NotFound",
                format!("namespaces \"{ns}\" not found"),
            ));
        };
        let terminating = !namespace.1.object["metadata"]["deletionTimestamp"].is_null();
        if terminating && world.get(&target.key).is_none() {
            return Err(errors::api(
                &ctx,
                403,
                "Forbidden",
                format!(
                    "{} \"{}\" is forbidden: unable to create new content in namespace {ns} \
                     because it is being terminated",
                    target.resource.rbac_name(),
                    target.key.name
                ),
            ));
        }
    }
    let config = applied_fields(object);
    match world.get(&target.key).cloned() {
        None => {
            let mut created = config.clone();
            normalize(&target.key, &mut created);
            defaults_on_create(&target.key, &mut created);
            world
                .store
                .create(&target.key, created, world.now, Some(config));
        }
        Some(live) => {
            let mut merged = live.object.clone();
            if let Some(before) = &live.applied {
                drop_unset(&mut merged, before, &config);
            }
            merge(&mut merged, &config);
            normalize(&target.key, &mut merged);
            immutable(&target.key, &live.object, &merged).map_err(invalid)?;
            world.store.modify(&target.key, |o| *o = merged);
            world.store.set_applied(&target.key, config);
        }
    }
    world
        .get(&target.key)
        .map(|s| s.object.clone())
        .ok_or_else(|| K8sError::new("apply", "the object vanished while applied", true))
}

/// Deletes the object; `Ok(false)` when it did not exist (or its kind is not served).
pub(super) fn delete(world: &mut World, object: &ObjectRef) -> K8sResult<bool> {
    let Some(target) = Target::of(object) else {
        return Ok(false);
    };
    let Some(live) = world.get(&target.key).cloned() else {
        return Ok(false);
    };
    let ctx = context(
        "delete",
        "delete",
        &target.resource,
        target.namespace.as_deref(),
        &target.about,
    );
    let deleting = !live.object["metadata"]["deletionTimestamp"].is_null();
    match target.key.kind.as_str() {
        "Namespace" if UNDELETABLE.contains(&target.key.name.as_str()) => Err(errors::api(
            &ctx,
            403,
            "Forbidden",
            format!(
                "namespaces \"{}\" is forbidden: this namespace may not be deleted",
                target.key.name
            ),
        )),
        "Namespace" if deleting => Err(errors::api(
            &ctx,
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on namespaces \"{}\": The system is ensuring all \
                 content is removed from this namespace.  Upon completion, this namespace will \
                 automatically be purged by the system.",
                target.key.name
            ),
        )),
        "Namespace" => {
            let now = super::store::timestamp(world.now);
            world.modify(&target.key, |o| {
                o["metadata"]["deletionTimestamp"] = json!(now);
                o["status"]["phase"] = json!("Terminating");
            });
            let delay = world.delays.namespace_deletion;
            world.schedule(
                delay,
                Action::FinishNamespaceDeletion {
                    uid: live.uid().to_owned(),
                },
            );
            Ok(true)
        }
        "ClusterCSIDriver" if !controllers::operator_available(world) => {
            // The operator removes the driver, then its finalizer: without an operator the
            // object lingers.
            let now = super::store::timestamp(world.now);
            world.modify(&target.key, |o| {
                if o["metadata"]["deletionTimestamp"].is_null() {
                    o["metadata"]["deletionTimestamp"] = json!(now);
                }
            });
            Ok(true)
        }
        _ => {
            world.remove(&target.key);
            Ok(true)
        }
    }
}

/// The fields an applied object sets: everything but its status and the server's metadata.
fn applied_fields(object: &Value) -> Value {
    let mut config = object.clone();
    if let Some(map) = config.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = config["metadata"].as_object_mut() {
        for field in SERVER_METADATA {
            meta.remove(*field);
        }
    }
    config
}

/// Removes from `live` what `before` set and `now` no longer does.
fn drop_unset(live: &mut Value, before: &Value, now: &Value) {
    let (Some(live), Some(before)) = (live.as_object_mut(), before.as_object()) else {
        return;
    };
    for (field, old) in before {
        match now.get(field) {
            None | Some(Value::Null) => {
                live.remove(field);
            }
            Some(new) if old.is_object() && new.is_object() => {
                if let Some(child) = live.get_mut(field) {
                    drop_unset(child, old, new);
                }
            }
            Some(_) => {}
        }
    }
}

/// Merges `config` into `live`: maps field by field, anything else (lists included, which xefs
/// always sets whole) replaced; a null removes the field.
fn merge(live: &mut Value, config: &Value) {
    match (live.as_object_mut(), config.as_object()) {
        (Some(live), Some(config)) => {
            for (field, value) in config {
                if value.is_null() {
                    live.remove(field);
                } else if let Some(existing) = live.get_mut(field)
                    && existing.is_object()
                    && value.is_object()
                {
                    merge(existing, value);
                } else {
                    live.insert(field.clone(), value.clone());
                }
            }
        }
        _ => *live = config.clone(),
    }
}

/// What the API server does to every write of some kinds.
fn normalize(key: &Key, object: &mut Value) {
    match (key.group.as_str(), key.kind.as_str()) {
        ("", "Secret") => {
            if let Some(Value::Object(string_data)) =
                object.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                if !object["data"].is_object() {
                    object["data"] = json!({});
                }
                for (k, v) in string_data {
                    let bytes = v.as_str().unwrap_or_default().as_bytes().to_vec();
                    object["data"][k] =
                        serde_json::to_value(k8s_openapi::ByteString(bytes)).unwrap_or_default();
                }
            }
            if object["type"].is_null() {
                object["type"] = json!("Opaque");
            }
        }
        ("storage.k8s.io", "StorageClass") => {
            if object["reclaimPolicy"].is_null() {
                object["reclaimPolicy"] = json!("Delete");
            }
            if object["volumeBindingMode"].is_null() {
                object["volumeBindingMode"] = json!("Immediate");
            }
        }
        _ => {}
    }
}

/// What the API server fills in when some kinds are created.
fn defaults_on_create(key: &Key, object: &mut Value) {
    match (key.group.as_str(), key.kind.as_str()) {
        ("", "Namespace") => {
            object["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(key.name);
            object["spec"]["finalizers"] = json!(["kubernetes"]);
            object["status"] = json!({ "phase": "Active" });
        }
        ("", "PersistentVolumeClaim") => {
            if object["spec"]["volumeMode"].is_null() {
                object["spec"]["volumeMode"] = json!("Filesystem");
            }
            object["status"] = json!({ "phase": "Pending" });
        }
        ("", "Pod") => {
            let spec = &mut object["spec"];
            for (field, default) in [
                ("restartPolicy", json!("Always")),
                ("terminationGracePeriodSeconds", json!(30)),
                ("dnsPolicy", json!("ClusterFirst")),
                ("schedulerName", json!("default-scheduler")),
                ("serviceAccountName", json!("default")),
            ] {
                if spec[field].is_null() {
                    spec[field] = default;
                }
            }
            object["status"] = json!({ "phase": "Pending", "qosClass": "BestEffort" });
        }
        _ => {}
    }
}

/// The immutable fields an update changed, as the API server's validation words it.
fn immutable(key: &Key, live: &Value, new: &Value) -> Result<(), String> {
    let changed = |field: &str| live[field] != new[field];
    let mut errors = Vec::new();
    match (key.group.as_str(), key.kind.as_str()) {
        ("storage.k8s.io", "StorageClass") => {
            for field in ["parameters", "provisioner", "reclaimPolicy"] {
                if changed(field) {
                    errors.push(format!(
                        "{field}: Forbidden: updates to {field} are forbidden."
                    ));
                }
            }
            if changed("volumeBindingMode") {
                errors
                    .push("volumeBindingMode: Invalid value: \"\": field is immutable".to_owned());
            }
        }
        ("rbac.authorization.k8s.io", "RoleBinding") if changed("roleRef") => {
            let r = &new["roleRef"];
            errors.push(format!(
                "roleRef: Invalid value: rbac.RoleRef{{APIGroup:{:?}, Kind:{:?}, Name:{:?}}}: \
                 cannot change roleRef",
                r["apiGroup"].as_str().unwrap_or_default(),
                r["kind"].as_str().unwrap_or_default(),
                r["name"].as_str().unwrap_or_default()
            ));
        }
        ("", "Pod") if without_images(&live["spec"]) != without_images(&new["spec"]) => {
            errors.push(
                "spec: Forbidden: pod updates may not change fields other than \
                 `spec.containers[*].image`, `spec.initContainers[*].image`, \
                 `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing \
                 tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 \
                 if it was previously negative)"
                    .to_owned(),
            );
        }
        ("", "PersistentVolumeClaim") => {
            let claim_spec = |v: &Value| {
                let mut s = v["spec"].clone();
                if let Some(m) = s.as_object_mut() {
                    m.remove("resources");
                    m.remove("volumeName");
                }
                s
            };
            if claim_spec(live) != claim_spec(new) {
                errors.push(
                    "spec: Forbidden: spec is immutable after creation except \
                     resources.requests and volumeAttributesClassName for bound claims"
                        .to_owned(),
                );
            }
        }
        _ => {}
    }
    match errors.as_slice() {
        [] => Ok(()),
        [one] => Err(one.clone()),
        many => Err(format!("[{}]", many.join(", "))),
    }
}

/// A pod spec with its containers' images blanked (the one thing an update may change).
fn without_images(spec: &Value) -> Value {
    let mut spec = spec.clone();
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec[list].as_array_mut() {
            for c in containers {
                c["image"] = Value::Null;
            }
        }
    }
    spec
}

/// The name rules of the kind: an RFC 1123 label for namespaces, an RFC 1123 subdomain for
/// everything else xefs writes.
fn validate_name(target: &Target) -> Result<(), String> {
    let name = target.key.name.as_str();
    let label_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    if target.key.kind == "Namespace" {
        if label_ok(name) {
            return Ok(());
        }
        return Err(format!(
            "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 label must consist \
             of lower case alphanumeric characters or '-', and must start and end with an \
             alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation \
             is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ));
    }
    if name.len() <= 253 && name.split('.').all(label_ok) {
        return Ok(());
    }
    Err(format!(
        "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist \
         of lower case alphanumeric characters, '-' or '.', and must start and end with an \
         alphanumeric character (e.g. 'example.com', regex used for validation is \
         '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ))
}
