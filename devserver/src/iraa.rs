//! An Iraa live-demo emulator (PROTOCOLS.md §2). A scripted agent drives the demo product in
//! `www/product/` with real command sequences ("show me the dashboard", "create a deal",
//! "show contacts"), sends a lead form for "pricing", and obeys test words: `bad: <json>`
//! sends those commands as they are, `error CODE` sends an error frame, `close CODE` closes,
//! `silent` stops answering heartbeats.

use crate::App;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Emulator {
    next: AtomicU64,
    /// session id → token
    sessions: Mutex<HashMap<String, String>>,
    frames: Mutex<Vec<Value>>,
    sessions_created: Mutex<Vec<Value>>,
    ended: Mutex<Vec<String>>,
    leads: Mutex<Vec<Value>>,
    connects: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Emulator {
    fn id(&self, p: &str) -> String {
        format!("{p}-{:06}", self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/session", post(create))
        .route("/api/v1/session/{id}/end", post(end))
        .route("/ws/session/{id}", get(socket))
}

pub fn host_routes() -> Router<App> {
    Router::new().route("/lead", post(lead))
}

pub fn control_routes() -> Router<App> {
    Router::new()
        .route("/frames", get(frames))
        .route("/sessions", get(created))
        .route("/ended", get(ended))
        .route("/leads", get(leads))
        .route("/connects", get(connects))
        .route("/expire", post(expire))
        .route("/clear", post(clear))
}

async fn create(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let emu = &app.iraa;
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    lock(&emu.sessions_created).push(json!({"authorization": key, "body": parsed}));
    if !key.starts_with("pk_") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "AUTH_REQUIRED", "message": "a public key is required"})),
        )
            .into_response();
    }
    let id = emu.id("demo");
    let token = emu.id("jwt");
    lock(&emu.sessions).insert(id.clone(), token.clone());
    let name = parsed.pointer("/visitorMeta/name").and_then(Value::as_str);
    let hello = match name {
        Some(n) => format!("Hi {n}! I'm Iris. Want a quick tour of Acme CRM?"),
        None => "Hi! I'm Iris. Want a quick tour of Acme CRM?".to_string(),
    };
    Json(json!({
        "sessionId": id, "token": token,
        "greeting": {"text": hello, "speech": hello, "suggestions": ["Show me the dashboard", "Create a deal", "Tell me about pricing"]},
        "agent": {"name": "Iris", "tone": "friendly"}
    }))
    .into_response()
}

async fn end(State(app): State<App>, Path(id): Path<String>) -> StatusCode {
    lock(&app.iraa.sessions).remove(&id);
    lock(&app.iraa.ended).push(id);
    StatusCode::OK
}

async fn lead(State(app): State<App>, body: String) -> StatusCode {
    lock(&app.iraa.leads).push(serde_json::from_str(&body).unwrap_or(Value::Null));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn socket(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let emu = app.iraa.clone();
    let faults = app.faults.clone();
    lock(&emu.connects).push(id.clone());
    let known = lock(&emu.sessions).get(&id).cloned();
    let code = match known {
        None => Some(4004),
        Some(t) if Some(&t) != q.token.as_ref() => Some(4001),
        Some(_) => None,
    };
    ws.on_upgrade(move |socket| async move {
        match code {
            Some(code) => {
                let (mut tx, _) = socket.split();
                let _ = tx
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: "refused".into(),
                    })))
                    .await;
            }
            None => {
                let plan = faults.take("iraa");
                converse(emu, socket, (plan, faults), id).await
            }
        }
    })
}

fn frame(kind: &str, payload: Value) -> Message {
    Message::Text(json!({"type": kind, "payload": payload}).to_string().into())
}

fn commands_for(text: &str) -> Option<(String, Value, Vec<&'static str>)> {
    let t = text.to_lowercase();
    if t.contains("dashboard") {
        Some((
            "Here's the dashboard. The pipeline chart shows every open deal by stage.".into(),
            json!([{"action": "navigate", "url": "dashboard.html"}, {"action": "wait", "selector": "#pipeline"}, {"action": "highlight", "selector": "#pipeline"}]),
            vec!["Create a deal", "Show contacts"],
        ))
    } else if t.contains("deal") {
        Some((
            "Let's create a deal together: I'll fill in the form.".into(),
            json!([{"action": "navigate", "url": "deals-new.html"}, {"action": "wait", "selector": "#deal-name"},
                   {"action": "type", "selector": "#deal-name", "text": "Acme renewal"},
                   {"action": "select", "selector": "#stage", "value": "proposal"},
                   {"action": "highlight", "selector": "#save"}]),
            vec!["Show me the dashboard"],
        ))
    } else if t.contains("contact") {
        Some((
            "These are your contacts. Here's Grace, near the bottom.".into(),
            json!([{"action": "navigate", "url": "contacts.html"}, {"action": "wait", "selector": "#contact-40"},
                   {"action": "scroll", "selector": "#contact-40"}, {"action": "highlight", "selector": "#contact-40"}]),
            vec![],
        ))
    } else if t.contains("click") {
        Some((
            "Opening the details.".into(),
            json!([{"action": "click", "selector": "#details"}]),
            vec![],
        ))
    } else {
        None
    }
}

