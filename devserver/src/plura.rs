//! A Plura webchat emulator (PROTOCOLS.md §1) that also checks every client frame against the
//! protocol and records what it saw, for tests to read under `/control/plura`.

use crate::App;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

/// Longest real-time gap between heartbeats before it counts as missing (15 s + grace).
const HEARTBEAT_GRACE: Duration = Duration::from_secs(20);
const OWNER_NAME: &str = "Ada at Acme";
const GREETING: &str = "Hi! I'm Ada, Acme's assistant. How can I help you today?";

#[derive(Clone, Serialize)]
pub struct FrameRecord {
    pub connection: u64,
    pub session: String,
    pub received_ms: u128,
    pub raw: String,
}

#[derive(Clone, Serialize)]
pub struct ConnectionRecord {
    pub connection: u64,
    pub path: String,
    pub session: String,
    pub resumed: bool,
    pub opened_ms: u128,
    pub closed_ms: Option<u128>,
}

#[derive(Default)]
pub struct Emulator {
    next_id: AtomicU64,
    /// Session id → whether a socket has carried it yet (a fresh session is greeted once).
    sessions: Mutex<HashMap<String, bool>>,
    frames: Mutex<Vec<FrameRecord>>,
    connections: Mutex<Vec<ConnectionRecord>>,
    violations: Mutex<Vec<String>>,
    posts: Mutex<Vec<Value>>,
    live: Mutex<HashMap<u64, mpsc::UnboundedSender<Control>>>,
    refuse_until: Mutex<Option<Instant>>,
}

enum Control {
    Drop,
    Say(String),
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Emulator {
    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn uuid(&self) -> String {
        // Unique per process and run; shaped like a v4 uuid so clients see realistic ids.
        let n = self.id();
        let t = now_ms() as u64;
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            (t >> 16) as u32,
            (t & 0xffff) as u16,
            (n >> 12) & 0xfff,
            n & 0xfff,
            t.wrapping_mul(0x9E37_79B9).wrapping_add(n) & 0xffff_ffff_ffff
        )
    }

    fn violation(&self, connection: u64, what: String) {
        eprintln!("plura violation (connection {connection}): {what}");
        lock(&self.violations).push(format!("connection {connection}: {what}"));
    }

    pub fn refuse_for(&self, d: Duration) {
        *lock(&self.refuse_until) = (!d.is_zero()).then(|| Instant::now() + d);
    }

    fn refusing(&self) -> bool {
        lock(&self.refuse_until).is_some_and(|t| Instant::now() < t)
    }

    pub fn drop_all(&self) -> usize {
        let live = lock(&self.live);
        for tx in live.values() {
            let _ = tx.send(Control::Drop);
        }
        live.len()
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/webchat/session", post(session_init))
        .route(
            "/webchat/flow/{flow}/session/{session}/r/{reconnect}",
            get(socket),
        )
}

pub fn control_routes() -> Router<App> {
    Router::new()
        .route("/frames", get(frames))
        .route("/connections", get(connections))
        .route("/violations", get(violations))
        .route("/posts", get(posts))
        .route("/clear", post(clear))
        .route("/say", post(say))
}

/// `POST /webchat/session`: `{"record": {"phone", …}, "flow_id"}`.
async fn session_init(State(app): State<App>, body: String) -> Response {
    let emu = &app.plura;
    let parsed: Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => return failed(StatusCode::BAD_REQUEST, &format!("body is not JSON: {e}")),
    };
    lock(&emu.posts).push(parsed.clone());
    let flow = parsed.get("flow_id").and_then(Value::as_str).unwrap_or("");
    if flow.is_empty() {
        return failed(StatusCode::BAD_REQUEST, "flow_id is required");
    }
    let phone = parsed
        .get("record")
        .and_then(|r| r.get("phone"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if phone.trim().is_empty() {
        return failed(
            StatusCode::BAD_REQUEST,
            "Could not find or create lead: record.phone is required",
        );
    }
    let instance = emu.uuid();
    let session = format!("webchat-session.{}", emu.uuid());
    lock(&emu.sessions).insert(session.clone(), false);
    Json(json!({
        "flow_id": instance,
        "session": session,
        "flow_port": 8088,
        "wss_test_url": "wss.plura.ai"
    }))
    .into_response()
}

fn failed(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"status": "failed", "message": message})),
    )
        .into_response()
}

