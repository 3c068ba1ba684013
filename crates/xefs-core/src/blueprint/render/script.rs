//! The manual procedure as a bash script of `aws` and `oc` commands: the guide, corrected.
//! Values other steps produce are shell variables filled by earlier commands.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::to_yaml;
use crate::blueprint::manifests::{self, verify_names};
use crate::blueprint::steps::*;
use crate::blueprint::{
    Blueprint, BlueprintStep, OutputRef, PolicyTemplate, ShellPlaceholders, StepSpec, Value,
};
use crate::spec::{InstallPlanApproval, PerformanceMode, StackSpec, ThroughputMode};

const HEADER: &str = r#"set -euo pipefail
export AWS_PAGER=""

# wait_for WHAT SECONDS COMMAND...: poll COMMAND until it prints "true".
wait_for() {
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until [ "$("$@" 2>/dev/null)" = true ]; do
    if (( SECONDS >= deadline )); then echo "timed out waiting for $what" >&2; exit 1; fi
    sleep 10
  done
}

# retry COMMAND...: IAM is eventually consistent; a principal created seconds ago can be
# rejected as invalid. Retry such calls a few times.
retry() {
  local i
  for i in 1 2 3 4 5 6 7 8 9 10 11; do "$@" && return 0; echo "retrying in 5s: $1 $2 $3" >&2; sleep 5; done
  "$@"
}

# wait_ready NAMESPACE KIND/NAME SECONDS: until the workload exists and has rolled out.
wait_ready() {
  local deadline=$((SECONDS + $3))
  until oc get -n "$1" "$2" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then echo "timed out waiting for $2 in $1 to appear" >&2; exit 1; fi
    sleep 10
  done
  oc rollout status -n "$1" "$2" --timeout="$(( deadline > SECONDS ? deadline - SECONDS : 1 ))s"
}
"#;

