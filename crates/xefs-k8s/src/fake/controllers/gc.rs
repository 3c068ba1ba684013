//! The garbage collector (an object whose owners are all gone goes too) and the namespace
//! controller (a terminating namespace is emptied, then removed).

use std::collections::BTreeSet;

use crate::fake::store::Key;
use crate::fake::world::World;

/// Removes every object whose owners are all gone.
pub(super) fn react(w: &mut World) {
    let uids: BTreeSet<String> = w.store.iter().map(|(_, s)| s.uid().to_owned()).collect();
    let orphans: Vec<Key> = w
        .store
        .iter()
        .filter(|(_, s)| {
            s.object["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|owners| {
                    !owners.is_empty()
                        && owners
                            .iter()
                            .all(|o| !uids.contains(o["uid"].as_str().unwrap_or_default()))
                })
        })
        .map(|(k, _)| k.clone())
        .collect();
    for key in orphans {
        w.remove(&key);
    }
}

/// Empties a terminating namespace (pods, claims, secrets, events, …) and removes it.
pub(super) fn finish_namespace(w: &mut World, key: &Key) {
    for inside in w.store.keys_in(&key.name) {
        w.remove(&inside);
    }
    w.remove(key);
}
