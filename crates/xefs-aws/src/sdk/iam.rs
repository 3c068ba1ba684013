//! [`Iam`] over `aws_sdk_iam`.

use aws_sdk_iam::Client;
use aws_sdk_iam::operation::get_policy_version::GetPolicyVersionOutput;
use aws_sdk_iam::types::Tag;
use aws_smithy_types::date_time::Format;
use xefs_core::iam::PolicyDocument;
use xefs_core::ids::{AccountId, Arn, IamName};

use super::calls::{Calls, or_absent};
use super::convert::tags_from;
use crate::ports::{
    Iam, ManagedPolicy, NewPolicy, NewRole, PolicyVersion, Role, Tags, VersionDocument,
};
use crate::{AwsResult, CallStats, Service};

const GET_POLICY_VERSION: &str = "GetPolicyVersion";

/// IAM in one account, through the AWS SDK.
///
/// IAM hands policy documents back percent-encoded; this adapter decodes them, so callers
/// compare [`PolicyDocument`]s, never strings.
#[derive(Debug, Clone)]
pub struct SdkIam {
    client: Client,
    calls: Calls,
}

impl SdkIam {
    /// `GetPolicyVersion`, sent and counted.
    async fn send_get_policy_version(
        &self,
        arn: &Arn,
        version_id: &str,
    ) -> AwsResult<GetPolicyVersionOutput> {
        let request = self
            .client
            .get_policy_version()
            .policy_arn(arn.as_str())
            .version_id(version_id)
            .send();
        self.calls
            .send(GET_POLICY_VERSION, Some(arn.as_str()), request)
            .await
    }

    /// An adapter over `client`, whose credentials act in `account`; every call is counted in
    /// `stats`.
    pub fn new(client: Client, account: AccountId, stats: CallStats) -> Self {
        Self {
            client,
            calls: Calls::new(Service::Iam, account, stats),
        }
    }

    /// The tags for a create call; `None` for no tags (an absent list rather than an empty one).
    fn sdk_tags(
        &self,
        call: &'static str,
        resource: &str,
        tags: &Tags,
    ) -> AwsResult<Option<Vec<Tag>>> {
        if tags.is_empty() {
            return Ok(None);
        }
        tags.iter()
            .map(|(k, v)| {
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| self.calls.invalid_input(call, Some(resource), e))
            })
            .collect::<AwsResult<Vec<_>>>()
            .map(Some)
    }

    fn decode(
        &self,
        call: &'static str,
        resource: &str,
        encoded: Option<&str>,
    ) -> AwsResult<PolicyDocument> {
        let encoded =
            encoded.ok_or_else(|| self.calls.bad_response(call, Some(resource), "no document"))?;
        PolicyDocument::parse_url_encoded(encoded)
            .map_err(|e| self.calls.bad_response(call, Some(resource), e))
    }
}

#[async_trait::async_trait]
impl Iam for SdkIam {
    async fn get_policy(&self, arn: &Arn) -> AwsResult<Option<ManagedPolicy>> {
        const CALL: &str = "GetPolicy";
        let request = self.client.get_policy().policy_arn(arn.as_str()).send();
        let Some(out) = or_absent(
            self.calls
                .send(CALL, Some(arn.as_str()), request)
                .await
                .map(Some),
            None,
        )?
        else {
            return Ok(None);
        };
        let policy = out.policy().ok_or_else(|| {
            self.calls
                .bad_response(CALL, Some(arn.as_str()), "no policy")
        })?;
        Ok(Some(ManagedPolicy {
            arn: self
                .calls
                .parse(CALL, "policy ARN", policy.arn(), Arn::parse)?,
            default_version_id: policy
                .default_version_id()
                .ok_or_else(|| {
                    self.calls
                        .bad_response(CALL, Some(arn.as_str()), "no default version id")
                })?
                .to_owned(),
            tags: tags_from(
                policy
                    .tags()
                    .iter()
                    .map(|t| (Some(t.key()), Some(t.value()))),
            ),
        }))
    }

    async fn get_policy_document(&self, arn: &Arn, version_id: &str) -> AwsResult<PolicyDocument> {
        let out = self.send_get_policy_version(arn, version_id).await?;
        self.decode(
            GET_POLICY_VERSION,
            arn.as_str(),
            out.policy_version().and_then(|v| v.document()),
        )
    }

