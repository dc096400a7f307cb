//! Plura webchat (PROTOCOLS.md §1).

use super::write::{Json, Object};
use super::{
    parse_typed, text_field, AgentText, Codec, Command, DecodeError, Envelope, Event, HttpRequest,
    LinkParams, Session,
};
use crate::clock::{offset_label, utc_stamp};
use crate::keyed::Fields;

pub const HEARTBEAT_MS: u64 = 15_000;

pub struct Plura {
    api: String,
    ws: String,
    flow_id: String,
}

impl Plura {
    pub fn new(api: &str, ws: &str, flow_id: &str) -> Plura {
        Plura {
            api: api.to_string(),
            ws: ws.to_string(),
            flow_id: flow_id.to_string(),
        }
    }
}

/// A frame as the vendor's browser client writes it, `{message, type}` in that order, so
/// frames match it byte for byte.
fn outgoing(message: &dyn Json, kind: &str) -> String {
    let mut out = String::new();
    Object::new(&mut out)
        .field("message", message)
        .field("type", &kind)
        .end();
    out
}

/// A heartbeat's message: the time in UTC and the visitor's UTC offset.
struct Stamp {
    stamp: String,
    tz: String,
}

impl Json for Stamp {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("stamp", &self.stamp)
            .field("tz", &self.tz)
            .end();
    }
}

impl Codec for Plura {
    fn provider(&self) -> &'static str {
        "plura"
    }

    fn socket_url(&self, session: Option<&Session>, _link: &LinkParams) -> String {
        // Decision (PROTOCOLS.md §1): always `r/true`, as every vendor example does.
        match session {
            Some(s) => format!(
                "{}/webchat/flow/{}/session/{}/r/true",
                self.ws,
                encode_segment(&s.route),
                encode_segment(&s.id)
            ),
            None => format!(
                "{}/webchat/flow/{}/session/null/r/true",
                self.ws,
                encode_segment(&self.flow_id)
            ),
        }
    }

    fn anonymous_route(&self) -> String {
        self.flow_id.clone()
    }

    fn session_request(&self, lead: &Fields) -> Result<Option<HttpRequest>, String> {
        if lead.is_empty() {
            return Ok(None);
        }
        if lead.get("phone").is_none_or(|p| p.trim().is_empty()) {
            return Err(
                "lead data has no phone, which Plura requires to start a session; \
                        continuing as an anonymous chat"
                    .into(),
            );
        }
        // Keys in alphabetical order, the order a JSON map keeps them in.
        let mut body = String::new();
        Object::new(&mut body)
            .field("flow_id", &self.flow_id)
            .field("record", lead)
            .end();
        Ok(Some(HttpRequest {
            method: "POST",
            url: format!("{}/webchat/session", self.api),
            body: Some(body),
            read: super::Read::Whole,
        }))
    }

    fn session_response(&self, status: u16, body: &str) -> Result<Session, String> {
        let value: crate::protocol::value::Value =
            super::scan::parse(body).unwrap_or(crate::protocol::value::Value::Null);
        let map = value.as_object();
        if !(200..300).contains(&status) {
            let why = map
                .and_then(|m| m.get("message"))
                .and_then(|m| m.as_str())
                .unwrap_or("no reason given");
            return Err(format!("session POST answered HTTP {status}: {why}"));
        }
        let field = |k: &str| {
            map.and_then(|m| m.get(k))
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        };
        match (field("session"), field("flow_id")) {
            (Some(id), Some(route)) => Ok(Session {
                id: id.to_string(),
                route: route.to_string(),
                token: None,
            }),
            _ => Err("session POST answer lacks \"session\" or \"flow_id\"".into()),
        }
    }

    fn decode(&self, frame: &str) -> Result<Vec<Envelope>, DecodeError> {
        let (kind, map) = parse_typed(frame)?;
        let required = |field: &'static str| {
            text_field(&map, field).ok_or_else(|| DecodeError::MissingField {
                kind: kind.clone(),
                field,
            })
        };
        let event = match kind.as_str() {
            "session" => Event::Session {
                session_id: required("session_id")?,
            },
            "chatowner" => Event::Agent {
                name: text_field(&map, "name"),
                avatar: text_field(&map, "profilepic"),
                joined: false,
            },
            "message" => Event::AgentMessage(AgentText {
                id: text_field(&map, "id"),
                text: required("content")?,
                name: text_field(&map, "name"),
                ..AgentText::default()
            }),
            "recv" => Event::Receipt {
                client_id: None,
                text: required("content")?,
            },
            _ => Event::Unknown { kind },
        };
        Ok(vec![Envelope::bare(event)])
    }

    fn encode(&self, command: &Command) -> String {
        match command {
            Command::UserMessage { text, .. } => outgoing(text, "message"),
            Command::Typing(on) => outgoing(on, "typing"),
            // Plura has no join or end frames; the engine never asks for them.
            Command::Join | Command::EndSession | Command::PageEvent { .. } => String::new(),
            Command::Heartbeat(now) => {
                let stamp = Stamp {
                    stamp: utc_stamp(now.utc_ms),
                    tz: offset_label(now.offset_min),
                };
                outgoing(&stamp, "heartbeat")
            }
        }
    }

    fn heartbeat_interval_ms(&self) -> u64 {
        HEARTBEAT_MS
    }

    fn legacy_session_key(&self) -> Option<&'static str> {
        Some("plura_session_id")
    }
}

/// Percent-encodes what is not an unreserved URL character, so an id stays one path segment.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
