//! What every answer goes through, whatever the route: its request id, its count and latency in
//! `/metrics`, its 5xx handed to the failure log, and at `debug` level a span naming it.
//!
//! One tower layer rather than tower-http's `SetRequestId`, `Trace` and `PropagateRequestId`
//! beside an axum `from_fn`: each of those wraps the request's future once more (and `from_fn`
//! boxes it and clones the inner service), and together they cost a single-lead request 8,400 of
//! its 74,500 instructions (callgrind, `--no-log` server: 74,452 per request with them, 66,000
//! without). This layer does the same work in one future, with nothing boxed and nothing
//! inserted into the request.
//!
//! It is added with `Router::layer`, which wraps each route (and the fallback) after routing, so
//! the matched path is already in the request's extensions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header::HeaderName;
use axum::http::HeaderValue;
use axum::response::Response;
use tower::{Layer, Service};

use crate::failures::Failure;
use crate::state::AppState;

/// The request id header: the caller's value is echoed back, or the server makes one.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The layer; see the module doc.
#[derive(Clone)]
pub struct FrameLayer {
    state: AppState,
    ids: Arc<AtomicU64>,
}

impl FrameLayer {
    /// Request ids count from 1 for the life of `state`'s process.
    pub fn new(state: AppState) -> Self {
        FrameLayer { state, ids: Arc::default() }
    }
}

impl<S> Layer<S> for FrameLayer {
    type Service = Frame<S>;

    fn layer(&self, inner: S) -> Frame<S> {
        Frame { inner, state: self.state.clone(), ids: self.ids.clone() }
    }
}

/// The service [`FrameLayer`] wraps each route in.
#[derive(Clone)]
pub struct Frame<S> {
    inner: S,
    state: AppState,
    ids: Arc<AtomicU64>,
}

impl<S> Service<Request> for Frame<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = FrameFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let id = match request.headers().get(&X_REQUEST_ID) {
            Some(id) => id.clone(),
            None => self.next_id(),
        };
        // An `Arc<str>`: no copy of the path per request.
        let route = request.extensions().get::<MatchedPath>().cloned();
        // Method, path and id only: bodies and query strings may carry lead data. Made only when
        // `debug` is on for this crate (`LEADSCORE_LOG=debug`): at the default `info` a
        // disabled span still costs its fields' formatting.
        let span = tracing::enabled!(tracing::Level::DEBUG).then(|| {
            tracing::debug_span!(
                "request",
                request_id = %id.to_str().unwrap_or("-"),
                method = %request.method(),
                path = %request.uri().path()
            )
        });
        let inner = match &span {
            Some(span) => span.in_scope(|| self.inner.call(request)),
            None => self.inner.call(request),
        };
        FrameFuture { inner, id: Some(id), route, started: Instant::now(), state: self.state.clone(), span }
    }
}

impl<S> Frame<S> {
    /// `req-<n>`: unique per process, cheap, and never carrying data.
    fn next_id(&self) -> HeaderValue {
        let n = self.ids.fetch_add(1, Ordering::Relaxed) + 1;
        let mut digits = itoa::Buffer::new();
        let mut text = Vec::with_capacity(24);
        text.extend_from_slice(b"req-");
        text.extend_from_slice(digits.format(n).as_bytes());
        // `req-` and digits: always a valid value.
        HeaderValue::from_maybe_shared(bytes::Bytes::from(text)).unwrap_or_else(|_| HeaderValue::from_static("req"))
    }
}

pin_project_lite::pin_project! {
    /// The route's answer, framed when it is ready.
    pub struct FrameFuture<F> {
        #[pin]
        inner: F,
        id: Option<HeaderValue>,
        route: Option<MatchedPath>,
        started: Instant,
        state: AppState,
        span: Option<tracing::Span>,
    }
}

impl<F> Future for FrameFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.as_ref().map(tracing::Span::enter);
        let Ok(mut response) = std::task::ready!(this.inner.poll(cx));
        let elapsed = this.started.elapsed();
        if let Some(id) = this.id.take() {
            response.headers_mut().insert(X_REQUEST_ID.clone(), id);
        }
        let route = this.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        let status = response.status().as_u16();
        this.state.metrics().request(route, status, elapsed);
        if let Some(failure) = response.extensions().get::<Failure>() {
            this.state.failures().record(failure);
        }
        if this.span.is_some() {
            tracing::debug!(status, latency_us = elapsed.as_micros() as u64, "answered");
        }
        Poll::Ready(Ok(response))
    }
}
