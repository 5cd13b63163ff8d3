//! The HTTP API over a real socket: every endpoint, every error with its status,
//! code and field, API keys, reloads (admin call, file change) and corrupt models.
//! The server runs in-process on `127.0.0.1:0` with a scratch copy of the registry.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::util::{
    flipped, poll_until, put_version, sample_leads, scratch_registry, serve_config, shifted_model, TestServer,
};

fn client() -> Client {
    Client::new()
}

/// POSTs `body` to `/v1/score<query>` as JSON; status and parsed body.
async fn score(server: &TestServer, query: &str, body: &Value) -> (StatusCode, Value) {
    let response = client().post(server.url(&format!("/v1/score{query}"))).json(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// POSTs raw bytes with a content type.
async fn post_raw(server: &TestServer, path: &str, content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, String) {
    let mut request = client().post(server.url(path)).body(body);
    if let Some(ct) = content_type {
        request = request.header(CONTENT_TYPE, ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn get(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let response = client().get(server.url(path)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn one_lead() -> Value {
    json!({"id": "L1", "job_level": "VP", "lead_source": "Referral", "pricing_page_visits": 4, "demo_requested": true})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_with_its_documented_shape() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;

    let (status, health) = get(&server, "/healthz").await;
    assert_eq!((status, &health["status"]), (StatusCode::OK, &json!("ok")));
    let (status, ready) = get(&server, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["model"], json!({"name": "leads", "version": "v1"}));

    let (status, list) = get(&server, "/v1/models").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["default"], "leads");
    assert_eq!(list["models"][0]["current"], "v1");
    assert_eq!(list["refused"], json!([]));

    for path in ["/v1/models/leads", "/v1/models/leads?version=v1"] {
        let (status, card) = get(&server, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!((card["name"].as_str(), card["version"].as_str()), (Some("leads"), Some("v1")));
        assert!(card["coefficients"].as_array().unwrap().len() > 10);
        assert!(card["features"].as_array().unwrap().iter().any(|f| f["name"] == "lead_source"));
    }

    let (status, thresholds) = get(&server, "/v1/thresholds").await;
    assert_eq!(status, StatusCode::OK);
    assert!(thresholds["thresholds"].as_array().unwrap().len() >= 5);
    let (status, capacity) = get(&server, "/v1/thresholds?strategy=capacity&mql_rate=0.2").await;
    assert_eq!(status, StatusCode::OK);
    let t = &capacity["thresholds"][0];
    assert_eq!(t["strategy"], "capacity");
    assert!((t["mql_rate"].as_f64().unwrap() - 0.2).abs() < 0.05, "{t}");

    // JSON scoring: id echoed, probability, score, tier, factors, a warning for the unused field
    // (said once for the request, not in the lead's own warnings).
    let mut lead = one_lead();
    lead["favourite_colour"] = json!("green");
    let (status, scored) = score(&server, "", &json!({"leads": [lead], "explain": 5})).await;
    assert_eq!(status, StatusCode::OK, "{scored}");
    assert_eq!(scored["model"], json!({"name": "leads", "version": "v1"}));
    let s = &scored["scores"][0];
    assert_eq!(s["id"], "L1");
    let p = s["probability"].as_f64().unwrap();
    assert!(p > 0.0 && p < 1.0);
    assert_eq!(s["factors"].as_array().unwrap().len(), 5);
    assert_eq!(
        scored["warnings"],
        json!(["`favourite_colour` is not used by the model (renamed column?): in 1 of 1 leads"])
    );
    assert!(!s["warnings"].to_string().contains("favourite_colour"));
    // `?strict=true` refuses the same unused field.
    let (status, problem) = score(&server, "?strict=true", &json!({"leads": [lead]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "favourite_colour");
    // A threshold strategy in the body.
    let body = json!({"leads": [one_lead()], "threshold": {"strategy": "fixed", "value": 0.0}});
    let (status, scored) = score(&server, "", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scored["scores"][0]["mql"], true);

    // CSV scoring, streamed back.
    let (csv, _) = sample_leads(50);
    let (status, out) = post_raw(&server, "/v1/score", Some("text/csv"), csv.into_bytes()).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(reader.headers().unwrap().get(1), Some("probability"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 50);
    assert_eq!(&rows[0][0], "L0000001");
    assert!(rows.iter().all(|r| r[9].is_empty() && r[1].parse::<f64>().is_ok()), "{out}");

    let (status, reload) = post_raw(&server, "/v1/admin/reload", None, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let reload: Value = serde_json::from_str(&reload).unwrap();
    assert_eq!(reload["changed"], false);
    assert_eq!(reload["model"]["version"], "v1");

    let response = client().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metrics = response.text().await.unwrap();
    assert!(metrics.contains("leadscore_http_requests_total{route=\"/v1/score\",status=\"200\"}"), "{metrics}");
    assert!(metrics.contains("leadscore_model_info{name=\"leads\",version=\"v1\",checksum="), "{metrics}");
    assert!(metrics.contains("leadscore_model_files_refused 0"), "{metrics}");
    let scored_total = metrics.lines().find(|l| l.starts_with("leadscore_leads_scored_total ")).unwrap();
    assert_eq!(scored_total, "leadscore_leads_scored_total 52", "1 + 1 + 50 leads scored");

    let (status, doc) = get(&server, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/v1/score", "/v1/models", "/v1/models/{name}", "/v1/thresholds", "/healthz", "/readyz"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    // Ids are echoed as sent (a string above): the schema once said `object`.
    assert_eq!(
        doc["components"]["schemas"]["LeadScore"]["properties"]["id"]["type"],
        json!(["string", "number", "null"])
    );

    let (status, problem) = get(&server, "/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["status"], 404);
    server.stop().await;
}

/// One malformed request and what must come back.
struct Case {
    what: &'static str,
    query: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    /// (lead, field) of every expected field error, in order.
    fields: Vec<(usize, &'static str)>,
    /// Text the problem's `detail` must contain.
    detail: &'static str,
}

fn case(what: &'static str, body: &str, status: u16, code: &'static str) -> Case {
    Case {
        what,
        query: "",
        content_type: Some("application/json"),
        body: body.as_bytes().to_vec(),
        status,
        code,
        fields: Vec::new(),
        detail: "",
    }
}

impl Case {
    fn fields(mut self, fields: &[(usize, &'static str)]) -> Case {
        self.fields = fields.to_vec();
        self
    }
    fn detail(mut self, detail: &'static str) -> Case {
        self.detail = detail;
        self
    }
    fn query(mut self, query: &'static str) -> Case {
        self.query = query;
        self
    }
    fn content_type(mut self, content_type: Option<&'static str>) -> Case {
        self.content_type = content_type;
        self
    }
}

/// Every answer carries a request id: the client's own `x-request-id`, or one the server made
/// (`req-<n>`, a new one each time), errors and unknown routes included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_request_id_sent_or_a_new_one() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    let id = |response: &reqwest::Response| {
        response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
    };
    let body = json!({"leads": [one_lead()]});
    let sent =
        client().post(server.url("/v1/score")).header("x-request-id", "crm-42").json(&body).send().await.unwrap();
    assert_eq!((sent.status(), id(&sent).as_deref()), (StatusCode::OK, Some("crm-42")));
    let mut made = Vec::new();
    for path in ["/v1/score", "/v1/nothing-here"] {
        let response = client().post(server.url(path)).json(&body).send().await.unwrap();
        made.push(id(&response).unwrap_or_default());
    }
    let bad =
        client().post(server.url("/v1/score")).body("{").header(CONTENT_TYPE, "application/json").send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    made.push(id(&bad).unwrap_or_default());
    assert!(made.iter().all(|id| id.starts_with("req-") && id[4..].parse::<u64>().is_ok()), "{made:?}");
    made.sort();
    made.dedup();
    assert_eq!(made.len(), 3, "{made:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_its_status_code_and_field() {
    let (_dir, models) = scratch_registry();
    let config = leadscore_server::ServeConfig { max_leads: 5, max_body_bytes: 4096, ..serve_config(&models) };
    let server = TestServer::start(config).await;
    let six = serde_json::to_string(&json!({"leads": vec![json!({}); 6]})).unwrap();
    let big = format!(r#"{{"leads": [{{"id": "{}"}}]}}"#, "x".repeat(5000));
    let cases = vec![
        case("a word for a number", r#"{"leads": [{"page_views": "abc"}]}"#, 422, "invalid_leads")
            .fields(&[(0, "page_views")])
            .detail("1 invalid field"),
        case("an object for a category", r#"{"leads": [{"lead_source": {"a": 1}}]}"#, 422, "invalid_leads")
            .fields(&[(0, "lead_source")]),
        case("an array for a number", r#"{"leads": [{"email_opens": [1]}]}"#, 422, "invalid_leads")
            .fields(&[(0, "email_opens")]),
        case("2 for a yes/no field", r#"{"leads": [{"demo_requested": 2}]}"#, 422, "invalid_leads")
            .fields(&[(0, "demo_requested")]),
        case("a word for a yes/no field", r#"{"leads": [{"webinar_attended": "perhaps"}]}"#, 422, "invalid_leads")
            .fields(&[(0, "webinar_attended")]),
        case("an object as id", r#"{"leads": [{"id": {"x": 1}}]}"#, 422, "invalid_leads").fields(&[(0, "id")]),
        case(
            "every bad field of every lead is listed",
            r#"{"leads": [{"page_views": "abc"}, {"page_views": 3}, {"lead_source": [], "email_clicks": true}]}"#,
            422,
            "invalid_leads",
        )
        .fields(&[(0, "page_views"), (2, "email_clicks"), (2, "lead_source")])
        .detail("3 invalid field"),
        case("NaN", r#"{"leads": [{"page_views": NaN}]}"#, 400, "bad_json").detail("line 1, column 27"),
        case("Infinity", "{\"leads\": [\n  {\"page_views\": Infinity}\n]}", 400, "bad_json")
            .detail("line 2, column 18"),
        case("a number out of range", r#"{"leads": [{"page_views": 1e400}]}"#, 400, "bad_json").detail("line 1"),
        case("broken JSON", "{\n \"leads\": [\n  {\"page_views\": 3,,}\n ]\n}", 400, "bad_json")
            .detail("line 3, column 20"),
        case("truncated JSON", r#"{"leads": [{"page_views": 3}"#, 400, "bad_json").detail("line 1, column 28"),
        case("empty body", "", 400, "bad_json"),
        case("leads is not an array", r#"{"leads": {"a": 1}}"#, 400, "bad_request"),
        case("a lead is not an object", r#"{"leads": [3]}"#, 400, "bad_request"),
        case("unknown top-level field", r#"{"leads": [{}], "extra": 1}"#, 400, "bad_request"),
        case("no leads field", r#"{}"#, 400, "bad_request"),
        case("explain out of range", r#"{"leads": [{}], "explain": 51}"#, 400, "bad_request").detail("explain"),
        case("negative explain", r#"{"leads": [{}], "explain": -1}"#, 400, "bad_request"),
        case(
            "fixed threshold out of [0, 1]",
            r#"{"leads": [{}], "threshold": {"strategy": "fixed", "value": 2}}"#,
            400,
            "bad_request",
        )
        .detail("threshold.value"),
        case(
            "capacity out of (0, 1]",
            r#"{"leads": [{}], "threshold": {"strategy": "capacity", "mql_rate": 0}}"#,
            400,
            "bad_request",
        ),
        case("unknown strategy", r#"{"leads": [{}], "threshold": {"strategy": "vibes"}}"#, 400, "bad_request"),
        case("empty leads", r#"{"leads": []}"#, 422, "empty_leads"),
        case("too many leads", &six, 413, "too_many_leads").detail("6 leads"),
        case("body over the size limit", &big, 413, "body_too_large").detail("4096 bytes"),
        case("unknown model", r#"{"leads": [{}]}"#, 404, "unknown_model").query("?model=nope"),
        case("unknown version", r#"{"leads": [{}]}"#, 404, "unknown_model").query("?version=v9"),
        case("bad query parameter", r#"{"leads": [{}]}"#, 400, "bad_query").query("?strict=maybe"),
        case("text/plain", r#"{"leads": [{}]}"#, 415, "unsupported_media_type").content_type(Some("text/plain")),
        case("no content type", r#"{"leads": [{}]}"#, 415, "unsupported_media_type").content_type(None),
        case("form data", "a=1", 415, "unsupported_media_type").content_type(Some("application/x-www-form-urlencoded")),
    ];
    let mut failures = Vec::new();
    for c in cases {
        let path = format!("/v1/score{}", c.query);
        let mut request = client().post(server.url(&path)).body(c.body.clone());
        if let Some(ct) = c.content_type {
            request = request.header(CONTENT_TYPE, ct);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let problem: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let fields: Vec<(usize, String)> = problem["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| (e["lead"].as_u64().unwrap() as usize, e["field"].as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<(usize, String)> = c.fields.iter().map(|(l, f)| (*l, (*f).to_owned())).collect();
        let ok = status == c.status
            && problem["code"] == c.code
            && problem["status"] == c.status
            && content_type.as_deref() == Some("application/problem+json")
            && fields == expected
            && problem["detail"].as_str().unwrap_or("").contains(c.detail);
        if !ok {
            failures.push(format!(
                "{}: expected {} {} {:?} (detail containing {:?}), got {status} {content_type:?} {text}",
                c.what, c.status, c.code, c.fields, c.detail
            ));
        }
    }
    // Unknown model on the other routes.
    for path in ["/v1/models/nope", "/v1/models/leads?version=v9", "/v1/thresholds?model=nope"] {
        let (status, problem) = get(&server, path).await;
        if status != StatusCode::NOT_FOUND || problem["code"] != "unknown_model" {
            failures.push(format!("{path}: expected 404 unknown_model, got {status} {problem}"));
        }
    }
    // Unknown routes and methods are problem documents too, with their own codes.
    let (status, problem) = get(&server, "/v2/score").await;
    if status != StatusCode::NOT_FOUND
        || problem["code"] != "not_found"
        || problem["detail"] != "no route /v2/score; the routes are listed in /openapi.json"
    {
        failures.push(format!("/v2/score: expected 404 not_found, got {status} {problem}"));
    }
    let (status, text) = {
        let response = reqwest::Client::new().delete(server.url("/v1/score")).send().await.unwrap();
        let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
        let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        (response.status(), format!("{allow:?} {content_type:?} {}", response.text().await.unwrap()))
    };
    if status != StatusCode::METHOD_NOT_ALLOWED
        || !text.contains("Some(\"POST\") Some(\"application/problem+json\")")
        || !text.contains("\"code\":\"method_not_allowed\"")
    {
        failures
            .push(format!("DELETE /v1/score: expected 405 method_not_allowed with Allow: POST, got {status} {text}"));
    }
    for path in [
        "/v1/thresholds?strategy=capacity",
        "/v1/thresholds?strategy=precision&target=abc",
        "/v1/thresholds?strategy=fixed&value=NaN",
        "/v1/thresholds?weekly_volume=null", // found by Schemathesis: ignored parameters were not checked
        "/v1/thresholds?strategy=max_f1&cost=inf",
    ] {
        let (status, problem) = get(&server, path).await;
        if status != StatusCode::BAD_REQUEST || problem["code"] != "bad_query" {
            failures.push(format!("{path}: expected 400 bad_query, got {status} {problem}"));
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_upload_with_a_missing_column_is_refused_and_a_bad_row_gets_an_error_cell() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    let (status, text) = post_raw(&server, "/v1/score", Some("text/csv"), b"lead_id,page_views\nL1,3\n".to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == "lead_source"), "{problem}");

    let (csv, _) = sample_leads(3);
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen(",1,no,", ",abc,no,", 1).replacen(",0,no,", ",abc,no,", 1);
    let body = lines.join("\n") + "\n";
    assert!(body.contains("abc"), "test data changed: {body}");
    let (status, out) = post_raw(&server, "/v1/score", Some("text/csv; charset=utf-8"), body.into_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(out.as_bytes()).records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[0][9].is_empty() && rows[2][9].is_empty());
    assert!(rows[1][1].is_empty() && rows[1][9].contains("content_downloads"), "{out}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_guard_every_route_but_health_and_admin_routes_need_an_admin_key() {
    let (_dir, models) = scratch_registry();
    let config = leadscore_server::ServeConfig {
        api_keys: vec!["user-key-0001".into()],
        admin_keys: vec!["admin-key-0001".into()],
        ..serve_config(&models)
    };
    let server = TestServer::start(config).await;
    let call = |method: &str, path: &str, key: Option<&str>| {
        let mut request = match method {
            "GET" => client().get(server.url(path)),
            _ => client().post(server.url(path)).json(&json!({"leads": [one_lead()]})),
        };
        if let Some(key) = key {
            request = request.header(AUTHORIZATION, key);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.headers().get("www-authenticate").is_some())
        }
    };
    let routes = [
        ("GET", "/v1/models"),
        ("GET", "/v1/models/leads"),
        ("GET", "/v1/thresholds"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("POST", "/v1/score"),
    ];
    for (method, path) in routes {
        assert_eq!(call(method, path, None).await, (401, true), "{method} {path} without a key");
        assert_eq!(call(method, path, Some("Bearer wrong-key-0001")).await.0, 401, "{method} {path} wrong key");
        assert_eq!(call(method, path, Some("user-key-0001")).await.0, 401, "{method} {path}: no Bearer prefix");
        assert_eq!(call(method, path, Some("Bearer user-key-0001")).await.0, 200, "{method} {path} user key");
        assert_eq!(call(method, path, Some("Bearer admin-key-0001")).await.0, 200, "{method} {path} admin key");
    }
    for path in ["/healthz", "/readyz"] {
        assert_eq!(call("GET", path, None).await.0, 200, "{path} is open");
    }
    assert_eq!(call("POST", "/v1/admin/reload", None).await.0, 401);
    assert_eq!(call("POST", "/v1/admin/reload", Some("Bearer user-key-0001")).await.0, 403);
    assert_eq!(call("POST", "/v1/admin/reload", Some("Bearer admin-key-0001")).await.0, 200);
    server.stop().await;
}

/// The version `/v1/models` says is current, and the refused files.
async fn served(server: &TestServer) -> (String, Value) {
    let (_, list) = get(server, "/v1/models").await;
    (list["models"][0]["current"].as_str().unwrap_or("").to_owned(), list["refused"].clone())
}

fn metric(metrics: &str, name: &str) -> f64 {
    metrics.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or_else(|| panic!("{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reload_serves_a_new_version_and_refuses_a_corrupt_one_while_the_old_keeps_serving() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    let lead = json!({"leads": [one_lead()]});
    let (_, before) = score(&server, "", &lead).await;
    let p1 = before["scores"][0]["probability"].as_f64().unwrap();

    // A corrupt v2 named by CURRENT: refused with its reason, v1 keeps serving.
    let (good, _) = shifted_model(1.0);
    put_version(&models, "v2", &flipped(&good), true);
    let (status, report) = post_raw(&server, "/v1/admin/reload", None, Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["refused"][0]["version"], "v2", "{report}");
    assert!(report["refused"][0]["reason"].as_str().unwrap().contains("checksum mismatch"), "{report}");
    assert_eq!(report["model"]["version"], "v1");
    let (current, refused) = served(&server).await;
    assert_eq!(current, "v1");
    assert_eq!(refused[0]["version"], "v2");
    let (status, after) = score(&server, "", &lead).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["model"]["version"], "v1");
    assert_eq!(after["scores"][0]["probability"].as_f64().unwrap(), p1);
    let (status, _) = score(&server, "?version=v2", &lead).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a refused version cannot be asked for");
    let metrics = client().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(metric(&metrics, "leadscore_model_files_refused_total"), 1.0);
    assert_eq!(metric(&metrics, "leadscore_reloads_total{outcome=\"failure\"}"), 1.0);
    // Refused once per distinct content: reloading again, or rewriting the same bytes, counts nothing new.
    post_raw(&server, "/v1/admin/reload", None, Vec::new()).await;
    put_version(&models, "v2", &flipped(&good), true);
    let (_, report) = post_raw(&server, "/v1/admin/reload", None, Vec::new()).await;
    assert!(report.contains("checksum mismatch"), "still listed as refused: {report}");
    let metrics = client().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(metric(&metrics, "leadscore_model_files_refused_total"), 1.0, "{metrics}");
    assert_eq!(metric(&metrics, "leadscore_model_files_refused"), 1.0, "{metrics}");

    // The serving v1 file itself truncated: still refused, the loaded v1 keeps serving.
    let (v1, _) = crate::util::shipped_model();
    put_version(&models, "v1", &v1[..v1.len() - 100], false);
    let (_, report) = post_raw(&server, "/v1/admin/reload", None, Vec::new()).await;
    assert!(report.contains("truncated"), "{report}");
    let (status, after) = score(&server, "", &lead).await;
    assert_eq!((status, after["model"]["version"].as_str()), (StatusCode::OK, Some("v1")));
    assert_eq!(after["scores"][0]["probability"].as_f64().unwrap(), p1);

    // Repaired files: v2 serves, with its own probabilities, and nothing is refused.
    put_version(&models, "v1", &v1, false);
    put_version(&models, "v2", &good, true);
    let (_, report) = post_raw(&server, "/v1/admin/reload", None, Vec::new()).await;
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!((report["changed"].as_bool(), report["model"]["version"].as_str()), (Some(true), Some("v2")));
    let (current, refused) = served(&server).await;
    assert_eq!((current.as_str(), refused), ("v2", json!([])));
    let (_, after) = score(&server, "", &lead).await;
    assert_eq!(after["model"]["version"], "v2");
    assert!(after["scores"][0]["probability"].as_f64().unwrap() > p1);
    let (status, old) = score(&server, "?version=v1", &lead).await;
    assert_eq!(status, StatusCode::OK, "older versions stay addressable");
    assert_eq!(old["scores"][0]["probability"].as_f64().unwrap(), p1);
    let metrics = client().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("leadscore_model_info{name=\"leads\",version=\"v2\",checksum=")
            && l.ends_with("default=\"true\"} 1")),
        "{metrics}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_change_in_the_registry_is_picked_up_by_the_watcher() {
    let (_dir, models) = scratch_registry();
    let config =
        leadscore_server::ServeConfig { watch_interval: std::time::Duration::from_millis(20), ..serve_config(&models) };
    let server = TestServer::start(config).await;
    put_version(&models, "v2", &shifted_model(0.5).0, true);
    poll_until(10, "the watcher to serve v2", || async { (served(&server).await.0 == "v2").then_some(()) }).await;
    let model = server.state.models().get(None, None).unwrap();
    assert_eq!((model.version.as_str(), model.artifact.model.intercept), ("v2", shifted_model(0.5).1.model.intercept));
    // A corrupt v3 is refused and shown; v2 keeps serving.
    put_version(&models, "v3", &flipped(&shifted_model(0.7).0), true);
    let refused = poll_until(10, "the watcher to refuse v3", || async {
        let (_, refused) = served(&server).await;
        (refused.as_array().is_some_and(|r| !r.is_empty())).then_some(refused)
    })
    .await;
    assert_eq!(refused[0]["version"], "v3");
    assert_eq!(served(&server).await.0, "v2");
    // CURRENT moved back to v1.
    leadscore_registry::write_atomic(&models.join("leads/CURRENT"), b"v1\n").unwrap();
    poll_until(10, "the watcher to serve v1 again", || async { (served(&server).await.0 == "v1").then_some(()) }).await;
    // A burst of publications, some landing while a reload runs: the last one is served.
    for k in 4u32..34 {
        put_version(&models, &format!("v{k}"), &shifted_model(0.01 * f64::from(k)).0, true);
        tokio::time::sleep(std::time::Duration::from_millis(7 * u64::from(k % 5))).await;
    }
    poll_until(10, "the watcher to serve the last of a burst", || async {
        (served(&server).await.0 == "v33").then_some(())
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_cli_and_library_give_identical_probabilities() {
    let (dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    // 300 leads as exported, and the same leads with every number given 15 decimals: JSON
    // numbers and CSV text must read to the same f64. Every 50th of the second 300 has an
    // industry the model never saw.
    let (csv, _) = sample_leads(300);
    let mut fractional = csv.clone();
    for (k, row) in csv.lines().skip(1).enumerate() {
        let cells: Vec<String> = row
            .split(',')
            .enumerate()
            .map(|(i, c)| match c.parse::<u64>() {
                Ok(_) if (8..=13).contains(&i) || i == 16 => format!("{c}.{:015}", 123_456_789_012_345u64 + k as u64),
                _ if i == 4 && k % 50 == 0 => "Aerospace".to_owned(),
                _ => c.to_owned(),
            })
            .collect();
        fractional.push_str(&cells.join(","));
        fractional.push('\n');
    }
    let csv = fractional;
    let leads = crate::util::json_leads(&csv);
    let (_, artifact) = crate::util::shipped_model();

    // The library, on the CSV cells as text.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let library: Vec<f64> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            artifact
                .score(|name| {
                    header.iter().position(|h| h == name).map_or(leadscore_core::value::RawValue::Missing, |i| {
                        leadscore_core::value::RawValue::Text(&r[i])
                    })
                })
                .unwrap()
                .probability
        })
        .collect();

    // The CLI.
    let input = dir.path().join("leads.csv");
    std::fs::write(&input, &csv).unwrap();
    let out = crate::util::run(&[
        "score",
        "--model",
        crate::util::s(&models.join("leads")),
        "--data",
        crate::util::s(&input),
    ])
    .ok();
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let col = reader.headers().unwrap().iter().position(|h| h == "probability").unwrap();
    let notes = reader.headers().unwrap().iter().position(|h| h == "notes").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let cli: Vec<f64> = rows.iter().map(|r| r[col].parse().unwrap()).collect();
    let cli_notes: Vec<&str> = rows.iter().map(|r| &r[notes]).collect();

    // HTTP, JSON (typed values) and CSV.
    let (status, body) = score(&server, "", &json!({"leads": leads})).await;
    assert_eq!(status, StatusCode::OK);
    let http: Vec<f64> =
        body["scores"].as_array().unwrap().iter().map(|s| s["probability"].as_f64().unwrap()).collect();
    let (status, out) = post_raw(&server, "/v1/score", Some("text/csv"), csv.clone().into_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let warnings = reader.headers().unwrap().iter().position(|h| h == "notes").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let http_csv: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    // The same notes, in the same words, from the CLI and the server.
    let http_warnings: Vec<&str> = rows.iter().map(|r| &r[warnings]).collect();
    assert_eq!(http_warnings, cli_notes);
    assert!(cli_notes.iter().any(|n| n.contains("is missing")), "the sample has missing fields");
    assert_eq!(cli_notes.iter().filter(|n| n.contains("`industry` has a level not seen in training")).count(), 6);

    assert_eq!(library.len(), 600);
    for (i, p) in library.iter().enumerate() {
        assert_eq!((cli[i], http[i], http_csv[i]), (*p, *p, *p), "lead {i} scores differently");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_leads_as_crms_send_them_are_read_as_csv_cells() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    let csv: String = std::fs::read_to_string(crate::util::root().join("data/leads.csv"))
        .unwrap()
        .lines()
        .take(51)
        .map(|l| format!("{l}\n"))
        .collect();
    let typed = crate::util::json_leads(&csv);
    // HubSpot's way: every property a string, exactly as in the CSV (a row copied from data/leads.csv).
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let names: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let strings: Vec<Value> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let mut lead = serde_json::Map::new();
            for (name, cell) in names.iter().zip(r.iter()) {
                if !["created_at", "outcome"].contains(&name.as_str()) {
                    lead.insert(if name == "lead_id" { "id".into() } else { name.clone() }, json!(cell));
                }
            }
            Value::Object(lead)
        })
        .collect();
    let probabilities = |v: &Value| -> Vec<f64> {
        v["scores"].as_array().unwrap().iter().map(|s| s["probability"].as_f64().unwrap()).collect()
    };
    let (status, from_types) = score(&server, "", &json!({"leads": typed})).await;
    assert_eq!(status, StatusCode::OK, "{from_types}");
    let (status, from_strings) = score(&server, "", &json!({"leads": strings})).await;
    assert_eq!(status, StatusCode::OK, "a row copied from data/leads.csv as strings: {from_strings}");
    assert_eq!(probabilities(&from_strings), probabilities(&from_types));

    // Spaces, exponents and missing tokens as in a CSV cell; flags as yes/no, 1/0, true.
    let mut base = typed[0].clone();
    base["page_views"] = json!(1000);
    base["demo_requested"] = json!(true);
    let mut variant = base.clone();
    variant["page_views"] = json!(" 1e3 ");
    variant["demo_requested"] = json!("yes");
    let body = json!({"leads": [base, variant]});
    let (status, a) = score(&server, "", &body).await;
    assert_eq!(status, StatusCode::OK, "{a} for {body}");
    let p = probabilities(&a);
    assert_eq!(p[0], p[1], "{a}");
    let mut missing = typed[0].clone();
    missing["page_views"] = json!("NA");
    let mut absent = typed[0].clone();
    absent["page_views"] = Value::Null;
    let (status, b) = score(&server, "", &json!({"leads": [missing, absent]})).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let p = probabilities(&b);
    assert_eq!(p[0], p[1], "a missing token reads as null: {b}");

    // A string that is no number is named, not quoted.
    let mut bad = typed[0].clone();
    bad["page_views"] = json!("fifteen");
    let (status, problem) = score(&server, "", &json!({"leads": [bad]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "page_views");
    assert!(!problem.to_string().contains("fifteen"), "{problem}");

    // Strict mode insists on JSON types.
    let (status, problem) = score(&server, "?strict=true", &json!({"leads": [strings[0].clone()]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors = problem["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(
            |e| e["field"] == "page_views" && e["reason"].as_str().unwrap().contains("a JSON number (strict mode)")
        ),
        "{problem}"
    );

    // Far outside what training saw: a warning naming the field and the range; a 422 in strict mode.
    let mut far = typed[0].clone();
    far["days_since_last_activity"] = json!(-1e308);
    let (status, answer) = score(&server, "", &json!({"leads": [far.clone()]})).await;
    assert_eq!(status, StatusCode::OK);
    let warnings = answer["scores"][0]["warnings"].to_string();
    assert!(warnings.contains("`days_since_last_activity` is far outside the training range ["), "{warnings}");
    let (status, problem) = score(&server, "?strict=true", &json!({"leads": [far]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "days_since_last_activity", "{problem}");
    server.stop().await;
}
