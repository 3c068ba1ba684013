//! Conversions between the SDK's types and xefs's that more than one adapter needs, or that
//! are worth testing on their own.

use xefs_core::spec::{PerformanceMode, ThroughputMode};

use crate::ports::{LifeCycle, PeeringStatus, Tags};

/// Collects `(key, value)` pairs from any service's tag type; tags without a key are dropped.
pub(crate) fn tags_from<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> Tags {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_owned(), v.unwrap_or_default().to_owned())))
        .collect()
}

/// EFS's life-cycle state as xefs's.
pub(crate) fn life_cycle(state: &aws_sdk_efs::types::LifeCycleState) -> LifeCycle {
    use aws_sdk_efs::types::LifeCycleState as S;
    match state {
        S::Creating => LifeCycle::Creating,
        S::Available => LifeCycle::Available,
        S::Updating => LifeCycle::Updating,
        S::Deleting => LifeCycle::Deleting,
        S::Deleted => LifeCycle::Deleted,
        S::Error => LifeCycle::Error,
        other => LifeCycle::Other(other.as_str().to_owned()),
    }
}

/// xefs's performance mode as EFS's.
pub(crate) fn performance_mode_to_sdk(
    mode: PerformanceMode,
) -> aws_sdk_efs::types::PerformanceMode {
    match mode {
        PerformanceMode::GeneralPurpose => aws_sdk_efs::types::PerformanceMode::GeneralPurpose,
        PerformanceMode::MaxIo => aws_sdk_efs::types::PerformanceMode::MaxIo,
    }
}

/// EFS's performance mode as xefs's; `None` for a mode this version does not know.
pub(crate) fn performance_mode_from_sdk(
    mode: &aws_sdk_efs::types::PerformanceMode,
) -> Option<PerformanceMode> {
    match mode {
        aws_sdk_efs::types::PerformanceMode::GeneralPurpose => {
            Some(PerformanceMode::GeneralPurpose)
        }
        aws_sdk_efs::types::PerformanceMode::MaxIo => Some(PerformanceMode::MaxIo),
        _ => None,
    }
}

/// xefs's throughput mode as EFS's.
pub(crate) fn throughput_mode_to_sdk(mode: ThroughputMode) -> aws_sdk_efs::types::ThroughputMode {
    match mode {
        ThroughputMode::Elastic => aws_sdk_efs::types::ThroughputMode::Elastic,
        ThroughputMode::Bursting => aws_sdk_efs::types::ThroughputMode::Bursting,
        ThroughputMode::Provisioned => aws_sdk_efs::types::ThroughputMode::Provisioned,
    }
}

/// EFS's throughput mode as xefs's. Absent means `bursting`, the mode of file systems created
/// before throughput modes existed; `None` for a mode this version does not know.
pub(crate) fn throughput_mode_from_sdk(
    mode: Option<&aws_sdk_efs::types::ThroughputMode>,
) -> Option<ThroughputMode> {
    match mode {
        None | Some(aws_sdk_efs::types::ThroughputMode::Bursting) => Some(ThroughputMode::Bursting),
        Some(aws_sdk_efs::types::ThroughputMode::Elastic) => Some(ThroughputMode::Elastic),
        Some(aws_sdk_efs::types::ThroughputMode::Provisioned) => Some(ThroughputMode::Provisioned),
        Some(_) => None,
    }
}

/// EC2's peering state as xefs's.
pub(crate) fn peering_status(
    code: Option<&aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode>,
) -> PeeringStatus {
    use aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode as C;
    match code {
        Some(C::InitiatingRequest) => PeeringStatus::Initiating,
        Some(C::PendingAcceptance) => PeeringStatus::PendingAcceptance,
        Some(C::Provisioning) => PeeringStatus::Provisioning,
        Some(C::Active) => PeeringStatus::Active,
        Some(c @ (C::Deleting | C::Deleted | C::Rejected | C::Failed | C::Expired)) => {
            PeeringStatus::Gone(c.as_str().to_owned())
        }
        Some(other) => PeeringStatus::Other(other.as_str().to_owned()),
        None => PeeringStatus::Other("unknown".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode as C;

    use super::*;

    #[test]
    fn peering_states_map_to_their_meaning() {
        assert_eq!(peering_status(Some(&C::Active)), PeeringStatus::Active);
        assert_eq!(
            peering_status(Some(&C::PendingAcceptance)),
            PeeringStatus::PendingAcceptance
        );
        assert_eq!(
            peering_status(Some(&C::Rejected)),
            PeeringStatus::Gone("rejected".into())
        );
        assert_eq!(
            peering_status(Some(&C::from("brand-new-state"))),
            PeeringStatus::Other("brand-new-state".into())
        );
    }

    #[test]
    fn modes_round_trip_and_unknown_ones_are_none() {
        for mode in [PerformanceMode::GeneralPurpose, PerformanceMode::MaxIo] {
            assert_eq!(
                performance_mode_from_sdk(&performance_mode_to_sdk(mode)),
                Some(mode)
            );
        }
        for mode in [
            ThroughputMode::Elastic,
            ThroughputMode::Bursting,
            ThroughputMode::Provisioned,
        ] {
            assert_eq!(
                throughput_mode_from_sdk(Some(&throughput_mode_to_sdk(mode))),
                Some(mode)
            );
        }
        assert_eq!(
            throughput_mode_from_sdk(None),
            Some(ThroughputMode::Bursting)
        );
        assert_eq!(
            throughput_mode_from_sdk(Some(&aws_sdk_efs::types::ThroughputMode::from("turbo"))),
            None
        );
        assert_eq!(
            life_cycle(&aws_sdk_efs::types::LifeCycleState::from("hibernating")),
            LifeCycle::Other("hibernating".into())
        );
    }

    #[test]
    fn tags_without_a_key_are_dropped() {
        let tags = tags_from([(Some("a"), Some("1")), (None, Some("2")), (Some("b"), None)]);
        assert_eq!(tags.len(), 2);
        assert_eq!(tags["a"], "1");
        assert_eq!(tags["b"], "");
    }
}
