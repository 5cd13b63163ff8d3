//! One module per group of routes.
pub mod compare;
pub mod dashboard;
pub mod health;
pub mod models;
pub mod monitor;
pub mod outcomes;
pub mod score;
pub mod score_csv;

/// The media type of a request (`application/json` from `Application/JSON; charset=utf-8`), empty when absent.
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}
