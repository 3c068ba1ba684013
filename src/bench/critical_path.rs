//! Each step's measured duration and the longest dependency chain they make.

use super::*;

/// Each step's duration from the events, and the longest chain through the DAG.
pub(super) fn critical_path(
    blueprint: &Blueprint,
    events: &[(tokio::time::Instant, Event)],
    wall: Duration,
) -> CriticalPath {
    let durations = step_durations(events);
    let weight = |a: &Address| durations.get(a).copied().unwrap_or_default();
    // Longest path ending at each step; the blueprint lists every step after its
    // dependencies. The reverse DAG (destroy) has the same longest chain.
    let mut best: HashMap<&Address, (Duration, Option<&Address>)> = HashMap::new();
    for step in blueprint.apply_order() {
        let (before, from) = step
            .depends_on
            .iter()
            .filter_map(|d| best.get(d).map(|(t, _)| (*t, Some(d))))
            .max_by_key(|(t, _)| *t)
            .unwrap_or((Duration::ZERO, None));
        best.insert(&step.address, (before + weight(&step.address), from));
    }
    let mut path = Vec::new();
    let mut at = best.iter().max_by_key(|(_, (t, _))| *t).map(|(a, _)| *a);
    let critical = at
        .and_then(|a| best.get(a))
        .map(|(t, _)| *t)
        .unwrap_or_default();
    while let Some(a) = at {
        path.push(a.to_string());
        at = best.get(a).and_then(|(_, from)| *from);
    }
    path.reverse();
    let sequential: Duration = blueprint.steps.iter().map(|s| weight(&s.address)).sum();
    let wall_s = wall.as_secs_f64();
    CriticalPath {
        simulated_seconds: wall_s,
        critical_path_seconds: critical.as_secs_f64(),
        efficiency: if wall_s > 0.0 {
            (critical.as_secs_f64() / wall_s).min(1.0)
        } else {
            1.0
        },
        guide_sequential_seconds: sequential.as_secs_f64(),
        path,
    }
}

/// Each step's duration from the events: its `Done` (`Removed`) event's, else its
/// `Observed` one's.
pub(super) fn step_durations(
    events: &[(tokio::time::Instant, Event)],
) -> HashMap<Address, Duration> {
    let mut done: HashMap<Address, Duration> = HashMap::new();
    let mut observed: HashMap<Address, Duration> = HashMap::new();
    for (_, e) in events {
        match e {
            Event::Done {
                address, duration, ..
            }
            | Event::Removed { address, duration } => {
                done.insert(address.clone(), *duration);
            }
            Event::Observed { address, duration } => {
                observed.insert(address.clone(), *duration);
            }
            _ => {}
        }
    }
    observed.extend(done);
    observed
}

/// The longest chain of `durations` after each step: through its dependents, to the end.
pub(super) fn rest_after(
    blueprint: &Blueprint,
    durations: &HashMap<Address, Duration>,
) -> HashMap<Address, Duration> {
    let mut rest: HashMap<Address, Duration> = HashMap::new();
    let order: Vec<_> = blueprint.apply_order().collect();
    for step in order.iter().rev() {
        let after = order
            .iter()
            .filter(|d| d.depends_on.contains(&step.address))
            .map(|d| {
                durations.get(&d.address).copied().unwrap_or_default()
                    + rest.get(&d.address).copied().unwrap_or_default()
            })
            .max()
            .unwrap_or_default();
        rest.insert(step.address.clone(), after);
    }
    rest
}
