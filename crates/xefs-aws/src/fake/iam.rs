//! IAM in the fake: roles, managed policies and their versions, attachments, instance profiles
//! and OIDC providers, with IAM's conflicts and its propagation window for new principals.

use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{Arn, IamName};

use super::principals::first_invalid;
use super::world::{IamWorld, PolicyRec, PolicyVersionRec, RoleRec, World, rfc3339};
use super::{Caller, Cx};
use crate::AwsResult;
use crate::ports::{Iam, ManagedPolicy, NewPolicy, NewRole, PolicyVersion, Role, VersionDocument};
use crate::sdk::classify::{Fault, is_not_found};

/// IAM keeps at most five versions of a managed policy.
const MAX_POLICY_VERSIONS: usize = 5;

/// IAM of one account of a [`FakeAws`](super::FakeAws).
#[derive(Debug, Clone)]
pub struct FakeIam(pub(crate) Caller);

fn no_such_entity(message: String) -> Fault {
    Fault::service("NoSuchEntity", &message, 404)
}

fn delete_conflict(message: &str) -> Fault {
    Fault::service("DeleteConflict", message, 409)
}

fn malformed(message: &str) -> Fault {
    Fault::service("MalformedPolicyDocument", message, 400)
}

/// `NoSuchEntity` for a role, as IAM words it.
fn no_role(name: &str) -> Fault {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

/// `NoSuchEntity` for a policy, as IAM words it.
fn no_policy(arn: &str) -> Fault {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

/// Checks a trust policy: it must name principals, and IAM must know each of them.
fn check_trust(world: &World, trust: &PolicyDocument, cx: &Cx<'_>) -> Result<(), Fault> {
    if trust.statements.is_empty() {
        return Err(malformed("Syntax errors in policy."));
    }
    if trust.statements.iter().any(|s| s.principal.is_none()) {
        return Err(malformed("Missing required field Principal"));
    }
    match first_invalid(world, trust, cx.now) {
        Some(principal) => Err(malformed(&format!(
            "Invalid principal in policy: {principal}"
        ))),
        None => Ok(()),
    }
}

/// Checks an identity policy: statements, and no principal (IAM refuses one there).
fn check_identity_policy(document: &PolicyDocument) -> Result<(), Fault> {
    if document.statements.is_empty() {
        return Err(malformed("Syntax errors in policy."));
    }
    if document.statements.iter().any(|s| s.principal.is_some()) {
        return Err(malformed("Policy document should not specify a principal."));
    }
    Ok(())
}

impl IamWorld {
    fn policy(&self, arn: &str) -> Result<&PolicyRec, Fault> {
        self.policies.get(arn).ok_or_else(|| no_policy(arn))
    }

    fn policy_mut(&mut self, arn: &str) -> Result<&mut PolicyRec, Fault> {
        self.policies.get_mut(arn).ok_or_else(|| no_policy(arn))
    }

    fn role(&self, name: &str) -> Result<&RoleRec, Fault> {
        self.roles.get(name).ok_or_else(|| no_role(name))
    }

    /// How many roles have the policy attached.
    fn attachments(&self, arn: &str) -> usize {
        self.roles
            .values()
            .filter(|r| r.attached.iter().any(|a| a == arn))
            .count()
    }
}

fn parse_document(json: &str, what: &str) -> Result<PolicyDocument, Fault> {
    // Documents are stored as the ports gave them; one that does not parse back is a bug of
    // the fake, reported like AWS's internal errors.
    PolicyDocument::parse(json).map_err(|e| {
        Fault::service(
            "ServiceFailure",
            &format!("the fake stored an unreadable {what}: {e}"),
            500,
        )
    })
}

fn parse_arn(arn: &str) -> Result<Arn, Fault> {
    Arn::parse(arn).map_err(|e| Fault::service("ServiceFailure", &e.to_string(), 500))
}

impl FakeIam {
    fn iam_mut<'w>(world: &'w mut World, cx: &Cx<'_>) -> &'w mut IamWorld {
        &mut world.account_mut(cx.account).iam
    }
}

#[async_trait::async_trait]
impl Iam for FakeIam {
    async fn get_policy(&self, arn: &Arn) -> AwsResult<Option<ManagedPolicy>> {
        let result = self
            .0
            .call("GetPolicy", Some(arn.as_str()), |w, cx| {
                let p = Self::iam_mut(w, cx).policy(arn.as_str())?;
                Ok(ManagedPolicy {
                    arn: parse_arn(&p.arn)?,
                    default_version_id: p.default_version.clone(),
                    tags: p.tags.clone(),
                })
            })
            .await;
        or_absent(result.map(Some), None)
    }

    async fn get_policy_document(&self, arn: &Arn, version_id: &str) -> AwsResult<PolicyDocument> {
        self.0
            .call("GetPolicyVersion", Some(arn.as_str()), |w, cx| {
                let v = version_of(Self::iam_mut(w, cx).policy(arn.as_str())?, version_id)?;
                parse_document(&v.document, "policy version")
            })
            .await
    }

    async fn get_policy_version(
        &self,
        arn: &Arn,
        version_id: &str,
    ) -> AwsResult<Option<VersionDocument>> {
        let result = self
            .0
            .call("GetPolicyVersion", Some(arn.as_str()), |w, cx| {
                let p = Self::iam_mut(w, cx).policy(arn.as_str())?;
                Ok(VersionDocument {
                    document: parse_document(
                        &version_of(p, version_id)?.document,
                        "policy version",
                    )?,
                    is_default: p.default_version == version_id,
                })
            })
            .await;
        or_absent(result.map(Some), None)
    }

    async fn list_policy_versions(&self, arn: &Arn) -> AwsResult<Vec<PolicyVersion>> {
        self.0
            .call("ListPolicyVersions", Some(arn.as_str()), |w, cx| {
                let p = Self::iam_mut(w, cx).policy(arn.as_str())?;
                // IAM lists the newest first.
                Ok(p.versions
                    .iter()
                    .rev()
                    .map(|v| PolicyVersion {
                        id: v.id.clone(),
                        is_default: v.id == p.default_version,
                        created: rfc3339(v.created_at),
                    })
                    .collect())
            })
            .await
    }

    async fn create_policy(&self, policy: &NewPolicy) -> AwsResult<Arn> {
        let name = policy.name.as_str();
        self.0
            .call("CreatePolicy", Some(name), |w, cx| {
                check_identity_policy(&policy.document)?;
                let arn = Arn::iam_policy(cx.partition, cx.account, &policy.name);
                let iam = Self::iam_mut(w, cx);
                if iam.policies.contains_key(arn.as_str()) {
                    return Err(Fault::service(
                        "EntityAlreadyExists",
                        &format!("A policy called {name} already exists. Duplicate names are not allowed."),
                        409,
                    ));
                }
                iam.policies.insert(
                    arn.to_string(),
                    PolicyRec {
                        name: name.to_owned(),
                        arn: arn.to_string(),
                        versions: vec![PolicyVersionRec {
                            id: "v1".into(),
                            document: policy.document.to_json_compact(),
                            created_at: cx.now,
                        }],
                        default_version: "v1".into(),
                        next_version: 2,
                        tags: policy.tags.clone(),
                    },
                );
                Ok(arn)
            })
            .await
    }

    async fn create_default_policy_version(
        &self,
        arn: &Arn,
        document: &PolicyDocument,
    ) -> AwsResult<String> {
        self.0
            .call("CreatePolicyVersion", Some(arn.as_str()), |w, cx| {
                check_identity_policy(document)?;
                let p = Self::iam_mut(w, cx).policy_mut(arn.as_str())?;
                if p.versions.len() >= MAX_POLICY_VERSIONS {
                    return Err(Fault::service(
                        "LimitExceeded",
                        &format!(
                            "A managed policy can have up to {MAX_POLICY_VERSIONS} versions. \
                             Before you create a new version, you must delete an existing version."
                        ),
                        409,
                    ));
                }
                let id = format!("v{}", p.next_version);
                p.next_version += 1;
                p.versions.push(PolicyVersionRec {
                    id: id.clone(),
                    document: document.to_json_compact(),
                    created_at: cx.now,
                });
                p.default_version = id.clone();
                Ok(id)
            })
            .await
    }

    async fn delete_policy_version(&self, arn: &Arn, version_id: &str) -> AwsResult<()> {
        let result = self
            .0
            .call("DeletePolicyVersion", Some(arn.as_str()), |w, cx| {
                let p = Self::iam_mut(w, cx).policy_mut(arn.as_str())?;
                if p.default_version == version_id {
                    return Err(delete_conflict(
                        "Cannot delete the default version of a policy.",
                    ));
                }
                let before = p.versions.len();
                p.versions.retain(|v| v.id != version_id);
                if p.versions.len() == before {
                    return Err(no_such_entity(format!(
                        "Policy {arn} version {version_id} does not exist or is not attachable."
                    )));
                }
                Ok(())
            })
            .await;
        or_absent(result, ())
    }

    async fn delete_policy(&self, arn: &Arn) -> AwsResult<()> {
        let result = self
            .0
            .call("DeletePolicy", Some(arn.as_str()), |w, cx| {
                let iam = Self::iam_mut(w, cx);
                let p = iam.policy(arn.as_str())?;
                if iam.attachments(arn.as_str()) > 0 {
                    return Err(delete_conflict(
                        "Cannot delete a policy attached to entities.",
                    ));
                }
                if p.versions.len() > 1 {
                    return Err(delete_conflict(
                        "This policy has more than one version. Before you delete a policy, you \
                         must delete the policy's versions. The default version is deleted with \
                         the policy.",
                    ));
                }
                iam.policies.remove(arn.as_str());
                Ok(())
            })
            .await;
        or_absent(result, ())
    }

    async fn get_role(&self, name: &IamName) -> AwsResult<Option<Role>> {
        let result = self
            .0
            .call("GetRole", Some(name.as_str()), |w, cx| {
                let r = Self::iam_mut(w, cx).role(name.as_str())?;
                Ok(Role {
                    name: name.clone(),
                    arn: parse_arn(&r.arn)?,
                    trust: parse_document(&r.trust, "trust policy")?,
                    description: r.description.clone(),
                    tags: r.tags.clone(),
                })
            })
            .await;
        or_absent(result.map(Some), None)
    }

    async fn create_role(&self, role: &NewRole) -> AwsResult<Arn> {
        let name = role.name.as_str();
        self.0
            .call("CreateRole", Some(name), |w, cx| {
                if w.iam(cx.account)
                    .is_some_and(|iam| iam.roles.contains_key(name))
                {
                    return Err(Fault::service(
                        "EntityAlreadyExists",
                        &format!("Role with name {name} already exists."),
                        409,
                    ));
                }
                check_trust(w, &role.trust, cx)?;
                let arn = Arn::iam_role(cx.partition, cx.account, &role.name);
                Self::iam_mut(w, cx).roles.insert(
                    name.to_owned(),
                    RoleRec {
                        name: name.to_owned(),
                        arn: arn.to_string(),
                        trust: role.trust.to_json_compact(),
                        description: Some(role.description.clone()).filter(|d| !d.is_empty()),
                        tags: role.tags.clone(),
                        attached: Vec::new(),
                        created_at: cx.now,
                        usable_at: cx.now.after(cx.latency.iam_propagation),
                    },
                );
                Ok(arn)
            })
            .await
    }

    async fn update_trust(&self, name: &IamName, trust: &PolicyDocument) -> AwsResult<()> {
        self.0
            .call("UpdateAssumeRolePolicy", Some(name.as_str()), |w, cx| {
                w.iam(cx.account)
                    .ok_or_else(|| no_role(name.as_str()))?
                    .role(name.as_str())?;
                check_trust(w, trust, cx)?;
                if let Some(r) = Self::iam_mut(w, cx).roles.get_mut(name.as_str()) {
                    r.trust = trust.to_json_compact();
                }
                Ok(())
            })
            .await
    }

    async fn delete_role(&self, name: &IamName) -> AwsResult<()> {
        let result = self
            .0
            .call("DeleteRole", Some(name.as_str()), |w, cx| {
                let iam = Self::iam_mut(w, cx);
                let role = iam.role(name.as_str())?;
                if !role.attached.is_empty() {
                    return Err(delete_conflict(
                        "Cannot delete entity, must detach all policies first.",
                    ));
                }
                if iam
                    .instance_profiles
                    .values()
                    .any(|p| p.roles.iter().any(|r| r == name.as_str()))
                {
                    return Err(delete_conflict(
                        "Cannot delete entity, must remove roles from instance profile first.",
                    ));
                }
                iam.roles.remove(name.as_str());
                Ok(())
            })
            .await;
        or_absent(result, ())
    }

    async fn attached_policies(&self, role: &IamName) -> AwsResult<Vec<Arn>> {
        let result = self
            .0
            .call("ListAttachedRolePolicies", Some(role.as_str()), |w, cx| {
                Self::iam_mut(w, cx)
                    .role(role.as_str())?
                    .attached
                    .iter()
                    .map(|a| parse_arn(a))
                    .collect()
            })
            .await;
        or_absent(result, Vec::new())
    }

    async fn attach_policy(&self, role: &IamName, policy: &Arn) -> AwsResult<()> {
        self.0
            .call("AttachRolePolicy", Some(role.as_str()), |w, cx| {
                // A policy of another account is not attachable; AWS-managed ones are not in
                // the fake.
                let exists = w
                    .iam(cx.account)
                    .is_some_and(|iam| iam.policies.contains_key(policy.as_str()));
                let iam = Self::iam_mut(w, cx);
                iam.role(role.as_str())?;
                if !exists {
                    return Err(no_policy(policy.as_str()));
                }
                if let Some(r) = iam.roles.get_mut(role.as_str())
                    && !r.attached.iter().any(|a| a == policy.as_str())
                {
                    r.attached.push(policy.to_string());
                }
                Ok(())
            })
            .await
    }

    async fn detach_policy(&self, role: &IamName, policy: &Arn) -> AwsResult<()> {
        let result = self
            .0
            .call("DetachRolePolicy", Some(role.as_str()), |w, cx| {
                let iam = Self::iam_mut(w, cx);
                iam.role(role.as_str())?;
                let r = iam
                    .roles
                    .get_mut(role.as_str())
                    .ok_or_else(|| no_role(role.as_str()))?;
                let before = r.attached.len();
                r.attached.retain(|a| a != policy.as_str());
                if r.attached.len() == before {
                    return Err(no_such_entity(format!("Policy {policy} was not found.")));
                }
                Ok(())
            })
            .await;
        // NoSuchEntity: the role, the policy, or the attachment is gone — detached either way.
        or_absent(result, ())
    }

    async fn instance_profile_roles(&self, profile_name: &str) -> AwsResult<Vec<Arn>> {
        let result = self
            .0
            .call("GetInstanceProfile", Some(profile_name), |w, cx| {
                let iam = Self::iam_mut(w, cx);
                let profile = iam.instance_profiles.get(profile_name).ok_or_else(|| {
                    no_such_entity(format!("Instance Profile {profile_name} cannot be found."))
                })?;
                profile
                    .roles
                    .iter()
                    .filter_map(|r| iam.roles.get(r))
                    .map(|r| parse_arn(&r.arn))
                    .collect()
            })
            .await;
        or_absent(result, Vec::new())
    }

    async fn oidc_providers(&self) -> AwsResult<Vec<Arn>> {
        self.0
            .call("ListOpenIDConnectProviders", None, |w, cx| {
                Self::iam_mut(w, cx)
                    .oidc_providers
                    .keys()
                    .map(|a| parse_arn(a))
                    .collect()
            })
            .await
    }
}

/// Turns a "no such resource" error into `Ok(absent)`, as the adapters' `or_absent` does.
pub(crate) fn or_absent<T>(result: AwsResult<T>, absent: T) -> AwsResult<T> {
    match result {
        Err(e) if is_not_found(&e) => Ok(absent),
        other => other,
    }
}

/// Version `id` of `policy`, or IAM's `NoSuchEntity`.
fn version_of<'a>(policy: &'a PolicyRec, id: &str) -> Result<&'a PolicyVersionRec, Fault> {
    policy.versions.iter().find(|v| v.id == id).ok_or_else(|| {
        no_such_entity(format!(
            "Policy {} version {id} does not exist or is not attachable.",
            policy.arn
        ))
    })
}
