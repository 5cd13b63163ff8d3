//! The ceiling for JSON over HTTP on this machine: an axum server that reads a
//! `POST /v1/score` body exactly as leadscore does (the same request shape, strict)
//! and answers a constant JSON document of a given size, scoring nothing.
//! `scripts/bench_server.sh` loads it and `leadscore serve` the same way; the
//! ratio of their throughputs is what the server's own work costs.
//!
//! ```sh
//! cargo run --release --example ceiling -- --response-bytes 1200   # prints `ceiling: serving on http://ADDR`
//! ```

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{Map, Value};

/// The same allocator as `leadscore` (crates/leadscore/main.rs), so the ratio measures the server's
/// work and not a difference of allocators.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The body leadscore reads (`leadscore_server::api::ScoreRequest`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read to be parsed, like leadscore's; never used
struct ScoreRequest {
    leads: Vec<Map<String, Value>>,
    #[serde(default)]
    explain: Option<usize>,
    #[serde(default)]
    threshold: Option<Value>,
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut response_bytes = 1024usize;
    let mut addr = "127.0.0.1:0".to_owned();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--response-bytes", Some(n)) => response_bytes = n.parse().expect("--response-bytes takes a number"),
            ("--addr", Some(a)) => addr = a,
            _ => panic!("usage: ceiling [--response-bytes N] [--addr HOST:PORT]"),
        }
    }
    // `{"padding":"xxx…"}` of exactly `response_bytes` bytes (at least 15).
    let padding = "x".repeat(response_bytes.saturating_sub(14).max(1));
    let body = Bytes::from(format!("{{\"padding\":\"{padding}\"}}"));
    let app = Router::new().route(
        "/v1/score",
        post(move |request: Bytes| {
            let body = body.clone();
            async move {
                match serde_json::from_slice::<ScoreRequest>(&request) {
                    Ok(parsed) if !parsed.leads.is_empty() => {
                        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
                    }
                    _ => Response::builder()
                        .status(StatusCode::BAD_REQUEST)
                        .body(axum::body::Body::empty())
                        .expect("a static response"),
                }
            }
        }),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("ceiling: serving on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    })
}