async fn socket(
    State(app): State<App>,
    Path((flow, session, reconnect)): Path<(String, String, String)>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let emu = app.plura.clone();
    let faults = app.faults.clone();
    if emu.refusing() {
        return (StatusCode::SERVICE_UNAVAILABLE, "refusing connections").into_response();
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080")
        .to_string();
    let connection = emu.id();
    if reconnect != "true" && reconnect != "false" {
        emu.violation(
            connection,
            format!("reconnect flag is \"{reconnect}\", not true/false"),
        );
    }
    let path = format!("/plura/webchat/flow/{flow}/session/{session}/r/{reconnect}");
    ws.on_upgrade(move |socket| async move {
        let plan = faults.take("plura");
        converse(
            emu,
            socket,
            (plan, faults),
            connection,
            path,
            flow,
            session,
            host,
        )
        .await;
    })
}

#[allow(clippy::too_many_arguments)]
async fn converse(
    emu: std::sync::Arc<Emulator>,
    socket: WebSocket,
    (plan, faults): (crate::faults::Plan, std::sync::Arc<crate::faults::Faults>),
    connection: u64,
    path: String,
    flow: String,
    requested: String,
    host: String,
) {
    let (tx, mut rx) = socket.split();
    let mut tx = crate::faults::Faulty::new(tx, plan, "message", faults);
    let (control_tx, mut control_rx) = mpsc::unbounded_channel();
    lock(&emu.live).insert(connection, control_tx);

    let session = if requested == "null" {
        format!("webchat-session.{}", emu.uuid())
    } else {
        requested.clone()
    };
    // A session id we never saw (e.g. after a restart) is taken as one the server knows.
    let resumed = {
        let mut sessions = lock(&emu.sessions);
        let seen = sessions
            .entry(session.clone())
            .or_insert(requested != "null");
        std::mem::replace(seen, true)
    };
    let _ = flow;
    let opened_ms = now_ms();
    lock(&emu.connections).push(ConnectionRecord {
        connection,
        path,
        session: session.clone(),
        resumed,
        opened_ms,
        closed_ms: None,
    });

    let avatar = format!("http://{host}/avatar.svg");
    let mut first = vec![
        json!({"type": "session", "id": emu.uuid(), "session_id": session}),
        json!({"type": "chatowner", "id": emu.uuid(), "profilepic": avatar, "name": OWNER_NAME}),
    ];
    if !resumed {
        // The greeting of a new conversation (resumed ones keep their context, no new greeting).
        first.push(json!({"type": "message", "id": emu.uuid(), "profilepic": avatar, "name": "Assistant", "content": GREETING}));
    }
    for frame in first {
        if tx
            .send(Message::Text(frame.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }

    let mut last_heartbeat = Instant::now();
    let mut last_stamp: Option<i64> = None;
    let mut late_reported = false;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel::<Value>();
    loop {
        tokio::select! {
            incoming = rx.next() => {
                let Some(Ok(msg)) = incoming else { break };
                match msg {
                    Message::Text(text) => {
                        let text = text.as_str().to_string();
                        lock(&emu.frames).push(FrameRecord {
                            connection,
                            session: session.clone(),
                            received_ms: now_ms(),
                            raw: text.clone(),
                        });
                        match check_client_frame(&text) {
                            Err(why) => emu.violation(connection, format!("{why}: {text}")),
                            Ok(ClientFrame::Message(content)) => {
                                let recv = json!({"type": "recv", "id": emu.uuid(), "profilepic": "", "name": "Anonymous", "content": content});
                                if tx.send(Message::Text(recv.to_string().into())).await.is_err() { break; }
                                let reply = json!({"type": "message", "id": emu.uuid(), "profilepic": avatar, "name": "Assistant", "content": scripted_reply(&content)});
                                let rtx = reply_tx.clone();
                                tokio::spawn(async move {
                                    tokio::time::sleep(Duration::from_millis(300)).await;
                                    let _ = rtx.send(reply);
                                });
                            }
                            Ok(ClientFrame::Typing) => {}
                            Ok(ClientFrame::Heartbeat(stamp_secs)) => {
                                if let Some(prev) = last_stamp {
                                    let gap = stamp_secs - prev;
                                    if !(14..=16).contains(&gap) {
                                        emu.violation(connection, format!("heartbeat stamps {gap} s apart, expected 15"));
                                    }
                                }
                                last_stamp = Some(stamp_secs);
                                last_heartbeat = Instant::now();
                                late_reported = false;
                            }
                        }
                    }
                    Message::Binary(b) => emu.violation(connection, format!("binary frame of {} bytes", b.len())),
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            Some(reply) = reply_rx.recv() => {
                if tx.send(Message::Text(reply.to_string().into())).await.is_err() { break; }
            }
            control = control_rx.recv() => match control {
                Some(Control::Say(text)) => {
                    let frame = json!({"type": "message", "id": emu.uuid(), "profilepic": avatar, "name": "Assistant", "content": text});
                    if tx.send(Message::Text(frame.to_string().into())).await.is_err() { break; }
                }
                // Dropping both halves ends the TCP connection without a close frame.
                Some(Control::Drop) | None => break,
            },
            _ = tick.tick() => {
                if !late_reported && last_heartbeat.elapsed() > HEARTBEAT_GRACE {
                    late_reported = true;
                    emu.violation(connection, format!("no heartbeat for over {} s", HEARTBEAT_GRACE.as_secs()));
                }
            }
        }
    }
    lock(&emu.live).remove(&connection);
    if let Some(c) = lock(&emu.connections)
        .iter_mut()
        .find(|c| c.connection == connection)
    {
        c.closed_ms = Some(now_ms());
    }
}

enum ClientFrame {
    Message(String),
    Typing,
    /// The stamp as seconds since the epoch.
    Heartbeat(i64),
}

/// Checks a client frame against PROTOCOLS.md §1, exactly.
fn check_client_frame(text: &str) -> Result<ClientFrame, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let obj = value.as_object().ok_or("not a JSON object")?;
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or("no string \"type\"")?;
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["message", "type"] {
        return Err(format!(
            "keys are {keys:?}, expected [\"message\", \"type\"]"
        ));
    }
    let message = &obj["message"];
    match kind {
        "message" => match message.as_str() {
            Some(s) if !s.trim().is_empty() => Ok(ClientFrame::Message(s.to_string())),
            _ => Err("message frame without non-empty text".into()),
        },
        "typing" => message
            .as_bool()
            .map(|_| ClientFrame::Typing)
            .ok_or_else(|| "typing message is not a boolean".into()),
        "heartbeat" => {
            let hb = message
                .as_object()
                .ok_or("heartbeat message is not an object")?;
            let mut hk: Vec<&str> = hb.keys().map(String::as_str).collect();
            hk.sort_unstable();
            if hk != ["stamp", "tz"] {
                return Err(format!(
                    "heartbeat keys are {hk:?}, expected [\"stamp\", \"tz\"]"
                ));
            }
            let stamp = hb["stamp"].as_str().ok_or("stamp is not a string")?;
            let tz = hb["tz"].as_str().ok_or("tz is not a string")?;
            if !valid_tz(tz) {
                return Err(format!("tz \"{tz}\" is not ±HH:MM"));
            }
            parse_stamp(stamp)
                .map(ClientFrame::Heartbeat)
                .ok_or_else(|| format!("stamp \"{stamp}\" is not YYYY-MM-DDTHH:mm:ss"))
        }
        other => Err(format!("unknown client frame type \"{other}\"")),
    }
}

fn valid_tz(tz: &str) -> bool {
    let b = tz.as_bytes();
    b.len() == 6
        && (b[0] == b'+' || b[0] == b'-')
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit)
        && tz[1..3].parse::<u32>().is_ok_and(|h| h <= 14)
        && tz[4..6].parse::<u32>().is_ok_and(|m| m < 60)
}

/// `YYYY-MM-DDTHH:mm:ss` → seconds since the epoch (as UTC), or None.
fn parse_stamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// The scripted agent's answer, shared by the emulators.
pub fn scripted_reply(text: &str) -> String {
    let lower = text.to_lowercase();
    if lower.contains("price") || lower.contains("cost") {
        "Plans start at $29 a month, and the first 14 days are free.".into()
    } else if lower.contains("human") || lower.contains("agent") {
        "I've let the team know; someone will join shortly.".into()
    } else if ["hello", "hi", "hey"].iter().any(|w| {
        lower
            .split_whitespace()
            .any(|t| t.trim_matches(|c: char| !c.is_alphanumeric()) == *w)
    }) {
        "Hello! What would you like to know about Acme?".into()
    } else {
        format!("You said: {text}")
    }
}

#[derive(Deserialize)]
struct SessionFilter {
    session: Option<String>,
}

async fn frames(State(app): State<App>, Query(f): Query<SessionFilter>) -> Json<Vec<FrameRecord>> {
    let all = lock(&app.plura.frames).clone();
    Json(match f.session {
        Some(s) => all.into_iter().filter(|r| r.session == s).collect(),
        None => all,
    })
}

async fn connections(State(app): State<App>) -> Json<Vec<ConnectionRecord>> {
    Json(lock(&app.plura.connections).clone())
}

async fn violations(State(app): State<App>) -> Json<Vec<String>> {
    Json(lock(&app.plura.violations).clone())
}

async fn posts(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.plura.posts).clone())
}

async fn clear(State(app): State<App>) -> StatusCode {
    let emu = &app.plura;
    lock(&emu.frames).clear();
    lock(&emu.connections).clear();
    lock(&emu.violations).clear();
    lock(&emu.posts).clear();
    emu.refuse_for(Duration::ZERO);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct SayQuery {
    text: String,
}

/// Pushes an agent message to every live conversation.
async fn say(State(app): State<App>, Query(q): Query<SayQuery>) -> Json<Value> {
    let live = lock(&app.plura.live);
    for tx in live.values() {
        let _ = tx.send(Control::Say(q.text.clone()));
    }
    Json(json!({ "sent_to": live.len() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_checked_exactly() {
        assert!(matches!(
            check_client_frame(r#"{"message":"hi","type":"message"}"#),
            Ok(ClientFrame::Message(_))
        ));
        assert!(matches!(
            check_client_frame(r#"{"message":true,"type":"typing"}"#),
            Ok(ClientFrame::Typing)
        ));
        assert!(matches!(
            check_client_frame(
                r#"{"message":{"stamp":"2025-11-06T21:59:02","tz":"+04:00"},"type":"heartbeat"}"#
            ),
            Ok(ClientFrame::Heartbeat(1_762_466_342))
        ));
        assert!(check_client_frame(r#"{"type":"ping","ts":1}"#).is_err());
        assert!(check_client_frame(
            r#"{"message":{"stamp":"2025-11-06 21:59:02","tz":"+04:00"},"type":"heartbeat"}"#
        )
        .is_err());
        assert!(check_client_frame(
            r#"{"message":{"stamp":"2025-11-06T21:59:02","tz":"+4"},"type":"heartbeat"}"#
        )
        .is_err());
        assert!(check_client_frame(r#"{"message":"x","type":"message","id":1}"#).is_err());
        assert!(check_client_frame(r#"{"message":"  ","type":"message"}"#).is_err());
    }
}
