//! One HTTP request, answered as (status, body); status 0 when no answer came.

use crate::protocol::HttpRequest;
use gloo_net::http::{Request, Response};
use wasm_bindgen::JsValue;

/// Sends a request for exactly `url`: the response, or why none came. gloo-net's
/// `RequestBuilder` re-joins the query of a URL that has one with its own (empty) parameters
/// and leaves a trailing `&` (`…?channel_id=c&message=hi&`), so the `web_sys::Request` is
/// made here and handed to gloo-net only to send. A relative `url` resolves against the page,
/// as `fetch` does. `bearer` is sent as `Authorization: Bearer …` and never logged.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    bearer: Option<&str>,
    body: Option<&str>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<Response, String> {
    let build = || -> Result<Request, JsValue> {
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let list = web_sys::Headers::new()?;
        for (name, value) in headers {
            list.append(name, value)?;
        }
        if let Some(token) = bearer {
            list.append("Authorization", &format!("Bearer {token}"))?;
        }
        init.set_headers(&list);
        if let Some(body) = body {
            init.set_body(&JsValue::from_str(body));
        }
        if let Some(signal) = signal {
            init.set_signal(Some(signal));
        }
        Ok(web_sys::Request::new_with_str_and_init(url, &init)?.into())
    };
    match build() {
        // Matched, not formatted whole: gloo-net's error also holds serde_json's (for its JSON
        // helpers, which this widget does not use), and formatting that brings its messages.
        Ok(request) => request.send().await.map_err(|e| match e {
            gloo_net::Error::JsError(js) => js.to_string(),
            gloo_net::Error::GlooError(why) => why,
            _ => "the request failed".into(),
        }),
        Err(e) => Err(super::js_message(&e, "the request could not be made")),
    }
}

/// One request, answered whole.
pub async fn perform(request: HttpRequest, bearer: Option<String>) -> (u16, String) {
    let json: &[(&str, &str)] = if request.body.is_some() {
        &[("Content-Type", "application/json")]
    } else {
        &[]
    };
    let sent = send(
        request.method,
        &request.url,
        json,
        bearer.as_deref(),
        request.body.as_deref(),
        None,
    )
    .await;
    match sent {
        Ok(response) => {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            (status, body)
        }
        Err(why) => (0, why),
    }
}
