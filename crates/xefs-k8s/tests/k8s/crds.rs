//! The OpenShift and OLM objects xefs emits, validated against the upstream CRDs in
//! `tests/crds/` as the API server would validate them.
//!
//! Each CRD's served version's `openAPIV3Schema` becomes a JSON Schema (draft 4, the base of
//! OpenAPI 3.0's schema objects) with two adjustments that make it behave like the API server:
//!
//! * `nullable: true` (OpenAPI, not JSON Schema) admits `null`;
//! * every object node with `properties` and without `x-kubernetes-preserve-unknown-fields`
//!   rejects other fields: the API server would prune them silently (or refuse them under strict
//!   field validation), so a misspelt field would be lost without any error.
//!
//! Other `x-kubernetes-*` keywords are unknown to JSON Schema and ignored, which is right for
//! the structural ones (`int-or-string` nodes carry an `anyOf` of integer and string,
//! `preserve-unknown-fields` nodes have no `properties`, list and map types only shape merges).
//! CEL rules (`x-kubernetes-validations`) cannot be evaluated here: the rules on the nodes an
//! emitted object reaches are listed and compared with a reviewed list instead.

use jsonschema::Validator;
use kube::Resource;
use serde_json::{Value, json};
use xefs_k8s::objects::{
    Authentication, AuthenticationSpec, ClusterCSIDriver, ClusterCSIDriverSpec, OperatorGroup,
    OperatorGroupSpec, Subscription, SubscriptionSpec,
};

use crate::emitted::{emitted, example, example_everything_set};
use crate::meta;

const CLUSTER_CSI_DRIVER: &str =
    include_str!("../crds/0000_50_csi-driver_01_clustercsidrivers-Default.crd.yaml");
const CLUSTER_CSI_DRIVER_LEGACY: &str =
    include_str!("../crds/0000_90_cluster_csi_driver_01_config.crd.yaml");
const AUTHENTICATION: &str =
    include_str!("../crds/0000_10_config-operator_01_authentications-Default.crd.yaml");
const OPERATOR_GROUP: &str = include_str!("../crds/operators.coreos.com_operatorgroups.yaml");
const SUBSCRIPTION: &str = include_str!("../crds/operators.coreos.com_subscriptions.yaml");

/// One served or unserved version of a CRD.
struct Version {
    name: String,
    served: bool,
    /// The adjusted schema.
    schema: Value,
    validator: Validator,
}

/// A CustomResourceDefinition, ready to validate objects.
struct Crd {
    group: String,
    kind: String,
    plural: String,
    namespaced: bool,
    versions: Vec<Version>,
}

