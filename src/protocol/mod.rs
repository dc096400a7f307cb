//! The one vocabulary between wire formats and the engine.
//!
//! A codec turns a vendor's frames into [`Event`]s and the engine's [`Command`]s into frames.
//! Nothing outside `src/protocol/` knows which vendor is on the line.

pub mod iraa;
pub mod plati;
pub mod plura;
pub mod poly;
pub mod record;
pub mod scan;
pub mod sse;
pub mod value;
pub mod write;

use crate::clock::Now;
use crate::keyed::Fields;
use serde::Serialize;
use std::fmt;

/// Largest frame a codec will parse; bigger ones are refused, not parsed.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;
/// PolyAI replays a whole history as one `EVENT_BATCH` frame: thousands of messages are
/// legitimate there, so its frames may be larger (still bounded).
pub const MAX_BATCH_FRAME_BYTES: usize = 8 * 1024 * 1024;

/// A rich item attached to a message (PolyAI attachments).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Attachment {
    pub title: Option<String>,
    /// Preview or the image itself.
    pub image: Option<String>,
    /// Where the card links to.
    pub url: Option<String>,
    pub is_image: bool,
    pub action: Option<String>,
}

/// Stored with the message; absent fields left out.
impl write::Json for Attachment {
    fn write(&self, out: &mut String) {
        write::Object::new(out)
            .some("title", &self.title)
            .some("image", &self.image)
            .some("url", &self.url)
            .field("is_image", &self.is_image)
            .some("action", &self.action)
            .end();
    }
}

impl Attachment {
    /// A stored attachment read back (the form [`write::Json`] writes).
    pub fn read(v: &value::Value) -> Option<Attachment> {
        let r = record::Record::of(v)?;
        Some(Attachment {
            title: r.optional_text("title")?,
            image: r.optional_text("image")?,
            url: r.optional_text("url")?,
            is_image: r.flag("is_image")?,
            action: r.optional_text("action")?,
        })
    }
}

/// A message from the other side, whole.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AgentText {
    pub id: Option<String>,
    pub text: String,
    pub name: Option<String>,
    pub attachments: Vec<Attachment>,
    pub suggestions: Vec<String>,
}

/// What a server said, in the engine's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The server's id for this conversation; persist it.
    Session { session_id: String },
    /// Who the visitor is talking to (header name and avatar); `joined` when this is the
    /// agent's own join (PolyAI), which means no join request is needed again.
    Agent {
        name: Option<String>,
        avatar: Option<String>,
        joined: bool,
    },
    /// A message from the agent (or a live agent).
    AgentMessage(AgentText),
    /// One piece of a streamed agent message (1-based `index`).
    Chunk {
        message_id: String,
        index: u32,
        text: String,
        complete: bool,
        attachments: Vec<Attachment>,
        suggestions: Vec<String>,
    },
    /// The server got one of the visitor's messages. `client_id` when the wire carries ours;
    /// otherwise the engine matches by text.
    Receipt {
        client_id: Option<String>,
        text: String,
    },
    /// The other side is (or stopped) composing.
    Typing(bool),
    /// Session capabilities; absent values keep their defaults.
    Capabilities {
        heartbeat_ms: Option<u64>,
        max_reconnect_attempts: Option<u32>,
        max_message_bytes: Option<usize>,
    },
    /// Something to show in the transcript, apart from messages (handoff, system notices).
    Notice {
        notice: crate::i18n::Notice,
        error: bool,
    },
    /// The conversation's language changed (BCP-47).
    Language(String),
    /// The server ended the conversation.
    SessionEnded { reason: String },
    /// Page actions to run in order (Iraa).
    PageActions(Vec<PageAction>),
    /// Text the visitor may hear, when sound is on (Iraa `speech`).
    Speech(String),
    /// A lead form to show inline (Iraa).
    LeadForm {
        fields: Vec<String>,
        cta_text: Option<String>,
        cta_url: Option<String>,
    },
    /// The server reported a problem with a code (Iraa `error`).
    ServerError { code: String, message: String },
    /// The server answered a heartbeat.
    Pong,
    /// The history replay sent on connect is over.
    ReplayEnd,
    /// An echo of something we sent that needs no action (heartbeat, join, end).
    Echo,
    /// A frame of a type this codec does not know: ignored, never fatal.
    Unknown { kind: String },
}

