//! What `make bench` needs beyond the emulators: a stream in deep-chat's own format, so that
//! peer streams the same number of tokens from this server as Confab does from the Plati
//! emulator, and an echo in that format for deep-chat's leak check.

use crate::App;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
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
    let mut body = String::with_capacity(q.tokens * 24);
    for k in 0..q.tokens.min(100_000) {
        body.push_str(&format!("data: {{\"text\":\"t{k} \"}}\n\n"));
    }
    ([(header::CONTENT_TYPE, "text/event-stream")], body)
}

/// `POST /bench/deep-chat-echo`: deep-chat's request (`{"messages": [{"role", "text"}, …]}`)
/// answered in its response format with `You said: <the last message's text>`, as the Plura
/// emulator answers Confab.
async fn deep_chat_echo(body: String) -> impl IntoResponse {
    let request: serde_json::Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not JSON: {e}")).into_response(),
    };
    let text = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["text"].as_str());
    match text {
        Some(text) => {
            axum::Json(serde_json::json!({ "text": format!("You said: {text}") })).into_response()
        }
        None => (StatusCode::BAD_REQUEST, "no messages[].text").into_response(),
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/deep-chat", post(deep_chat))
        .route("/deep-chat-echo", post(deep_chat_echo))
}
