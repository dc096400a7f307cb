//! A fault layer for the emulators' sockets, switched by tests per connection.
//!
//! `POST /control/faults {"provider": "plura"|"poly"|"iraa", "plan": {...}, "connections": n}`
//! arms a plan for the next `n` connections (default 1) to that emulator; each connection takes
//! its plan when it opens and wraps its socket's sending half in [`Faulty`]. What a plan does to
//! the frames the server sends:
//! - `delay_ms`: every frame waits this long first;
//! - `duplicate`: every frame is sent twice;
//! - `reorder`: frames go out in swapped pairs (the first of each pair waits for the second);
//! - `silent_after`: after this many frames nothing more is sent, while the connection stays
//!   open and keeps reading (a half-open link);
//! - `inject` (after `inject_after` frames): bad frames the client must survive, by name:
//!   `malformed` (not JSON), `unknown` (an unknown type), `missing` (a known type without its
//!   fields), `binary`, `huge` (a 1 MB frame), `flood` (10 000 unknown-type frames).
//!
//! `GET /control/faults/log` tells what the layer did, for the reliability figures.

use axum::extract::ws::Message;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::SinkExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::App;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Plan {
    pub delay_ms: u64,
    pub duplicate: bool,
    pub reorder: bool,
    pub silent_after: Option<usize>,
    pub inject: Vec<String>,
    pub inject_after: usize,
}

#[derive(Default)]
pub struct Faults {
    armed: Mutex<HashMap<String, VecDeque<Plan>>>,
    log: Mutex<Vec<Value>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Faults {
    /// The plan for a connection opening now (none when nothing is armed).
    pub fn take(&self, provider: &str) -> Plan {
        let plan = lock(&self.armed)
            .get_mut(provider)
            .and_then(VecDeque::pop_front)
            .unwrap_or_default();
        if !plan.is_empty() {
            lock(&self.log)
                .push(json!({"provider": provider, "event": "connection", "plan": plan}));
        }
        plan
    }

    fn note(&self, what: Value) {
        lock(&self.log).push(what);
    }

    pub fn clear(&self) {
        lock(&self.armed).clear();
        lock(&self.log).clear();
    }
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.delay_ms == 0
            && !self.duplicate
            && !self.reorder
            && self.silent_after.is_none()
            && self.inject.is_empty()
    }
}

/// The frames of an injection.
fn injected(kind: &str, template_type: &str) -> Vec<Message> {
    let text = |s: String| Message::Text(s.into());
    match kind {
        "malformed" => vec![text("{\"type\": \"message\", \"content\": ".into())],
        "unknown" => vec![text(
            json!({"type": "confab_test_unknown", "id": "x"}).to_string(),
        )],
        "missing" => vec![text(json!({"type": template_type}).to_string())],
        "binary" => vec![Message::Binary(vec![0u8, 159, 146, 150, 255].into())],
        "huge" => vec![text(
            json!({"type": "confab_test_huge", "pad": "x".repeat(1024 * 1024)}).to_string(),
        )],
        "flood" => (0..10_000)
            .map(|k| text(json!({"type": "confab_test_flood", "n": k}).to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The sending half of an emulator's socket, with a plan applied. Frames go through a task
/// of their own, so delays and held frames never block the emulator's loop.
pub struct Faulty {
    tx: tokio::sync::mpsc::UnboundedSender<Message>,
}

impl Faulty {
    /// `message_type` is the `type` an injected `missing` frame claims.
    pub fn new<S>(inner: S, plan: Plan, message_type: &'static str, faults: Arc<Faults>) -> Faulty
    where
        S: futures_util::Sink<Message, Error = axum::Error> + Unpin + Send + 'static,
    {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(pump(inner, rx, plan, message_type, faults));
        Faulty { tx }
    }

    pub async fn send(&mut self, message: Message) -> Result<(), axum::Error> {
        self.tx
            .send(message)
            .map_err(|_| axum::Error::new("the connection is gone"))
    }
}

/// How long a frame held back for reordering waits for a partner before going out alone.
const HOLD: Duration = Duration::from_millis(300);

async fn pump<S>(
    mut inner: S,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Message>,
    plan: Plan,
    message_type: &'static str,
    faults: Arc<Faults>,
) where
    S: futures_util::Sink<Message, Error = axum::Error> + Unpin,
{
    let mut sent = 0usize;
    let mut injected_done = plan.inject.is_empty();
    let mut held: Option<Message> = None;
    loop {
        let next = if held.is_some() {
            match tokio::time::timeout(HOLD, rx.recv()).await {
                Ok(m) => m,
                Err(_) => {
                    if let Some(first) = held.take() {
                        if inner.send(first).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
            }
        } else {
            rx.recv().await
        };
        let Some(message) = next else {
            if let Some(first) = held.take() {
                let _ = inner.send(first).await;
            }
            return;
        };
        if matches!(
            message,
            Message::Close(_) | Message::Ping(_) | Message::Pong(_)
        ) {
            if inner.send(message).await.is_err() {
                return;
            }
            continue;
        }
        if !injected_done && sent >= plan.inject_after {
            injected_done = true;
            for kind in &plan.inject {
                let frames = injected(kind, message_type);
                faults.note(json!({"event": "injected", "kind": kind, "frames": frames.len()}));
                for f in frames {
                    if inner.feed(f).await.is_err() {
                        return;
                    }
                }
            }
            if inner.flush().await.is_err() {
                return;
            }
        }
        if plan.silent_after.is_some_and(|limit| sent >= limit) {
            faults.note(json!({"event": "swallowed"}));
            continue;
        }
        sent += 1;
        if plan.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(plan.delay_ms)).await;
        }
        let out = if plan.reorder {
            match held.take() {
                None => {
                    held = Some(message);
                    continue;
                }
                Some(first) => {
                    faults.note(json!({"event": "reordered"}));
                    vec![message, first]
                }
            }
        } else {
            vec![message]
        };
        for m in out {
            if plan.duplicate {
                faults.note(json!({"event": "duplicated"}));
                if inner.send(m.clone()).await.is_err() {
                    return;
                }
            }
            if inner.send(m).await.is_err() {
                return;
            }
        }
    }
}

#[derive(Deserialize)]
struct Arm {
    provider: String,
    #[serde(default)]
    plan: Plan,
    #[serde(default = "one")]
    connections: usize,
}

fn one() -> usize {
    1
}

async fn arm(State(app): State<App>, Json(a): Json<Arm>) -> StatusCode {
    if !["plura", "poly", "iraa"].contains(&a.provider.as_str()) {
        return StatusCode::BAD_REQUEST;
    }
    let mut armed = lock(&app.faults.armed);
    let queue = armed.entry(a.provider).or_default();
    for _ in 0..a.connections.min(100) {
        queue.push_back(a.plan.clone());
    }
    StatusCode::NO_CONTENT
}

async fn log(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.faults.log).clone())
}

async fn clear(State(app): State<App>) -> StatusCode {
    app.faults.clear();
    StatusCode::NO_CONTENT
}

pub fn control_routes() -> Router<App> {
    Router::new()
        .route("/", post(arm))
        .route("/log", get(log))
        .route("/clear", post(clear))
}
