//! Preflight: what must hold before `xefs apply` can work, checked on every run. Whose the
//! credentials are, whether the spec's VPCs and CIDRs are real and disjoint, whether A's IAM
//! knows the cluster's issuer, and whether B's VPC can hold a mount target in each worker
//! AZ id.

use super::diagnose::{Account, Context};
use super::finding::{CheckId, Finding};
use super::network::{VpcRef, check_cidr_overlap};
use super::snapshot::{AccountFacts, IdentityFact};
use crate::ids::{AzId, OidcProvider};

/// The issuer of a cluster that signs its own tokens (no STS): no IAM provider can match it.
const INTERNAL_ISSUER: &str = "https://kubernetes.default.svc";

/// The preflight findings: credentials and VPCs of A then B, CIDR overlap, the OIDC provider,
/// the cluster's issuer, and B's zones.
pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Account::BOTH
        .into_iter()
        .map(|account| credentials(cx, account))
        .collect();
    out.extend(
        Account::BOTH
            .into_iter()
            .map(|account| vpc_cidr(cx, account)),
    );
    out.push(cidr_overlap(cx));
    let issuer = Issuer::of(cx);
    out.push(oidc_provider(cx, &issuer));
    out.push(service_account_issuer(cx, &issuer));
    out.extend(storage_zones(cx));
    out
}

fn credentials(cx: &Context<'_>, account: Account) -> Finding {
    let facts = account.facts(cx.snapshot);
    let section = account.section();
    let resource = format!("credentials for account {} ({section})", facts.expected);
    let chosen_by = match account {
        Account::Cluster => "`cluster.profile` (or the default credential chain)".to_owned(),
        Account::Storage => "`storage.profile` or `storage.assume_role_arn` (or the default \
                             credential chain)"
            .to_owned(),
    };
    match &facts.identity {
        IdentityFact::Verified { caller } => Finding::passed(
            CheckId::Credentials,
            resource,
            format!("they act in account {} as {caller}", facts.expected),
        ),
        IdentityFact::WrongAccount { actual, caller } => Finding::failed(
            CheckId::Credentials,
            resource,
            format!(
                "they act in account {actual} as {caller}, not in account {}: every call would \
                 read or change the wrong account",
                facts.expected
            ),
            format!(
                "make {chosen_by} give credentials of account {}; or, if {actual} is the right \
                 account, set `{section}.account_id = \"{actual}\"`",
                facts.expected
            ),
        ),
        IdentityFact::Unavailable { error } => Finding::failed(
            CheckId::Credentials,
            resource,
            format!("no usable credentials: {error}"),
            format!(
                "fix {chosen_by}: `aws sts get-caller-identity` with them must answer with \
                 account {}",
                facts.expected
            ),
        ),
    }
}

fn vpc_cidr(cx: &Context<'_>, account: Account) -> Finding {
    let facts = account.facts(cx.snapshot);
    let section = account.section();
    let vpc = &facts.vpc;
    let resource = format!("VPC {} in account {}", vpc.id, facts.expected);
    if let Some(why) = cx.unreadable(&[account]) {
        return Finding::skipped(CheckId::VpcCidr, resource, why);
    }
    let Some(cidrs) = &vpc.cidrs else {
        return Finding::failed(
            CheckId::VpcCidr,
            resource,
            format!(
                "the VPC does not exist in account {} (or could not be read)",
                facts.expected
            ),
            format!(
                "set `{section}.vpc_id` to a VPC of account {}; with its credentials, `aws ec2 \
                 describe-vpcs --vpc-ids {}` says whether this one exists",
                facts.expected, vpc.id
            ),
        );
    };
    if cidrs.contains(&vpc.expected_cidr) {
        return Finding::passed(
            CheckId::VpcCidr,
            resource,
            format!(
                "it exists and holds `{section}.vpc_cidr` {}",
                vpc.expected_cidr
            ),
        );
    }
    let blocks: Vec<String> = cidrs.iter().map(ToString::to_string).collect();
    let fix = match cidrs.first() {
        Some(primary) => {
            format!("set `{section}.vpc_cidr = \"{primary}\"` (the VPC's primary block)")
        }
        None => format!("set `{section}.vpc_id` to a VPC with an IPv4 block"),
    };
    Finding::failed(
        CheckId::VpcCidr,
        resource,
        format!(
            "its CIDR blocks are {}, not `{section}.vpc_cidr` {}: the routes and the NFS rule \
             xefs builds from that key would cover the wrong addresses",
            if blocks.is_empty() {
                "none".to_owned()
            } else {
                blocks.join(", ")
            },
            vpc.expected_cidr
        ),
        fix,
    )
}