/// Makes an `openAPIV3Schema` node behave as the API server does (see the module docs).
/// `resource_root`: the node is an object's root, whose `metadata` the API server validates
/// itself (a CRD may only restrict `name` and `generateName`), so it is not made strict.
fn as_api_server(node: &mut Value, resource_root: bool) {
    let Some(map) = node.as_object_mut() else {
        return;
    };
    if map.get("nullable") == Some(&Value::Bool(true)) {
        map.remove("nullable");
        if let Some(Value::String(t)) = map.get("type").cloned() {
            map.insert("type".into(), json!([t, "null"]));
        }
    }
    let flag = |key: &str| map.get(key) == Some(&Value::Bool(true));
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let embedded = flag("x-kubernetes-embedded-resource");
    if map.contains_key("properties") && !map.contains_key("additionalProperties") && !preserve {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for (name, sub) in properties.iter_mut() {
            if (resource_root || embedded) && name == "metadata" {
                continue;
            }
            as_api_server(sub, false);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = map.get_mut(key) {
            as_api_server(sub, false);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = map.get_mut(key) {
            for sub in subs {
                as_api_server(sub, false);
            }
        }
    }
}

fn text<'a>(v: &'a Value, path: &str) -> &'a str {
    v.pointer(path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the CRD has no {path}"))
}

/// Parses a CRD and builds a validator for each version.
fn load(yaml: &str) -> Crd {
    let crd: Value = serde_saphyr::from_str(yaml).expect("a CRD in YAML");
    assert_eq!(crd["kind"], "CustomResourceDefinition");
    let versions = crd["spec"]["versions"]
        .as_array()
        .expect("spec.versions")
        .iter()
        .map(|v| {
            let mut schema = v["schema"]["openAPIV3Schema"].clone();
            assert!(schema.is_object(), "version {} has a schema", v["name"]);
            as_api_server(&mut schema, true);
            let validator = jsonschema::draft4::new(&schema)
                .unwrap_or_else(|e| panic!("version {} is no valid schema: {e}", v["name"]));
            Version {
                name: text(v, "/name").to_owned(),
                served: v["served"] == true,
                schema,
                validator,
            }
        })
        .collect();
    Crd {
        group: text(&crd, "/spec/group").to_owned(),
        kind: text(&crd, "/spec/names/kind").to_owned(),
        plural: text(&crd, "/spec/names/plural").to_owned(),
        namespaced: text(&crd, "/spec/scope") == "Namespaced",
        versions,
    }
}

impl Crd {
    /// The served version an object's `apiVersion` names.
    fn version_of(&self, object: &Value) -> Result<&Version, String> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let Some((group, version)) = api_version.split_once('/') else {
            return Err(format!("apiVersion `{api_version}` has no group"));
        };
        if group != self.group {
            return Err(format!("group `{group}` is not {}", self.group));
        }
        self.versions
            .iter()
            .find(|v| v.name == version && v.served)
            .ok_or_else(|| format!("version `{version}` of {} is not served", self.kind))
    }

    /// Everything the API server would refuse in `object` (empty: it would accept it, CEL
    /// rules aside).
    fn problems(&self, object: &Value) -> Vec<String> {
        let version = match self.version_of(object) {
            Ok(v) => v,
            Err(e) => return vec![e],
        };
        let mut out = Vec::new();
        if object["kind"] != self.kind.as_str() {
            out.push(format!("kind {} is not {}", object["kind"], self.kind));
        }
        let has_namespace = object["metadata"].get("namespace").is_some();
        if has_namespace != self.namespaced {
            out.push(format!(
                "{} is {}, but the object {} a namespace",
                self.kind,
                if self.namespaced {
                    "namespaced"
                } else {
                    "cluster-scoped"
                },
                if has_namespace { "has" } else { "lacks" }
            ));
        }
        out.extend(meta::problems(object));
        out.extend(
            version
                .validator
                .iter_errors(object)
                .map(|e| format!("{}: {e}", e.instance_path())),
        );
        out
    }

    /// The messages of the CEL rules on the schema nodes `object` reaches.
    fn cel_rules_reached(&self, object: &Value) -> Vec<String> {
        fn walk(schema: &Value, instance: &Value, out: &mut Vec<String>) {
            if let Some(Value::Array(rules)) = schema.get("x-kubernetes-validations") {
                for r in rules {
                    out.push(r["message"].as_str().unwrap_or_default().to_owned());
                }
            }
            match instance {
                Value::Object(fields) => {
                    for (k, v) in fields {
                        match schema.pointer(&format!("/properties/{k}")) {
                            Some(sub) => walk(sub, v, out),
                            None => {
                                if let Some(sub @ Value::Object(_)) =
                                    schema.get("additionalProperties")
                                {
                                    walk(sub, v, out);
                                }
                            }
                        }
                    }
                }
                Value::Array(items) => {
                    if let Some(sub) = schema.get("items") {
                        for v in items {
                            walk(sub, v, out);
                        }
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Ok(v) = self.version_of(object) {
            walk(&v.schema, object, &mut out);
        }
        out
    }

    /// Asserts the object is valid, listing every problem if not.
    fn assert_valid(&self, object: &Value) {
        let problems = self.problems(object);
        assert!(
            problems.is_empty(),
            "{} is invalid:\n  {}\n{object:#}",
            self.kind,
            problems.join("\n  ")
        );
    }

    /// Asserts the object is invalid, for a reason containing `because`.
    fn assert_invalid(&self, object: &Value, because: &str) {
        let problems = self.problems(object);
        assert!(
            problems.iter().any(|p| p.contains(because)),
            "{} should be refused for `{because}`, problems: {problems:?}\n{object:#}",
            self.kind
        );
    }
}

/// The CRD agrees with the typed object of the kind: group, version, kind, plural and scope.
fn agrees_with<K>(crd: &Crd)
where
    K: Resource<DynamicType = ()>,
    K::Scope: 'static,
{
    assert_eq!(K::group(&()), crd.group.as_str());
    assert_eq!(K::kind(&()), crd.kind.as_str());
    assert_eq!(K::plural(&()), crd.plural.as_str());
    let served = crd
        .versions
        .iter()
        .any(|v| v.served && v.name == K::version(&()));
    assert!(served, "{} {} is not served", crd.kind, K::version(&()));
    let namespaced = std::any::TypeId::of::<K::Scope>()
        == std::any::TypeId::of::<k8s_openapi::NamespaceResourceScope>();
    assert_eq!(namespaced, crd.namespaced, "scope of {}", crd.kind);
}

#[test]
fn the_typed_objects_match_their_crds() {
    agrees_with::<ClusterCSIDriver>(&load(CLUSTER_CSI_DRIVER));
    agrees_with::<ClusterCSIDriver>(&load(CLUSTER_CSI_DRIVER_LEGACY));
    agrees_with::<Authentication>(&load(AUTHENTICATION));
    agrees_with::<OperatorGroup>(&load(OPERATOR_GROUP));
    agrees_with::<Subscription>(&load(SUBSCRIPTION));
}

#[test]
fn every_custom_object_xefs_emits_is_valid() {
    let og = load(OPERATOR_GROUP);
    let sub = load(SUBSCRIPTION);
    let driver = load(CLUSTER_CSI_DRIVER);
    let legacy_driver = load(CLUSTER_CSI_DRIVER_LEGACY);
    let mut approvals = Vec::new();
    for toml in [example(), example_everything_set()] {
        let e = emitted(&toml);
        for o in &e.operator_group {
            og.assert_valid(o);
        }
        for o in &e.subscription {
            sub.assert_valid(o);
            approvals.push(o["spec"]["installPlanApproval"].clone());
        }
        for o in &e.cluster_csi_driver {
            driver.assert_valid(o);
            // Clusters from before the CRD moved (OpenShift ≤ 4.15) accept it too.
            legacy_driver.assert_valid(o);
        }
    }
    assert_eq!(approvals, [json!("Automatic"), json!("Manual")]);
}

#[test]
fn the_emitted_objects_read_as_the_typed_objects_the_provider_uses() {
    let e = emitted(&example_everything_set());
    let typed: Subscription = serde_json::from_value(e.subscription[0].clone()).expect("typed");
    assert_eq!(typed.spec.install_plan_approval.as_deref(), Some("Manual"));
    assert_eq!(typed.spec.source, "redhat-operators");
    assert_eq!(
        serde_json::to_value(&typed.spec).ok().as_ref(),
        Some(&e.subscription[0]["spec"])
    );
    let typed: OperatorGroup = serde_json::from_value(e.operator_group[0].clone()).expect("typed");
    assert_eq!(
        serde_json::to_value(&typed.spec).ok().as_ref(),
        Some(&e.operator_group[0]["spec"])
    );
    let typed: ClusterCSIDriver =
        serde_json::from_value(e.cluster_csi_driver[0].clone()).expect("typed");
    assert_eq!(typed.spec.management_state, "Managed");
    assert_eq!(
        serde_json::to_value(&typed.spec).ok().as_ref(),
        Some(&e.cluster_csi_driver[0]["spec"])
    );
}

#[test]
fn the_typed_objects_serialize_to_valid_objects() {
    let auth = load(AUTHENTICATION);
    for spec in [
        AuthenticationSpec {
            service_account_issuer: Some("https://oidc.op1.openshiftapps.com/abc123".into()),
        },
        AuthenticationSpec::default(),
    ] {
        let object = serde_json::to_value(Authentication::new("cluster", spec)).expect("json");
        auth.assert_valid(&object);
    }

    let driver = load(CLUSTER_CSI_DRIVER);
    let object = serde_json::to_value(ClusterCSIDriver::new(
        "efs.csi.aws.com",
        ClusterCSIDriverSpec {
            management_state: "Managed".into(),
        },
    ))
    .expect("json");
    driver.assert_valid(&object);

    let mut og = OperatorGroup::new(
        "openshift-cluster-csi-drivers",
        OperatorGroupSpec {
            target_namespaces: Some(vec!["openshift-cluster-csi-drivers".into()]),
        },
    );
    og.metadata.namespace = Some("openshift-cluster-csi-drivers".into());
    load(OPERATOR_GROUP).assert_valid(&serde_json::to_value(og).expect("json"));

    let mut sub = Subscription::new(
        "aws-efs-csi-driver-operator",
        SubscriptionSpec {
            name: "aws-efs-csi-driver-operator".into(),
            source: "redhat-operators".into(),
            source_namespace: "openshift-marketplace".into(),
            channel: Some("stable".into()),
            install_plan_approval: Some("Manual".into()),
            starting_csv: None,
        },
    );
    sub.metadata.namespace = Some("openshift-cluster-csi-drivers".into());
    load(SUBSCRIPTION).assert_valid(&serde_json::to_value(sub).expect("json"));
}

/// The CRD spells the CSV fields `startingCSV`, `currentCSV` and `installedCSV`, which plain
/// camelCase renaming gets wrong.
const CSV_FIELDS: &str = "objects::olm must spell the CSV fields `startingCSV`, `currentCSV` \
    and `installedCSV`, as OLM does";

#[test]
fn a_typed_subscription_with_a_starting_csv_is_valid() {
    let mut sub = Subscription::new(
        "aws-efs-csi-driver-operator",
        SubscriptionSpec {
            name: "aws-efs-csi-driver-operator".into(),
            source: "redhat-operators".into(),
            source_namespace: "openshift-marketplace".into(),
            channel: Some("stable".into()),
            install_plan_approval: Some("Manual".into()),
            starting_csv: Some("aws-efs-csi-driver-operator.v4.20.0".into()),
        },
    );
    sub.metadata.namespace = Some("openshift-cluster-csi-drivers".into());
    let object = serde_json::to_value(sub).expect("json");
    assert!(
        load(SUBSCRIPTION).problems(&object).is_empty(),
        "{CSV_FIELDS}"
    );
}

#[test]
fn a_typed_subscription_reads_the_status_olm_writes() {
    let object = altered(&emitted(&example()).subscription[0], |o| {
        o["status"] = json!({
            "state": "AtLatestKnown", "lastUpdated": "2026-01-01T00:00:00Z",
            "currentCSV": "aws-efs-csi-driver-operator.v4.20.0",
            "installedCSV": "aws-efs-csi-driver-operator.v4.20.0",
            "installPlanRef": { "name": "install-abcde", "namespace": "openshift-cluster-csi-drivers" }
        });
    });
    load(SUBSCRIPTION).assert_valid(&object);
    let typed: Subscription = serde_json::from_value(object).expect("typed");
    let status = typed.status.unwrap_or_default();
    assert_eq!(
        status.installed_csv.as_deref(),
        Some("aws-efs-csi-driver-operator.v4.20.0"),
        "{CSV_FIELDS}"
    );
    assert_eq!(
        status.current_csv.as_deref(),
        Some("aws-efs-csi-driver-operator.v4.20.0"),
        "{CSV_FIELDS}"
    );
}

/// Applies `change` to a copy of `object`.
fn altered(object: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut o = object.clone();
    change(&mut o);
    o
}

#[test]
fn broken_objects_are_refused() {
    let e = emitted(&example());
    let sub = load(SUBSCRIPTION);
    let s = &e.subscription[0];
    sub.assert_invalid(
        &altered(s, |o| {
            o["spec"].as_object_mut().map(|m| m.remove("source"));
        }),
        "\"source\" is a required property",
    );
    sub.assert_invalid(
        &altered(s, |o| o["spec"]["installPlanApproval"] = json!(1)),
        "/spec/installPlanApproval",
    );
    sub.assert_invalid(
        &altered(s, |o| {
            let ns = o["spec"]["sourceNamespace"].take();
            o["spec"]["sourcenamespace"] = ns;
        }),
        "sourcenamespace",
    );
    sub.assert_invalid(
        &altered(s, |o| {
            o["metadata"].as_object_mut().map(|m| m.remove("namespace"));
        }),
        "lacks a namespace",
    );
    sub.assert_invalid(
        &altered(s, |o| {
            o["metadata"]["labels"]["xefs.io/stack"] = json!("x".repeat(64))
        }),
        "invalid value",
    );

    let driver = load(CLUSTER_CSI_DRIVER);
    let d = &e.cluster_csi_driver[0];
    driver.assert_invalid(
        &altered(d, |o| o["spec"]["managementState"] = json!("Sometimes")),
        "/spec/managementState",
    );
    driver.assert_invalid(
        &altered(d, |o| o["metadata"]["name"] = json!("efs.example.com")),
        "/metadata/name",
    );
    driver.assert_invalid(
        &altered(d, |o| o["metadata"]["namespace"] = json!("default")),
        "cluster-scoped",
    );
    driver.assert_invalid(
        &altered(d, |o| {
            o.as_object_mut().map(|m| m.remove("spec"));
        }),
        "\"spec\" is a required property",
    );

    let og = load(OPERATOR_GROUP);
    let g = &e.operator_group[0];
    og.assert_invalid(
        &altered(g, |o| {
            o["spec"]["targetNamespaces"] = json!("openshift-cluster-csi-drivers")
        }),
        "/spec/targetNamespaces",
    );
    og.assert_invalid(
        &altered(g, |o| o["apiVersion"] = json!("operators.coreos.com/v2")),
        "not served",
    );
    og.assert_invalid(
        &altered(g, |o| {
            let t = o["spec"]["targetNamespaces"].take();
            o["spec"]["targetNamespace"] = t;
        }),
        "targetNamespace",
    );

    let auth = load(AUTHENTICATION);
    auth.assert_invalid(
        &json!({ "apiVersion": "config.openshift.io/v1", "kind": "Authentication",
                 "metadata": { "name": "cluster" }, "spec": { "serviceAccountIssuer": 5 } }),
        "/spec/serviceAccountIssuer",
    );
}

#[test]
fn kubernetes_extensions_cause_no_false_refusals() {
    let e = emitted(&example());
    let driver = load(CLUSTER_CSI_DRIVER);
    let d = &e.cluster_csi_driver[0];
    // `observedConfig`: nullable, and preserves unknown fields at any depth.
    driver.assert_valid(&altered(d, |o| {
        o["spec"]["observedConfig"] = json!({ "anything": { "nested": [1, "two"] } });
    }));
    driver.assert_valid(&altered(d, |o| o["spec"]["observedConfig"] = Value::Null));
    // A status as the operator writes it (date-times, int32s).
    driver.assert_valid(&altered(d, |o| {
        o["status"] = json!({
            "conditions": [{ "type": "AWSEFSDriverNodeServiceControllerAvailable",
                             "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                             "reason": "AsExpected", "message": "" }],
            "readyReplicas": 2, "observedGeneration": 3
        });
    }));

    let sub = load(SUBSCRIPTION);
    let s = &e.subscription[0];
    // Quantities are int-or-string.
    sub.assert_valid(&altered(s, |o| {
        o["spec"]["config"] = json!({
            "resources": { "limits": { "cpu": 1, "memory": "512Mi" },
                           "requests": { "cpu": "100m" } },
            "env": [{ "name": "HTTPS_PROXY", "value": "http://proxy:3128" }]
        });
    }));
    sub.assert_invalid(
        &altered(s, |o| {
            o["spec"]["config"] = json!({ "resources": { "limits": { "cpu": "lots" } } });
        }),
        "/spec/config/resources/limits/cpu",
    );
}

#[test]
fn the_cel_rules_the_emitted_objects_reach_are_the_reviewed_ones() {
    let e = emitted(&example_everything_set());
    // The three rules at the root of ClusterCSIDriver, which hold for xefs's object: it sets no
    // `driverConfig` (so no driverType SecretsStore) and its name is not
    // secrets-store.csi.k8s.io; the third only forbids changing tokenRequests away from
    // Managed, which xefs never sets.
    let driver_rules = [
        "driverType 'SecretsStore' requires metadata.name 'secrets-store.csi.k8s.io'",
        "metadata.name 'secrets-store.csi.k8s.io' requires driverType 'SecretsStore'",
        "tokenRequests type cannot be changed from Managed",
    ];
    let d = &e.cluster_csi_driver[0];
    assert!(d["spec"].get("driverConfig").is_none());
    assert_ne!(d["metadata"]["name"], "secrets-store.csi.k8s.io");
    assert_eq!(load(CLUSTER_CSI_DRIVER).cel_rules_reached(d), driver_rules);
    assert!(
        load(SUBSCRIPTION)
            .cel_rules_reached(&e.subscription[0])
            .is_empty()
    );
    assert!(
        load(OPERATOR_GROUP)
            .cel_rules_reached(&e.operator_group[0])
            .is_empty()
    );
    // The walk does find rules where an object reaches them.
    let with_metrics = altered(d, |o| {
        o["spec"]["driverConfig"] = json!({ "driverType": "AWS", "aws": { "kmsKeyARN": "x" } });
    });
    let reached = load(CLUSTER_CSI_DRIVER).cel_rules_reached(&with_metrics);
    assert!(
        reached
            .iter()
            .any(|m| m.starts_with("kmsKeyARN must be a valid AWS KMS key ARN")),
        "{reached:?}"
    );
}
