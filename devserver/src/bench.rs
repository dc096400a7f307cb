//! What `make bench` needs beyond the emulators: a stream in deep-chat's own format, so that
//! peer streams the same number of tokens from this server as Confab does from the Plati
//! emulator.

use crate::App;
use axum::extract::Query;
use axum::http::header;
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

pub fn routes() -> Router<App> {
    Router::new().route("/deep-chat", post(deep_chat))
}
