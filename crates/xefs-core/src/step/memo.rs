//! Reads shared by the steps of one engine run, so that a no-op apply reads each thing once.
//!
//! Discovery lists a VPC's route tables and subnets; the routes and mount-target steps then
//! need some of them by id, and two attachment steps list the same role's policies. Within
//! one run those are the same reads: the first fills the memo, the others take its answer.
//! Steps use it for what they *observe*, never to decide a write after one of their own
//! (`ensure` reads live), and a run's memo is gone when the run ends.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

tokio::task_local! {
    static CURRENT: RunMemo;
}

type Slot = Arc<OnceCell<Arc<dyn Any + Send + Sync>>>;

/// One run's memo of reads, keyed by strings the provider chooses (account, call, id).
#[derive(Debug, Clone, Default)]
pub struct RunMemo(Arc<Mutex<HashMap<String, Slot>>>);

impl RunMemo {
    /// The memo of the engine run the caller is part of; `None` outside one (a step's unit
    /// test, a doctor read), where every read goes to the cloud.
    pub fn current() -> Option<RunMemo> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Runs `f` with this memo as the current one; the engine does this for every step of a
    /// run.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        CURRENT.scope(self, f).await
    }

    /// The slot of `key` for values of type `T` (the type is part of the key).
    fn slot<T: 'static>(&self, key: &str) -> Slot {
        let key = format!("{}|{key}", std::any::type_name::<T>());
        let mut slots = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(key).or_default())
    }

    /// The value under `key`, read by `read` once per run: concurrent callers wait for the
    /// first one's answer. An error is returned to its caller and not kept.
    pub async fn get_or_read<T, E, F, Fut>(&self, key: &str, read: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = self.slot::<T>(key);
        let value = slot
            .get_or_try_init(|| async {
                read()
                    .await
                    .map(|v| Arc::new(v) as Arc<dyn Any + Send + Sync>)
            })
            .await?;
        match value.downcast_ref::<T>() {
            Some(value) => Ok(value.clone()),
            // The type is part of the key, so this does not happen; a fresh read is right.
            None => read().await,
        }
    }

    /// Keeps `value` under `key` unless the key already has one.
    pub fn put<T: Send + Sync + 'static>(&self, key: &str, value: T) {
        let _ = self.slot::<T>(key).set(Arc::new(value));
    }

    /// The value under `key`, if this run has one.
    pub fn get<T: Clone + 'static>(&self, key: &str) -> Option<T> {
        self.slot::<T>(key).get()?.downcast_ref::<T>().cloned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_read_per_key_and_run_even_when_asked_at_once() {
        let memo = RunMemo::default();
        let reads = AtomicU32::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, ()>(vec![1, 2])
        };
        let (a, b) = tokio::join!(
            memo.get_or_read("role/x", read),
            memo.get_or_read("role/x", read)
        );
        assert_eq!((a, b), (Ok(vec![1, 2]), Ok(vec![1, 2])));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Another key, or another run, reads again.
        assert_eq!(memo.get_or_read("role/y", read).await, Ok(vec![1, 2]));
        assert_eq!(
            RunMemo::default().get_or_read("role/x", read).await,
            Ok(vec![1, 2])
        );
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn errors_are_not_kept_and_put_values_are_found() {
        let memo = RunMemo::default();
        let failed: Result<u8, &str> = memo.get_or_read("k", || async { Err("throttled") }).await;
        assert_eq!(failed, Err("throttled"));
        assert_eq!(
            memo.get_or_read("k", || async { Ok::<u8, &str>(7) }).await,
            Ok(7)
        );
        memo.put("table/rtb-1", String::from("routes"));
        assert_eq!(memo.get::<String>("table/rtb-1").as_deref(), Some("routes"));
        assert_eq!(memo.get::<u8>("table/rtb-1"), None);
        assert!(RunMemo::current().is_none());
        let inside = memo
            .clone()
            .scope(async { RunMemo::current().is_some() })
            .await;
        assert!(inside);
    }
}
