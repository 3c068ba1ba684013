//! The API server's Nodes and Events, reduced to what the port returns: the EC2 instance and
//! zone behind a node, and the events that name why a mount failed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::jiff::Timestamp;
use xefs_core::ids::InstanceId;

use crate::{EventSummary, Node};

/// The label the cloud provider sets on every node.
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// The zone and instance of an AWS provider id: `aws:///us-east-1a/i-0123456789abcdef0` (and the
/// older `aws://us-east-1a/i-…`). Anything else gives `(None, None)`; an id whose last segment
/// is not an instance id gives no instance.
pub(super) fn parse_provider_id(provider_id: &str) -> (Option<String>, Option<InstanceId>) {
    let Some(rest) = provider_id.strip_prefix("aws://") else {
        return (None, None);
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [.., zone, instance] => (Some((*zone).to_owned()), InstanceId::parse(instance).ok()),
        [instance] => (None, InstanceId::parse(instance).ok()),
        [] => (None, None),
    }
}

/// The port's view of a node. The zone comes from `topology.kubernetes.io/zone`, or from the
/// provider id on a node the cloud controller has not labelled yet.
pub(crate) fn node(n: core::Node) -> Node {
    let labels: BTreeMap<String, String> = n.metadata.labels.unwrap_or_default();
    let provider_id = n.spec.and_then(|s| s.provider_id);
    let (id_zone, instance_id) = provider_id
        .as_deref()
        .map(parse_provider_id)
        .unwrap_or((None, None));
    let ready = n
        .status
        .and_then(|s| s.conditions)
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    Node {
        name: n.metadata.name.unwrap_or_default(),
        zone: labels.get(ZONE_LABEL).cloned().or(id_zone),
        provider_id,
        instance_id,
        ready,
        labels,
    }
}

/// When an event last happened: its series, its last timestamp, its event time, its first
/// timestamp, or when it was recorded — whichever the reporter filled in.
fn last_seen(e: &core::Event) -> Option<Timestamp> {
    e.series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0)
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// The events as summaries, oldest first (events without any time first of all, in the
/// server's order).
pub(crate) fn event_summaries(mut events: Vec<core::Event>) -> Vec<EventSummary> {
    events.sort_by_key(last_seen);
    events
        .into_iter()
        .map(|e| {
            let o = &e.involved_object;
            let kind = o.kind.clone().unwrap_or_default();
            let name = o.name.clone().unwrap_or_default();
            let object = match &o.namespace {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            };
            let count = e
                .series
                .as_ref()
                .and_then(|s| s.count)
                .or(e.count)
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(1);
            EventSummary {
                event_type: e.type_.unwrap_or_default(),
                reason: e.reason.unwrap_or_default(),
                message: e.message.unwrap_or_default(),
                count,
                object,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn provider_ids_give_zone_and_instance() {
        let (zone, id) = parse_provider_id("aws:///us-east-2a/i-0123456789abcdef0");
        assert_eq!(zone.as_deref(), Some("us-east-2a"));
        assert_eq!(
            id.map(|i| i.to_string()).as_deref(),
            Some("i-0123456789abcdef0")
        );
        let (zone, id) = parse_provider_id("aws://us-west-1b/i-0a1b2c3d");
        assert_eq!(zone.as_deref(), Some("us-west-1b"));
        assert_eq!(id.map(|i| i.to_string()).as_deref(), Some("i-0a1b2c3d"));
        assert_eq!(
            parse_provider_id("aws:///us-east-2a/fargate-ip-10-0-0-1"),
            (Some("us-east-2a".to_owned()), None)
        );
        assert_eq!(
            parse_provider_id("gce://project/us-central1-a/node-1"),
            (None, None)
        );
        assert_eq!(parse_provider_id("aws:///"), (None, None));
        assert_eq!(parse_provider_id(""), (None, None));
    }

    fn parse_node(v: serde_json::Value) -> Node {
        node(serde_json::from_value(v).expect("a Node"))
    }

    #[test]
    fn nodes_read_instance_zone_and_readiness() {
        let n = parse_node(json!({
            "metadata": { "name": "ip-10-0-1-5.ec2.internal",
                          "labels": { "topology.kubernetes.io/zone": "us-east-2b",
                                      "node-role.kubernetes.io/worker": "" } },
            "spec": { "providerID": "aws:///us-east-2a/i-0123456789abcdef0" },
            "status": { "conditions": [
                { "type": "MemoryPressure", "status": "False" },
                { "type": "Ready", "status": "True" }
            ] }
        }));
        assert_eq!(n.name, "ip-10-0-1-5.ec2.internal");
        assert_eq!(n.zone.as_deref(), Some("us-east-2b"), "the label wins");
        assert_eq!(
            n.instance_id.map(|i| i.to_string()).as_deref(),
            Some("i-0123456789abcdef0")
        );
        assert!(n.ready);
        assert_eq!(n.labels.len(), 2);

        let unlabelled = parse_node(json!({
            "metadata": { "name": "n2" },
            "spec": { "providerID": "aws:///us-east-2c/i-0123456789abcdef1" },
            "status": { "conditions": [{ "type": "Ready", "status": "Unknown" }] }
        }));
        assert_eq!(unlabelled.zone.as_deref(), Some("us-east-2c"));
        assert!(!unlabelled.ready);

        let bare = parse_node(json!({ "metadata": { "name": "n3" } }));
        assert_eq!(
            (bare.provider_id, bare.instance_id, bare.zone, bare.ready),
            (None, None, None, false)
        );
    }

    #[test]
    fn events_are_sorted_oldest_first_whatever_time_field_is_set() {
        let events: Vec<core::Event> = serde_json::from_value(json!([
            { "metadata": { "name": "c", "creationTimestamp": "2026-01-01T00:00:30Z" },
              "involvedObject": { "kind": "Pod", "namespace": "v", "name": "w" },
              "type": "Warning", "reason": "FailedMount", "message": "mount failed",
              "count": 3, "lastTimestamp": "2026-01-01T00:00:30Z" },
            { "metadata": { "name": "a" },
              "involvedObject": { "kind": "Pod", "namespace": "v", "name": "w" },
              "type": "Normal", "reason": "Scheduled", "message": "assigned",
              "eventTime": "2026-01-01T00:00:10.000000Z" },
            { "metadata": { "name": "b" },
              "involvedObject": { "kind": "Pod", "namespace": "v", "name": "w" },
              "type": "Normal", "reason": "Pulling", "message": "pulling",
              "series": { "count": 7, "lastObservedTime": "2026-01-01T00:00:20.000000Z" } }
        ]))
        .expect("events");
        let s = event_summaries(events);
        let reasons: Vec<_> = s.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons, ["Scheduled", "Pulling", "FailedMount"]);
        assert_eq!(s[1].count, 7, "a series counts its occurrences");
        assert_eq!(s[0].count, 1, "a single event counts once");
        assert_eq!(s[2].count, 3);
        assert_eq!(s[2].object, "Pod v/w");
        assert_eq!(s[2].event_type, "Warning");
        assert_eq!(s[2].message, "mount failed");
    }
}
