//! A PolyAI messaging emulator (PROTOCOLS.md §3): access tokens, sessions with a sequenced
//! journal replayed from any cursor (`n` or `seq:n`), streamed answers as chunks, a scripted
//! handoff to a live agent, the 128 KB and 10-connection limits, and fault controls under
//! `/control/poly` (drop mid-stream, replay with overlap, duplicate events, close with a code,
//! refuse handshakes).

use crate::App;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

const MAX_MESSAGE_BYTES: usize = 128 * 1024;
const MAX_CONNECTIONS: usize = 10;
const CHUNK_DELAY: Duration = Duration::from_millis(60);

/// A journaled event: its sequence and the frame text, serialized once (a long history is
/// replayed by joining texts, which stays quick even in a debug build).
struct Journaled {
    seq: u64,
    text: String,
}

impl Journaled {
    fn new(event: &Value) -> Journaled {
        Journaled {
            seq: event["sequence"].as_u64().unwrap_or(0),
            text: event.to_string(),
        }
    }
}

struct Session {
    journal: Vec<Journaled>,
    next_seq: u64,
    tx: broadcast::Sender<Value>,
    live_agent: bool,
    connections: usize,
}

#[derive(Default, Clone, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Faults {
    /// Drop every socket of the session after this many chunks of the next streamed answer.
    pub drop_after_chunks: Option<usize>,
    /// Replay this many events before the client's cursor on the next connect.
    pub replay_overlap: Option<u64>,
    /// Send every live event twice.
    pub duplicate: bool,
}

#[derive(Default)]
pub struct Emulator {
    next: AtomicU64,
    tokens: Mutex<HashSet<String>>,
    sessions: Mutex<HashMap<String, Session>>,
    frames: Mutex<Vec<Value>>,
    connects: Mutex<Vec<Value>>,
    faults: Mutex<Faults>,
    refuse_until: Mutex<Option<Instant>>,
    closers: Mutex<HashMap<u64, (String, tokio::sync::mpsc::UnboundedSender<u16>)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Emulator {
    fn id(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{:08x}",
            self.next.fetch_add(1, Ordering::Relaxed) + 1
        )
    }

    /// Journals an event (`sequenced`) or not (transient), and sends it to live connections.
    fn publish(
        &self,
        session: &str,
        kind: &str,
        payload: Value,
        metadata: Option<Value>,
        sequenced: bool,
    ) {
        let id = self.id("ev");
        let mut sessions = lock(&self.sessions);
        let Some(s) = sessions.get_mut(session) else {
            return;
        };
        let seq = if sequenced {
            s.next_seq += 1;
            json!(s.next_seq)
        } else {
            Value::Null
        };
        let mut event = json!({
            "id": id, "sequence": seq, "timestamp": "2026-11-22T00:00:00Z",
            "type": format!("EVENT_TYPE_{kind}"), "payload": payload
        });
        if let Some(m) = metadata {
            event["metadata"] = m;
        }
        if sequenced {
            s.journal.push(Journaled::new(&event));
        }
        let _ = s.tx.send(event);
    }

    fn authorized(&self, token: &str) -> bool {
        lock(&self.tokens).contains(token) || token == "dev-access-token"
    }

