//! What `make bench` needs beyond the emulators: a stream in deep-chat's own format, so that
//! peer streams the same number of tokens from this server as Confab does from the Plati
//! emulator, and an echo in that format for deep-chat's leak check; and the same stream and
//! an echo in Flowise's format for flowise-embed, nested under `/flowise` (`flowise_routes`).

use crate::App;
use axum::extract::{Path, Query};
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
    echo_of(body, "messages[].text", |request| {
        request["messages"].as_array()?.last()?["text"].as_str()
    })
}

/// `You said: <text>`, the text found in a JSON request `body` by `text` (`what` names where,
/// for the error).
fn echo_of(
    body: &str,
    what: &str,
    text: impl Fn(&serde_json::Value) -> Option<&str>,
) -> Result<String, String> {
    let request: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    text(&request)
        .map(|text| format!("You said: {text}"))
        .ok_or_else(|| format!("no {what}"))
}

/// `POST /flowise/api/v1/prediction/{id}` (flowise-embed always asks with `"streaming": true`
/// here, since `chatflows-streaming` says the chatflow streams). The chatflow `echo` answers
/// the request's `question` with `You said: <question>`, as the Plura emulator answers
/// Confab, for the leak check; any other chatflow streams `start`, N `token` events `tK `,
/// then `end`, all at once (N from `?tokens=`, as for deep-chat; 10 000 by default).
async fn flowise_prediction(
    Path(chatflow): Path<String>,
    Query(q): Query<Tokens>,
    body: String,
) -> axum::response::Response {
    if chatflow != "echo" {
        return event_stream(flowise_events(q.tokens.min(100_000))).into_response();
    }
    match flowise_echo(&body) {
        Ok(text) => event_stream(flowise_answer([text].into_iter())).into_response(),
        Err(why) => (StatusCode::BAD_REQUEST, why).into_response(),
    }
}

/// The echo's text for a Flowise prediction request body, or why the body is not one.
fn flowise_echo(body: &str) -> Result<String, String> {
    echo_of(body, "question", |request| request["question"].as_str())
}

/// The events of a Flowise prediction stream of `tokens` tokens.
fn flowise_events(tokens: usize) -> impl Iterator<Item = String> {
    flowise_answer((0..tokens).map(|k| format!("t{k} ")))
}

/// A Flowise prediction stream: `start`, a `token` event for each of `tokens`, then `end`.
fn flowise_answer(tokens: impl Iterator<Item = String>) -> impl Iterator<Item = String> {
    // `data` as a JSON string, escaped (an echoed question may hold quotes).
    let event = |name: &str, data: &str| {
        let data = serde_json::Value::String(data.to_owned());
        format!("{{\"event\":\"{name}\",\"data\":{data}}}")
    };
    std::iter::once(event("start", ""))
        .chain(tokens.map(move |t| event("token", &t)))
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
    fn the_flowise_echo_answers_the_question_even_with_quotes() {
        let body = r#"{"question":"leak \"check\" 7","chatId":"c","streaming":true}"#;
        assert_eq!(
            flowise_echo(body).as_deref(),
            Ok(r#"You said: leak "check" 7"#)
        );
        assert!(flowise_echo("{").is_err());
        assert!(flowise_echo(r#"{"chatId":"c"}"#).is_err());
        let events: Vec<serde_json::Value> = flowise_answer(["a \"b\"".to_string()].into_iter())
            .map(|e| serde_json::from_str(&e).unwrap())
            .collect();
        assert_eq!(events[1]["data"], "a \"b\"");
        assert_eq!(events.len(), 3);
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
