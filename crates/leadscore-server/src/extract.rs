//! The preamble every route shares, as extractors (axum's error-handling
//! example): the query string read into a typed struct (a 400 naming the
//! parameter), the model it selects from the request's snapshot (404 or 503),
//! the media type (415), and a JSON body read within the size limit and
//! parsed with errors that say where and what shape was expected (400).
//! Routes start from what these give them and decide nothing of this again.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::{ScoreRequest, ThresholdRequest};
use crate::error::ApiError;
use crate::lead::{parse_leads, Fields, Leads, LeadsSeed};
use crate::state::{AppState, LoadedModel};

/// Query parameters that name a model and a version.
pub trait NamesModel {
    /// The model asked for (`None`: the server's default model).
    fn model(&self) -> Option<&str>;
    /// The version asked for (`None`: the model's `CURRENT`).
    fn version(&self) -> Option<&str>;
}

/// `?model=&version=`, for routes that take nothing else.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelQuery {
    /// Model name (default: the server's default model).
    pub model: Option<String>,
    /// Version folder, e.g. `v2` (default: the model's `CURRENT`).
    pub version: Option<String>,
}

impl NamesModel for ModelQuery {
    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl NamesModel for std::collections::BTreeMap<String, String> {
    fn model(&self) -> Option<&str> {
        self.get("model").map(String::as_str)
    }
    fn version(&self) -> Option<&str> {
        self.get("version").map(String::as_str)
    }
}

/// The request's query as `Q` and the model it names, taken from one snapshot:
/// the request finishes on this model whatever reloads happen meanwhile.
pub struct Selected<Q> {
    /// The query parameters.
    pub query: Q,
    /// The model version that answers.
    pub model: Arc<LoadedModel>,
}

impl<Q> FromRequestParts<AppState> for Selected<Q>
where
    Q: DeserializeOwned + NamesModel + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Query(query) = Query::<Q>::try_from_uri(&parts.uri).map_err(|e| ApiError::BadQuery(e.body_text()))?;
        let model = state.select(query.model(), query.version())?;
        Ok(Selected { query, model })
    }
}

/// The body formats the scoring routes read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
}

impl Media {
    /// The media type of `headers` (`application/json` from `Application/JSON; charset=utf-8`).
    pub fn of(headers: &HeaderMap) -> Result<Media, ApiError> {
        let media = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json" => Ok(Media::Json),
            "text/csv" => Ok(Media::Csv),
            _ => Err(ApiError::UnsupportedMediaType(media)),
        }
    }

    /// `Ok` for JSON, a 415 naming the type otherwise (routes that read JSON only).
    pub fn json_only(self) -> Result<(), ApiError> {
        match self {
            Media::Json => Ok(()),
            Media::Csv => Err(ApiError::UnsupportedMediaType("text/csv".into())),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Media {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Media::of(&parts.headers)
    }
}

/// A JSON request body: what its data errors should say was expected (serde's own
/// message quotes the offending value, which may be lead data).
pub trait JsonBody {
    /// The expected shape, in words, e.g. "an object with `leads` (an array of objects)".
    const SHAPE: &'static str;
}

/// The whole body, up to `max` bytes (413 above). A declared length over `max` is refused
/// before a byte is read, and the buffer is sized once from it: a body costs its size, not
/// the chunks it arrived in plus their concatenation.
pub async fn read_body(body: Body, max: usize) -> Result<Bytes, ApiError> {
    use axum::body::HttpBody as _;
    use futures_util::StreamExt;
    let hint = body.size_hint();
    if hint.lower() > max as u64 {
        return Err(ApiError::BodyTooLarge { max });
    }
    let mut stream = body.into_data_stream();
    let Some(first) = stream.next().await.transpose().map_err(|_| broken_body())? else {
        return Ok(Bytes::new());
    };
    if first.len() > max {
        return Err(ApiError::BodyTooLarge { max });
    }
    let Some(second) = stream.next().await.transpose().map_err(|_| broken_body())? else {
        return Ok(first); // one chunk: no copy at all
    };
    let expected = usize::try_from(hint.lower()).unwrap_or(max).min(max);
    let mut buf = Vec::with_capacity(expected.max(first.len() + second.len()));
    buf.extend_from_slice(&first);
    drop(first);
    let mut chunk = Some(second);
    while let Some(data) = chunk {
        if buf.len() + data.len() > max {
            return Err(ApiError::BodyTooLarge { max });
        }
        buf.extend_from_slice(&data);
        chunk = stream.next().await.transpose().map_err(|_| broken_body())?;
    }
    Ok(Bytes::from(buf))
}

/// A body stream that failed: the client went away or broke the framing.
fn broken_body() -> ApiError {
    ApiError::BadRequest("the request body could not be read to its end".into())
}

/// Parses a JSON body: syntax errors with line and column (400 `bad_json`), shape
/// errors with the position and [`JsonBody::SHAPE`] (400 `bad_request`).
pub fn parse_json<'de, T: JsonBody + Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| json_error::<T>(&e, (1, 1)))
}