    async fn get_policy_version(
        &self,
        arn: &Arn,
        version_id: &str,
    ) -> AwsResult<Option<VersionDocument>> {
        let sent = self.send_get_policy_version(arn, version_id).await;
        let Some(out) = or_absent(sent.map(Some), None)? else {
            return Ok(None);
        };
        let version = out.policy_version();
        let document = self.decode(
            GET_POLICY_VERSION,
            arn.as_str(),
            version.and_then(|v| v.document()),
        )?;
        Ok(Some(VersionDocument {
            document,
            is_default: version.is_some_and(|v| v.is_default_version()),
        }))
    }

    async fn list_policy_versions(&self, arn: &Arn) -> AwsResult<Vec<PolicyVersion>> {
        const CALL: &str = "ListPolicyVersions";
        let mut pages = self
            .client
            .list_policy_versions()
            .policy_arn(arn.as_str())
            .into_paginator()
            .send();
        let mut versions = Vec::new();
        while let Some(page) = pages.next().await {
            let page = self.calls.page(CALL, Some(arn.as_str()), page)?;
            for v in page.versions() {
                let bad = |what: String| self.calls.bad_response(CALL, Some(arn.as_str()), what);
                let id = v
                    .version_id()
                    .ok_or_else(|| bad("a version without id".into()))?;
                let created = v
                    .create_date()
                    .ok_or_else(|| bad(format!("version {id} without creation date")))?
                    .fmt(Format::DateTime)
                    .map_err(|e| bad(format!("version {id}: {e}")))?;
                versions.push(PolicyVersion {
                    id: id.to_owned(),
                    is_default: v.is_default_version(),
                    created,
                });
            }
        }
        Ok(versions)
    }

    async fn create_policy(&self, policy: &NewPolicy) -> AwsResult<Arn> {
        const CALL: &str = "CreatePolicy";
        let name = policy.name.as_str();
        let request = self
            .client
            .create_policy()
            .policy_name(name)
            .policy_document(policy.document.to_json_compact())
            .set_tags(self.sdk_tags(CALL, name, &policy.tags)?)
            .send();
        let out = self.calls.send(CALL, Some(name), request).await?;
        self.calls.parse(
            CALL,
            "policy ARN",
            out.policy().and_then(|p| p.arn()),
            Arn::parse,
        )
    }

    async fn create_default_policy_version(
        &self,
        arn: &Arn,
        document: &PolicyDocument,
    ) -> AwsResult<String> {
        const CALL: &str = "CreatePolicyVersion";
        let request = self
            .client
            .create_policy_version()
            .policy_arn(arn.as_str())
            .policy_document(document.to_json_compact())
            .set_as_default(true)
            .send();
        let out = self.calls.send(CALL, Some(arn.as_str()), request).await?;
        out.policy_version()
            .and_then(|v| v.version_id())
            .map(str::to_owned)
            .ok_or_else(|| {
                self.calls
                    .bad_response(CALL, Some(arn.as_str()), "no version id")
            })
    }

    async fn delete_policy_version(&self, arn: &Arn, version_id: &str) -> AwsResult<()> {
        let request = self
            .client
            .delete_policy_version()
            .policy_arn(arn.as_str())
            .version_id(version_id)
            .send();
        let result = self
            .calls
            .send("DeletePolicyVersion", Some(arn.as_str()), request)
            .await;
        or_absent(result.map(drop), ())
    }

    async fn delete_policy(&self, arn: &Arn) -> AwsResult<()> {
        let request = self.client.delete_policy().policy_arn(arn.as_str()).send();
        let result = self
            .calls
            .send("DeletePolicy", Some(arn.as_str()), request)
            .await;
        or_absent(result.map(drop), ())
    }

    async fn get_role(&self, name: &IamName) -> AwsResult<Option<Role>> {
        const CALL: &str = "GetRole";
        let request = self.client.get_role().role_name(name.as_str()).send();
        let Some(out) = or_absent(
            self.calls
                .send(CALL, Some(name.as_str()), request)
                .await
                .map(Some),
            None,
        )?
        else {
            return Ok(None);
        };
        let role = out.role().ok_or_else(|| {
            self.calls
                .bad_response(CALL, Some(name.as_str()), "no role")
        })?;
        Ok(Some(Role {
            name: self
                .calls
                .parse(CALL, "role name", Some(role.role_name()), IamName::parse)?,
            arn: self
                .calls
                .parse(CALL, "role ARN", Some(role.arn()), Arn::parse)?,
            trust: self.decode(CALL, name.as_str(), role.assume_role_policy_document())?,
            description: role
                .description()
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            tags: tags_from(role.tags().iter().map(|t| (Some(t.key()), Some(t.value())))),
        }))
    }

