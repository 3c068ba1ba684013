//! Running a list of borrowed futures concurrently, without spawning (they borrow the spec and
//! the accounts) and without a futures crate for one small function.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Polls every future until all are done; the outputs come in the futures' order.
///
/// Every wake-up polls each unfinished future again, which is right for the handful of calls
/// doctor fans out (one per mount target, attached policy, instance profile).
pub(super) async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// [`join_all`] over fallible futures: every output, or the first error in the futures' order.
pub(super) async fn try_join_all<T, E, F>(futures: impl IntoIterator<Item = F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    join_all(futures).await.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_concurrently_and_keeps_the_order() {
        let started = tokio::time::Instant::now();
        let out = join_all([3u64, 1, 2].map(|n| async move {
            tokio::time::sleep(Duration::from_secs(n)).await;
            n
        }))
        .await;
        assert_eq!(out, [3, 1, 2]);
        // Concurrent: as long as the longest, not the sum.
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        let failed: Result<Vec<u8>, &str> =
            try_join_all([Ok(1), Err("first"), Err("second")].map(|r| async move { r })).await;
        assert_eq!(failed, Err("first"));
    }
}
