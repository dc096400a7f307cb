//! A Plati emulator (PROTOCOLS.md §4): token-checked REST and SSE token streaming with
//! configurable rate and chunking, and faults (cut mid-answer, revoked tokens) for tests.
//!
//! `/plati` wants `Authorization: Bearer <token>` (a token from `POST /plati-host/token`, or the
//! development key `dev-key`); `/plati-proxy` plays the host's own proxy and wants none.

use crate::App;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const DEV_KEY: &str = "dev-key";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamConfig {
    /// Pause between writes, in ms (0: as fast as the server can).
    pub delay_ms: u64,
    /// `token` (one token per write), `many` (ten per write) or `split` (writes cut mid-character).
    pub chunking: String,
    /// Drop the connection after this many tokens, without `complete`.
    pub cut_after: Option<usize>,
    /// Answer with this many tokens instead of the scripted reply.
    pub tokens: Option<usize>,
    /// Send `error` instead of `complete`.
    pub error: Option<String>,
    /// Go quiet this long before the last event (`complete` or `error`), sent on its own.
    pub stall_ms: Option<u64>,
    /// `complete` carries this instead of the tokens joined (a vendor's cleaned-up text).
    pub complete_text: Option<String>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            delay_ms: 15,
            chunking: "token".into(),
            cut_after: None,
            tokens: None,
            error: None,
            stall_ms: None,
            complete_text: None,
        }
    }
}

#[derive(Clone, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Value,
    pub authorization: Option<String>,
    pub body: Option<Value>,
}

#[derive(Default)]
pub struct Emulator {
    next: AtomicU64,
    tokens: Mutex<HashSet<String>>,
    config: Mutex<StreamConfig>,
    requests: Mutex<Vec<RequestRecord>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Emulator {
    fn authorized(&self, headers: &HeaderMap, proxy: bool) -> bool {
        if proxy {
            return true;
        }
        let Some(token) = bearer(headers) else {
            return false;
        };
        token == DEV_KEY || lock(&self.tokens).contains(&token)
    }

    fn record(
        &self,
        method: &str,
        path: String,
        query: Value,
        headers: &HeaderMap,
        body: Option<Value>,
    ) {
        lock(&self.requests).push(RequestRecord {
            method: method.into(),
            path,
            query,
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            body,
        });
    }

    pub fn clear(&self) {
        self.next.store(0, Ordering::Relaxed);
        lock(&self.requests).clear();
        lock(&self.tokens).clear();
        *lock(&self.config) = StreamConfig::default();
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

pub fn routes(proxy: bool) -> Router<App> {
    Router::new()
        .route(
            "/conversation/{identity}/streaming",
            get(
                move |s: State<App>, p: Path<String>, q: Query<StreamQuery>, h: HeaderMap| {
                    stream(s, p, q, h, proxy)
                },
            ),
        )
        .route(
            "/conversation/{identity}/chat/{channel}",
            post(
                move |s: State<App>, p: Path<(String, String)>, h: HeaderMap, b: String| {
                    chat(s, p, h, b, proxy)
                },
            ),
        )
        .route(
            "/identity/{identity}",
            put(
                move |s: State<App>, p: Path<String>, h: HeaderMap, b: String| {
                    identity(s, p, h, b, proxy)
                },
            ),
        )
}

pub fn host_routes() -> Router<App> {
    Router::new().route("/token", post(token).get(token))
}

pub fn control_routes() -> Router<App> {
    Router::new()
        .route("/config", post(set_config))
        .route("/revoke", post(revoke))
        .route("/requests", get(requests))
        .route("/clear", post(clear))
}

async fn token(State(app): State<App>, headers: HeaderMap) -> Json<Value> {
    let n = app.plati.next.fetch_add(1, Ordering::Relaxed) + 1;
    let token = format!("tok-{n}");
    lock(&app.plati.tokens).insert(token.clone());
    app.plati.record(
        "POST",
        "/plati-host/token".into(),
        Value::Null,
        &headers,
        None,
    );
    Json(json!({ "access_token": token, "expires_in": 3600 }))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"message": "Unauthorized"})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct StreamQuery {
    channel_id: Option<String>,
    message: Option<String>,
}

async fn stream(
    State(app): State<App>,
    Path(identity): Path<String>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
    proxy: bool,
) -> Response {
    let emu = &app.plati;
    emu.record(
        "GET",
        format!("/conversation/{identity}/streaming"),
        json!({"channel_id": q.channel_id, "message": q.message}),
        &headers,
        None,
    );
    if !emu.authorized(&headers, proxy) {
        return unauthorized();
    }
    let (Some(channel), Some(message)) = (q.channel_id, q.message) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "channel_id and message are required"})),
        )
            .into_response();
    };
    if channel == "missing" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Channel not found"})),
        )
            .into_response();
    }
    let config = lock(&emu.config).clone();
    let reply = match config.tokens {
        Some(n) => (0..n).map(|i| format!("t{i} ")).collect::<String>(),
        None => crate::plura::scripted_reply(&message),
    };
    let tokens: Vec<String> = match config.tokens {
        Some(_) => reply.split_inclusive(' ').map(str::to_string).collect(),
        None => split_tokens(&reply),
    };
    let mut events: Vec<String> = tokens
        .iter()
        .map(|t| format!("data: {}\n\n", json!({"type": "token", "content": t})))
        .collect();
    let cut = config.cut_after.map(|n| n.min(events.len()));
    if let Some(n) = cut {
        events.truncate(n);
    } else if let Some(err) = &config.error {
        events.push(format!(
            "data: {}\n\n",
            json!({"type": "error", "content": err})
        ));
    } else {
        events.insert(0, ": stream open\n\n".into());
        events.push(format!(
            "data: {}\n\n",
            json!({"type": "complete", "content": config.complete_text.as_deref().unwrap_or(&reply)})
        ));
    }
    // With a stall, the last event is held back and written alone after it.
    let held = match (config.stall_ms, cut) {
        (Some(_), None) => events.pop(),
        _ => None,
    };
    let mut writes: Vec<Vec<u8>> = match config.chunking.as_str() {
        "many" => events.chunks(10).map(|c| c.concat().into_bytes()).collect(),
        "split" => {
            // Cut every write in two, inside a character where there is one.
            let all = events.concat().into_bytes();
            all.chunks(7).map(<[u8]>::to_vec).collect()
        }
        _ => events.into_iter().map(String::into_bytes).collect(),
    };
    let stall_at = held.map(|last| {
        writes.push(last.into_bytes());
        writes.len() - 1
    });
    let stall = Duration::from_millis(config.stall_ms.unwrap_or(0));
    let delay = Duration::from_millis(config.delay_ms);
    let cut_at_end = cut.is_some();
    let body = futures_util::stream::unfold(
        (writes.into_iter().enumerate(), false),
        move |(mut it, done)| async move {
            if done {
                return None;
            }
            match it.next() {
                Some((i, w)) => {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    if Some(i) == stall_at {
                        tokio::time::sleep(stall).await;
                    }
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(w)), (it, false)))
                }
                // An error ends the body without its terminating chunk: the client sees a cut.
                None if cut_at_end => {
                    // Let the last write reach the client before the connection is torn down.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((Err(std::io::Error::other("cut by the test")), (it, true)))
                }
                None => None,
            }
        },
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Splits a reply into word-ish tokens that keep their spaces, like a model's output.
fn split_tokens(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_string).collect()
}

