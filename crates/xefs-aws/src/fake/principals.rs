//! Which principals a policy may name: IAM and EFS refuse a role or OIDC provider they do not
//! know — including one created moments ago that has not propagated yet.

use xefs_core::iam::{PolicyDocument, PrincipalKind};
use xefs_core::ids::{AccountId, Arn};
use xefs_core::sim::SimTime;

use super::world::World;

/// The first principal of `document` that does not resolve at `now`, as IAM quotes it
/// (`"AWS":"arn:…"`), or `None` when every one does.
///
/// A role must exist (by ARN, path included) and be past its propagation window; an OIDC
/// provider must exist. Principals of accounts the world does not hold, account roots, services,
/// sessions and `*` are taken as valid: the fake cannot know better.
pub(crate) fn first_invalid(
    world: &World,
    document: &PolicyDocument,
    now: SimTime,
) -> Option<String> {
    for statement in &document.statements {
        let Some(clause) = &statement.principal else {
            continue;
        };
        for kind in [PrincipalKind::Aws, PrincipalKind::Federated] {
            let Some(values) = clause.principal().get(kind) else {
                continue;
            };
            for value in values.iter() {
                if !resolves(world, value, now) {
                    return Some(format!("\"{}\":\"{value}\"", kind.as_str()));
                }
            }
        }
    }
    None
}

fn resolves(world: &World, value: &str, now: SimTime) -> bool {
    if value == "*" || AccountId::parse(value).is_ok() {
        return true;
    }
    let Ok(arn) = Arn::parse(value) else {
        // Not an ARN, not an account: a web identity provider name such as
        // `cognito-identity.amazonaws.com`, which IAM accepts.
        return !value.starts_with("arn:");
    };
    let (Some(account), "iam") = (arn.account(), arn.service()) else {
        return true;
    };
    let Some(iam) = world.iam(&account) else {
        return true;
    };
    let resource = arn.resource();
    if resource == "root" {
        true
    } else if resource.starts_with("role/") {
        iam.roles
            .values()
            .any(|r| r.arn == value && r.usable_at <= now)
    } else if resource.starts_with("oidc-provider/") {
        iam.oidc_providers.contains_key(value)
    } else {
        // Users and groups: the fake has none.
        false
    }
}
