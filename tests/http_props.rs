//! Properties of request decoding: arbitrary bytes never make the server fail
//! (no panic, no 5xx), and arbitrary well-formed leads always get either their
//! scores or a 4xx problem document. Most cases call the router in-process with
//! `oneshot`; a smaller run goes over a real socket.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use crate::util::{scratch_registry, serve_config, TestServer};

/// The columns of the shipped data (the model's features, and `outcome`, which it does not
/// read) without its id and date, plus `id` and a few names the model does not know.
fn fields() -> Vec<&'static str> {
    let data = leadscore_train::synth::HEADER.iter().copied().filter(|f| !matches!(*f, "lead_id" | "created_at"));
    std::iter::once("id").chain(data).chain(["email", "", "Lead Source"]).collect()
}

/// One router over a scratch registry, shared by all cases (and its folder, kept alive).
fn router() -> axum::Router {
    static STATE: OnceLock<(tempfile::TempDir, leadscore_server::AppState)> = OnceLock::new();
    let (_, state) = STATE.get_or_init(|| {
        let (dir, models) = scratch_registry();
        let config =
            leadscore_server::ServeConfig { max_leads: 50, max_body_bytes: 64 * 1024, ..serve_config(&models) };
        (dir, leadscore_server::AppState::new(config))
    });
    leadscore_server::app(state.clone())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

/// Any JSON value: scalars of every kind (huge, tiny, negative, fractional numbers; odd strings), nested a little.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |x| x.is_finite()).prop_map(|x| json!(x)),
        prop_oneof![Just(0.0), Just(-0.0), Just(1e308), Just(-1e308), Just(5e-324), Just(-1.0)].prop_map(|x| json!(x)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("yes"),
            Just("No"),
            Just(" TRUE "),
            Just("1"),
            Just("Select"),
            Just("NA"),
            Just("Referral"),
            Just("VP"),
            Just("2024-02-30"),
            Just("\u{feff}x"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(".{0,4}", inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn finite() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (0..100_000i64).prop_map(|n| json!(n)),
        2 => any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(|x| json!(x)),
        1 => (-10.0..10.0f64).prop_map(|x| json!(x)),
    ]
}

/// A value for `field`: mostly of the field's type (so that many requests score), sometimes anything.
fn value_for(field: &'static str) -> BoxedStrategy<Value> {
    let text = prop_oneof![".{0,12}".prop_map(Value::String), Just(json!("Referral")), Just(json!("Select"))];
    let typed: BoxedStrategy<Value> = match field {
        "id" => prop_oneof![".{0,8}".prop_map(Value::String), any::<i32>().prop_map(|n| json!(n))].boxed(),
        "annual_revenue"
        | "page_views"
        | "pricing_page_visits"
        | "email_opens"
        | "email_clicks"
        | "content_downloads"
        | "days_since_last_activity" => finite().boxed(),
        "webinar_attended" | "demo_requested" => prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            prop::sample::select(&["yes", "no", "TRUE", "0", "1", "y", "N", ""][..]).prop_map(|s| json!(s)),
            (0..2u8).prop_map(|n| json!(n)),
        ]
        .boxed(),
        _ => prop_oneof![3 => text, 1 => finite(), 1 => any::<bool>().prop_map(Value::Bool)].boxed(),
    };
    prop_oneof![12 => typed, 1 => Just(Value::Null), 1 => any_json()].boxed()
}

fn any_lead() -> impl Strategy<Value = Value> {
    prop::sample::subsequence(fields(), 0..12)
        .prop_flat_map(|fields| fields.into_iter().map(|f| value_for(f).prop_map(move |v| (f, v))).collect::<Vec<_>>())
        .prop_map(|pairs| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<String, Value>>())
        })
}

fn any_threshold() -> impl Strategy<Value = Value> {
    let number = prop_oneof![any::<f64>().prop_filter("finite", |x| x.is_finite()), -1.0..2.0f64];
    (
        prop::sample::select(
            &[
                "fixed",
                "max_f1",
                "youden",
                "capacity",
                "capacity_per_period",
                "precision",
                "recall",
                "expected_value",
                "x",
            ][..],
        ),
        prop::collection::btree_map(
            prop::sample::select(
                &["value", "mql_rate", "target", "cost", "leads_per_period", "volume_per_period", "other"][..],
            ),
            number,
            0..3,
        ),
    )
        .prop_map(|(strategy, params)| {
            let mut t = Map::new();
            t.insert("strategy".into(), json!(strategy));
            for (k, v) in params {
                t.insert(k.to_owned(), json!(v));
            }
            Value::Object(t)
        })
}

