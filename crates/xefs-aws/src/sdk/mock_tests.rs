//! The adapters driving real SDK clients whose HTTP responses come from `aws-smithy-mocks`:
//! AWS's wire formats go through the SDK's own deserializers and then through our
//! classification, for cases moto cannot produce (throttling, odd states, malformed ids).

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_ec2::types::{
    Subnet as Ec2Subnet, VpcPeeringConnection, VpcPeeringConnectionStateReason,
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use xefs_core::ids::{
    AccountId, Arn, FileSystemId, IamName, Ipv4Cidr, PeeringId, SecurityGroupId, SubnetId, VpcId,
};
use xefs_core::spec::ThroughputMode;

use super::{SdkEc2, SdkEfs, SdkIam, SdkSts};
use crate::ports::{
    Ec2, Efs, Iam, NetworkAcl, NetworkAclEntry as AclEntry, NewFileSystem, SecurityGroupRule, Sts,
};
use crate::{CallCount, CallStats};

const ACCOUNT: &str = "111111111111";

/// A client of `$crate_name` answering from `rules` (first matching rule wins), with the SDK's
/// own retries off so each test sees exactly the responses it set up.
macro_rules! mocked_client {
    ($crate_name:ident, $rules:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        let config = $crate_name::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region($crate_name::config::Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .http_client(create_mock_http_client())
            .interceptor(interceptor)
            .retry_config(RetryConfig::disabled())
            .build();
        $crate_name::Client::from_conf(config)
    }};
}

fn account() -> AccountId {
    AccountId::parse(ACCOUNT).expect("valid account id")
}

fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>\
         <RequestID>req-1</RequestID></Response>"
    )
}

fn iam_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>\
         </Error><RequestId>req-1</RequestId></ErrorResponse>"
    )
}

fn subnet(id: &str, az: &str, az_id: &str, cidr: &str) -> Ec2Subnet {
    Ec2Subnet::builder()
        .subnet_id(id)
        .vpc_id("vpc-0a1b2c3d")
        .availability_zone(az)
        .availability_zone_id(az_id)
        .cidr_block(cidr)
        .build()
}

#[tokio::test]
async fn ec2_throttling_is_a_retryable_error_with_its_context() {
    let throttled = mock!(aws_sdk_ec2::Client::describe_vpcs)
        .sequence()
        .http_status(
            503,
            Some(ec2_error("RequestLimitExceeded", "Request limit exceeded.")),
        )
        .build();
    let stats = CallStats::new();
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&throttled]),
        account(),
        stats.clone(),
    );
    let vpc = VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id");

    let err = ec2.describe_vpc(&vpc).await.expect_err("throttled");
    assert!(err.retryable, "{err:?}");
    assert!(err.is_code("RequestLimitExceeded"), "{err:?}");
    assert_eq!(err.message, "Request limit exceeded.");
    assert_eq!(err.call, "DescribeVpcs");
    assert_eq!(err.account, Some(account()));
    assert_eq!(err.resource.as_deref(), Some("vpc-0a1b2c3d"));
    // A failed call is still a call.
    assert_eq!(
        stats.total(),
        CallCount {
            reads: 1,
            writes: 0
        }
    );
}

#[tokio::test]
async fn iam_throttling_with_a_400_is_retryable_too() {
    let throttled = mock!(aws_sdk_iam::Client::attach_role_policy)
        .sequence()
        .http_status(400, Some(iam_error("Throttling", "Rate exceeded")))
        .build();
    let stats = CallStats::new();
    let iam = SdkIam::new(
        mocked_client!(aws_sdk_iam, [&throttled]),
        account(),
        stats.clone(),
    );
    let err = iam
        .attach_policy(
            &IamName::parse("role").expect("valid name"),
            &Arn::parse("arn:aws:iam::111111111111:policy/p").expect("valid arn"),
        )
        .await
        .expect_err("throttled");
    assert!(err.retryable && err.is_code("Throttling"), "{err:?}");
    assert_eq!(
        stats.total(),
        CallCount {
            reads: 0,
            writes: 1
        }
    );
}