    pub fn clear(&self) {
        lock(&self.sessions).clear();
        lock(&self.frames).clear();
        lock(&self.connects).clear();
        *lock(&self.faults) = Faults::default();
        *lock(&self.refuse_until) = None;
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/sessions", post(create_session))
        .route("/ws", get(socket))
}

pub fn host_routes() -> Router<App> {
    Router::new().route("/token", post(token).get(token))
}

pub fn control_routes() -> Router<App> {
    Router::new()
        .route("/faults", post(set_faults))
        .route("/close", post(close_with))
        .route("/refuse", post(refuse))
        .route("/frames", get(frames))
        .route("/connects", get(connects))
        .route("/journal", get(journal))
        .route("/history", post(history))
        .route("/clear", post(clear))
}

async fn token(State(app): State<App>) -> Json<Value> {
    let t = app.poly.id("tok");
    lock(&app.poly.tokens).insert(t.clone());
    Json(json!({"access_token": t, "expires_in": 3600, "token_type": "Bearer"}))
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string()
}

async fn create_session(State(app): State<App>, headers: HeaderMap) -> Response {
    let emu = &app.poly;
    if !emu.authorized(&bearer(&headers)) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "invalid or expired access token"})),
        )
            .into_response();
    }
    let id = emu.id("sess");
    let (tx, _) = broadcast::channel(4096);
    lock(&emu.sessions).insert(
        id.clone(),
        Session {
            journal: Vec::new(),
            next_seq: 0,
            tx,
            live_agent: false,
            connections: 0,
        },
    );
    emu.publish(
        &id,
        "SESSION_START",
        json!({"capabilities": {"streaming": true, "max_message_size_bytes": MAX_MESSAGE_BYTES,
               "max_reconnect_attempts": 8, "heartbeat_interval_seconds": 30}}),
        None,
        true,
    );
    Json(json!({"session_id": id})).into_response()
}

#[derive(Deserialize)]
struct WsQuery {
    session_id: Option<String>,
    access_token: Option<String>,
    cursor: Option<String>,
}

async fn socket(
    State(app): State<App>,
    Query(q): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let emu = app.poly.clone();
    let faults = app.faults.clone();
    lock(&emu.connects).push(json!({"session_id": q.session_id, "cursor": q.cursor}));
    if lock(&emu.refuse_until).is_some_and(|t| Instant::now() < t) {
        return (StatusCode::SERVICE_UNAVAILABLE, "refusing handshakes").into_response();
    }
    if !emu.authorized(q.access_token.as_deref().unwrap_or("")) {
        return (StatusCode::UNAUTHORIZED, "invalid access token").into_response();
    }
    let session = q.session_id.unwrap_or_default();
    // Both cursor forms are accepted: `n` and `seq:n`.
    let cursor = q
        .cursor
        .as_deref()
        .map(|c| c.strip_prefix("seq:").unwrap_or(c))
        .and_then(|c| c.parse::<u64>().ok())
        .unwrap_or(0);
    {
        let mut sessions = lock(&emu.sessions);
        if let Some(s) = sessions.get_mut(&session) {
            if s.connections >= MAX_CONNECTIONS {
                return (StatusCode::TOO_MANY_REQUESTS, "10 connections per session")
                    .into_response();
            }
            s.connections += 1;
        }
    }
    ws.on_upgrade(move |socket| async move {
        let plan = faults.take("poly");
        converse(emu.clone(), socket, (plan, faults), session.clone(), cursor).await;
        if let Some(s) = lock(&emu.sessions).get_mut(&session) {
            s.connections = s.connections.saturating_sub(1);
        }
    })
}