/// The error of a JSON body that did not parse as `T`; `at` is the line and column where
/// the text that was parsed starts in the body (`(1, 1)` for the whole body).
pub fn json_error<T: JsonBody>(e: &serde_json::Error, at: (usize, usize)) -> ApiError {
    use serde_json::error::Category;
    let (line, column) = match e.line() {
        1 => (at.0, at.1 + e.column().saturating_sub(1)),
        line => (at.0 + line - 1, e.column()),
    };
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::BadJson {
            line,
            column,
            message: e.to_string().split(" at line").next().unwrap_or_default().to_owned(),
        },
        Category::Data => ApiError::BadRequest(format!(
            "the body does not have the expected shape (line {line}, column {column}): {}",
            T::SHAPE
        )),
    }
}

/// Reads the `leads` of a request body `T` (the JSON text `leads`, borrowed from `body`)
/// against a model's fields within `max` leads (see [`parse_leads`]): 413 past the limit,
/// 422 for none, and shape errors placed in the body.
pub fn read_leads<'a, T: JsonBody>(
    body: &[u8],
    leads: &'a RawValue,
    fields: &Fields,
    keep: Option<&str>,
    max: usize,
) -> Result<Leads<'a>, ApiError> {
    let text = leads.get();
    let parsed =
        parse_leads(text, fields, keep, max).map_err(|e| json_error::<T>(&e, position(body, text.as_bytes())))?;
    within(parsed.count, max)?;
    Ok(parsed)
}

/// A request's leads, `count` of them, against `--max-leads`: 422 for none, 413 past the limit.
fn within(count: usize, max: usize) -> Result<(), ApiError> {
    match count {
        0 => Err(ApiError::EmptyLeads { max }),
        n if n > max => Err(ApiError::TooManyLeads { n, max }),
        _ => Ok(()),
    }
}

/// `POST /v1/score`'s body ([`ScoreRequest`]) as [`read_score_body`] reads it.
#[derive(Debug)]
pub struct ScoreBody<'de> {
    /// The leads, read against the model's fields.
    pub leads: Leads<'de>,
    /// `explain`, as sent.
    pub explain: Option<usize>,
    /// `threshold`, as sent.
    pub threshold: Option<ThresholdRequest>,
}

/// Reads `POST /v1/score`'s body in one pass: its `leads` are read against `fields` where they
/// stand (see [`parse_leads`]), within `max` leads, with [`read_leads`]' errors. Parsing the
/// body with the leads kept as text, and then that text, scanned every lead twice: the first
/// scan was 5,500 of a single-lead request's 62,400 instructions (callgrind).
pub fn read_score_body<'de>(body: &'de [u8], fields: &Fields, max: usize) -> Result<ScoreBody<'de>, ApiError> {
    use serde::de::{DeserializeSeed, Error, MapAccess, Visitor};

    /// `ScoreRequest`'s keys; any other is refused, as its `deny_unknown_fields` does.
    #[derive(Deserialize)]
    #[serde(field_identifier, rename_all = "lowercase")]
    enum Key {
        Leads,
        Explain,
        Threshold,
    }

    struct Seed<'f> {
        fields: &'f Fields,
        max: usize,
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = ScoreBody<'de>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(ScoreRequest::SHAPE)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScoreBody<'de>, A::Error> {
            let (mut leads, mut explain, mut threshold) = (None, None, None);
            while let Some(key) = map.next_key::<Key>()? {
                match key {
                    Key::Leads if leads.is_some() => return Err(A::Error::duplicate_field("leads")),
                    Key::Leads => {
                        leads =
                            Some(map.next_value_seed(LeadsSeed { fields: self.fields, keep: None, max: self.max })?);
                    }
                    Key::Explain if explain.is_some() => return Err(A::Error::duplicate_field("explain")),
                    Key::Explain => explain = Some(map.next_value::<Option<usize>>()?),
                    Key::Threshold if threshold.is_some() => return Err(A::Error::duplicate_field("threshold")),
                    Key::Threshold => threshold = Some(map.next_value::<Option<ThresholdRequest>>()?),
                }
            }
            let leads = leads.ok_or_else(|| A::Error::missing_field("leads"))?;
            Ok(ScoreBody { leads, explain: explain.flatten(), threshold: threshold.flatten() })
        }
    }

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = ScoreBody<'de>;

        fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<ScoreBody<'de>, D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    // Checked once here, so that serde_json reads the body as text and does not check each
    // string it borrows again (2,500 instructions of a single-lead request).
    let text = std::str::from_utf8(body).map_err(|e| {
        let (line, column) = position(body, &body[e.valid_up_to()..]);
        ApiError::BadJson { line, column, message: "invalid UTF-8".into() }
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = Seed { fields, max }
        .deserialize(&mut de)
        .and_then(|parsed| de.end().map(|()| parsed))
        .map_err(|e| json_error::<ScoreRequest>(&e, (1, 1)))?;
    within(parsed.leads.count, max)?;
    Ok(parsed)
}

/// The line and column where `part` (a slice of `body`) starts.
fn position(body: &[u8], part: &[u8]) -> (usize, usize) {
    let offset = (part.as_ptr() as usize).checked_sub(body.as_ptr() as usize).filter(|&o| o <= body.len());
    let Some(before) = offset.map(|o| &body[..o]) else { return (1, 1) };
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
    (line, column)
}