#[tokio::test]
async fn not_found_becomes_none_or_success() {
    let no_vpc = mock!(aws_sdk_ec2::Client::describe_vpcs)
        .sequence()
        .http_status(
            400,
            Some(ec2_error(
                "InvalidVpcID.NotFound",
                "The vpc ID 'vpc-0a1b2c3d' does not exist",
            )),
        )
        .build();
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&no_vpc]),
        account(),
        CallStats::new(),
    );
    let vpc = VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id");
    assert_eq!(ec2.describe_vpc(&vpc).await, Ok(None));

    let no_role = mock!(aws_sdk_iam::Client::get_role)
        .sequence()
        .http_status(404, Some(iam_error("NoSuchEntity", "Role x not found")))
        .build();
    let no_role_to_delete = mock!(aws_sdk_iam::Client::delete_role)
        .sequence()
        .http_status(404, Some(iam_error("NoSuchEntity", "Role x not found")))
        .build();
    let iam = SdkIam::new(
        mocked_client!(aws_sdk_iam, [&no_role, &no_role_to_delete]),
        account(),
        CallStats::new(),
    );
    let name = IamName::parse("x").expect("valid name");
    assert_eq!(iam.get_role(&name).await.map(|r| r.is_none()), Ok(true));
    assert_eq!(iam.delete_role(&name).await, Ok(()));
}

#[tokio::test]
async fn a_multi_page_describe_is_read_to_the_end() {
    let first = mock!(aws_sdk_ec2::Client::describe_subnets)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput::builder()
                .subnets(subnet(
                    "subnet-00000001",
                    "us-east-1a",
                    "use1-az6",
                    "10.0.1.0/24",
                ))
                .subnets(subnet(
                    "subnet-00000002",
                    "us-east-1b",
                    "use1-az1",
                    "10.0.2.0/24",
                ))
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_ec2::Client::describe_subnets)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput::builder()
                .subnets(subnet(
                    "subnet-00000003",
                    "us-east-1c",
                    "use1-az2",
                    "10.0.3.0/24",
                ))
                .build()
        });
    let stats = CallStats::new();
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&first, &second]),
        account(),
        stats.clone(),
    );
    let subnets = ec2
        .subnets_in_vpc(&VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id"))
        .await
        .expect("both pages");
    let ids: Vec<&str> = subnets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["subnet-00000001", "subnet-00000002", "subnet-00000003"]
    );
    assert_eq!(subnets[2].az_id.as_str(), "use1-az2");
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    assert_eq!(stats.by_call()["ec2:DescribeSubnets"], 2);
}

