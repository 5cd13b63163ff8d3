//! CSV uploads: how many are scored at once, and how slowly one may send.
//!
//! A CSV upload is a stream: the route answers once the header is read and scores rows as
//! they arrive, so neither `--concurrency` (the handler has returned) nor `--request-timeout`
//! bounds it. Each upload holds a blocking thread and a scoring thread for as long as it
//! sends; about 1,100 slow uploads once made every `/v1/*` route hang. So uploads take a slot
//! of their own (`--csv-uploads`; none free: 503 with `Retry-After` at once, before a byte of
//! the body is read), and an upload that sends too slowly is cut ([`Paced`]): over each
//! `--upload-timeout` of the server waiting for it, it must send `--upload-min-rate` bytes per
//! second (at least one byte), as Apache's `mod_reqtimeout` `MinRate` does, and one silent for
//! a whole `--upload-timeout` is cut whatever it sent before. Only time spent
//! waiting for the client counts: a client whose answer is slow to drain is not cut for the
//! pause that causes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;

/// The slots and pace of CSV uploads.
#[derive(Debug)]
pub struct Uploads {
    slots: Arc<Semaphore>,
    limit: usize,
    pace: Pace,
}

/// How slowly an upload may send: at least `min_rate` bytes per second (and one byte) over
/// each `window` of waiting for it.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// The waiting time over which the rate is judged (the idle timeout).
    pub window: Duration,
    /// Bytes per second (0: only a silence of `window` is cut).
    pub min_rate: u64,
}

impl Pace {
    /// Bytes an upload must send in each window.
    fn need(&self) -> u64 {
        let need = (self.min_rate as f64 * self.window.as_secs_f64()).ceil();
        if need >= u64::MAX as f64 {
            u64::MAX
        } else {
            (need as u64).max(1)
        }
    }
}

impl Uploads {
    /// `limit` uploads at once, each held to `pace`.
    pub fn new(limit: usize, pace: Pace) -> Self {
        Uploads { slots: Arc::new(Semaphore::new(limit)), limit, pace }
    }

    /// A slot for one upload (released when the permit drops), or a 503 saying the limit.
    pub fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.slots.clone().try_acquire_owned().map_err(|_| ApiError::UploadsBusy { limit: self.limit })
    }

    /// Uploads being scored now.
    pub fn in_flight(&self) -> usize {
        self.limit - self.slots.available_permits()
    }

    /// The uploads' gauges in Prometheus text: streaming now, and the limit.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "# HELP leadscore_csv_uploads CSV uploads streaming now (each holds a slot of --csv-uploads).\n\
             # TYPE leadscore_csv_uploads gauge\nleadscore_csv_uploads {}\n\
             # HELP leadscore_csv_uploads_limit CSV uploads taken at once; more are answered 503.\n\
             # TYPE leadscore_csv_uploads_limit gauge\nleadscore_csv_uploads_limit {}\n",
            self.in_flight(),
            self.limit
        );
    }

    /// `body` held to the pace; the returned cell gets the reason when it is cut.
    pub fn paced<S>(&self, body: S) -> (Paced<S>, Arc<OnceLock<String>>) {
        let cut = Arc::new(OnceLock::new());
        let paced = Paced {
            inner: body,
            pace: self.pace,
            need: self.pace.need(),
            got: 0,
            waited: Duration::ZERO,
            since: None,
            silent_since: None,
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            cut: cut.clone(),
        };
        (paced, cut)
    }
}

/// A body stream cut when its client sends too slowly (see the module's documentation):
/// the cut is an `io::ErrorKind::TimedOut` error saying why, which the CSV reader reports at
/// the line it was reading.
pub struct Paced<S> {
    inner: S,
    pace: Pace,
    need: u64,
    /// Bytes received in this window.
    got: u64,
    /// Time spent waiting for the client in this window, before the current stretch.
    waited: Duration,
    /// When the current stretch of waiting in this window began.
    since: Option<Instant>,
    /// When the client last stopped sending (the current silence, across windows).
    silent_since: Option<Instant>,
    sleep: Pin<Box<Sleep>>,
    cut: Arc<OnceLock<String>>,
}

impl<S> Paced<S> {
    /// Cuts the upload for `reason`.
    fn cut(&self, reason: String) -> std::io::Error {
        let _ = self.cut.set(reason.clone());
        std::io::Error::new(std::io::ErrorKind::TimedOut, reason)
    }

    /// A whole window of waiting is over at `now`: a new one if it brought enough, else the cut.
    fn close_window(&mut self, now: Instant) -> Result<(), std::io::Error> {
        if self.got >= self.need {
            self.got = 0;
            self.waited = Duration::ZERO;
            self.since = self.since.map(|_| now);
            return Ok(());
        }
        Err(self.cut(format!(
            "the upload sent {} bytes in {} s of waiting for it, below the minimum of {} bytes/s (--upload-min-rate): it was cut",
            self.got,
            self.pace.window.as_secs_f64(),
            self.pace.min_rate
        )))
    }
}

