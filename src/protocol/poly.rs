//! PolyAI messaging (PROTOCOLS.md §3): sequenced events over one socket, history replayed on
//! connect, streamed chunks, handoff to live agents.

use super::plati::percent_encode;
use super::write::{json, object};
use super::{
    parse_typed_within, AgentText, Attachment, ClosePolicy, Codec, Command, DecodeError, Envelope,
    Event, HttpRequest, LinkParams, Read, Session, MAX_BATCH_FRAME_BYTES,
};
use crate::i18n::Notice;
use crate::keyed::Fields;
use crate::protocol::value::{object_or_empty, Map, Value};

pub const HEARTBEAT_MS: u64 = 30_000;
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

pub struct Poly {
    api: String,
    ws: String,
}

impl Poly {
    pub fn new(api: &str, ws: &str) -> Poly {
        Poly {
            api: api.to_string(),
            ws: ws.to_string(),
        }
    }
}

fn text(map: &Map, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

fn attachments(payload: &Map) -> Vec<Attachment> {
    let Some(list) = payload.get("attachments").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .filter_map(Value::as_object)
        .map(|a| Attachment {
            title: text(a, "title"),
            image: text(a, "preview_image_url"),
            url: text(a, "content_url"),
            is_image: text(a, "content_type").as_deref() == Some("ATTACHMENT_CONTENT_TYPE_IMAGE"),
            action: text(a, "call_to_action_text"),
        })
        .collect()
}

fn suggestions(payload: &Map) -> Vec<String> {
    payload
        .get("response_suggestions")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|s| s.get("message_text").and_then(Value::as_str))
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The payload of an event: under `payload`, or (in batched history, as the vendor's SDK
/// allows) under whichever other key holds an object.
/// Borrowed: a replayed batch's payload holds the whole history.
fn payload_of(map: &Map) -> &Map {
    if let Some(Value::Object(p)) = map.get("payload") {
        return p;
    }
    let other = map
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "id" | "type" | "sequence" | "timestamp" | "metadata"
            )
        })
        .map(|(_, v)| v)
        .find(|v| v.as_object().is_some());
    object_or_empty(other)
}

fn notice(notice: Notice) -> Event {
    Event::Notice {
        notice,
        error: false,
    }
}

fn problem(notice: Notice) -> Event {
    Event::Notice {
        notice,
        error: true,
    }
}

