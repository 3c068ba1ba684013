//! Every core object xefs emits is exactly a `k8s-openapi` object: it deserializes into the
//! type of its kind and serializes back to the same JSON. A misspelt or misplaced field is
//! dropped on the way (the types ignore unknown fields, as the API server prunes them), so it
//! shows as a difference.

use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Pod, Secret};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::emitted::{emitted, example, example_everything_set};
use crate::meta;

/// The object after a trip through `K`, or why it could not make it.
fn through<K>(object: &Value) -> Result<Value, String>
where
    K: k8s_openapi::Resource + DeserializeOwned + Serialize,
{
    if object["apiVersion"] != K::API_VERSION || object["kind"] != K::KIND {
        return Err(format!(
            "{} {} is not a {} {}",
            object["apiVersion"],
            object["kind"],
            K::API_VERSION,
            K::KIND
        ));
    }
    let typed: K = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// The round trip by the object's kind.
fn round_trip(object: &Value) -> Result<Value, String> {
    match object["kind"].as_str() {
        Some("Secret") => through::<Secret>(object),
        Some("Role") => through::<Role>(object),
        Some("RoleBinding") => through::<RoleBinding>(object),
        Some("StorageClass") => through::<StorageClass>(object),
        Some("Namespace") => through::<Namespace>(object),
        Some("PersistentVolumeClaim") => through::<PersistentVolumeClaim>(object),
        Some("Pod") => through::<Pod>(object),
        other => Err(format!("not a core kind xefs emits: {other:?}")),
    }
}

#[test]
fn every_core_object_round_trips_through_its_type() {
    let mut checked = std::collections::BTreeSet::new();
    for toml in [example(), example_everything_set()] {
        let e = emitted(&toml);
        let core = e
            .cloud_credentials_secret
            .iter()
            .chain(&e.cross_account_secret)
            .chain(&e.rbac)
            .chain(&e.storage_class)
            .chain(&e.verify);
        for object in core {
            let back = round_trip(object).unwrap_or_else(|e| panic!("{e}: {object:#}"));
            assert_eq!(&back, object, "changed on the way through its type");
            assert_eq!(meta::problems(object), Vec::<String>::new(), "{object:#}");
            checked.insert(object["kind"].as_str().unwrap_or_default().to_owned());
        }
    }
    let kinds: Vec<&str> = checked.iter().map(String::as_str).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "PersistentVolumeClaim",
            "Pod",
            "Role",
            "RoleBinding",
            "Secret",
            "StorageClass"
        ]
    );
}

#[test]
fn a_misspelt_or_mistyped_field_does_not_round_trip() {
    let e = emitted(&example());
    let mut secret = e.cross_account_secret[0].clone();
    let data = secret["stringData"].take();
    secret["stringdata"] = data;
    assert_ne!(round_trip(&secret).as_ref(), Ok(&secret));

    let mut pod = e.verify[2].clone();
    pod["spec"]["containers"][0]["command"] = json!("/bin/sh -c true");
    assert!(round_trip(&pod).is_err(), "a command must be a list");

    let mut sc = e.storage_class[0].clone();
    sc["parameters"]["uid"] = json!(1000);
    assert!(
        round_trip(&sc).is_err(),
        "StorageClass parameters are strings"
    );

    let mut role = e.rbac[0].clone();
    role["apiVersion"] = json!("rbac.authorization.k8s.io/v1beta1");
    assert!(round_trip(&role).is_err());
}