/// The spec's CIDRs must be disjoint; `vpc-cidr` checks that they are the VPCs' own.
fn cidr_overlap(cx: &Context<'_>) -> Finding {
    check_cidr_overlap(
        spec_vpc(&cx.snapshot.cluster_account),
        spec_vpc(&cx.snapshot.storage_account),
    )
}

/// The VPC as the spec describes it.
fn spec_vpc(facts: &AccountFacts) -> VpcRef<'_> {
    VpcRef {
        account: &facts.expected,
        vpc: &facts.vpc.id,
        cidr: facts.vpc.expected_cidr,
    }
}

/// What the cluster says about its service-account issuer.
enum Issuer {
    /// The cluster was not read (`--phase aws`).
    NotRead,
    /// The cluster signs its own tokens: not an STS cluster. Holds what it reported.
    Internal(String),
    /// An issuer that is not a valid https URL.
    Invalid(String),
    /// A public issuer, as IAM names its provider.
    Sts(OidcProvider),
}

impl Issuer {
    fn of(cx: &Context<'_>) -> Self {
        let Some(cluster) = &cx.snapshot.cluster else {
            return Issuer::NotRead;
        };
        let raw = cluster
            .service_account_issuer
            .as_deref()
            .unwrap_or_default()
            .trim();
        if raw.is_empty() || raw.trim_end_matches('/') == INTERNAL_ISSUER {
            return Issuer::Internal(raw.to_owned());
        }
        match OidcProvider::parse(raw) {
            Ok(provider) => Issuer::Sts(provider),
            Err(_) => Issuer::Invalid(raw.to_owned()),
        }
    }
}

fn oidc_provider(cx: &Context<'_>, issuer: &Issuer) -> Finding {
    let a = &cx.snapshot.cluster_account.expected;
    let Some(oidc) = &cx.snapshot.oidc else {
        let resource = format!("IAM OIDC provider in account {a}");
        if matches!(issuer, Issuer::Internal(_) | Issuer::Invalid(_)) {
            return Finding::skipped(
                CheckId::OidcProvider,
                resource,
                "not checked: the cluster has no public issuer (see `service-account-issuer`)",
            );
        }
        return Finding::warned(
            CheckId::OidcProvider,
            resource,
            "the cluster's OIDC issuer is unknown (the spec names no `cluster.oidc_provider` \
             and the cluster was not read), so neither its IAM provider nor the CSI role's trust \
             can be checked",
            Some(
                "set `cluster.oidc_provider`, or run doctor without `--phase aws` so it reads \
                 the issuer from the cluster"
                    .to_owned(),
            ),
        );
    };
    let resource = format!("IAM OIDC provider {} in account {a}", oidc.provider);
    if let Some(why) = cx.unreadable(&[Account::Cluster]) {
        return Finding::skipped(CheckId::OidcProvider, resource, why);
    }
    if oidc.registered {
        Finding::passed(
            CheckId::OidcProvider,
            resource,
            format!("it is registered as {}", oidc.arn),
        )
    } else {
        Finding::failed(
            CheckId::OidcProvider,
            resource,
            format!(
                "account {a}'s IAM has no OIDC provider for the issuer {}: no service-account \
                 token can be exchanged for A's CSI role",
                oidc.provider.issuer_url()
            ),
            format!(
                "`rosa create oidc-provider --cluster <cluster> --mode auto`, or with account \
                 {a}'s credentials `aws iam create-open-id-connect-provider --url {} \
                 --client-id-list openshift sts.amazonaws.com`",
                oidc.provider.issuer_url()
            ),
        )
    }
}