/// One (non-batch) event's meaning.
fn meaning(kind: &str, map: &Map) -> Vec<Event> {
    let p = payload_of(map);
    let short = kind.strip_prefix("EVENT_TYPE_").unwrap_or(kind);
    match short {
        "SESSION_START" => {
            let caps = object_or_empty(p.get("capabilities"));
            let int = |k: &str| caps.get(k).and_then(Value::as_u64);
            vec![Event::Capabilities {
                heartbeat_ms: int("heartbeat_interval_seconds")
                    .filter(|s| *s > 0)
                    .map(|s| s * 1000),
                max_reconnect_attempts: int("max_reconnect_attempts").map(|n| n.min(1000) as u32),
                max_message_bytes: int("max_message_size_bytes")
                    .filter(|n| *n > 0)
                    .map(|n| n as usize),
            }]
        }
        "POLY_AGENT_JOINED" => vec![Event::Agent {
            name: text(p, "agent_name"),
            avatar: text(p, "agent_avatar_url"),
            joined: true,
        }],
        "POLY_AGENT_THINKING" => vec![Event::Typing(true)],
        "POLY_AGENT_MESSAGE" | "LIVE_AGENT_MESSAGE" => match text(p, "text") {
            Some(t) => vec![Event::AgentMessage(AgentText {
                id: text(p, "message_id"),
                text: t,
                name: None,
                attachments: attachments(p),
                suggestions: suggestions(p),
            })],
            None => vec![Event::Unknown {
                kind: format!("{short} without text"),
            }],
        },
        "POLY_AGENT_MESSAGE_CHUNK" => match (
            text(p, "message_id"),
            p.get("chunk_index").and_then(Value::as_u64),
        ) {
            (Some(message_id), Some(index)) if index >= 1 => vec![Event::Chunk {
                message_id,
                index: index.min(u32::MAX as u64) as u32,
                text: text(p, "text").unwrap_or_default(),
                complete: p
                    .get("is_complete")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                attachments: attachments(p),
                suggestions: suggestions(p),
            }],
            _ => vec![Event::Unknown {
                kind: format!("{short} without message_id or chunk_index"),
            }],
        },
        "POLY_AGENT_LEFT" => vec![notice(Notice::AssistantLeft)],
        "POLY_AGENT_TRIGGERED_HANDOFF" => vec![notice(Notice::ConnectingTeam)],
        "HANDOFF_ACCEPTED" => vec![notice(Notice::TeamSoon)],
        "HANDOFF_QUEUE_STATUS" => vec![notice(Notice::Queue {
            position: p.get("position_in_queue").and_then(Value::as_u64),
            queue: text(p, "queue_name").filter(|q| !q.is_empty()),
            wait_seconds: p.get("estimated_wait_seconds").and_then(Value::as_u64),
        })],
        "LIVE_AGENT_JOINED" => {
            let agent = object_or_empty(p.get("agent"));
            let name = text(agent, "name");
            vec![
                Event::Agent {
                    name: name.clone(),
                    avatar: text(agent, "avatar_url"),
                    joined: false,
                },
                notice(Notice::AgentJoined { name }),
            ]
        }
        "LIVE_AGENT_TYPING" => vec![Event::Typing(
            text(p, "state").as_deref() == Some("TYPING_STATE_STARTED"),
        )],
        "LIVE_AGENT_LEFT" => vec![notice(Notice::AgentLeft)],
        "HANDOFF_FAILED" => vec![problem(Notice::HandoffFailed)],
        "HANDOFF_TIMEOUT" => vec![problem(Notice::HandoffTimeout)],
        "CLIENT_HANDOFF_REQUIRED" => vec![problem(Notice::NeedsTeam {
            queue: text(p, "queue_name").filter(|q| !q.is_empty()),
        })],
        "SYSTEM_MESSAGE" => {
            let level = text(p, "level").unwrap_or_default();
            let message = text(p, "message").unwrap_or_else(|| "System notice".into());
            vec![Event::Notice {
                notice: Notice::Server { text: message },
                error: level.ends_with("ERROR") || level.ends_with("WARNING"),
            }]
        }
        "LANGUAGE_CHANGED" => match text(p, "language_code") {
            Some(code) => vec![Event::Language(code)],
            None => vec![],
        },
        "SESSION_END" => vec![Event::SessionEnded {
            reason: text(p, "reason").unwrap_or_default(),
        }],
        "USER_MESSAGE" => {
            let client_id = map
                .get("metadata")
                .and_then(|m| m.get("custom"))
                .and_then(|c| c.get("client_event_id"))
                .and_then(Value::as_str)
                .map(str::to_string);
            vec![Event::Receipt {
                client_id,
                text: text(p, "text").unwrap_or_default(),
            }]
        }
        "HEARTBEAT" | "REQUEST_POLY_AGENT_JOIN" | "USER_END_SESSION" | "USER_TYPING" => {
            vec![Event::Echo]
        }
        _ => vec![Event::Unknown {
            kind: kind.to_string(),
        }],
    }
}

fn envelope(kind: &str, map: &Map) -> Envelope {
    Envelope {
        id: text(map, "id"),
        seq: map.get("sequence").and_then(Value::as_u64),
        events: meaning(kind, map),
    }
}

