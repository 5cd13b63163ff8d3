//! Every error the API returns, mapped in one place to a status and an
//! RFC 9457 problem document (`application/problem+json`).
//!
//! Messages name the lead index and the field and the reason, never the
//! value: lead data can be personal.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::failures::Failure;

/// Field errors listed in one problem document: 10,000 leads with every field wrong would
/// otherwise answer megabytes of the same reasons. The detail gives the total.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// One thing wrong with one field of one lead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Index of the lead in `leads` (0-based).
    pub lead: usize,
    /// The field.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Per-field errors, when the problem is about leads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The promotion gate's figures, when it refused a promotion (`not_promoted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<crate::api::GateFigures>,
}

/// Errors of the HTTP layer.
// Variant fields are named for what they hold.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not valid JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    BadJson { line: usize, column: usize, message: String },
    /// The JSON has the wrong shape (not an object with `leads`, ...).
    #[error("{0}")]
    BadRequest(String),
    /// Some leads have invalid fields.
    #[error("{} invalid field(s) in the request", .0.len())]
    InvalidLeads(Vec<FieldError>),
    /// `leads` is empty.
    #[error("`leads` is empty: send 1 to {max} leads")]
    EmptyLeads { max: usize },
    /// Too many leads.
    #[error("{n} leads in one request; the limit is {max}")]
    TooManyLeads { n: usize, max: usize },
    /// Body over the size limit.
    #[error("the request body is larger than {max} bytes")]
    BodyTooLarge { max: usize },
    /// Unsupported content type.
    #[error("content type {0:?} is not supported; send application/json or text/csv")]
    UnsupportedMediaType(String),
    /// Unknown model or version.
    #[error("{0}")]
    UnknownModel(String),
    /// No route at this path.
    #[error("no route {0}; the routes are listed in /openapi.json")]
    NoRoute(String),
    /// The route exists, the method does not.
    #[error("{method} is not allowed on {path}; see the Allow header")]
    MethodNotAllowed { method: String, path: String },
    /// No model is loaded at all.
    #[error("no model is loaded")]
    NoModel,
    /// The request needs points rules the server or this model does not have.
    #[error("{0}")]
    NoRules(String),
    /// A query parameter is wrong.
    #[error("{0}")]
    BadQuery(String),
    /// Missing or wrong API key.
    #[error("a valid API key is required (Authorization: Bearer ...)")]
    Unauthorized,
    /// Valid key, but not an admin key.
    #[error("this route needs an admin API key")]
    Forbidden,
    /// The route needs the prediction log and the server runs without one.
    #[error("the server runs without a prediction log (started with --no-log)")]
    NoLog,
    /// The prediction log could not be read or written.
    #[error("the prediction log is unavailable: {0}")]
    Store(String),
    /// Every CSV upload slot is taken.
    #[error("{limit} CSV uploads are being scored, the most this server takes at once; retry shortly")]
    UploadsBusy { limit: usize },
    /// A CSV upload sent too slowly and was cut before its header.
    #[error("{0}")]
    UploadTooSlow(String),
    /// The promotion gate did not pass the version (the figures when it judged it).
    #[error("{message}")]
    NotPromoted { message: String, gate: Option<Box<crate::api::GateFigures>> },
    /// A rollback with no earlier version to go back to.
    #[error("{0}")]
    NoPrevious(String),
    /// Another process is changing the model's registry files.
    #[error("{0}")]
    Locked(String),
    /// The version asked for cannot serve (its `model.bin` is refused).
    #[error("{0}")]
    InvalidVersion(String),
    /// A route that changes the registry, on a server started without admin keys.
    #[error("changing the registry over HTTP needs an admin key: start the server with --admin-keys (LEADSCORE_ADMIN_KEYS) and send one as Authorization: Bearer KEY, or use the `leadscore promote`/`rollback` commands")]
    AdminKeysRequired,
    /// The registry cannot be read or written by the server (a read-only mount, permissions).
    #[error("{0}")]
    RegistryUnavailable(String),
    /// The request took longer than the timeout.
    #[error("the request did not finish within the server's time limit")]
    Timeout,
    /// Anything else: logged, answered with a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadJson { .. } => (StatusCode::BAD_REQUEST, "bad_json", "Invalid JSON"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "Malformed request"),
            ApiError::InvalidLeads(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_leads", "Invalid leads"),
            ApiError::EmptyLeads { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "empty_leads", "No leads"),
            ApiError::TooManyLeads { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_many_leads", "Too many leads"),
            ApiError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "Body too large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Unsupported media type")
            }
            ApiError::UnknownModel(_) => (StatusCode::NOT_FOUND, "unknown_model", "Unknown model"),
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            ApiError::MethodNotAllowed { .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed")
            }
            ApiError::NoModel => (StatusCode::SERVICE_UNAVAILABLE, "no_model", "No model loaded"),
            ApiError::NoRules(_) => (StatusCode::CONFLICT, "no_rules", "No points rules loaded"),
            ApiError::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query", "Invalid query parameter"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotPromoted { .. } => (StatusCode::CONFLICT, "not_promoted", "Not promoted by the gate"),
            ApiError::NoPrevious(_) => (StatusCode::CONFLICT, "no_previous_version", "No previous version"),
            ApiError::Locked(_) => (StatusCode::CONFLICT, "locked", "Model locked"),
            ApiError::InvalidVersion(_) => (StatusCode::CONFLICT, "invalid_version", "Version cannot serve"),
            ApiError::AdminKeysRequired => (StatusCode::FORBIDDEN, "admin_keys_required", "Admin keys required"),
            ApiError::RegistryUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "registry_unavailable", "Registry unavailable")
            }
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout", "Request timed out"),
            ApiError::UploadsBusy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "uploads_busy", "Too many uploads"),
            ApiError::UploadTooSlow(_) => (StatusCode::REQUEST_TIMEOUT, "upload_too_slow", "Upload too slow"),
            ApiError::NoLog => (StatusCode::SERVICE_UNAVAILABLE, "no_log", "No prediction log"),
            ApiError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", "Prediction log unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.parts();
        let detail = match self {
            ApiError::Internal(_) => "the server failed to handle the request; it has been logged".to_owned(),
            ApiError::InvalidLeads(errors) if errors.len() > MAX_LISTED_ERRORS => {
                format!("{self} (the first {MAX_LISTED_ERRORS} are listed)")
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::InvalidLeads(errors) => errors.iter().take(MAX_LISTED_ERRORS).cloned().collect(),
            _ => Vec::new(),
        };
        let gate = match self {
            ApiError::NotPromoted { gate, .. } => gate.as_deref().cloned(),
            _ => None,
        };
        Problem {
            type_: format!("/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors,
            gate,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response();
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        // The body was not read (or not to its end): the connection cannot carry another request.
        if matches!(self, ApiError::UploadsBusy { .. } | ApiError::UploadTooSlow(_)) {
            let headers = response.headers_mut();
            headers.insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            if matches!(self, ApiError::UploadsBusy { .. }) {
                headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            }
        }
        // The server failed to answer: said in the log by the failure log, at a bounded rate
        // (a client calling a route this server has switched off is not a failure).
        if status.is_server_error() && !matches!(self, ApiError::NoLog) {
            let reason = match &self {
                ApiError::Internal(err) => err.clone(),
                other => other.to_string(),
            };
            response.extensions_mut().insert(Failure { code: self.parts().1, status: problem.status, reason });
        }
        response
    }
}

/// A registry change refused or failed: the same cases `leadscore promote` and `rollback` say
/// on the terminal, as statuses (unknown model or version 404; the gate's refusal, no earlier
/// version, a held lock, a version whose file is refused 409; a registry the server cannot
/// read or write 503, with the reason: these routes answer admins only).
impl From<leadscore_registry::Error> for ApiError {
    fn from(err: leadscore_registry::Error) -> Self {
        use leadscore_registry::Error as E;
        match err {
            E::UnknownModel { .. } | E::UnknownVersion { .. } => ApiError::UnknownModel(err.to_string()),
            E::Refused { ref record, .. } => {
                let gate = record.as_deref().map(|r| Box::new(crate::api::GateFigures::from(r)));
                ApiError::NotPromoted { message: err.to_string(), gate }
            }
            E::NoPrevious { .. } => ApiError::NoPrevious(err.to_string()),
            E::Locked { .. } => ApiError::Locked(err.to_string()),
            E::Artifact { .. } => ApiError::InvalidVersion(err.to_string()),
            E::Io { .. } | E::Registry { .. } => ApiError::RegistryUnavailable(err.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
