//! How watches wait after an error, tuned for coming back quickly after an API server outage.
//!
//! kube's `default_backoff` doubles from 0.8 s to 30 s and then adds up to 100% jitter, and it
//! backs off after every error. After an API server restart that cost twice:
//! - a watch could stay blind for up to a minute after the server returned;
//! - each watch then resumed from a resource version the new server no longer keeps, met 410
//!   Gone ("too old resource version") once, and waited a whole backoff again before re-listing.
//!
//! - kube's controller backs off its merged trigger stream too, so one watch's error paused every
//!   other watch of the controller, on top of that watch's own pause.
//!
//! An outage took several times its own length to recover from (`docs/benchmarks.md`,
//! `fault-tests/tests/apiserver_outage.rs`). Here
//! each watch backs off alone, and the controller adds nothing ([`SourcesPauseThemselves`]). The
//! backoff stops growing at 10 s (so at most 20 s with jitter): a retried watch is one cheap
//! request. And an expired watch is re-listed at once, as client-go's reflector does.

use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use futures::{Stream, StreamExt};
use kube::{
    core::Status,
    runtime::{utils::Backoff, watcher},
};

/// The first pause after an error, as kube's and client-go's.
const FIRST_PAUSE: Duration = Duration::from_millis(800);
/// Pauses double up to this, and jitter adds up to as much again.
const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// A second 410 this soon after the first one is backed off as any error, so that a server that
/// keeps expiring watches cannot spin a re-list loop.
const GONE_AGAIN_WITHIN: Duration = Duration::from_secs(30);

/// `events` with a pause after each error, and none after the first expired watch.
pub(crate) fn backoff_unless_expired<T, S>(events: S) -> impl Stream<Item = watcher::Result<T>>
where
    S: Stream<Item = watcher::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let state = Waiting::default();
    futures::stream::unfold(
        (Box::pin(events), state),
        |(mut events, mut state)| async move {
            if let Some(pause) = state.pause.take() {
                tokio::time::sleep(pause).await;
            }
            let event = events.next().await?;
            state.pause = state.after(&event, Instant::now());
            Some((event, (events, state)))
        },
    )
}

/// The controller's trigger backoff: none, since every watch feeding it pauses by itself.
pub(crate) struct SourcesPauseThemselves;

impl Iterator for SourcesPauseThemselves {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(Duration::ZERO)
    }
}

impl Backoff for SourcesPauseThemselves {
    fn reset(&mut self) {}
}

struct Waiting {
    backoff: ExponentialBackoff,
    last_expired: Option<Instant>,
    pause: Option<Duration>,
}

impl Default for Waiting {
    fn default() -> Self {
        Self {
            backoff: fresh_backoff(),
            last_expired: None,
            pause: None,
        }
    }
}

fn fresh_backoff() -> ExponentialBackoff {
    ExponentialBuilder::default()
        .with_min_delay(FIRST_PAUSE)
        .with_max_delay(LONGEST_PAUSE)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

impl Waiting {
    /// How long to wait before polling again, given the event just seen at `now`.
    fn after<T>(&mut self, event: &watcher::Result<T>, now: Instant) -> Option<Duration> {
        match event {
            Ok(_) => {
                self.backoff = fresh_backoff();
                None
            }
            Err(err) if is_expired(err) => {
                let again = self
                    .last_expired
                    .is_some_and(|last| now.duration_since(last) < GONE_AGAIN_WITHIN);
                self.last_expired = Some(now);
                if again { self.backoff.next() } else { None }
            }
            Err(_) => self.backoff.next(),
        }
    }
}

fn is_expired(err: &watcher::Error) -> bool {
    api_status(err).is_some_and(|status| status.code == 410)
}

/// What the API server answered, when a watch's error is its answer.
pub(crate) fn api_status(err: &watcher::Error) -> Option<&Status> {
    match err {
        watcher::Error::WatchError(status)
        | watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => Some(status),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use kube::core::Status;

    use super::*;

    fn expired() -> watcher::Result<()> {
        Err(watcher::Error::WatchError(Box::new(
            Status::failure("too old resource version: 1 (2)", "Expired").with_code(410),
        )))
    }

    fn unreachable() -> watcher::Result<()> {
        Err(watcher::Error::NoResourceVersion)
    }

    #[test]
    fn an_expired_watch_is_relisted_at_once_even_after_a_long_outage() {
        let mut state = Waiting::default();
        let start = Instant::now();
        // The outage: the backoff grows.
        let pauses: Vec<_> = (0..8)
            .filter_map(|_| state.after(&unreachable(), start))
            .collect();
        assert!(
            pauses.last().unwrap() >= &Duration::from_secs(10),
            "{pauses:?}"
        );
        // The server is back, but the watch's resource version is gone.
        assert_eq!(state.after(&expired(), start), None);
    }

    #[test]
    fn a_server_that_keeps_expiring_watches_is_backed_off() {
        let mut state = Waiting::default();
        let start = Instant::now();
        assert_eq!(state.after(&expired(), start), None);
        assert_eq!(state.after(&Ok(()), start), None);
        assert!(
            state
                .after(&expired(), start + Duration::from_secs(1))
                .is_some()
        );
        // Long after, an expiry is normal again.
        assert_eq!(
            state.after(&expired(), start + Duration::from_secs(60)),
            None
        );
    }

    #[test]
    fn any_event_resets_the_backoff() {
        let mut state = Waiting::default();
        let now = Instant::now();
        for _ in 0..8 {
            state.after(&unreachable(), now);
        }
        state.after(&Ok(()), now);
        let first = state.after(&unreachable(), now).unwrap();
        assert!(first <= Duration::from_millis(1600), "{first:?}");
    }
}