async fn chat(
    State(app): State<App>,
    Path((identity, channel)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
    proxy: bool,
) -> Response {
    let emu = &app.plati;
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    emu.record(
        "POST",
        format!("/conversation/{identity}/chat/{channel}"),
        Value::Null,
        &headers,
        parsed.clone(),
    );
    if !emu.authorized(&headers, proxy) {
        return unauthorized();
    }
    if channel == "missing" {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Channel not found"})),
        )
            .into_response();
    }
    let Some(text) = parsed
        .as_ref()
        .and_then(|v| v.get("text"))
        .and_then(Value::as_str)
    else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "text is required"})),
        )
            .into_response();
    };
    Json(json!({"message": "Message sent", "data": {"response": crate::plura::scripted_reply(text)}})).into_response()
}

async fn identity(
    State(app): State<App>,
    Path(identity): Path<String>,
    headers: HeaderMap,
    body: String,
    proxy: bool,
) -> Response {
    let emu = &app.plati;
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    emu.record(
        "PUT",
        format!("/identity/{identity}"),
        Value::Null,
        &headers,
        parsed.clone(),
    );
    if !emu.authorized(&headers, proxy) {
        return unauthorized();
    }
    Json(json!({"message": "Identity saved", "data": parsed})).into_response()
}

async fn set_config(
    State(app): State<App>,
    Json(config): Json<StreamConfig>,
) -> Json<StreamConfig> {
    *lock(&app.plati.config) = config.clone();
    Json(config)
}

async fn revoke(State(app): State<App>) -> StatusCode {
    lock(&app.plati.tokens).clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(app): State<App>) -> Json<Vec<RequestRecord>> {
    Json(lock(&app.plati.requests).clone())
}

async fn clear(State(app): State<App>) -> StatusCode {
    app.plati.clear();
    StatusCode::NO_CONTENT
}