fn service_account_issuer(cx: &Context<'_>, issuer: &Issuer) -> Finding {
    let resource = "Authentication/cluster (spec.serviceAccountIssuer)";
    let not_sts_fix = "point xefs at a ROSA cluster installed with STS (`rosa create cluster \
                       --sts`; `rosa describe cluster -c <cluster>` shows its `STS Role ARN`): \
                       a cluster that signs its own tokens cannot use IAM roles for service \
                       accounts";
    match issuer {
        Issuer::NotRead => Finding::skipped(
            CheckId::ServiceAccountIssuer,
            resource,
            "not checked: the cluster was not read (`--phase aws`)",
        ),
        Issuer::Internal(raw) => Finding::failed(
            CheckId::ServiceAccountIssuer,
            resource,
            format!(
                "the cluster signs service-account tokens itself ({}): it is not an STS \
                 cluster, so no IAM OIDC provider can vouch for its tokens",
                if raw.is_empty() {
                    "no issuer set".to_owned()
                } else {
                    format!("issuer `{raw}`")
                }
            ),
            not_sts_fix,
        ),
        Issuer::Invalid(raw) => Finding::failed(
            CheckId::ServiceAccountIssuer,
            resource,
            format!("the issuer `{raw}` is not an https URL IAM can register"),
            not_sts_fix,
        ),
        Issuer::Sts(provider) => match &cx.snapshot.oidc {
            Some(oidc) if oidc.provider != *provider => Finding::failed(
                CheckId::ServiceAccountIssuer,
                resource,
                format!(
                    "the cluster's issuer is {}, but xefs used `{}`: the CSI role's trust names \
                     a provider no token of this cluster comes from",
                    provider.issuer_url(),
                    oidc.provider
                ),
                format!(
                    "set `cluster.oidc_provider = \"{provider}\"` (or remove it to use the \
                     cluster's), then run `xefs apply`"
                ),
            ),
            _ => Finding::passed(
                CheckId::ServiceAccountIssuer,
                resource,
                format!(
                    "the cluster issues tokens as {}, an STS issuer",
                    provider.issuer_url()
                ),
            ),
        },
    }
}

/// B's VPC (or `storage.subnets`) must have a subnet in every worker AZ id: one finding per
/// AZ id, as each missing one needs its own subnet.
fn storage_zones(cx: &Context<'_>) -> Vec<Finding> {
    let s = cx.snapshot;
    let b = &s.storage_account;
    let whole = format!("subnets of VPC {} in account {}", b.vpc.id, b.expected);
    let why = cx.unreadable(&Account::BOTH).or_else(|| {
        s.network
            .is_none()
            .then(|| "not checked: the network facts could not be read (see `vpc-cidr`)".to_owned())
    });
    let (Some(network), None) = (&s.network, &why) else {
        let why = why.unwrap_or_default();
        return vec![Finding::skipped(CheckId::StorageZones, whole, why)];
    };
    let mut zones: Vec<&AzId> = Vec::new();
    for w in &network.workers {
        if !zones.contains(&&w.az_id) {
            zones.push(&w.az_id);
        }
    }
    if zones.is_empty() {
        return vec![Finding::warned(
            CheckId::StorageZones,
            whole,
            "no worker subnets are known, so the AZ ids that need a mount target are unknown",
            Some(
                "set `cluster.worker_subnets`, or run doctor without `--phase aws` so it reads \
                 them from the nodes"
                    .to_owned(),
            ),
        )];
    }
    let restricted = !s.storage_subnets.is_empty();
    let usable = |az: &AzId| {
        network
            .storage
            .subnets
            .iter()
            .filter(|sn| &sn.az_id == az)
            .filter(|sn| !restricted || s.storage_subnets.contains(&sn.id))
            .map(|sn| sn.id.to_string())
            .collect::<Vec<_>>()
    };
    zones
        .into_iter()
        .map(|az| {
            let resource = format!("AZ id {az} in VPC {} (account {})", b.vpc.id, b.expected);
            let subnets = usable(az);
            if !subnets.is_empty() {
                return Finding::passed(
                    CheckId::StorageZones,
                    resource,
                    format!(
                        "subnet {} can hold the mount target for the workers in this AZ id",
                        subnets.join(", ")
                    ),
                );
            }
            let among = if restricted {
                " among `storage.subnets`"
            } else {
                ""
            };
            let unlisted = network
                .storage
                .subnets
                .iter()
                .find(|sn| &sn.az_id == az)
                .filter(|_| restricted);
            let fix = match unlisted {
                Some(sn) => format!("add {} (AZ id {az}) to `storage.subnets`", sn.id),
                None => format!(
                    "with account {}'s credentials, `aws ec2 create-subnet --vpc-id {} \
                     --availability-zone-id {az} --cidr-block <a free block of {}>`{}",
                    b.expected,
                    b.vpc.id,
                    b.vpc.expected_cidr,
                    if restricted {
                        ", and add it to `storage.subnets`"
                    } else {
                        ""
                    }
                ),
            };
            Finding::failed(
                CheckId::StorageZones,
                resource,
                format!(
                    "no subnet of VPC {}{among} is in AZ id {az}, where workers run: no mount \
                     target can serve them in their zone",
                    b.vpc.id
                ),
                fix,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