/// What one server event means, with the server's id and sequence number when the wire has
/// them (one wire event can mean several things, e.g. a live agent joining: header + notice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub id: Option<String>,
    pub seq: Option<u64>,
    pub events: Vec<Event>,
}

impl Envelope {
    pub fn bare(event: Event) -> Envelope {
        Envelope {
            id: None,
            seq: None,
            events: vec![event],
        }
    }
}

/// What the engine wants said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    UserMessage {
        client_id: &'a str,
        text: &'a str,
    },
    Typing(bool),
    Heartbeat(Now),
    /// Ask the agent to join a new conversation.
    Join,
    /// The visitor ends the conversation.
    EndSession,
    /// The visitor's own click or navigation in the demo surface (Iraa `iframe_event`).
    PageEvent {
        event: &'a str,
        selector: &'a str,
        url: &'a str,
    },
}

/// What a server-reported problem asks of the engine (Iraa's error codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Credentials were refused: one fresh session, then give up.
    Auth,
    /// The conversation is gone: forget it and start a new one, telling the visitor.
    SessionGone,
    /// Our own bug (bad frame): log it and show a non-fatal notice, never loop.
    Notice,
    /// The configuration is wrong: stop.
    Config,
}

/// One page action an agent asked for (Iraa `iframeCommands`); fields as the wire gives them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageAction {
    pub action: String,
    pub selector: Option<String>,
    pub url: Option<String>,
    pub text: Option<String>,
    pub value: Option<String>,
    pub timeout: Option<u64>,
}

/// An object of the fields that have a value. Written as a map, not a struct: serde-wasm-bindgen
/// turns a struct's field names into JS strings through a cache of its own (a hash map keyed by
/// address), which cost the bundle about 1 KB gzip for this one struct; a map's keys are plain
/// strings. (The browser driver asks for maps as plain objects.)
impl Serialize for PageAction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("action", &self.action)?;
        for (key, value) in [
            ("selector", &self.selector),
            ("url", &self.url),
            ("text", &self.text),
            ("value", &self.value),
        ] {
            if let Some(v) = value {
                map.serialize_entry(key, v)?;
            }
        }
        if let Some(t) = self.timeout {
            map.serialize_entry("timeout", &t)?;
        }
        map.end()
    }
}

/// What a close the engine did not ask for means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClosePolicy {
    /// Transient: reconnect to the same conversation with backoff.
    Reconnect,
    /// A normal close: no reconnect.
    Stop,
    /// Another connection took over the conversation: no reconnect.
    Replaced,
    /// The server no longer knows the conversation: start a new one.
    NewSession,
    /// The server refused our credentials: one fresh session, then give up.
    Auth,
}

/// What the socket URL needs beyond the session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkParams<'a> {
    pub token: Option<&'a str>,
    /// Highest sequence applied, for resuming.
    pub cursor: Option<u64>,
}

/// A conversation the server knows: its id, and the route the socket URL needs (for Plura
/// the flow instance id, which a session POST may replace).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Session {
    pub id: String,
    pub route: String,
    /// A per-conversation token the socket URL carries (Iraa's session JWT).
    pub token: Option<String>,
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
pub enum StreamPiece<'a> {
    /// Append to the answer: borrowed from the event when it has no escapes.
    Token(std::borrow::Cow<'a, str>),
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
    fn stream_piece<'a>(&self, data: &'a str) -> StreamPiece<'a>;
    /// Reads a whole (non-streamed) answer body.
    fn whole_answer(&self, body: &str) -> Result<String, String>;
    /// The request that tells the vendor who the visitor is, if the lead data has anything for it.
    fn identify_request(&self, visitor: &str, lead: &Fields) -> Option<HttpRequest>;
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
            DecodeError::TooLarge(n) => write!(f, "frame of {n} bytes is over the size limit"),
            DecodeError::NotJson(e) => write!(f, "frame is not JSON: {e}"),
            DecodeError::NotAnObject => write!(f, "frame is not a JSON object"),
            DecodeError::MissingType => write!(f, "frame has no string \"type\""),
            DecodeError::MissingField { kind, field } => {
                write!(f, "\"{kind}\" frame has no string \"{field}\"")
            }
        }
    }
}

