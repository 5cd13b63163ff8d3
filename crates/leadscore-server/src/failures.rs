//! Server failures (5xx answers) in the log at a bounded rate.
//!
//! One ERROR line per failed request flooded the log under load (262,145 lines, 33.5 MB in
//! 27 s) and buried everything else. Here the first failure of a kind (its stable code: `internal`,
//! `timeout`, `no_model`, `store_unavailable`) in an interval is logged at once with its reason,
//! so a single failure is seen when it happens; the rest of that interval are counted and said
//! as one line per kind when the interval ends ("N more ... in the last 10 s"). A burst is then a
//! few lines per interval, and the counts still add up to every failed request (`/metrics`
//! counts them by status too).
//!
//! Responses carry a [`Failure`] extension (set where errors become responses, in `error`);
//! the router's `record` layer hands it to the state's [`FailureLog`]; [`report`] ends each
//! interval.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// What a 5xx answer was about, attached to the response for the log.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The problem's stable code (`internal`, `timeout`, ...).
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong (never lead data: the server's own message).
    pub reason: String,
}

/// Failures of the current interval, by code.
#[derive(Debug, Default)]
struct Kind {
    /// Failures after the first one logged in this interval.
    suppressed: u64,
    /// The latest reason, said with the count.
    last_reason: String,
    /// Whether this interval's first failure is already logged.
    logged: bool,
    status: u16,
}

/// Failed requests of the current interval, logged once per kind when it ends.
#[derive(Debug)]
pub struct FailureLog {
    interval: Duration,
    kinds: Mutex<BTreeMap<&'static str, Kind>>,
}

impl FailureLog {
    /// A log whose intervals last `interval`.
    pub fn new(interval: Duration) -> Self {
        FailureLog { interval, kinds: Mutex::new(BTreeMap::new()) }
    }

    /// The length of an interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// One failed request: logged now if it is the first of its kind in this interval,
    /// counted otherwise.
    pub fn record(&self, failure: &Failure) {
        let first = {
            let mut kinds = self.kinds.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let kind = kinds.entry(failure.code).or_default();
            kind.status = failure.status;
            if kind.logged {
                kind.suppressed += 1;
                if kind.last_reason != failure.reason {
                    kind.last_reason.clone_from(&failure.reason);
                }
                false
            } else {
                kind.logged = true;
                true
            }
        };
        if first {
            say(failure.code, failure.status, 1, &failure.reason, None);
        }
    }

    /// Ends the interval: one line per kind that failed more than once, with the count.
    pub fn flush(&self) {
        let ended = std::mem::take(&mut *self.kinds.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for (code, kind) in ended {
            if kind.suppressed > 0 {
                say(code, kind.status, kind.suppressed, &kind.last_reason, Some(self.interval));
            }
        }
    }
}

/// One log line: ERROR for internal errors, WARN for the service being unable to answer
/// (timeouts, no model, the prediction log down).
fn say(code: &str, status: u16, count: u64, reason: &str, interval: Option<Duration>) {
    let what = if interval.is_some() { "more requests failed" } else { "request failed" };
    let interval_s = interval.map_or(0, |i| i.as_secs());
    if status == 500 {
        tracing::error!(code, status, count, interval_s, reason, "{what}");
    } else {
        tracing::warn!(code, status, count, interval_s, reason, "{what}");
    }
}

/// Ends an interval every `log.interval()`, for the life of the server.
pub async fn report(log: std::sync::Arc<FailureLog>) {
    let mut tick = tokio::time::interval(log.interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate
    loop {
        tick.tick().await;
        log.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &'static str) -> Failure {
        Failure { code, status: 503, reason: "the request did not finish within the server's time limit".into() }
    }

    #[test]
    fn the_first_of_a_kind_is_said_and_the_rest_counted_until_the_interval_ends() {
        let log = FailureLog::new(Duration::from_secs(10));
        for _ in 0..5 {
            log.record(&failure("timeout"));
        }
        log.record(&failure("no_model"));
        {
            let kinds = log.kinds.lock().unwrap();
            assert_eq!(kinds["timeout"].suppressed, 4);
            assert!(kinds["timeout"].logged);
            assert_eq!(kinds["no_model"].suppressed, 0);
        }
        log.flush();
        assert!(log.kinds.lock().unwrap().is_empty(), "a new interval starts empty");
        log.record(&failure("timeout"));
        assert!(log.kinds.lock().unwrap()["timeout"].logged, "the first of the next interval is said again");
    }
}
