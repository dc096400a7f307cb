//! The one vocabulary between wire formats and the engine.
//!
//! A codec turns a vendor's frames into [`Event`]s and the engine's [`Command`]s into frames.
//! Nothing outside `src/protocol/` knows which vendor is on the line.

pub mod plati;
pub mod plura;
pub mod sse;

use crate::clock::Now;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Largest frame a codec will parse; bigger ones are refused, not parsed.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;

/// What a server said, in the engine's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The server's id for this conversation; persist it.
    Session { session_id: String },
    /// Who the visitor is talking to (header name and avatar).
    Agent {
        name: Option<String>,
        avatar: Option<String>,
    },
    /// A message from the agent.
    AgentMessage {
        id: Option<String>,
        text: String,
        name: Option<String>,
        avatar: Option<String>,
    },
    /// The server got one of the visitor's messages. `client_id` when the wire carries ours;
    /// otherwise the engine matches by text.
    Receipt {
        client_id: Option<String>,
        text: String,
    },
    /// A frame of a type this codec does not know: ignored, never fatal.
    Unknown { kind: String },
}

/// What the engine wants said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    UserMessage { client_id: &'a str, text: &'a str },
    Typing(bool),
    Heartbeat(Now),
}

/// A conversation the server knows: its id, and the route the socket URL needs (for Plura
/// the flow instance id, which a session POST may replace).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub route: String,
}

/// How a driver reads an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// The whole body, reported once.
    Whole,
    /// A `text/event-stream` body read with `fetch`, reported chunk by chunk.
    FetchStream,
    /// A GET through `EventSource` (no custom headers), reported event by event.
    EventSource,
}

/// An HTTP call the engine asks a driver to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub body: Option<String>,
    pub read: Read,
}

/// What one event of an answer stream means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamPiece {
    /// Append to the answer.
    Token(String),
    /// The full answer: replaces what the tokens built.
    Complete(String),
    /// The server gave up on this answer.
    Error(String),
    /// A type this codec does not know: ignored.
    Unknown(String),
    Malformed(String),
}

/// A vendor whose conversation is one HTTP exchange per visitor message (no socket).
pub trait ExchangeCodec {
    fn provider(&self) -> &'static str;
    /// The request carrying one visitor message; `bearer` says whether it will carry a token.
    fn message_request(&self, visitor: &str, text: &str, bearer: bool) -> HttpRequest;
    /// Interprets one event's `data` of a streamed answer.
    fn stream_piece(&self, data: &str) -> StreamPiece;
    /// Reads a whole (non-streamed) answer body.
    fn whole_answer(&self, body: &str) -> Result<String, String>;
    /// The request that tells the vendor who the visitor is, if the lead data has anything for it.
    fn identify_request(
        &self,
        visitor: &str,
        lead: &BTreeMap<String, String>,
    ) -> Option<HttpRequest>;
    /// What an HTTP failure means, for the visitor.
    fn explain_status(&self, status: u16) -> String;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    TooLarge(usize),
    NotJson(String),
    NotAnObject,
    MissingType,
    MissingField { kind: String, field: &'static str },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge(n) => write!(
                f,
                "frame of {n} bytes is over the {MAX_FRAME_BYTES}-byte limit"
            ),
            DecodeError::NotJson(e) => write!(f, "frame is not JSON: {e}"),
            DecodeError::NotAnObject => write!(f, "frame is not a JSON object"),
            DecodeError::MissingType => write!(f, "frame has no string \"type\""),
            DecodeError::MissingField { kind, field } => {
                write!(f, "\"{kind}\" frame has no string \"{field}\"")
            }
        }
    }
}

/// One vendor's wire format.
pub trait Codec {
    fn provider(&self) -> &'static str;
    /// Socket URL for a new conversation (`None`) or a known one.
    fn socket_url(&self, session: Option<&Session>) -> String;
    /// The route of a conversation the server starts for us (for Plura the configured flow id).
    fn anonymous_route(&self) -> String;
    /// The session POST to make before connecting, when lead data asks for one.
    /// `Ok(None)`: no lead data, connect anonymously. `Err`: refused, with the reason.
    fn session_request(
        &self,
        lead: &BTreeMap<String, String>,
    ) -> Result<Option<HttpRequest>, String>;
    /// Reads the answer to [`Codec::session_request`].
    fn session_response(&self, status: u16, body: &str) -> Result<Session, String>;
    fn decode(&self, frame: &str) -> Result<Vec<Event>, DecodeError>;
    fn encode(&self, command: &Command) -> String;
    /// Heartbeat period while open; the first one is sent one period after open.
    fn heartbeat_interval_ms(&self) -> u64;
}

/// Parses a frame into a JSON object and its `type`, with the shared size and shape checks.
pub(crate) fn parse_typed(
    frame: &str,
) -> Result<(String, serde_json::Map<String, serde_json::Value>), DecodeError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge(frame.len()));
    }
    let value: serde_json::Value =
        serde_json::from_str(frame).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(DecodeError::NotAnObject);
    };
    let kind = map
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or(DecodeError::MissingType)?
        .to_string();
    Ok((kind, map))
}

/// A field as text: strings as they are, numbers and booleans written out, anything else absent.
pub(crate) fn text_field(
    map: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<String> {
    match map.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
