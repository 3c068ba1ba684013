//! Turning the file and environment into a [`StackSpec`], section by section: every value is
//! parsed into its validated type, defaults fill the gaps, and every problem is collected.
//! Rules that relate several keys live in [`super::rules`].

use std::collections::BTreeMap;

use super::fields::Fields;
use super::model::*;
use super::rules;
use crate::ids::{
    AccountId, Arn, AzId, IamName, Ipv4Cidr, K8sName, OidcProvider, Region, StackName, SubnetId,
    VpcId,
};

/// Builds the spec, or returns every problem found.
pub(crate) fn build(f: &mut Fields<'_>) -> Option<StackSpec> {
    let name = f.required("stack.name", StackName::parse);
    let region = f.required("stack.region", Region::parse);
    let cluster = cluster(f);
    let storage = storage(f);
    let efs = efs(f);
    let storage_class = storage_class(f, region.as_ref());
    let iam = iam(f);
    let network = NetworkOptions {
        peering_dns_resolution: f.flag("network.peering_dns_resolution").unwrap_or(false),
    };
    let operator = operator(f);
    let verify = verify(f);
    let tags = tags(f);

    rules::accounts_differ(f);
    rules::cidrs_disjoint(f);
    rules::assume_role_in_storage_account(f);
    rules::efs_options(f, &efs);

    let (
        Some(name),
        Some(region),
        Some(cluster),
        Some(storage),
        Some(storage_class),
        Some(iam),
        Some(operator),
        Some(verify),
    ) = (
        name,
        region,
        cluster,
        storage,
        storage_class,
        iam,
        operator,
        verify,
    )
    else {
        return None;
    };
    f.errors.is_empty().then_some(StackSpec {
        name,
        region,
        cluster,
        storage,
        efs,
        storage_class,
        iam,
        network,
        operator,
        verify,
        tags,
    })
}

fn cluster(f: &mut Fields<'_>) -> Option<ClusterSpec> {
    let name = f.required("cluster.name", K8sName::parse);
    let account_id = f.required("cluster.account_id", AccountId::parse);
    let profile = f.optional_text("cluster.profile", "the default credential chain");
    let vpc_id = f.required("cluster.vpc_id", VpcId::parse);
    let vpc_cidr = f.required("cluster.vpc_cidr", Ipv4Cidr::parse);
    let oidc_provider = f.parsed("cluster.oidc_provider", OidcProvider::parse);
    let worker_subnets = f.list("cluster.worker_subnets", SubnetId::parse);
    let node_role_arns = f.list("cluster.node_role_arns", Arn::parse);
    rules::role_arns(f, "cluster.node_role_arns", &node_role_arns);
    let kube_context = f.optional_text("cluster.kube_context", "the current context");
    Some(ClusterSpec {
        name: name?,
        account_id: account_id?,
        profile,
        vpc_id: vpc_id?,
        vpc_cidr: vpc_cidr?,
        oidc_provider,
        worker_subnets,
        node_role_arns,
        kube_context,
    })
}

fn storage(f: &mut Fields<'_>) -> Option<StorageSpec> {
    let account_id = f.required("storage.account_id", AccountId::parse);
    let profile = f.optional_text("storage.profile", "the default credential chain");
    let assume_role_arn = f.parsed("storage.assume_role_arn", Arn::parse);
    if let Some(arn) = &assume_role_arn {
        rules::role_arns(f, "storage.assume_role_arn", std::slice::from_ref(arn));
    }
    let vpc_id = f.required("storage.vpc_id", VpcId::parse);
    let vpc_cidr = f.required("storage.vpc_cidr", Ipv4Cidr::parse);
    let subnets = f.list("storage.subnets", SubnetId::parse);
    Some(StorageSpec {
        account_id: account_id?,
        profile,
        assume_role_arn,
        vpc_id: vpc_id?,
        vpc_cidr: vpc_cidr?,
        subnets,
    })
}

fn efs(f: &mut Fields<'_>) -> EfsOptions {
    EfsOptions {
        performance_mode: f.choice("efs.performance_mode"),
        throughput_mode: f.choice("efs.throughput_mode"),
        provisioned_throughput_mibps: f.float("efs.provisioned_throughput_mibps"),
        encrypted: f.flag("efs.encrypted").unwrap_or(true),
        kms_key_id: f.optional_text("efs.kms_key_id", "AWS's managed key"),
        one_zone_az_id: f.parsed("efs.one_zone_az_id", AzId::parse),
        file_system_policy: f.flag("efs.file_system_policy").unwrap_or(true),
    }
}