impl Codec for Poly {
    fn provider(&self) -> &'static str {
        "poly"
    }

    fn socket_url(&self, session: Option<&Session>, link: &LinkParams) -> String {
        let mut url = format!(
            "{}/ws?session_id={}&access_token={}",
            self.ws,
            percent_encode(session.map_or("", |s| s.id.as_str())),
            percent_encode(link.token.unwrap_or(""))
        );
        // PROTOCOLS.md §3 decision: the plain `<n>` form.
        if let Some(n) = link.cursor {
            url.push_str(&format!("&cursor={n}"));
        }
        url
    }

    fn anonymous_allowed(&self) -> bool {
        false
    }

    /// The server echoes every `HEARTBEAT` (PROTOCOLS.md §3), so two silent intervals mean a
    /// half-open link.
    fn expects_pong(&self) -> bool {
        true
    }

    fn session_request(&self, _lead: &Fields) -> Result<Option<HttpRequest>, String> {
        Ok(Some(HttpRequest {
            method: "POST",
            url: format!("{}/api/v1/sessions", self.api),
            body: Some(json(&object([
                ("streaming_enabled", true.into()),
                ("platform", "web".into()),
            ]))),
            read: Read::Whole,
        }))
    }

    fn session_response(&self, status: u16, body: &str) -> Result<Session, String> {
        if !(200..300).contains(&status) {
            return Err(format!("creating a PolyAI session answered HTTP {status}"));
        }
        let value: Value =
            super::scan::parse(body).map_err(|e| format!("session answer is not JSON: {e}"))?;
        match value.get("session_id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(Session {
                id: id.to_string(),
                route: String::new(),
                token: None,
            }),
            _ => Err("session answer has no session_id".into()),
        }
    }

    fn decode(&self, frame: &str) -> Result<Vec<Envelope>, DecodeError> {
        let (kind, map) = parse_typed_within(frame, MAX_BATCH_FRAME_BYTES)?;
        if kind == "EVENT_TYPE_EVENT_BATCH" {
            let payload = payload_of(&map);
            let mut out: Vec<Envelope> = payload
                .get("events")
                .and_then(Value::as_array)
                .map(|events| {
                    events
                        .iter()
                        .filter_map(Value::as_object)
                        .map(|e| match e.get("type").and_then(Value::as_str) {
                            Some(k) => envelope(k, e),
                            None => Envelope::bare(Event::Unknown {
                                kind: "batched event without type".into(),
                            }),
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(Envelope::bare(Event::ReplayEnd));
            // A batch that carries a sequence of its own has been applied once its events
            // are: the cursor moves over it, or it would wait at its number for good.
            if let Some(seq) = map.get("sequence").and_then(Value::as_u64) {
                out.push(Envelope {
                    id: None,
                    seq: Some(seq),
                    events: vec![Event::Echo],
                });
            }
            return Ok(out);
        }
        Ok(vec![envelope(&kind, &map)])
    }

    fn encode(&self, command: &Command) -> String {
        let (kind, payload) = match command {
            Command::UserMessage { client_id, text } => {
                let custom = object([("client_event_id", (*client_id).into())]);
                return json(&object([
                    ("type", "EVENT_TYPE_USER_MESSAGE".into()),
                    ("payload", object([("text", (*text).into())])),
                    ("metadata", object([("custom", custom)])),
                ]));
            }
            Command::Typing(on) => (
                "EVENT_TYPE_USER_TYPING",
                object([(
                    "state",
                    if *on {
                        "TYPING_STATE_STARTED"
                    } else {
                        "TYPING_STATE_STOPPED"
                    }
                    .into(),
                )]),
            ),
            Command::Heartbeat(_) => ("EVENT_TYPE_HEARTBEAT", object([])),
            Command::Join => ("EVENT_TYPE_REQUEST_POLY_AGENT_JOIN", object([])),
            Command::EndSession => ("EVENT_TYPE_USER_END_SESSION", object([])),
            // PolyAI has no page events; the engine never asks.
            Command::PageEvent { .. } => return String::new(),
        };
        json(&object([("type", kind.into()), ("payload", payload)]))
    }

    fn heartbeat_interval_ms(&self) -> u64 {
        HEARTBEAT_MS
    }

    /// Close codes from the vendor's own SDK (PROTOCOLS.md §3).
    fn close_policy(&self, code: u16, _opened: bool) -> ClosePolicy {
        match code {
            1000 => ClosePolicy::Stop,
            4000 => ClosePolicy::Replaced,
            4001 => ClosePolicy::NewSession,
            _ => ClosePolicy::Reconnect,
        }
    }

    fn join_after_replay(&self) -> bool {
        true
    }

    fn can_end(&self) -> bool {
        true
    }

    fn max_message_bytes(&self) -> Option<usize> {
        Some(MAX_MESSAGE_BYTES)
    }
}