async fn converse(
    emu: std::sync::Arc<Emulator>,
    socket: WebSocket,
    (plan, faults): (crate::faults::Plan, std::sync::Arc<crate::faults::Faults>),
    session: String,
) {
    let (tx, mut rx) = socket.split();
    let mut tx = crate::faults::Faulty::new(tx, plan, "agent_response", faults);
    let mut silent = false;
    while let Some(Ok(msg)) = rx.next().await {
        let Message::Text(text) = msg else {
            if matches!(msg, Message::Close(_)) {
                break;
            }
            continue;
        };
        let text = text.as_str().to_string();
        lock(&emu.frames).push(json!({"session": session, "raw": text}));
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            let _ = tx
                .send(frame(
                    "error",
                    json!({"code": "INVALID_JSON", "message": "not JSON"}),
                ))
                .await;
            continue;
        };
        let mut out = Vec::new();
        match v["type"].as_str().unwrap_or("") {
            "heartbeat" => {
                if !silent {
                    out.push(frame("pong", json!({"ts": 0})));
                }
            }
            "iframe_event" => {}
            "visitor_message" => {
                let said = v["payload"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                if said.is_empty() {
                    out.push(frame(
                        "error",
                        json!({"code": "EMPTY_MESSAGE", "message": "empty"}),
                    ));
                } else if let Some(json_cmds) = said.strip_prefix("bad: ") {
                    let cmds: Value = serde_json::from_str(json_cmds).unwrap_or(json!([]));
                    out.push(frame("agent_response", json!({"text": "Trying that.", "iframeCommands": cmds, "suggestions": [], "agentId": "demo"})));
                } else if let Some(code) = said.strip_prefix("error ") {
                    out.push(frame(
                        "error",
                        json!({"code": code, "message": format!("test error {code}")}),
                    ));
                } else if let Some(code) = said.strip_prefix("close ") {
                    let code: u16 = code.parse().unwrap_or(1000);
                    let _ = tx
                        .send(Message::Close(Some(CloseFrame {
                            code,
                            reason: "test".into(),
                        })))
                        .await;
                    break;
                } else if said == "silent" {
                    silent = true;
                    out.push(frame(
                        "agent_response",
                        json!({"text": "(going quiet)", "iframeCommands": [], "suggestions": []}),
                    ));
                } else if said.to_lowercase().contains("pricing") {
                    out.push(frame("agent_response", json!({"text": "Happy to share pricing. Where can we send it?", "iframeCommands": [], "suggestions": []})));
                    out.push(frame("lead_form", json!({"fields": ["email", "company"], "cta": {"text": "See pricing", "url": "http://127.0.0.1:18080/product/pricing.html"}})));
                } else {
                    out.push(frame(
                        "typing_indicator",
                        json!({"agentId": "demo", "isTyping": true}),
                    ));
                    let (reply, cmds, chips) = commands_for(&said).unwrap_or((
                        format!("You said: {said}"),
                        json!([]),
                        vec![],
                    ));
                    out.push(frame(
                        "typing_indicator",
                        json!({"agentId": "demo", "isTyping": false}),
                    ));
                    out.push(frame("agent_response", json!({"text": reply, "speech": reply, "iframeCommands": cmds, "suggestions": chips, "agentId": "demo"})));
                }
            }
            _ => out.push(frame(
                "error",
                json!({"code": "UNKNOWN_TYPE", "message": "unknown type"}),
            )),
        }
        for m in out {
            if tx.send(m).await.is_err() {
                return;
            }
        }
    }
}

async fn frames(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.iraa.frames).clone())
}

async fn created(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.iraa.sessions_created).clone())
}

async fn ended(State(app): State<App>) -> Json<Vec<String>> {
    Json(lock(&app.iraa.ended).clone())
}

async fn connects(State(app): State<App>) -> Json<Vec<String>> {
    Json(lock(&app.iraa.connects).clone())
}

async fn leads(State(app): State<App>) -> Json<Vec<Value>> {
    Json(lock(&app.iraa.leads).clone())
}

/// Forgets every session server-side (the next socket closes with 4004).
async fn expire(State(app): State<App>) -> StatusCode {
    lock(&app.iraa.sessions).clear();
    StatusCode::NO_CONTENT
}

async fn clear(State(app): State<App>) -> StatusCode {
    let e = &app.iraa;
    lock(&e.frames).clear();
    lock(&e.sessions_created).clear();
    lock(&e.ended).clear();
    lock(&e.leads).clear();
    lock(&e.connects).clear();
    StatusCode::NO_CONTENT
}
