//! Plati conversations (PROTOCOLS.md §4): one HTTP exchange per visitor message, answered as an
//! SSE token stream or as one JSON body.

use super::value::{Map, Value};
use super::write::{json, object};
use super::{ExchangeCodec, HttpRequest, Read, StreamPiece};
use crate::keyed::Fields;

pub struct Plati {
    api: String,
    channel: String,
    streaming: bool,
}

impl Plati {
    pub fn new(api: &str, channel: &str, streaming: bool) -> Plati {
        Plati {
            api: api.to_string(),
            channel: channel.to_string(),
            streaming,
        }
    }
}

impl ExchangeCodec for Plati {
    fn provider(&self) -> &'static str {
        "plati"
    }

    fn message_request(&self, visitor: &str, text: &str, bearer: bool) -> HttpRequest {
        if self.streaming {
            HttpRequest {
                method: "GET",
                url: format!(
                    "{}/conversation/{}/streaming?channel_id={}&message={}",
                    self.api,
                    percent_encode(visitor),
                    percent_encode(&self.channel),
                    percent_encode(text)
                ),
                body: None,
                // EventSource cannot send headers: with a bearer token, read with fetch.
                read: if bearer {
                    Read::FetchStream
                } else {
                    Read::EventSource
                },
            }
        } else {
            HttpRequest {
                method: "POST",
                url: format!(
                    "{}/conversation/{}/chat/{}",
                    self.api,
                    percent_encode(visitor),
                    percent_encode(&self.channel)
                ),
                body: Some(json(&object([
                    ("text", text.into()),
                    ("metadata", object([("source", "web".into())])),
                ]))),
                read: Read::Whole,
            }
        }
    }

    fn stream_piece<'a>(&self, data: &'a str) -> StreamPiece<'a> {
        // Read into these two fields only: a long answer is thousands of these events.
        let [kind, content] = match super::scan::string_fields(data, ["type", "content"]) {
            Ok(fields) => fields,
            Err(e) => {
                return StreamPiece::Malformed(format!("event data is not a JSON object: {e}"))
            }
        };
        match (kind.as_deref(), content) {
            (Some("token"), Some(c)) => StreamPiece::Token(c),
            (Some("complete"), Some(c)) => StreamPiece::Complete(c.into_owned()),
            (Some("error"), c) => StreamPiece::Error(c.map_or_else(
                || "the assistant reported an error".into(),
                std::borrow::Cow::into_owned,
            )),
            (Some(kind @ ("token" | "complete")), None) => {
                StreamPiece::Malformed(format!("\"{kind}\" event without string content"))
            }
            (Some(other), _) => StreamPiece::Unknown(other.to_string()),
            (None, _) => StreamPiece::Malformed("event data has no \"type\"".into()),
        }
    }

    fn whole_answer(&self, body: &str) -> Result<String, String> {
        let value: Value =
            super::scan::parse(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        // PROTOCOLS.md §4 decision: `data` is undocumented; take the first string we know.
        let data = value.get("data");
        ["response", "text", "content", "message"]
            .iter()
            .find_map(|k| data.and_then(|d| d.get(k)).and_then(|v| v.as_str()))
            .map(str::to_string)
            .ok_or_else(|| {
                "the answer has no text in data.response, data.text, data.content or data.message"
                    .into()
            })
    }

    fn identify_request(&self, visitor: &str, lead: &Fields) -> Option<HttpRequest> {
        let mut body = Map::new();
        let name = super::lead_name(lead);
        let mut metadata = Map::new();
        for (k, v) in lead {
            match k.as_str() {
                "phone" | "email" => {
                    body.insert(k.clone(), v.clone().into());
                }
                "name" | "first_name" | "last_name" => {}
                _ => {
                    metadata.insert(k.clone(), v.clone().into());
                }
            }
        }
        if let Some(n) = name {
            body.insert("name".into(), n.into());
        }
        if !metadata.is_empty() {
            body.insert("metadata".into(), metadata.into());
        }
        if body.is_empty() {
            return None;
        }
        Some(HttpRequest {
            method: "PUT",
            url: format!("{}/identity/{}", self.api, percent_encode(visitor)),
            body: Some(json(&Value::Object(body))),
            read: Read::Whole,
        })
    }

    fn explain_status(&self, status: u16) -> String {
        match status {
            400 => "The assistant could not read that message (HTTP 400).".into(),
            401 => "The chat could not sign in to the assistant (HTTP 401).".into(),
            404 => "This chat is not set up correctly: the channel or identity was not found (HTTP 404).".into(),
            500..=599 => format!("The assistant had a problem answering (HTTP {status}). Please try again."),
            0 => "The assistant could not be reached. Check your connection and try again.".into(),
            _ => format!("The assistant answered with HTTP {status}."),
        }
    }
}

/// `encodeURIComponent`: everything but `A–Z a–z 0–9 - _ . ! ~ * ' ( )` is percent-encoded as UTF-8.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
