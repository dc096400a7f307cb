//! What `make bench` needs beyond the emulators: a stream in deep-chat's own format, so that
//! peer streams the same number of tokens from this server as Confab does from the Plati
//! emulator, and an echo in that format for deep-chat's leak check; and the same stream in
//! Flowise's format for flowise-embed, nested under `/flowise` (`flowise_routes`).

use crate::App;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

#[derive(Deserialize)]
struct Tokens {
    #[serde(default = "ten_thousand")]
    tokens: usize,
}

fn ten_thousand() -> usize {
    10_000
}

/// `POST /bench/deep-chat?tokens=N`: N server-sent events `{"text": "tK "}`, all at once.
async fn deep_chat(Query(q): Query<Tokens>) -> impl IntoResponse {
    event_stream((0..q.tokens.min(100_000)).map(|k| format!("{{\"text\":\"t{k} \"}}")))
}

/// A `text/event-stream` response of these `data` events, written all at once.
fn event_stream(events: impl Iterator<Item = String>) -> impl IntoResponse {
    let mut body = String::new();
    for e in events {
        body.push_str("data: ");
        body.push_str(&e);
        body.push_str("\n\n");
    }
    ([(header::CONTENT_TYPE, "text/event-stream")], body)
}

/// `POST /bench/deep-chat-echo`: deep-chat's request (`{"messages": [{"role", "text"}, …]}`)
/// answered in its response format with `You said: <the last message's text>`, as the Plura
/// emulator answers Confab.
async fn deep_chat_echo(body: String) -> impl IntoResponse {
    match echo_reply(&body) {
        Ok(text) => axum::Json(serde_json::json!({ "text": text })).into_response(),
        Err(why) => (StatusCode::BAD_REQUEST, why).into_response(),
    }
}

/// The echo's text for a deep-chat request body, or why the body is not one.
fn echo_reply(body: &str) -> Result<String, String> {
    let request: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["text"].as_str())
        .map(|text| format!("You said: {text}"))
        .ok_or_else(|| "no messages[].text".to_string())
}

/// `POST /flowise/api/v1/prediction/{id}` with `"streaming": true`: a Flowise prediction
/// stream, `start`, N `token` events `tK `, then `end`, all at once (N from `?tokens=`, as
/// for deep-chat; 10 000 by default).
async fn flowise_prediction(Query(q): Query<Tokens>) -> impl IntoResponse {
    event_stream(flowise_events(q.tokens.min(100_000)))
}

/// The events of a Flowise prediction stream of `tokens` tokens.
fn flowise_events(tokens: usize) -> impl Iterator<Item = String> {
    let event = |name: &str, data: &str| format!("{{\"event\":\"{name}\",\"data\":\"{data}\"}}");
    std::iter::once(event("start", ""))
        .chain((0..tokens).map(move |k| event("token", &format!("t{k} "))))
        .chain(std::iter::once(event("end", "[DONE]")))
}

/// What flowise-embed asks before streaming: whether the chatflow streams. Its config request
/// (`public-chatbotConfig`) stays unanswered (404), so its defaults show.
async fn flowise_streaming() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "isStreaming": true }))
}

/// Flowise's API as flowise-embed uses it, for `make bench` (`/flowise`).
pub fn flowise_routes() -> Router<App> {
    Router::new()
        .route("/api/v1/chatflows-streaming/{id}", get(flowise_streaming))
        .route("/api/v1/prediction/{id}", post(flowise_prediction))
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/deep-chat", post(deep_chat))
        .route("/deep-chat-echo", post(deep_chat_echo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_answers_the_last_message() {
        let body =
            r#"{"messages":[{"role":"user","text":"a"},{"role":"user","text":"leak check 7"}]}"#;
        assert_eq!(echo_reply(body).as_deref(), Ok("You said: leak check 7"));
        assert!(echo_reply("not json").is_err());
        assert!(echo_reply(r#"{"messages":[]}"#).is_err());
        assert!(echo_reply(r#"{"messages":[{"role":"user","files":[]}]}"#).is_err());
    }

    #[test]
    fn the_flowise_stream_is_start_tokens_end_as_json_events() {
        let events: Vec<serde_json::Value> = flowise_events(3)
            .map(|e| serde_json::from_str(&e).unwrap())
            .collect();
        let pairs: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e["event"].as_str().unwrap(), e["data"].as_str().unwrap()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("start", ""),
                ("token", "t0 "),
                ("token", "t1 "),
                ("token", "t2 "),
                ("end", "[DONE]")
            ]
        );
    }
}
