//! How many API requests are handled at once (`--concurrency`; more wait for a slot) and for how
//! long (`--request-timeout`, the wait for a slot included; then 503 `timeout`).
//!
//! One tower layer rather than tower's `GlobalConcurrencyLimit` and `Timeout` under axum's
//! `HandleError`: those three wrap a request's future three times and turn the timeout into an
//! error and back into an answer, 3,000 of a single-lead request's 58,000 instructions
//! (callgrind). Here a request that finds a free slot (nearly all of them) runs its route's future
//! directly beside its deadline; only one that must wait is boxed.
//!
//! Unlike tower's limit, whose wait for a slot happened before its timeout started, the deadline
//! here covers the wait: a request is answered within `--request-timeout` even when every slot
//! is taken.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Layer, Service, ServiceExt};

use crate::error::ApiError;

/// The layer; see the module doc.
#[derive(Clone)]
pub struct AdmitLayer {
    slots: Arc<Semaphore>,
    timeout: Duration,
}

impl AdmitLayer {
    /// At most `concurrency` requests at once, each answered within `timeout`.
    pub fn new(concurrency: usize, timeout: Duration) -> Self {
        AdmitLayer { slots: Arc::new(Semaphore::new(concurrency.min(Semaphore::MAX_PERMITS))), timeout }
    }
}

impl<S> Layer<S> for AdmitLayer {
    type Service = Admit<S>;

    fn layer(&self, inner: S) -> Admit<S> {
        Admit { inner, slots: self.slots.clone(), timeout: self.timeout }
    }
}

/// The service [`AdmitLayer`] wraps each API route in.
#[derive(Clone)]
pub struct Admit<S> {
    inner: S,
    slots: Arc<Semaphore>,
    timeout: Duration,
}

/// A route's answer, boxed: what a request that waits for a slot runs.
type Boxed = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for Admit<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AdmitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let deadline = tokio::time::sleep(self.timeout);
        let state = match self.slots.clone().try_acquire_owned() {
            Ok(slot) => State::Running { answer: self.inner.call(request), _slot: slot },
            Err(_) => {
                // Every slot taken: wait for one, then call a clone of the route (ready first,
                // as `oneshot` does), all under the deadline.
                let (slots, inner) = (self.slots.clone(), self.inner.clone());
                State::Waiting {
                    answer: Box::pin(async move {
                        let Ok(_slot) = slots.acquire_owned().await else {
                            return Ok(ApiError::Internal("the request slots were closed".into()).into_response());
                        };
                        inner.oneshot(request).await
                    }),
                }
            }
        };
        AdmitFuture { state, deadline }
    }
}

pin_project_lite::pin_project! {
    /// A route's answer within its deadline.
    pub struct AdmitFuture<F> {
        #[pin]
        state: State<F>,
        #[pin]
        deadline: tokio::time::Sleep,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProjection]
    enum State<F> {
        Running { #[pin] answer: F, _slot: OwnedSemaphorePermit },
        Waiting { answer: Boxed },
    }
}

impl<F> Future for AdmitFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = match this.state.project() {
            StateProjection::Running { answer, .. } => answer.poll(cx),
            StateProjection::Waiting { answer } => answer.as_mut().poll(cx),
        };
        if answer.is_ready() {
            return answer;
        }
        match this.deadline.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Ok(ApiError::Timeout.into_response())),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::service_fn;

    /// A route that answers 200 after `delay`.
    fn slow(
        delay: Duration,
    ) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send {
        service_fn(move |_: Request| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, Infallible>(StatusCode::OK.into_response())
        })
    }

    fn request() -> Request {
        Request::new(Body::empty())
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_deadline_is_answered_503_timeout() {
        let mut admit = AdmitLayer::new(4, Duration::from_secs(2)).layer(slow(Duration::from_secs(5)));
        let response = admit.call(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let mut quick = AdmitLayer::new(4, Duration::from_secs(2)).layer(slow(Duration::from_secs(1)));
        assert_eq!(quick.call(request()).await.unwrap().status(), StatusCode::OK);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_past_the_slots_wait_for_one_within_the_deadline() {
        // One slot, routes of 1 s, a deadline of 2.5 s: the first is answered at 1 s, the second
        // waits for its slot and is answered at 2 s, the third would need 3 s and times out.
        let layer = AdmitLayer::new(1, Duration::from_millis(2_500));
        let started = tokio::time::Instant::now();
        let calls: Vec<_> = (0..3).map(|_| layer.layer(slow(Duration::from_secs(1))).call(request())).collect();
        let answers = futures_util::future::join_all(calls.into_iter().map(|call| async move {
            let status = call.await.unwrap().status();
            (status, started.elapsed())
        }))
        .await;
        assert_eq!(answers[0], (StatusCode::OK, Duration::from_secs(1)));
        assert_eq!(answers[1], (StatusCode::OK, Duration::from_secs(2)));
        assert_eq!(answers[2], (StatusCode::SERVICE_UNAVAILABLE, Duration::from_millis(2_500)));
        // The slot of the request that timed out was given back: the next one runs at once.
        let after = tokio::time::Instant::now();
        assert_eq!(layer.layer(slow(Duration::from_secs(1))).call(request()).await.unwrap().status(), StatusCode::OK);
        assert_eq!(after.elapsed(), Duration::from_secs(1));
    }
}