impl<S, E> Stream for Paced<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(reason) = this.cut.get() {
            return Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::TimedOut, reason.clone()))));
        }
        loop {
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let now = Instant::now();
                    if let Some(since) = this.since.take() {
                        this.waited += now - since;
                    }
                    this.silent_since = None;
                    this.got = this.got.saturating_add(chunk.len() as u64);
                    if this.waited >= this.pace.window {
                        if let Err(e) = this.close_window(now) {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                    return Poll::Ready(Some(Ok(chunk)));
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(std::io::Error::other(e)))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {
                    let now = Instant::now();
                    let since = *this.since.get_or_insert(now);
                    let silent_since = *this.silent_since.get_or_insert(now);
                    let silence_ends = silent_since + this.pace.window;
                    if now >= silence_ends {
                        let secs = this.pace.window.as_secs_f64();
                        let e =
                            this.cut(format!("the upload sent nothing for {secs} s (--upload-timeout): it was cut"));
                        return Poll::Ready(Some(Err(e)));
                    }
                    let window_ends = since + this.pace.window.saturating_sub(this.waited);
                    if now >= window_ends {
                        this.waited = this.pace.window;
                        if let Err(e) = this.close_window(now) {
                            return Poll::Ready(Some(Err(e)));
                        }
                        continue; // a new window: arm its timer
                    }
                    let deadline = window_ends.min(silence_ends);
                    if this.sleep.deadline() != deadline {
                        this.sleep.as_mut().reset(deadline);
                    }
                    if this.sleep.as_mut().poll(cx).is_ready() {
                        continue; // the deadline passed: judge the window or the silence
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    type Chunks = tokio::sync::mpsc::UnboundedSender<Result<Bytes, std::io::Error>>;

    fn paced(window_ms: u64, min_rate: u64) -> (Chunks, Paced<impl Stream<Item = Result<Bytes, std::io::Error>>>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let uploads = Uploads::new(1, Pace { window: Duration::from_millis(window_ms), min_rate });
        let (paced, _) = uploads.paced(Box::pin(stream));
        (tx, paced)
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_upload_is_cut_after_the_window() {
        let (tx, mut body) = paced(10_000, 0);
        tx.send(Ok(Bytes::from_static(b"a,b\n"))).unwrap();
        assert_eq!(body.next().await.unwrap().unwrap(), "a,b\n");
        let started = Instant::now();
        let err = body.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("sent nothing for 10 s"), "{err}");
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_below_the_rate_is_cut_and_one_above_it_is_not() {
        // 100 bytes/s over 1 s windows: 10 bytes every 200 ms is 50 bytes/s.
        let (tx, mut slow) = paced(1_000, 100);
        let feeder = tokio::spawn(async move {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if tx.send(Ok(Bytes::from(vec![b'x'; 10]))).is_err() {
                    return;
                }
            }
        });
        let mut got = 0;
        let err = loop {
            match slow.next().await.unwrap() {
                Ok(chunk) => got += chunk.len(),
                Err(e) => break e,
            }
        };
        assert!(err.to_string().contains("below the minimum of 100 bytes/s"), "{err}");
        assert!(got <= 50, "cut within the first window, after {got} bytes");
        feeder.abort();

        // 30 bytes every 200 ms is 150 bytes/s: never cut.
        let (tx, mut fast) = paced(1_000, 100);
        tokio::spawn(async move {
            for _ in 0..20 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                tx.send(Ok(Bytes::from(vec![b'x'; 30]))).unwrap();
            }
        });
        let mut got = 0;
        while let Some(chunk) = fast.next().await {
            got += chunk.unwrap().len();
        }
        assert_eq!(got, 600);
    }

    #[tokio::test(start_paused = true)]
    async fn time_not_spent_waiting_for_the_client_does_not_count() {
        let (tx, mut body) = paced(1_000, 1_000);
        for _ in 0..5 {
            tx.send(Ok(Bytes::from_static(b"x"))).unwrap();
        }
        // The reader pauses 10 s between reads (its answer is not being drained): the chunks
        // were all there, the server never waited for them.
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_secs(10)).await;
            assert!(body.next().await.unwrap().is_ok());
        }
        drop(tx);
        assert!(body.next().await.is_none());
    }

    #[test]
    fn slots_are_given_up_to_the_limit_and_come_back_when_dropped() {
        let uploads = Uploads::new(2, Pace { window: Duration::from_secs(10), min_rate: 0 });
        let a = uploads.slot().unwrap();
        let _b = uploads.slot().unwrap();
        assert_eq!(uploads.in_flight(), 2);
        assert!(matches!(uploads.slot(), Err(ApiError::UploadsBusy { limit: 2 })));
        drop(a);
        assert!(uploads.slot().is_ok());
    }
}