    async fn create_role(&self, role: &NewRole) -> AwsResult<Arn> {
        const CALL: &str = "CreateRole";
        let name = role.name.as_str();
        let request = self
            .client
            .create_role()
            .role_name(name)
            .assume_role_policy_document(role.trust.to_json_compact())
            .set_description(Some(role.description.clone()).filter(|d| !d.is_empty()))
            .set_tags(self.sdk_tags(CALL, name, &role.tags)?)
            .send();
        let out = self.calls.send(CALL, Some(name), request).await?;
        self.calls
            .parse(CALL, "role ARN", out.role().map(|r| r.arn()), Arn::parse)
    }

    async fn update_trust(&self, name: &IamName, trust: &PolicyDocument) -> AwsResult<()> {
        let request = self
            .client
            .update_assume_role_policy()
            .role_name(name.as_str())
            .policy_document(trust.to_json_compact())
            .send();
        self.calls
            .send("UpdateAssumeRolePolicy", Some(name.as_str()), request)
            .await
            .map(drop)
    }

    async fn delete_role(&self, name: &IamName) -> AwsResult<()> {
        let request = self.client.delete_role().role_name(name.as_str()).send();
        let result = self
            .calls
            .send("DeleteRole", Some(name.as_str()), request)
            .await;
        or_absent(result.map(drop), ())
    }

    async fn attached_policies(&self, role: &IamName) -> AwsResult<Vec<Arn>> {
        const CALL: &str = "ListAttachedRolePolicies";
        let mut pages = self
            .client
            .list_attached_role_policies()
            .role_name(role.as_str())
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = match self.calls.page(CALL, Some(role.as_str()), page) {
                Ok(page) => page,
                // The role is gone: nothing is attached to it.
                Err(e) if super::classify::is_not_found(&e) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            for p in page.attached_policies() {
                arns.push(
                    self.calls
                        .parse(CALL, "policy ARN", p.policy_arn(), Arn::parse)?,
                );
            }
        }
        Ok(arns)
    }

    async fn attach_policy(&self, role: &IamName, policy: &Arn) -> AwsResult<()> {
        let request = self
            .client
            .attach_role_policy()
            .role_name(role.as_str())
            .policy_arn(policy.as_str())
            .send();
        self.calls
            .send("AttachRolePolicy", Some(role.as_str()), request)
            .await
            .map(drop)
    }

    async fn detach_policy(&self, role: &IamName, policy: &Arn) -> AwsResult<()> {
        let request = self
            .client
            .detach_role_policy()
            .role_name(role.as_str())
            .policy_arn(policy.as_str())
            .send();
        let result = self
            .calls
            .send("DetachRolePolicy", Some(role.as_str()), request)
            .await;
        // NoSuchEntity: the role, the policy, or the attachment is gone — detached either way.
        or_absent(result.map(drop), ())
    }

    async fn instance_profile_roles(&self, profile_name: &str) -> AwsResult<Vec<Arn>> {
        const CALL: &str = "GetInstanceProfile";
        let request = self
            .client
            .get_instance_profile()
            .instance_profile_name(profile_name)
            .send();
        let Some(out) = or_absent(
            self.calls
                .send(CALL, Some(profile_name), request)
                .await
                .map(Some),
            None,
        )?
        else {
            return Ok(Vec::new());
        };
        let Some(profile) = out.instance_profile() else {
            return Err(self
                .calls
                .bad_response(CALL, Some(profile_name), "no instance profile"));
        };
        profile
            .roles()
            .iter()
            .map(|r| {
                self.calls
                    .parse(CALL, "role ARN", Some(r.arn()), Arn::parse)
            })
            .collect()
    }

    async fn oidc_providers(&self) -> AwsResult<Vec<Arn>> {
        const CALL: &str = "ListOpenIDConnectProviders";
        // Not paginated by IAM: one response lists every provider.
        let request = self.client.list_open_id_connect_providers().send();
        let out = self.calls.send(CALL, None, request).await?;
        out.open_id_connect_provider_list()
            .iter()
            .map(|p| {
                self.calls
                    .parse(CALL, "OIDC provider ARN", p.arn(), Arn::parse)
            })
            .collect()
    }
}