async fn converse(
    emu: Arc<Emulator>,
    socket: WebSocket,
    (plan, faults): (crate::faults::Plan, Arc<crate::faults::Faults>),
    session: String,
    cursor: u64,
) {
    let (tx, mut rx) = socket.split();
    let mut tx = crate::faults::Faulty::new(tx, plan, "EVENT_TYPE_POLY_AGENT_MESSAGE", faults);
    let overlap = lock(&emu.faults).replay_overlap.take().unwrap_or(0);
    let from = cursor.saturating_sub(overlap);
    let subscribed = lock(&emu.sessions).get(&session).map(|s| {
        let history: Vec<&str> = s
            .journal
            .iter()
            .filter(|e| e.seq > from)
            .map(|e| e.text.as_str())
            .collect();
        let last = s.journal.iter().map(|e| e.seq).filter(|&q| q > from).max();
        (s.tx.subscribe(), history.join(","), last)
    });
    let Some((mut live, history, last)) = subscribed else {
        // PROTOCOLS.md §3: an unknown session closes with 4001.
        let _ = tx
            .send(Message::Close(Some(CloseFrame {
                code: 4001,
                reason: "session unknown".into(),
            })))
            .await;
        return;
    };
    let mut last_sent = last.unwrap_or(cursor);
    let batch = format!(
        r#"{{"id":{},"sequence":null,"timestamp":"2026-11-22T00:00:00Z","type":"EVENT_TYPE_EVENT_BATCH","payload":{{"events":[{history}]}}}}"#,
        Value::from(emu.id("batch"))
    );
    if tx.send(Message::Text(batch.into())).await.is_err() {
        return;
    }
    let conn = emu.next.fetch_add(1, Ordering::Relaxed);
    let (close_tx, mut close_rx) = tokio::sync::mpsc::unbounded_channel::<u16>();
    lock(&emu.closers).insert(conn, (session.clone(), close_tx));
    loop {
        tokio::select! {
            incoming = rx.next() => {
                let Some(Ok(msg)) = incoming else { break };
                match msg {
                    Message::Text(t) => {
                        let text = t.as_str().to_string();
                        lock(&emu.frames).push(json!({"session": session, "raw": text}));
                        if text.len() > MAX_MESSAGE_BYTES {
                            emu.publish(&session, "SYSTEM_MESSAGE", json!({"level": "SYSTEM_MESSAGE_LEVEL_ERROR", "message": "Message too large"}), None, false);
                            continue;
                        }
                        on_client_event(&emu, &session, &text);
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            event = live.recv() => {
                let Ok(event) = event else { break };
                if let Some(seq) = event["sequence"].as_u64() {
                    if seq <= last_sent { continue; }
                    last_sent = seq;
                }
                let copies = if lock(&emu.faults).duplicate { 2 } else { 1 };
                for _ in 0..copies {
                    if tx.send(Message::Text(event.to_string().into())).await.is_err() { break; }
                }
            }
            code = close_rx.recv() => {
                match code {
                    // 1006 cannot be sent: an abrupt drop is simply ending the connection.
                    Some(1006) | None => {}
                    Some(code) => {
                        let _ = tx.send(Message::Close(Some(CloseFrame { code, reason: "closed by test".into() }))).await;
                    }
                }
                break;
            }
        }
    }
    lock(&emu.closers).remove(&conn);
}

fn on_client_event(emu: &Arc<Emulator>, session: &str, text: &str) {
    let Ok(event) = serde_json::from_str::<Value>(text) else {
        emu.publish(
            session,
            "SYSTEM_MESSAGE",
            json!({"level": "SYSTEM_MESSAGE_LEVEL_ERROR", "message": "Malformed JSON"}),
            None,
            false,
        );
        return;
    };
    let kind = event["type"].as_str().unwrap_or("");
    let metadata = event.get("metadata").cloned();
    match kind {
        "EVENT_TYPE_REQUEST_POLY_AGENT_JOIN" => {
            emu.publish(session, "REQUEST_POLY_AGENT_JOIN", json!({}), None, true);
            emu.publish(session, "POLY_AGENT_JOINED", json!({"agent_name": "Poly", "agent_avatar_url": "/avatar.svg"}), None, true);
            answer(emu.clone(), session.to_string(), "Hello! I'm Poly, the Acme assistant. How can I help?".into(), vec!["Opening hours", "Talk to a human"]);
        }
        "EVENT_TYPE_USER_MESSAGE" => {
            let said = event["payload"]["text"].as_str().unwrap_or("").to_string();
            let message_id = emu.id("msg");
            emu.publish(session, "USER_MESSAGE", json!({"text": said, "message_id": message_id}), metadata, true);
            let live = lock(&emu.sessions).get(session).is_some_and(|s| s.live_agent);
            if live {
                emu.publish(session, "LIVE_AGENT_TYPING", json!({"state": "TYPING_STATE_STARTED", "agent_id": "agent_42"}), None, false);
                emu.publish(session, "LIVE_AGENT_MESSAGE", json!({"message_id": emu.id("live"), "agent_id": "agent_42", "text": format!("Sarah here: you said \"{said}\"."), "attachments": [], "response_suggestions": []}), None, true);
            } else if said.to_lowercase().contains("human") {
                handoff(emu.clone(), session.to_string());
            } else if said.to_lowercase().contains("hours") {
                // A whole (non-streamed) message with a link card and an image card.
                emu.publish(session, "POLY_AGENT_MESSAGE", json!({
                    "message_id": emu.id("msg"),
                    "text": "We're open 9 to 5, Monday to Friday.",
                    "attachments": [
                        {"title": "Our locations", "preview_image_url": "/avatar.svg", "content_url": "https://example.com/locations",
                         "content_type": "ATTACHMENT_CONTENT_TYPE_URL", "call_to_action_text": "View locations"},
                        {"title": "Unsafe", "content_url": "javascript:alert(1)", "content_type": "ATTACHMENT_CONTENT_TYPE_URL"}
                    ],
                    "response_suggestions": [{"message_text": "Talk to a human"}]
                }), None, true);
            } else {
                answer(emu.clone(), session.to_string(), crate::plura::scripted_reply(&said), vec![]);
            }
        }
        "EVENT_TYPE_HEARTBEAT" => emu.publish(session, "HEARTBEAT", json!({}), None, false),
        "EVENT_TYPE_USER_TYPING" => {}
        "EVENT_TYPE_USER_END_SESSION" => {
            emu.publish(session, "USER_END_SESSION", json!({}), None, true);
            emu.publish(session, "SESSION_END", json!({"reason": "REASON_USER_END"}), None, true);
        }
        other => emu.publish(
            session,
            "SYSTEM_MESSAGE",
            json!({"level": "SYSTEM_MESSAGE_LEVEL_ERROR", "message": format!("Event type not allowed: {other}")}),
            None,
            false,
        ),
    }
}

/// Streams `text` as chunks (a few words each); the journal gets every chunk even when the
/// sockets drop, so a resume completes the answer.
fn answer(emu: Arc<Emulator>, session: String, text: String, suggestions: Vec<&'static str>) {
    tokio::spawn(async move {
        emu.publish(&session, "POLY_AGENT_THINKING", json!({}), None, false);
        let message_id = emu.id("msg");
        let words: Vec<&str> = text.split_inclusive(' ').collect();
        let pieces: Vec<String> = words.chunks(2).map(|c| c.concat()).collect();
        let drop_after = lock(&emu.faults).drop_after_chunks.take();
        for (i, piece) in pieces.iter().enumerate() {
            tokio::time::sleep(CHUNK_DELAY).await;
            let last = i + 1 == pieces.len();
            let chips: Vec<Value> = if last {
                suggestions
                    .iter()
                    .map(|s| json!({"message_text": s}))
                    .collect()
            } else {
                vec![]
            };
            emu.publish(&session, "POLY_AGENT_MESSAGE_CHUNK", json!({
                "message_id": message_id, "text": piece, "attachments": [], "response_suggestions": chips,
                "chunk_index": i + 1, "is_complete": last
            }), None, true);
            if drop_after == Some(i + 1) {
                for (s, closer) in lock(&emu.closers).values() {
                    if *s == session {
                        let _ = closer.send(1006);
                    }
                }
            }
        }
    });
}

fn handoff(emu: Arc<Emulator>, session: String) {
    tokio::spawn(async move {
        let step = || tokio::time::sleep(Duration::from_millis(250));
        emu.publish(
            &session,
            "POLY_AGENT_TRIGGERED_HANDOFF",
            json!({}),
            None,
            true,
        );
        emu.publish(&session, "POLY_AGENT_LEFT", json!({}), None, true);
        step().await;
        emu.publish(&session, "HANDOFF_ACCEPTED", json!({}), None, true);
        emu.publish(
            &session,
            "HANDOFF_QUEUE_STATUS",
            json!({"queue_name": "Support", "position_in_queue": 2, "estimated_wait_seconds": 120}),
            None,
            true,
        );
        step().await;
        emu.publish(
            &session,
            "HANDOFF_QUEUE_STATUS",
            json!({"queue_name": "Support", "position_in_queue": 1, "estimated_wait_seconds": 30}),
            None,
            true,
        );
        step().await;
        if let Some(s) = lock(&emu.sessions).get_mut(&session) {
            s.live_agent = true;
        }
        emu.publish(
            &session,
            "LIVE_AGENT_JOINED",
            json!({"agent": {"id": "agent_42", "name": "Sarah", "avatar_url": "/avatar.svg"}}),
            None,
            true,
        );
        emu.publish(&session, "LIVE_AGENT_MESSAGE", json!({"message_id": emu.id("live"), "agent_id": "agent_42", "text": "Hi, I'm Sarah from Acme. How can I help?", "attachments": [], "response_suggestions": []}), None, true);
    });
}

async fn set_faults(State(app): State<App>, Json(f): Json<Faults>) -> Json<Faults> {
    *lock(&app.poly.faults) = f.clone();
    Json(f)
}

#[derive(Deserialize)]
struct CloseQuery {
    code: u16,
}

/// Closes every socket with `code`; 4001 also forgets the sessions (the server no longer knows them).
async fn close_with(State(app): State<App>, Query(q): Query<CloseQuery>) -> StatusCode {
    let emu = &app.poly;
    let closers: Vec<(String, tokio::sync::mpsc::UnboundedSender<u16>)> =
        lock(&emu.closers).values().cloned().collect();
    for (session, closer) in closers {
        if q.code == 4001 {
            lock(&emu.sessions).remove(&session);
        }
        let _ = closer.send(q.code);
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct RefuseQuery {
    seconds: f64,
}

async fn refuse(State(app): State<App>, Query(q): Query<RefuseQuery>) -> StatusCode {
    *lock(&app.poly.refuse_until) =
        Some(Instant::now() + Duration::from_secs_f64(q.seconds.clamp(0.0, 3600.0)));
    StatusCode::NO_CONTENT
}

async fn frames(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.poly.frames).clone())
}

async fn connects(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.poly.connects).clone())
}

async fn journal(State(app): State<App>) -> Json<Value> {
    let sessions = lock(&app.poly.sessions);
    Json(json!(sessions
        .iter()
        .map(|(k, s)| {
            let events: Vec<Value> = s
                .journal
                .iter()
                .filter_map(|e| serde_json::from_str(&e.text).ok())
                .collect();
            (k.clone(), json!(events))
        })
        .collect::<HashMap<_, _>>()))
}

#[derive(Deserialize)]
struct HistoryQuery {
    count: usize,
    /// Also send them to live connections (default: only journal them, for a later replay).
    #[serde(default)]
    live: bool,
}

/// Journals `count` agent messages in every session: a long history for the next replay.
async fn history(State(app): State<App>, Query(q): Query<HistoryQuery>) -> Json<Value> {
    let emu = &app.poly;
    let sessions: Vec<String> = lock(&emu.sessions).keys().cloned().collect();
    for session in &sessions {
        for k in 1..=q.count.min(20_000) {
            let event = json!({"message_id": emu.id("hist"), "text": format!("History message {k} of {}: *noted*.", q.count),
                "attachments": [], "response_suggestions": []});
            if q.live {
                emu.publish(session, "POLY_AGENT_MESSAGE", event, None, true);
            } else {
                let id = emu.id("ev");
                let mut all = lock(&emu.sessions);
                if let Some(s) = all.get_mut(session) {
                    s.next_seq += 1;
                    s.journal.push(Journaled::new(&json!({"id": id, "sequence": s.next_seq, "timestamp": "2026-11-22T00:00:00Z",
                        "type": "EVENT_TYPE_POLY_AGENT_MESSAGE", "payload": event})));
                }
            }
        }
    }
    Json(json!({"sessions": sessions.len()}))
}

async fn clear(State(app): State<App>) -> StatusCode {
    app.poly.clear();
    StatusCode::NO_CONTENT
}