#[tokio::test]
async fn an_unparsable_id_from_aws_is_an_error_not_a_panic() {
    let odd = mock!(aws_sdk_ec2::Client::describe_subnets).then_output(|| {
        aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput::builder()
            .subnets(subnet(
                "subnet-NOT-HEX",
                "us-east-1a",
                "use1-az6",
                "10.0.1.0/24",
            ))
            .build()
    });
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&odd]),
        account(),
        CallStats::new(),
    );
    let err = ec2
        .subnets_in_vpc(&VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id"))
        .await
        .expect_err("malformed subnet id");
    assert!(!err.retryable);
    assert_eq!(err.resource.as_deref(), Some("subnet-NOT-HEX"));
    assert!(
        err.message.contains("unexpected response"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_taken_creation_token_returns_the_existing_file_system() {
    let taken = mock!(aws_sdk_efs::Client::create_file_system)
        .sequence()
        .http_status(
            409,
            Some(
                r#"{"__type":"FileSystemAlreadyExists","ErrorCode":"FileSystemAlreadyExists","Message":"File system with token stack-a already exists.","FileSystemId":"fs-0a1b2c3d"}"#
                    .to_owned(),
            ),
        )
        .build();
    let existing = mock!(aws_sdk_efs::Client::describe_file_systems)
        .match_requests(|r| r.creation_token() == Some("stack-a"))
        .then_output(|| {
            let fs = aws_sdk_efs::types::FileSystemDescription::builder()
                .owner_id(ACCOUNT)
                .creation_token("stack-a")
                .file_system_id("fs-0a1b2c3d")
                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                .life_cycle_state(aws_sdk_efs::types::LifeCycleState::Available)
                .number_of_mount_targets(2)
                .size_in_bytes(
                    aws_sdk_efs::types::FileSystemSize::builder()
                        .value(6144)
                        .build(),
                )
                .performance_mode(aws_sdk_efs::types::PerformanceMode::GeneralPurpose)
                .throughput_mode(aws_sdk_efs::types::ThroughputMode::Elastic)
                .encrypted(true)
                .tags(
                    aws_sdk_efs::types::Tag::builder()
                        .key("xefs:stack")
                        .value("stack-a")
                        .build()
                        .expect("tag has key and value"),
                )
                .build()
                .expect("all required fields");
            aws_sdk_efs::operation::describe_file_systems::DescribeFileSystemsOutput::builder()
                .file_systems(fs)
                .build()
        });
    let stats = CallStats::new();
    let efs = SdkEfs::new(
        mocked_client!(aws_sdk_efs, [&taken, &existing]),
        account(),
        stats.clone(),
    );
    let fs = efs
        .create_file_system(&NewFileSystem {
            creation_token: "stack-a".into(),
            performance_mode: Default::default(),
            throughput_mode: ThroughputMode::Elastic,
            provisioned_throughput_mibps: None,
            encrypted: true,
            kms_key_id: None,
            one_zone_az_name: None,
            tags: [("xefs:stack".to_owned(), "stack-a".to_owned())].into(),
        })
        .await
        .expect("the existing file system");
    assert_eq!(fs.id.as_str(), "fs-0a1b2c3d");
    assert_eq!((fs.size_bytes, fs.mount_targets), (6144, 2));
    assert_eq!(fs.tags["xefs:stack"], "stack-a");
    assert_eq!(
        stats.total(),
        CallCount {
            reads: 1,
            writes: 1
        }
    );
}

#[tokio::test]
async fn update_throughput_sends_the_mode_and_the_provisioned_rate() {
    // moto answers UpdateFileSystem with HTTP 500, so the request is checked here.
    let update = mock!(aws_sdk_efs::Client::update_file_system)
        .match_requests(|r| {
            r.file_system_id() == Some("fs-0a1b2c3d")
                && r.throughput_mode() == Some(&aws_sdk_efs::types::ThroughputMode::Provisioned)
                && r.provisioned_throughput_in_mibps() == Some(128.0)
        })
        .then_output(|| {
            aws_sdk_efs::operation::update_file_system::UpdateFileSystemOutput::builder()
                .owner_id(ACCOUNT)
                .creation_token("stack-a")
                .file_system_id("fs-0a1b2c3d")
                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                .life_cycle_state(aws_sdk_efs::types::LifeCycleState::Updating)
                .number_of_mount_targets(0)
                .performance_mode(aws_sdk_efs::types::PerformanceMode::GeneralPurpose)
                .set_tags(Some(Vec::new()))
                .build()
                .expect("all required fields")
        });
    let efs = SdkEfs::new(
        mocked_client!(aws_sdk_efs, [&update]),
        account(),
        CallStats::new(),
    );
    let id = FileSystemId::parse("fs-0a1b2c3d").expect("valid id");
    efs.update_throughput(&id, ThroughputMode::Provisioned, Some(128.0))
        .await
        .expect("the request matched");
    assert_eq!(update.num_calls(), 1);
}

#[tokio::test]
async fn deleting_a_peering_that_is_already_deleted_succeeds() {
    let refused = mock!(aws_sdk_ec2::Client::delete_vpc_peering_connection)
        .sequence()
        .http_status(
            400,
            Some(ec2_error(
                "InvalidStateTransition",
                "Invalid state transition for pcx-0a1b2c3d, attempted to transition from deleted to deleted",
            )),
        )
        .build();
    let deleted = mock!(aws_sdk_ec2::Client::describe_vpc_peering_connections).then_output(|| {
        let side = |vpc: &str, owner: &str| {
            aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo::builder()
                .vpc_id(vpc)
                .owner_id(owner)
                .build()
        };
        aws_sdk_ec2::operation::describe_vpc_peering_connections::DescribeVpcPeeringConnectionsOutput::builder()
            .vpc_peering_connections(
                VpcPeeringConnection::builder()
                    .vpc_peering_connection_id("pcx-0a1b2c3d")
                    .requester_vpc_info(side("vpc-0a0a0a0a", ACCOUNT))
                    .accepter_vpc_info(side("vpc-0b0b0b0b", "222222222222"))
                    .status(
                        VpcPeeringConnectionStateReason::builder()
                            .code(aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode::Deleted)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&refused, &deleted]),
        account(),
        CallStats::new(),
    );
    let id = PeeringId::parse("pcx-0a1b2c3d").expect("valid id");
    assert_eq!(ec2.delete_peering(&id).await, Ok(()));
    assert_eq!((refused.num_calls(), deleted.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_peering_in_use_is_not_mistaken_for_a_gone_one() {
    let refused = mock!(aws_sdk_ec2::Client::delete_vpc_peering_connection)
        .sequence()
        .http_status(
            400,
            Some(ec2_error("InvalidStateTransition", "provisioning")),
        )
        .build();
    let provisioning = mock!(aws_sdk_ec2::Client::describe_vpc_peering_connections).then_output(|| {
        let side = |vpc: &str| {
            aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo::builder()
                .vpc_id(vpc)
                .owner_id(ACCOUNT)
                .build()
        };
        aws_sdk_ec2::operation::describe_vpc_peering_connections::DescribeVpcPeeringConnectionsOutput::builder()
            .vpc_peering_connections(
                VpcPeeringConnection::builder()
                    .vpc_peering_connection_id("pcx-0a1b2c3d")
                    .requester_vpc_info(side("vpc-0a0a0a0a"))
                    .accepter_vpc_info(side("vpc-0b0b0b0b"))
                    .status(
                        VpcPeeringConnectionStateReason::builder()
                            .code(aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode::Provisioning)
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&refused, &provisioning]),
        account(),
        CallStats::new(),
    );
    let id = PeeringId::parse("pcx-0a1b2c3d").expect("valid id");
    let err = ec2
        .delete_peering(&id)
        .await
        .expect_err("still provisioning");
    assert!(err.is_code("InvalidStateTransition"), "{err:?}");
}

#[tokio::test]
async fn network_acls_keep_ipv4_entries_and_associations() {
    use aws_sdk_ec2::types::{
        NetworkAcl as SdkAcl, NetworkAclAssociation, NetworkAclEntry as SdkEntry, PortRange,
        RuleAction,
    };
    let entry = |number: i32, egress: bool, protocol: &str, action: RuleAction| {
        SdkEntry::builder()
            .rule_number(number)
            .egress(egress)
            .protocol(protocol)
            .rule_action(action)
    };
    let first = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .match_requests(|r| {
            r.next_token().is_none()
                && r.filters().iter().any(|f| {
                    f.name() == Some("vpc-id") && f.values() == ["vpc-0a1b2c3d".to_owned()]
                })
        })
        .then_output(move || {
            aws_sdk_ec2::operation::describe_network_acls::DescribeNetworkAclsOutput::builder()
                .network_acls(
                    SdkAcl::builder()
                        .network_acl_id("acl-00000001")
                        .vpc_id("vpc-0a1b2c3d")
                        .is_default(true)
                        .associations(
                            NetworkAclAssociation::builder()
                                .network_acl_association_id("aclassoc-1")
                                .network_acl_id("acl-00000001")
                                .subnet_id("subnet-00000001")
                                .build(),
                        )
                        .entries(
                            entry(100, false, "6", RuleAction::Allow)
                                .cidr_block("10.0.0.0/16")
                                .port_range(PortRange::builder().from(2049).to(2049).build())
                                .build(),
                        )
                        // IPv6 entries are not xefs's business.
                        .entries(
                            entry(101, false, "-1", RuleAction::Allow)
                                .ipv6_cidr_block("::/0")
                                .build(),
                        )
                        // The catch-all is an ordinary deny entry.
                        .entries(
                            entry(32767, true, "-1", RuleAction::Deny)
                                .cidr_block("0.0.0.0/0")
                                .build(),
                        )
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_ec2::Client::describe_network_acls)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            aws_sdk_ec2::operation::describe_network_acls::DescribeNetworkAclsOutput::builder()
                .network_acls(
                    SdkAcl::builder()
                        .network_acl_id("acl-00000002")
                        .vpc_id("vpc-0a1b2c3d")
                        .is_default(false)
                        .build(),
                )
                .build()
        });
    let stats = CallStats::new();
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&first, &second]),
        account(),
        stats.clone(),
    );
    let acls = ec2
        .network_acls_in_vpc(&VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id"))
        .await
        .expect("both pages");
    assert_eq!(stats.by_call()["ec2:DescribeNetworkAcls"], 2);
    let [default, other] = acls.as_slice() else {
        panic!("expected two ACLs: {acls:?}");
    };
    assert_eq!(
        *default,
        NetworkAcl {
            id: "acl-00000001".into(),
            vpc_id: VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id"),
            default: true,
            subnets: vec![SubnetId::parse("subnet-00000001").expect("valid subnet id")],
            entries: vec![
                AclEntry {
                    rule_number: 100,
                    egress: false,
                    protocol: "6".into(),
                    port_range: Some((2049, 2049)),
                    cidr: Ipv4Cidr::parse("10.0.0.0/16").expect("valid cidr"),
                    allow: true,
                },
                AclEntry {
                    rule_number: 32767,
                    egress: true,
                    protocol: "-1".into(),
                    port_range: None,
                    cidr: Ipv4Cidr::parse("0.0.0.0/0").expect("valid cidr"),
                    allow: false,
                },
            ],
        }
    );
    assert!(!other.default && other.subnets.is_empty() && other.entries.is_empty());
}

#[tokio::test]
async fn a_port_out_of_range_in_an_acl_entry_is_a_bad_response() {
    let odd = mock!(aws_sdk_ec2::Client::describe_network_acls).then_output(|| {
        aws_sdk_ec2::operation::describe_network_acls::DescribeNetworkAclsOutput::builder()
            .network_acls(
                aws_sdk_ec2::types::NetworkAcl::builder()
                    .network_acl_id("acl-00000001")
                    .vpc_id("vpc-0a1b2c3d")
                    .entries(
                        aws_sdk_ec2::types::NetworkAclEntry::builder()
                            .rule_number(100)
                            .protocol("6")
                            .rule_action(aws_sdk_ec2::types::RuleAction::Allow)
                            .cidr_block("0.0.0.0/0")
                            .port_range(
                                aws_sdk_ec2::types::PortRange::builder()
                                    .from(0)
                                    .to(70000)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&odd]),
        account(),
        CallStats::new(),
    );
    let err = ec2
        .network_acls_in_vpc(&VpcId::parse("vpc-0a1b2c3d").expect("valid vpc id"))
        .await
        .expect_err("port 70000");
    assert!(!err.retryable);
    assert_eq!(err.resource.as_deref(), Some("acl-00000001"));
    assert!(err.message.contains("70000"), "{}", err.message);
}

#[tokio::test]
async fn security_groups_carry_their_egress_rules() {
    use aws_sdk_ec2::types::{IpPermission, IpRange, SecurityGroup as Ec2Group};
    let described = mock!(aws_sdk_ec2::Client::describe_security_groups).then_output(|| {
        aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput::builder()
            .security_groups(
                Ec2Group::builder()
                    .group_id("sg-0000000b")
                    .group_name("nfs")
                    .vpc_id("vpc-0a1b2c3d")
                    .ip_permissions(
                        IpPermission::builder()
                            .ip_protocol("tcp")
                            .from_port(2049)
                            .to_port(2049)
                            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/16").build())
                            .build(),
                    )
                    .ip_permissions_egress(
                        IpPermission::builder()
                            .ip_protocol("-1")
                            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let ec2 = SdkEc2::new(
        mocked_client!(aws_sdk_ec2, [&described]),
        account(),
        CallStats::new(),
    );
    let group = ec2
        .describe_security_group(&SecurityGroupId::parse("sg-0000000b").expect("valid id"))
        .await
        .expect("described")
        .expect("found");
    assert_eq!(
        group.ingress,
        [SecurityGroupRule {
            protocol: "tcp".into(),
            from_port: Some(2049),
            to_port: Some(2049),
            cidrs: vec![Ipv4Cidr::parse("10.0.0.0/16").expect("valid cidr")],
        }]
    );
    assert_eq!(
        group.egress,
        [SecurityGroupRule {
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            cidrs: vec![Ipv4Cidr::parse("0.0.0.0/0").expect("valid cidr")],
        }]
    );
}

#[tokio::test]
async fn iam_documents_are_percent_decoded() {
    let version = mock!(aws_sdk_iam::Client::get_policy_version).then_output(|| {
        aws_sdk_iam::operation::get_policy_version::GetPolicyVersionOutput::builder()
            .policy_version(
                aws_sdk_iam::types::PolicyVersion::builder()
                    .version_id("v2")
                    .is_default_version(true)
                    .document(
                        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D",
                    )
                    .build(),
            )
            .build()
    });
    let iam = SdkIam::new(
        mocked_client!(aws_sdk_iam, [&version]),
        account(),
        CallStats::new(),
    );
    let doc = iam
        .get_policy_document(
            &Arn::parse("arn:aws:iam::111111111111:policy/p").expect("valid arn"),
            "v2",
        )
        .await
        .expect("decoded");
    assert_eq!(
        doc.to_json_compact(),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#
    );
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_has_no_code() {
    // A real HTTP client against a closed loopback port: the dispatch-failure path.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("http://{closed}"))
        .retry_config(RetryConfig::disabled())
        .build();
    let sts = SdkSts::new(
        aws_sdk_sts::Client::from_conf(config),
        account(),
        CallStats::new(),
    );
    let err = sts.caller_identity().await.expect_err("nothing listens");
    assert!(err.retryable, "{err:?}");
    assert_eq!(err.code, None);
    assert!(err.message.contains("dispatch failure"), "{}", err.message);
}

/// A credentials provider that has nothing to give.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded("no keys configured")))
    }
}

#[tokio::test]
async fn missing_credentials_are_a_permanent_error() {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(NoCredentials)
        .http_client(create_mock_http_client())
        .retry_config(RetryConfig::disabled())
        .build();
    let sts = SdkSts::new(
        aws_sdk_sts::Client::from_conf(config),
        account(),
        CallStats::new(),
    );
    let err = sts.caller_identity().await.expect_err("no credentials");
    assert!(!err.retryable, "{err:?}");
    assert!(
        err.message.starts_with("cannot load credentials"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("no keys configured"),
        "{}",
        err.message
    );
}
