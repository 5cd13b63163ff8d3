//! The leadscore scoring service: HTTP over the core library.
//!
//! [`app`] builds the router (the scoring logic is all in `leadscore-core`:
//! this crate reads requests, picks the model, maps errors); [`run`] serves
//! it on an injected listener until an injected shutdown future resolves, then
//! drains in-flight requests. [`watch`] reloads the registry when files change.
#![warn(missing_docs)]

pub mod admit;
pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod failures;
pub mod frame;
pub mod lead;
pub mod log;
pub mod metrics;
pub mod reload;
pub mod routes;
pub mod shadow;
pub mod state;
pub mod upload;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use utoipa::OpenApi;

pub use config::ServeConfig;
pub use error::ApiError;
pub use state::AppState;

/// The OpenAPI document, generated from the handlers and DTOs.
#[derive(OpenApi)]
#[openapi(
    info(title = "leadscore", description = "Predictive lead scoring: probabilities, explanations and MQL thresholds."),
    paths(
        routes::score::score,
        routes::compare::compare,
        routes::dashboard::dashboard,
        routes::models::list,
        routes::models::card,
        routes::models::thresholds,
        routes::outcomes::outcomes,
        routes::monitor::monitor,
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        routes::health::reload,
        routes::admin::promote,
        routes::admin::rollback,
    ),
    components(schemas(error::Problem, error::FieldError, api::ScoreRequest, api::ThresholdRequest, api::CompareRequest, api::RulePoints, api::StoreHealth, api::PromoteRequest, api::AliasChangeResponse, api::GateFigures, routes::outcomes::OutcomeItem, routes::outcomes::OutcomesResponse, routes::monitor::MonitorResponse)),
    modifiers(&BearerAuth),
    tags((name = "scoring"), (name = "models"), (name = "monitoring"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;
impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// API keys: every route but health needs one when keys are configured; admin routes need an admin key.
async fn authenticate(State(keys): State<Arc<auth::Keys>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    match keys.access(request.headers()) {
        auth::Access::None => ApiError::Unauthorized.into_response(),
        auth::Access::User if path.starts_with("/v1/admin/") => ApiError::Forbidden.into_response(),
        auth::Access::User | auth::Access::Admin => next.run(request).await,
    }
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NoRoute(uri.path().to_owned())
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed { method: method.to_string(), path: uri.path().to_owned() }
}

/// The router with every route and layer.
pub fn app(state: AppState) -> Router {
    let config = state.config().clone();
    let api = Router::new()
        .route("/", get(routes::dashboard::dashboard))
        .route("/v1/score", post(routes::score::score))
        .route("/v1/compare", post(routes::compare::compare))
        .route("/v1/models", get(routes::models::list))
        .route("/v1/models/{name}", get(routes::models::card))
        .route("/v1/thresholds", get(routes::models::thresholds))
        .route("/v1/outcomes", post(routes::outcomes::outcomes))
        .route("/v1/monitor", get(routes::monitor::monitor))
        .route("/v1/admin/reload", post(routes::health::reload))
        .route("/v1/admin/models/{name}/promote", post(routes::admin::promote))
        .route("/v1/admin/models/{name}/rollback", post(routes::admin::rollback))
        .route("/metrics", get(routes::health::metrics))
        .route("/openapi.json", get(routes::health::openapi))
        .layer(admit::AdmitLayer::new(config.concurrency, config.request_timeout));
    let health =
        Router::new().route("/healthz", get(routes::health::healthz)).route("/readyz", get(routes::health::readyz));
    let mut router = api.merge(health).fallback(not_found).method_not_allowed_fallback(method_not_allowed);
    // Keys are fixed for the life of the process: without any, no request pays for the check.
    if config.auth_enabled() {
        let keys = Arc::new(auth::Keys::new(&config.api_keys, &config.admin_keys));
        router = router.layer(middleware::from_fn_with_state(keys, authenticate));
    }
    // Outermost, so that every answer (a 401 and a 404 included) has its request id and is counted.
    router.layer(frame::FrameLayer::new(state.clone())).with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then stops
/// accepting connections and waits for in-flight requests to finish. Repeated failures are
/// said in the log once per interval meanwhile, and what is still counted at the end.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let failures = state.failures().clone();
    let reporter = tokio::spawn(failures::report(failures.clone()));
    let served = axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await;
    reporter.abort();
    failures.flush();
    served
}

/// Polls the registry every `config.watch_interval` and reloads when a
/// `CURRENT` or `model.bin` appears, disappears or changes. Polling rather
/// than inotify: it also works on network and container file systems.
pub async fn watch(state: AppState) {
    let interval = state.config().watch_interval;
    if interval.is_zero() {
        return;
    }
    let snapshot = |s: &AppState| {
        let s = s.clone();
        tokio::task::spawn_blocking(move || s.registry_stamp())
    };
    let mut last = snapshot(&state).await.unwrap_or_default();
    loop {
        tokio::time::sleep(interval).await;
        let now = snapshot(&state).await.unwrap_or_default();
        if now != last {
            // Let a writer finish its rename burst before reading.
            tokio::time::sleep(Duration::from_millis(50)).await;
            // The stamps are taken before the reload reads the files: a change landing
            // during the reload differs from them and is picked up on the next tick.
            last = snapshot(&state).await.unwrap_or_default();
            let s = state.clone();
            let _ = tokio::task::spawn_blocking(move || s.reload()).await;
        }
    }
}
