//! One HTTP request, answered as (status, body); status 0 when no answer came.

use crate::protocol::HttpRequest;
use gloo_net::http::{Method, RequestBuilder};

/// `bearer` is sent as `Authorization: Bearer …` and never logged.
pub async fn perform(request: HttpRequest, bearer: Option<String>) -> (u16, String) {
    let method = match request.method {
        "GET" => Method::GET,
        "PUT" => Method::PUT,
        _ => Method::POST,
    };
    let mut builder = RequestBuilder::new(&request.url).method(method);
    if request.body.is_some() {
        builder = builder.header("Content-Type", "application/json");
    }
    if let Some(token) = bearer {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match request.body {
        Some(body) => match builder.body(body) {
            Ok(req) => req.send().await,
            Err(e) => return (0, e.to_string()),
        },
        None => builder.send().await,
    };
    match sent {
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            (status, body)
        }
        Err(e) => (0, e.to_string()),
    }
}