/// One socket vendor's wire format.
pub trait Codec {
    fn provider(&self) -> &'static str;
    /// Socket URL for a new conversation (`None`) or a known one.
    fn socket_url(&self, session: Option<&Session>, link: &LinkParams) -> String;
    /// The route of a conversation the server starts for us (for Plura the configured flow id).
    fn anonymous_route(&self) -> String {
        String::new()
    }
    /// Whether a socket may open before any session request (Plura: anonymous chat).
    fn anonymous_allowed(&self) -> bool {
        true
    }
    /// The session request to make before connecting. `Ok(None)`: none needed, connect
    /// anonymously. `Err`: refused, with the reason.
    fn session_request(&self, lead: &Fields) -> Result<Option<HttpRequest>, String>;
    /// Reads the answer to [`Codec::session_request`].
    fn session_response(&self, status: u16, body: &str) -> Result<Session, String>;
    /// What a successful session answer says besides the session (Iraa: greeting, agent name).
    fn session_events(&self, _body: &str) -> Vec<Event> {
        Vec::new()
    }
    /// Whether the server answers heartbeats (Iraa's `pong`): two intervals without one mean
    /// the link is dead.
    fn expects_pong(&self) -> bool {
        false
    }
    /// The HTTP call that ends a conversation, for vendors that end it over HTTP (Iraa).
    fn end_request(&self, _session: &Session) -> Option<HttpRequest> {
        None
    }
    /// Whether the server acknowledges each visitor message (Plura `recv`, PolyAI echo). Without
    /// acknowledgements a message written to an open socket counts as sent and is not resent.
    fn acknowledges(&self) -> bool {
        true
    }
    /// What a server `error` code asks of the engine.
    fn problem(&self, _code: &str) -> Problem {
        Problem::Notice
    }
    fn decode(&self, frame: &str) -> Result<Vec<Envelope>, DecodeError>;
    fn encode(&self, command: &Command) -> String;
    /// Heartbeat period while open (until capabilities say otherwise); the first one is sent
    /// one period after open.
    fn heartbeat_interval_ms(&self) -> u64;
    /// What a close we did not ask for means; `opened`: whether the socket had opened.
    fn close_policy(&self, _code: u16, _opened: bool) -> ClosePolicy {
        ClosePolicy::Reconnect
    }
    /// A key another client of this vendor kept the session under, read once to migrate.
    fn legacy_session_key(&self) -> Option<&'static str> {
        None
    }
    /// Whether a new conversation needs [`Command::Join`] once the replay on connect is over.
    fn join_after_replay(&self) -> bool {
        false
    }
    /// Whether the visitor can end the conversation ([`Command::EndSession`]).
    fn can_end(&self) -> bool {
        false
    }
    /// Largest outgoing message frame, until capabilities say otherwise.
    fn max_message_bytes(&self) -> Option<usize> {
        None
    }
}

/// Parses a frame into a JSON object and its `type`, with the shared size and shape checks.
pub(crate) fn parse_typed(frame: &str) -> Result<(String, value::Map), DecodeError> {
    parse_typed_within(frame, MAX_FRAME_BYTES)
}

/// [`parse_typed`] with a size limit of the caller's.
pub(crate) fn parse_typed_within(
    frame: &str,
    limit: usize,
) -> Result<(String, value::Map), DecodeError> {
    if frame.len() > limit {
        return Err(DecodeError::TooLarge(frame.len()));
    }
    let value: value::Value = scan::parse(frame).map_err(DecodeError::NotJson)?;
    let value::Value::Object(map) = value else {
        return Err(DecodeError::NotAnObject);
    };
    let kind = map
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or(DecodeError::MissingType)?
        .to_string();
    Ok((kind, map))
}

/// The visitor's display name from lead data: `name`, else `first_name` and `last_name` joined.
pub(crate) fn lead_name(lead: &Fields) -> Option<String> {
    lead.get("name").cloned().or_else(|| {
        let parts: Vec<&str> = [lead.get("first_name"), lead.get("last_name")]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        (!parts.is_empty()).then(|| crate::text::join(&parts, " "))
    })
}

/// A field as text: strings as they are, numbers and booleans written out, anything else absent.
pub(crate) fn text_field(map: &value::Map, key: &str) -> Option<String> {
    match map.get(key)? {
        value::Value::String(s) => Some(s.clone()),
        value::Value::Number(n) => Some(n.as_str().to_string()),
        value::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