/// Quotes a string for bash (single quotes).
fn q(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A value as a shell word: quoted literal, or its variable.
fn v<T: std::fmt::Display>(value: &Value<T>) -> String {
    match value {
        Value::Known(x) => q(&x.to_string()),
        Value::After(r) => format!("\"${}\"", r.shell_var()),
    }
}

fn var(r: &OutputRef) -> String {
    format!("${}", r.shell_var())
}

/// A body for an unquoted heredoc: everything literal except our `${VAR}` placeholders.
fn heredoc_body(text: &str) -> String {
    let escaped = text
        .replace('\\', r"\\")
        .replace('$', r"\$")
        .replace('`', r"\`");
    // Restore our placeholders: `\${NAME}` where NAME is an upper-case output variable.
    let mut out = String::with_capacity(escaped.len());
    let mut rest = escaped.as_str();
    while let Some(i) = rest.find(r"\${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        match after.find('}') {
            Some(end)
                if !after[..end].is_empty()
                    && after[..end]
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_') =>
            {
                out.push_str("${");
                out.push_str(&after[..=end]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(r"\${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn json_arg(value: &Json) -> String {
    q(&value.to_string())
}

fn tag_list(tags: &std::collections::BTreeMap<String, String>) -> Json {
    Json::Array(
        tags.iter()
            .map(|(k, v)| serde_json::json!({ "Key": k, "Value": v }))
            .collect(),
    )
}

fn tag_spec(resource_type: &str, tags: &std::collections::BTreeMap<String, String>) -> String {
    json_arg(&serde_json::json!([{ "ResourceType": resource_type, "Tags": tag_list(tags) }]))
}

fn policy_doc(t: &PolicyTemplate) -> String {
    let doc = t
        .render(&ShellPlaceholders)
        .map(|d| d.to_json_pretty())
        .unwrap_or_default();
    format!("\"$(cat <<EOF\n{}\nEOF\n)\"", heredoc_body(&doc))
}

fn apply_manifest(out: &mut String, obj: &Json) {
    let _ = write!(
        out,
        "oc apply -f - <<EOF\n{}EOF\n",
        heredoc_body(&to_yaml(obj))
    );
}

struct Script<'a> {
    spec: &'a StackSpec,
    out: String,
}

impl Script<'_> {
    fn line(&mut self, s: impl AsRef<str>) {
        self.out.push_str(s.as_ref());
        self.out.push('\n');
    }

    fn header(&mut self) {
        let s = self.spec;
        self.line("#!/usr/bin/env bash");
        self.line(format!(
            "# The manual equivalent of `xefs apply` for stack {}, rendered by `xefs render`.",
            s.name
        ));
        self.line(
            "# It follows the corrected procedure: each section names the xefs step it stands for.",
        );
        self.line(
            "# Needs: aws (CLI v2), oc (logged in to the cluster). Unlike xefs it keeps no state:",
        );
        self.line("# after a failure, resources it already made exist and some commands will fail on them.");
        self.line(
            "# Prefer `xefs apply`, which resumes, and `xefs destroy`, which undoes exactly.",
        );
        self.line(
            "# The identities it runs as need iam/caller-account-a.json (A) and -b.json (B).",
        );
        self.out.push_str(HEADER);
        self.line("");
        self.accounts();
    }

    /// The `A=(…)` and `B=(…)` arrays of `aws` arguments every command passes.
    fn accounts(&mut self) {
        let s = self.spec;
        let account = |profile: &Option<String>| {
            let mut args = format!("--region {}", q(s.region.as_str()));
            if let Some(p) = profile {
                let _ = write!(args, " --profile {}", q(p));
            }
            args
        };
        self.line(format!(
            "A=({})  # account A {} (cluster {})",
            account(&s.cluster.profile),
            s.cluster.account_id,
            s.cluster.name
        ));
        if let Some(role) = &s.storage.assume_role_arn {
            let profile = format!("xefs-{}-storage", s.name);
            self.line(format!(
                "# Account B's credentials: assume {role} with account A's."
            ));
            self.line(format!(
                "aws configure set --profile {profile} role_arn {}",
                q(role.as_str())
            ));
            match &s.cluster.profile {
                Some(p) => self.line(format!(
                    "aws configure set --profile {profile} source_profile {}",
                    q(p)
                )),
                None => self.line(format!(
                    "aws configure set --profile {profile} credential_source Environment"
                )),
            }
            self.line(format!(
                "B=(--region {} --profile {profile})  # account B {}",
                q(s.region.as_str()),
                s.storage.account_id
            ));
        } else {
            self.line(format!(
                "B=({})  # account B {} (storage)",
                account(&s.storage.profile),
                s.storage.account_id
            ));
        }
    }

    fn step(&mut self, step: &BlueprintStep) {
        self.line("");
        self.line(format!("# --- {} — {}", step.address, step.description));
        self.commands(step);
    }

    /// The commands of one step, without its heading.
    fn commands(&mut self, step: &BlueprintStep) {
        let s = self.spec;
        let stack = s.name.as_str();
        match &step.spec {
            StepSpec::DiscoverCluster(d) => {
                if d.oidc_provider {
                    self.line("OIDC_PROVIDER=$(oc get authentication.config.openshift.io cluster -o jsonpath='{.spec.serviceAccountIssuer}' | sed -e 's|^https://||')");
                }
                if d.worker_instances {
                    self.line(format!(
                        "WORKER_INSTANCE_IDS=$(oc get nodes -l {} -o jsonpath='{{range .items[*]}}{{.spec.providerID}}{{\"\\n\"}}{{end}}' | sed -e 's|.*/||')",
                        q(&d.worker_selector)
                    ));
                }
            }
            StepSpec::DiscoverClusterAccount(d) => {
                let vpc = q(d.vpc_id.as_str());
                match &d.workers {
                    WorkerSource::Subnets(list) => {
                        let words: Vec<&str> = list.iter().map(|x| x.as_str()).collect();
                        self.line(format!("WORKER_SUBNETS={}", q(&words.join(" "))));
                    }
                    WorkerSource::Instances(r) => self.line(format!(
                        "WORKER_SUBNETS=$(aws ec2 describe-instances \"${{A[@]}}\" --instance-ids {} --query 'Reservations[].Instances[].SubnetId' --output text | tr -s '\\t ' '\\n' | sort -u)",
                        var(r)
                    )),
                }
                self.line("WORKER_AZ_IDS=$(aws ec2 describe-subnets \"${A[@]}\" --subnet-ids $WORKER_SUBNETS --query 'Subnets[].AvailabilityZoneId' --output text | tr -s '\\t ' '\\n' | sort -u)");
                self.line("# Each worker subnet's explicitly associated table, else the VPC's main table (the guide");
                self.line("# misses that fallback), each table once (the guide adds one route per node and fails).");
                self.route_tables("CLUSTER_ROUTE_TABLES", "A", "$WORKER_SUBNETS", &vpc);
                if !d.node_role_arns.is_empty() {
                    let words: Vec<&str> = d.node_role_arns.iter().map(|x| x.as_str()).collect();
                    self.line(format!("NODE_ROLE_ARNS={}", q(&words.join(" "))));
                } else if let WorkerSource::Instances(r) = &d.workers {
                    self.line(format!(
                        "NODE_ROLE_ARNS=$(for profile in $(aws ec2 describe-instances \"${{A[@]}}\" --instance-ids {} --query 'Reservations[].Instances[].IamInstanceProfile.Arn' --output text | tr -s '\\t ' '\\n' | sort -u); do aws iam get-instance-profile \"${{A[@]}}\" --instance-profile-name \"${{profile##*/}}\" --query 'InstanceProfile.Roles[].Arn' --output text; done | tr -s '\\t ' '\\n' | sort -u)",
                        var(r)
                    ));
                } else {
                    self.line("NODE_ROLE_ARNS=\"\"  # unknown: name them in [cluster] node_role_arns to grant EFS client access");
                }
            }
            StepSpec::DiscoverStorageAccount(d) => {
                let vpc = q(d.vpc_id.as_str());
                if !d.subnets.is_empty() {
                    let words: Vec<&str> = d.subnets.iter().map(|x| x.as_str()).collect();
                    self.line(format!("MOUNT_TARGET_SUBNETS={}", q(&words.join(" "))));
                } else {
                    let zones = match &d.one_zone_az_id {
                        Some(z) => q(z.as_str()),
                        None => var(&d.worker_az_ids),
                    };
                    self.line("# Zone *ids*, not names: names are shuffled per account.");
                    self.line(format!("MOUNT_TARGET_SUBNETS=$(for az in {zones}; do"));
                    self.line(format!(
                        "  subnet=$(aws ec2 describe-subnets \"${{B[@]}}\" --filters Name=vpc-id,Values={vpc} Name=availability-zone-id,Values=\"$az\" --query 'sort_by(Subnets, &SubnetId)[0].SubnetId' --output text)"
                    ));
                    self.line(format!(
                        "  if [ \"$subnet\" = None ]; then echo \"account B's VPC {} has no subnet in zone $az, where workers run: create one\" >&2; exit 1; fi",
                        d.vpc_id
                    ));
                    self.line("  echo \"$subnet\"");
                    self.line("done)");
                }
                self.route_tables("STORAGE_ROUTE_TABLES", "B", "$MOUNT_TARGET_SUBNETS", &vpc);
            }
            StepSpec::Preflight(p) => {
                for (side, account) in [("A", &p.cluster_account), ("B", &p.storage_account)] {
                    self.line(format!(
                        "[ \"$(aws sts get-caller-identity \"${{{side}[@]}}\" --query Account --output text)\" = {account} ] || {{ echo \"the credentials for account {side} are not account {account}'s\" >&2; exit 1; }}"
                    ));
                }
                for (side, (vpc, cidr)) in [("A", &p.cluster_vpc), ("B", &p.storage_vpc)] {
                    self.line(format!(
                        "[ \"$(aws ec2 describe-vpcs \"${{{side}[@]}}\" --vpc-ids {vpc} --query 'Vpcs[0].CidrBlock' --output text)\" = {cidr} ] || {{ echo \"VPC {vpc} does not have CIDR {cidr}\" >&2; exit 1; }}"
                    ));
                }
                self.line(format!(
                    "aws iam get-open-id-connect-provider \"${{A[@]}}\" --open-id-connect-provider-arn \"arn:{}:iam::{}:oidc-provider/{}\" >/dev/null",
                    s.partition(),
                    p.cluster_account,
                    match &p.oidc_provider {
                        Value::Known(o) => o.to_string(),
                        Value::After(r) => format!("${{{}}}", r.shell_var()),
                    }
                ));
            }
            StepSpec::IamPolicy(p) => {
                let side = self.side(&p.account);
                self.line(format!(
                    "aws iam create-policy \"${{{side}[@]}}\" --policy-name {} --tags {} --policy-document {} >/dev/null",
                    q(p.name.as_str()),
                    json_arg(&tag_list(&p.tags)),
                    policy_doc(&p.document)
                ));
            }
            StepSpec::IamRole(r) => {
                let side = self.side(&r.account);
                let retry = if matches!(r.trust, PolicyTemplate::CrossAccountTrust { .. }) { "retry " } else { "" };
                self.line(format!(
                    "{retry}aws iam create-role \"${{{side}[@]}}\" --role-name {} --description {} --tags {} --assume-role-policy-document {} >/dev/null",
                    q(r.name.as_str()),
                    q(&r.description),
                    json_arg(&tag_list(&r.tags)),
                    policy_doc(&r.trust)
                ));
            }
            StepSpec::IamRolePolicyAttachment(at) => {
                let side = self.side(&at.account);
                self.line(format!(
                    "aws iam attach-role-policy \"${{{side}[@]}}\" --role-name {} --policy-arn {}",
                    q(at.role.as_str()),
                    q(at.policy.as_str())
                ));
            }
            StepSpec::EfsClientAccess(e) => {
                let roles = match &e.node_role_arns {
                    Value::Known(list) => q(&list.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")),
                    Value::After(r) => var(r),
                };
                self.line(format!("if [ -n \"{}\" ]; then", roles.trim_matches('\'')));
                self.line(format!(
                    "  aws iam create-policy \"${{A[@]}}\" --policy-name {} --tags {} --policy-document {} >/dev/null",
                    q(e.policy_name.as_str()),
                    json_arg(&tag_list(&e.tags)),
                    policy_doc(&e.document)
                ));
                self.line(format!(
                    "  for role in {roles}; do aws iam attach-role-policy \"${{A[@]}}\" --role-name \"${{role##*/}}\" --policy-arn {}; done",
                    q(e.policy_arn.as_str())
                ));
                self.line("else");
                self.line("  echo \"skipped: the worker nodes' roles are unknown; name them in [cluster] node_role_arns\" >&2");
                self.line("fi");
            }
            StepSpec::PeeringRequest(p) => self.line(format!(
                "PEERING_ID=$(aws ec2 create-vpc-peering-connection \"${{A[@]}}\" --vpc-id {} --peer-vpc-id {} --peer-owner-id {} --peer-region {} --tag-specifications {} --query VpcPeeringConnection.VpcPeeringConnectionId --output text)",
                p.requester_vpc,
                p.accepter_vpc,
                p.accepter_account,
                p.accepter_region,
                tag_spec("vpc-peering-connection", &p.tags)
            )),
            StepSpec::PeeringAccept(p) => {
                let id = v(&p.peering);
                self.line(format!(
                    "wait_for \"peering {id} to reach account B\" 300 aws ec2 describe-vpc-peering-connections \"${{B[@]}}\" --vpc-peering-connection-ids {id} --query \"VpcPeeringConnections[0].Status.Code=='pending-acceptance'\" --output json"
                ));
                self.line("# Accepted with B's credentials: only the accepter account can.");
                self.line(format!("aws ec2 accept-vpc-peering-connection \"${{B[@]}}\" --vpc-peering-connection-id {id} >/dev/null"));
                self.line(format!(
                    "wait_for \"peering {id} to become active\" 300 aws ec2 describe-vpc-peering-connections \"${{A[@]}}\" --vpc-peering-connection-ids {id} --query \"VpcPeeringConnections[0].Status.Code=='active'\" --output json"
                ));
            }
            StepSpec::PeeringDnsResolution(p) => {
                self.line("# Optional: this does not make EFS names resolvable across accounts.");
                self.line(format!(
                    "aws ec2 modify-vpc-peering-connection-options \"${{B[@]}}\" --vpc-peering-connection-id {} --accepter-peering-connection-options AllowDnsResolutionFromRemoteVpc=true >/dev/null",
                    v(&p.peering)
                ));
            }
            StepSpec::PeerRoutes(r) => {
                let side = self.side(&r.account);
                self.line(format!("for table in {}; do", var(&r.route_tables)));
                self.line(format!(
                    "  aws ec2 create-route \"${{{side}[@]}}\" --route-table-id \"$table\" --destination-cidr-block {} --vpc-peering-connection-id {} >/dev/null",
                    r.destination,
                    v(&r.peering)
                ));
                self.line("done");
            }
            StepSpec::MountTargetSecurityGroup(g) => {
                self.line("# In B's VPC, for the mount targets: the guide opens 2049 on A's nodes instead,");
                self.line("# which does nothing (security groups are stateful), and leaves EFS on B's default group.");
                self.line(format!(
                    "SECURITY_GROUP_ID=$(aws ec2 create-security-group \"${{B[@]}}\" --vpc-id {} --group-name {} --description {} --tag-specifications {} --query GroupId --output text)",
                    g.vpc_id,
                    q(&g.name),
                    q(&g.description),
                    tag_spec("security-group", &g.tags)
                ));
                let perm = serde_json::json!([{
                    "IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049,
                    "IpRanges": [{ "CidrIp": g.nfs_source.to_string(), "Description": format!("NFS from {}", s.cluster.name) }]
                }]);
                self.line(format!(
                    "aws ec2 authorize-security-group-ingress \"${{B[@]}}\" --group-id \"$SECURITY_GROUP_ID\" --ip-permissions {} >/dev/null",
                    json_arg(&perm)
                ));
            }
            StepSpec::FileSystem(f) => {
                let mut args = format!("--creation-token {}", q(&f.creation_token));
                args.push_str(if f.encrypted { " --encrypted" } else { " --no-encrypted" });
                if let Some(k) = &f.kms_key_id {
                    let _ = write!(args, " --kms-key-id {}", q(k));
                }
                args.push_str(match f.performance_mode {
                    PerformanceMode::GeneralPurpose => " --performance-mode generalPurpose",
                    PerformanceMode::MaxIo => " --performance-mode maxIO",
                });
                match f.throughput_mode {
                    ThroughputMode::Elastic => args.push_str(" --throughput-mode elastic"),
                    ThroughputMode::Bursting => args.push_str(" --throughput-mode bursting"),
                    ThroughputMode::Provisioned => {
                        let _ = write!(args, " --throughput-mode provisioned --provisioned-throughput-in-mibps {}", f.provisioned_throughput_mibps.unwrap_or_default());
                    }
                }
                if let Some(z) = &f.one_zone_az_id {
                    self.line(format!(
                        "ONE_ZONE_NAME=$(aws ec2 describe-availability-zones \"${{B[@]}}\" --zone-ids {z} --query 'AvailabilityZones[0].ZoneName' --output text)"
                    ));
                    args.push_str(" --availability-zone-name \"$ONE_ZONE_NAME\"");
                }
                let mut tags = f.tags.clone();
                tags.entry("Name".into()).or_insert_with(|| stack.to_owned());
                self.line("# The creation token makes a retried create return the same file system.");
                self.line(format!(
                    "FILE_SYSTEM_ID=$(aws efs create-file-system \"${{B[@]}}\" {args} --tags {} --query FileSystemId --output text)",
                    json_arg(&tag_list(&tags))
                ));
                self.line(
                    "wait_for \"file system $FILE_SYSTEM_ID to become available\" 600 aws efs describe-file-systems \"${B[@]}\" --file-system-id \"$FILE_SYSTEM_ID\" --query \"FileSystems[0].LifeCycleState=='available'\" --output json",
                );
            }
            StepSpec::MountTargets(m) => {
                let fs = v(&m.file_system);
                self.line(format!("for subnet in {}; do", var(&m.subnets)));
                self.line(format!(
                    "  aws efs create-mount-target \"${{B[@]}}\" --file-system-id {fs} --subnet-id \"$subnet\" --security-groups {} >/dev/null",
                    v(&m.security_group)
                ));
                self.line("done");
                self.line("# No waiter exists for mount targets, and they take minutes.");
                self.line(format!(
                    "wait_for \"the mount targets of {fs} to become available\" 900 aws efs describe-mount-targets \"${{B[@]}}\" --file-system-id {fs} --query \"length(MountTargets[?LifeCycleState!='available'])==\\`0\\`\" --output json"
                ));
            }
            StepSpec::FileSystemPolicy(p) => self.line(format!(
                "retry aws efs put-file-system-policy \"${{B[@]}}\" --file-system-id {} --policy {} >/dev/null",
                v(&p.file_system),
                policy_doc(&p.document)
            )),
            StepSpec::CloudCredentialsSecret(c) => apply_manifest(&mut self.out, &manifests::cloud_credentials_secret(c, stack)),
            StepSpec::OperatorGroup(g) => {
                self.line("# Only one OperatorGroup may exist per namespace: reuse it (the guide's generateName");
                self.line("# makes a new one on every run, which breaks the operator).");
                self.line(format!("if [ -z \"$(oc get operatorgroup -n {} -o name)\" ]; then", g.namespace));
                apply_manifest(&mut self.out, &manifests::operator_group(g, stack));
                self.line("fi");
            }
            StepSpec::Subscription(sub) => {
                apply_manifest(&mut self.out, &manifests::subscription(sub, stack));
                if sub.approval == InstallPlanApproval::Manual {
                    if sub.approve_install_plan {
                        self.line(format!(
                            "wait_for \"the operator's InstallPlan\" 600 sh -c \"oc get subscription -n {} {} -o jsonpath='{{.status.installPlanRef.name}}' | grep -q . && echo true\"",
                            sub.namespace, sub.name
                        ));
                        self.line(format!(
                            "oc patch installplan -n {ns} \"$(oc get subscription -n {ns} {} -o jsonpath='{{.status.installPlanRef.name}}')\" --type merge -p '{{\"spec\":{{\"approved\":true}}}}'",
                            sub.name,
                            ns = sub.namespace
                        ));
                    } else {
                        self.line(format!("echo \"approve the operator's InstallPlan: oc get installplan -n {}\" >&2", sub.namespace));
                    }
                }
                self.line(format!("wait_ready {} deployment/{} 600", sub.namespace, sub.operator_deployment));
            }
            StepSpec::ClusterCsiDriver(d) => {
                apply_manifest(&mut self.out, &manifests::cluster_csi_driver(d, stack));
                self.line(format!("wait_ready {} deployment/{} 600", d.namespace, d.controller_deployment));
                self.line(format!("wait_ready {} daemonset/{} 600", d.namespace, d.node_daemonset));
            }
            StepSpec::CrossAccountSecret(c) => apply_manifest(&mut self.out, &manifests::cross_account_secret(c, stack)),
            StepSpec::SecretReaderRbac(r) => {
                self.line("# `get` on that one Secret: the guide grants get/list/watch on every Secret.");
                for obj in manifests::secret_reader_rbac(r, stack) {
                    apply_manifest(&mut self.out, &obj);
                }
            }
            StepSpec::StorageClass(sc) => {
                if let Ok(obj) = manifests::storage_class(sc, stack, &ShellPlaceholders) {
                    apply_manifest(&mut self.out, &obj);
                }
            }
            StepSpec::Verify(ver) => {
                let ns = ver.namespace.as_str();
                let [namespace, claim, writer, reader] = manifests::verify_objects(ver, stack);
                apply_manifest(&mut self.out, &namespace);
                apply_manifest(&mut self.out, &claim);
                let t = ver.timeout_seconds;
                self.line(format!(
                    "oc wait -n {ns} pvc/{} --for=jsonpath='{{.status.phase}}'=Bound --timeout={t}s",
                    verify_names::CLAIM
                ));
                apply_manifest(&mut self.out, &writer);
                self.line(format!("oc wait -n {ns} pod/{} --for=condition=Ready --timeout={t}s", verify_names::WRITER));
                apply_manifest(&mut self.out, &reader);
                self.line(format!(
                    "wait_for \"the reader to see the writer's line\" {t} sh -c \"oc logs -n {ns} {} | grep -q '{}' && echo true\"",
                    verify_names::READER,
                    verify_names::LINE
                ));
                self.line("echo \"verified: a pod read what another pod wrote\"");
                if !ver.keep {
                    self.line(format!("oc delete namespace {ns} --wait=true"));
                }
            }
        }
    }

    fn side(&self, account: &crate::ids::AccountId) -> &'static str {
        if account == &self.spec.cluster.account_id {
            "A"
        } else {
            "B"
        }
    }

    fn route_tables(&mut self, name: &str, side: &str, subnets: &str, vpc: &str) {
        self.line(format!("{name}=$(for subnet in {subnets}; do"));
        self.line(format!(
            "  table=$(aws ec2 describe-route-tables \"${{{side}[@]}}\" --filters Name=association.subnet-id,Values=\"$subnet\" --query 'RouteTables[0].RouteTableId' --output text)"
        ));
        self.line(format!(
            "  if [ \"$table\" = None ]; then table=$(aws ec2 describe-route-tables \"${{{side}[@]}}\" --filters Name=vpc-id,Values={vpc} Name=association.main,Values=true --query 'RouteTables[0].RouteTableId' --output text); fi"
        ));
        self.line("  echo \"$table\"");
        self.line("done | sort -u)");
    }
}

/// The whole procedure as a bash script.
pub fn shell_script(spec: &StackSpec, blueprint: &Blueprint) -> String {
    let mut script = Script {
        spec,
        out: String::new(),
    };
    script.header();
    for step in &blueprint.steps {
        script.step(step);
    }
    script.line("");
    script.line(format!("echo \"stack {} applied\"", spec.name));
    script.out
}

/// The `A=(…)` and `B=(…)` arrays of `aws` arguments (region, profile or assumed role) that
/// every command of [`step_commands`] passes for account A or B.
pub fn account_arrays(spec: &StackSpec) -> String {
    let mut script = Script {
        spec,
        out: String::new(),
    };
    script.accounts();
    script.out
}

/// The `aws`/`oc` commands of one step, as [`shell_script`] writes them under the step's
/// heading: for `xefs plan --show-commands`. They use the arrays of [`account_arrays`], the
/// shell variables earlier steps set (`$FILE_SYSTEM_ID`), and the script's helper functions
/// (`wait_for`, `retry`, `wait_ready`).
pub fn step_commands(spec: &StackSpec, step: &BlueprintStep) -> String {
    let mut script = Script {
        spec,
        out: String::new(),
    };
    script.commands(step);
    script.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_keeps_placeholders_and_escapes_everything_else() {
        assert_eq!(
            heredoc_body(r#"{"fs": "${FILE_SYSTEM_ID}", "p": "${.PVC.name}", "x": "`a` \ $HOME"}"#),
            r#"{"fs": "${FILE_SYSTEM_ID}", "p": "\${.PVC.name}", "x": "\`a\` \\ \$HOME"}"#
        );
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(q("vpc-0a1b2c3d"), "vpc-0a1b2c3d");
        assert_eq!(q("it's"), r"'it'\''s'");
        assert_eq!(q("a b"), "'a b'");
        assert_eq!(q(""), "''");
    }

    #[test]
    fn each_step_commands_are_the_scripts_section() -> Result<(), Box<dyn std::error::Error>> {
        let env = std::collections::BTreeMap::<String, String>::new();
        let spec = StackSpec::from_toml_str(crate::spec::fixtures::MINIMAL, &env)
            .map_err(|e| format!("{e:?}"))?;
        let blueprint = Blueprint::build(&spec);
        let script = shell_script(&spec, &blueprint);
        assert!(script.contains(&account_arrays(&spec)));
        for step in &blueprint.steps {
            let section = format!(
                "# --- {} — {}\n{}",
                step.address,
                step.description,
                step_commands(&spec, step)
            );
            assert!(script.contains(&section), "{} differs", step.address);
        }
        Ok(())
    }
}