/// A well-formed request: `leads` (1 to 60, some over the limit of 50), optional `explain` and `threshold`.
fn any_request() -> impl Strategy<Value = Value> {
    (
        prop_oneof![6 => prop::collection::vec(any_lead(), 1..4), 1 => prop::collection::vec(any_lead(), 45..60)],
        prop::option::of(0..60u32),
        prop::option::of(any_threshold()),
    )
        .prop_map(|(leads, explain, threshold)| {
            let mut body = json!({ "leads": leads });
            if let Some(e) = explain {
                body["explain"] = json!(e);
            }
            if let Some(t) = threshold {
                body["threshold"] = t;
            }
            body
        })
}

/// Sends one request in-process; status and body.
fn call(content_type: &str, query: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    runtime().block_on(async {
        let request = Request::post(format!("/v1/score{query}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let response = router().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the whole body arrives");
        (status, bytes.to_vec())
    })
}

/// What every answer must satisfy for `request` (when it was well-formed JSON).
fn check_answer(status: StatusCode, body: &[u8], request: Option<&Value>) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "{status}: {}", String::from_utf8_lossy(body));
    if status.is_client_error() {
        let problem: Value = serde_json::from_slice(body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&problem["status"], &json!(status.as_u16()));
        prop_assert!(problem["code"].is_string() && problem["detail"].is_string());
        return Ok(());
    }
    prop_assert_eq!(status, StatusCode::OK);
    if let Some(request) = request {
        let response: Value = serde_json::from_slice(body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let scores = response["scores"].as_array().cloned().unwrap_or_default();
        prop_assert_eq!(scores.len(), request["leads"].as_array().map_or(0, Vec::len));
        for s in &scores {
            let p = s["probability"].as_f64().unwrap_or(f64::NAN);
            prop_assert!((0.0..=1.0).contains(&p), "probability {p}");
            let score = s["score"].as_u64().unwrap_or(0);
            prop_assert!((1..=99).contains(&score));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_make_the_server_fail(
        body in prop::collection::vec(any::<u8>(), 0..512),
        content_type in prop::sample::select(&["application/json", "text/csv", "application/json; charset=utf-8", "text/plain"][..]),
    ) {
        let (status, answer) = call(content_type, "", body);
        check_answer(status, &answer, None)?;
    }

    #[test]
    fn json_shaped_bytes_never_make_the_server_fail(
        prefix in prop::sample::select(&[r#"{"leads": ["#, r#"{"leads": [{"#, r#"{"leads": [{"page_views": "#, "{", "["][..]),
        rest in prop::collection::vec(prop::sample::select(&b"{}[]\":,0123456789.eE-+ntrufalsNIy\\ \n\t"[..]), 0..64),
    ) {
        let mut body = prefix.as_bytes().to_vec();
        body.extend(rest);
        let (status, answer) = call("application/json", "", body);
        check_answer(status, &answer, None)?;
    }

    #[test]
    fn well_formed_leads_get_scores_or_a_4xx(request in any_request(), strict in any::<bool>()) {
        let query = if strict { "?strict=true" } else { "" };
        let (status, answer) = call("application/json", query, serde_json::to_vec(&request).unwrap());
        check_answer(status, &answer, Some(&request))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn over_a_real_socket_too(request in any_request(), noise in prop::collection::vec(any::<u8>(), 0..256)) {
        static SERVER: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
        let (_, url) = SERVER.get_or_init(|| {
            let (dir, models) = scratch_registry();
            let config = leadscore_server::ServeConfig { max_leads: 50, max_body_bytes: 64 * 1024, ..serve_config(&models) };
            let server = runtime().block_on(TestServer::start(config));
            let url = server.url("/v1/score");
            std::mem::forget(server); // serves until the test binary exits
            (dir, url)
        });
        let client = reqwest::Client::new();
        let bodies = [("application/json", serde_json::to_vec(&request).unwrap()), ("application/json", noise.clone()), ("text/csv", noise)];
        for (i, (content_type, body)) in bodies.into_iter().enumerate() {
            let (status, answer) = runtime().block_on(async {
                let response = client.post(url.as_str()).header("content-type", content_type).body(body).send().await.unwrap();
                (response.status(), response.bytes().await.unwrap().to_vec())
            });
            check_answer(StatusCode::from_u16(status.as_u16()).unwrap(), &answer, (i == 0).then_some(&request))?;
        }
    }
}