fn storage_class(f: &mut Fields<'_>, region: Option<&Region>) -> Option<StorageClassOptions> {
    let name = f.parsed_or("storage_class.name", K8sName::parse, "efs-sc");
    let directory_perms = f.text_or("storage_class.directory_perms", "700");
    rules::directory_perms(f, &directory_perms);
    let gid_range_start = f.number32("storage_class.gid_range_start").unwrap_or(1000);
    let gid_range_end = f.number32("storage_class.gid_range_end").unwrap_or(2000);
    rules::gid_range(f, gid_range_start, gid_range_end);
    let base_path = f.text_or("storage_class.base_path", "/dynamic_provisioning");
    rules::base_path(f, &base_path);
    let az = f.optional_text("storage_class.az", "a random mount target per volume");
    rules::zone_name(f, az.as_deref(), region);
    Some(StorageClassOptions {
        name: name?,
        directory_perms,
        uid: f.number32("storage_class.uid"),
        gid: f.number32("storage_class.gid"),
        gid_range_start,
        gid_range_end,
        base_path,
        sub_path_pattern: f.optional_text("storage_class.sub_path_pattern", "the driver's default"),
        ensure_unique_directory: f.flag("storage_class.ensure_unique_directory"),
        reuse_access_point: f.flag("storage_class.reuse_access_point"),
        az,
        default_class: f.flag("storage_class.default_class").unwrap_or(false),
        reclaim_policy: f.choice("storage_class.reclaim_policy"),
    })
}

fn iam(f: &mut Fields<'_>) -> Option<IamOptions> {
    let trust = f.choice("iam.trust");
    let csi_policy_name = rules::iam_name(f, "iam.csi_policy_name", "-rosa-efs-csi");
    let csi_role_name = rules::iam_name(f, "iam.csi_role_name", "-aws-efs-csi-operator");
    let cross_account_policy_name = f.parsed_or(
        "iam.cross_account_policy_name",
        IamName::parse,
        "cross-account-rosa-efs-csi",
    );
    let cross_account_role_name = f.parsed_or(
        "iam.cross_account_role_name",
        IamName::parse,
        "cross-account-efs-role",
    );
    if let Some(role) = &cross_account_role_name {
        rules::role_len(f, "iam.cross_account_role_name", role);
    }
    Some(IamOptions {
        trust,
        csi_policy_name: csi_policy_name?,
        csi_role_name: csi_role_name?,
        cross_account_policy_name: cross_account_policy_name?,
        cross_account_role_name: cross_account_role_name?,
    })
}

fn operator(f: &mut Fields<'_>) -> Option<OperatorOptions> {
    let namespace = f.parsed_or(
        "operator.namespace",
        K8sName::parse,
        "openshift-cluster-csi-drivers",
    );
    let channel = f.text_or("operator.channel", "stable");
    let source = f.parsed_or("operator.source", K8sName::parse, "redhat-operators");
    let source_namespace = f.parsed_or(
        "operator.source_namespace",
        K8sName::parse,
        "openshift-marketplace",
    );
    Some(OperatorOptions {
        namespace: namespace?,
        channel,
        source: source?,
        source_namespace: source_namespace?,
        approval: f.choice("operator.approval"),
        approve_install_plan: f.flag("operator.approve_install_plan").unwrap_or(false),
    })
}

fn verify(f: &mut Fields<'_>) -> Option<VerifyOptions> {
    let namespace = f.parsed_or("verify.namespace", K8sName::parse, "xefs-verify");
    let image = f.text_or(
        "verify.image",
        "registry.access.redhat.com/ubi9/ubi-minimal:latest",
    );
    let timeout_seconds = f.number("verify.timeout_seconds").unwrap_or(600);
    if timeout_seconds == 0 {
        f.error(
            "verify.timeout_seconds",
            "is 0, so every wait of the check would fail at once",
            "use a positive number of seconds, e.g. 600",
        );
    }
    Some(VerifyOptions {
        namespace: namespace?,
        image,
        keep: f.flag("verify.keep").unwrap_or(false),
        timeout_seconds,
    })
}

fn tags(f: &mut Fields<'_>) -> BTreeMap<String, String> {
    let raw = f.raw().tags.clone();
    let mut tags = BTreeMap::new();
    for tag in raw {
        if rules::tag_ok(f, &tag) {
            tags.insert(tag.key, tag.value);
        }
    }
    tags
}
