//! The sans-IO conversation engine: inputs in, outputs out, time passed in.
//!
//! It owns every decision about connecting, reconnecting, heartbeats, the outbox, delivery
//! marks, de-duplication and persistence. Drivers in `src/browser/` only carry its outputs out
//! and its inputs in, so everything here is tested natively with a fake clock.

mod backoff;
mod exchange;
mod transcript;

pub use exchange::{Credential, ExchangeEngine};

pub use backoff::{backoff_delay_ms, Rng, BACKOFF_BASE_MS, BACKOFF_CAP_MS, STABLE_OPEN_MS};
pub use transcript::{Delivery, Direction, Entry, Outbox, Transcript, MAX_TRANSCRIPT};

use crate::clock::Now;
use crate::protocol::{Codec, Command, Event, HttpRequest, Session};

/// What the browser runtime drives: the socket engine or the exchange engine.
pub trait Machine {
    fn handle(&mut self, now: Now, input: Input) -> Vec<Output>;
    /// The storage keys [`Input::Start`] should carry.
    fn keys_to_load(&self) -> Vec<String>;
    fn state(&self) -> ConnState;
}
use std::collections::{BTreeMap, BTreeSet};

/// Typing stops being reported after this long without a keystroke.
pub const TYPING_IDLE_MS: u64 = 3_000;
/// Longest message a visitor may send (decision: Plura documents no limit; 4 000 characters
/// keeps a frame far below any server's limit and is more than a chat message needs).
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// `Confab.state` (EMBED.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    Idle,
    Connecting,
    Open,
    Reconnecting,
    Offline,
    Ended,
    Failed,
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Idle => "idle",
            ConnState::Connecting => "connecting",
            ConnState::Open => "open",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Offline => "offline",
            ConnState::Ended => "ended",
            ConnState::Failed => "failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Timer {
    Reconnect,
    Heartbeat,
    TypingIdle,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Values read from storage for [`Engine::keys_to_load`] (absent keys left out), and a
    /// random seed for backoff jitter and client ids.
    Start {
        stored: BTreeMap<String, String>,
        seed: u64,
    },
    /// The panel was opened or closed by the visitor or the page.
    Panel(bool),
    SocketOpened,
    SocketClosed {
        code: u16,
    },
    Frame(String),
    /// A binary frame: no provider sends one, so it is counted and ignored.
    BinaryFrame(usize),
    TimerFired(Timer),
    /// The answer to an [`Output::Http`] read as [`crate::protocol::Read::Whole`]; status 0
    /// means the request never got an answer.
    HttpDone {
        id: u32,
        status: u16,
        body: String,
    },
    /// A streamed answer started (fetch: its status; EventSource: 200 on open).
    StreamOpened {
        id: u32,
        status: u16,
    },
    /// Body bytes of a fetch-read event stream, split anywhere.
    StreamChunk {
        id: u32,
        bytes: Vec<u8>,
    },
    /// One event's data, already parsed by the browser's EventSource.
    StreamEvent {
        id: u32,
        data: String,
    },
    /// The stream ended; `error` when it was cut or failed rather than closed by the server.
    StreamEnded {
        id: u32,
        error: Option<String>,
    },
    /// The visitor asked to retry a failed message or an interrupted answer.
    Retry(String),
    UserSend(String),
    UserTyping,
    Identify(BTreeMap<String, String>),
    Online,
    Offline,
    Visible,
    Reset,
    Destroy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UiEvent {
    State(ConnState),
    Agent {
        name: Option<String>,
        avatar: Option<String>,
    },
    /// A transcript entry appeared; `restored` when it comes from storage, not the wire.
    Added {
        entry: Entry,
        restored: bool,
    },
    Status {
        id: String,
        status: Delivery,
    },
    /// Text appended to a streaming message.
    Append {
        id: String,
        text: String,
    },
    /// A message's whole text, replacing what streaming built.
    Replace {
        id: String,
        text: String,
    },
    /// A message left the transcript (an interrupted answer being retried).
    Removed {
        id: String,
    },
    /// The transcript was forgotten (reset).
    Cleared,
    /// Restore the panel as the visitor left it.
    Panel(bool),
    Error {
        code: &'static str,
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Open a socket to this URL (a driver closes any earlier one first, silently).
    Connect(String),
    /// Close the socket on purpose; no [`Input::SocketClosed`] follows for it.
    Close,
    Send(String),
    StartTimer(Timer, u64),
    CancelTimer(Timer),
    Persist {
        key: String,
        value: Option<String>,
    },
    /// Make a request; `bearer` goes in an `Authorization: Bearer` header (never logged).
    Http {
        id: u32,
        request: HttpRequest,
        bearer: Option<String>,
    },
    /// Stop reading (and cancel) request `id`; nothing more is reported for it.
    Abort(u32),
    Ui(UiEvent),
    Log(Level, String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Down,
    Connecting,
    Open,
}

/// What we keep about the conversation between page loads.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSession {
    #[serde(flatten)]
    session: Session,
    #[serde(default)]
    from_lead: bool,
}

#[derive(serde::Serialize, serde::Deserialize, Default, Clone, PartialEq, Eq)]
struct StoredAgent {
    name: Option<String>,
    avatar: Option<String>,
}

pub struct Engine {
    codec: Box<dyn Codec>,
    prefix: String,
    legacy_key: Option<&'static str>,
    lead: BTreeMap<String, String>,
    state: ConnState,
    link: Link,
    session: Option<Session>,
    session_from_lead: bool,
    session_request_in_flight: bool,
    session_request_id: u32,
    lead_refused: bool,
    wants_link: bool,
    stopped: bool,
    online: bool,
    attempt: u32,
    opened_at: Option<i64>,
    last_heartbeat: Option<i64>,
    typing: bool,
    transcript: Transcript,
    outbox: Outbox,
    rng: Rng,
    ids: u64,
    unknown_kinds: BTreeSet<String>,
    ignored_frames: u64,
    out: Vec<Output>,
}

impl Engine {
    /// `prefix` namespaces every storage key (see `Config::storage_prefix`).
    pub fn new(codec: Box<dyn Codec>, prefix: &str, lead: BTreeMap<String, String>) -> Engine {
        let legacy_key = (codec.provider() == "plura").then_some("plura_session_id");
        Engine {
            codec,
            prefix: prefix.to_string(),
            legacy_key,
            lead,
            state: ConnState::Idle,
            link: Link::Down,
            session: None,
            session_from_lead: false,
            session_request_in_flight: false,
            session_request_id: 0,
            lead_refused: false,
            wants_link: false,
            stopped: false,
            online: true,
            attempt: 0,
            opened_at: None,
            last_heartbeat: None,
            typing: false,
            transcript: Transcript::default(),
            outbox: Outbox::default(),
            rng: Rng::new(1),
            ids: 0,
            unknown_kinds: BTreeSet::new(),
            ignored_frames: 0,
            out: Vec::new(),
        }
    }

    pub fn state(&self) -> ConnState {
        self.state
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    pub fn transcript(&self) -> &[Entry] {
        self.transcript.entries()
    }

    /// Frames that were malformed, binary, oversized or of an unknown type.
    pub fn ignored_frames(&self) -> u64 {
        self.ignored_frames
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    /// The storage keys [`Input::Start`] should carry.
    pub fn keys_to_load(&self) -> Vec<String> {
        let mut keys: Vec<String> = ["session", "transcript", "outbox", "agent", "panel"]
            .iter()
            .map(|k| self.key(k))
            .collect();
        keys.extend(self.legacy_key.map(str::to_string));
        keys
    }

    pub fn handle(&mut self, now: Now, input: Input) -> Vec<Output> {
        if self.stopped {
            return Vec::new();
        }
        match input {
            Input::Start { stored, seed } => self.start(now, stored, seed),
            Input::Panel(open) => {
                self.persist("panel", Some(if open { "1" } else { "0" }.to_string()));
                if open {
                    self.want_link(now);
                }
            }
            Input::SocketOpened => self.on_open(now),
            Input::SocketClosed { code } => self.on_close(now, code),
            Input::Frame(text) => self.on_frame(now, &text),
            Input::BinaryFrame(len) => {
                self.ignored_frames += 1;
                self.log(
                    Level::Warn,
                    format!("ignored a binary frame of {len} bytes"),
                );
            }
            Input::TimerFired(timer) => self.on_timer(now, timer),
            Input::HttpDone { id, status, body } if id == self.session_request_id => {
                self.on_session_answer(now, status, &body)
            }
            Input::HttpDone { .. }
            | Input::StreamOpened { .. }
            | Input::StreamChunk { .. }
            | Input::StreamEvent { .. }
            | Input::StreamEnded { .. }
            | Input::Retry(_) => {}
            Input::UserSend(text) => self.send_text(now, text),
            Input::UserTyping => self.on_keystroke(),
            Input::Identify(fields) => self.identify(now, fields),
            Input::Online => {
                self.online = true;
                if self.link == Link::Down && self.wants_link {
                    self.out.push(Output::CancelTimer(Timer::Reconnect));
                    self.connect(now);
                }
            }
            Input::Offline => {
                self.online = false;
                if self.link == Link::Down && self.wants_link {
                    self.out.push(Output::CancelTimer(Timer::Reconnect));
                    self.set_state(ConnState::Offline);
                }
            }
            Input::Visible => self.on_visible(now),
            Input::Reset => self.reset(now),
            Input::Destroy => {
                self.drop_link();
                for t in [Timer::Reconnect, Timer::Heartbeat, Timer::TypingIdle] {
                    self.out.push(Output::CancelTimer(t));
                }
                self.set_state(ConnState::Idle);
                self.stopped = true;
            }
        }
        std::mem::take(&mut self.out)
    }

    fn start(&mut self, now: Now, stored: BTreeMap<String, String>, seed: u64) {
        self.rng = Rng::new(seed);
        self.emit(UiEvent::State(self.state));
        let prefix = self.prefix.clone();
        let read = |name: &str| stored.get(&format!("{prefix}:{name}")).cloned();

        if let Some(raw) = read("session") {
            match serde_json::from_str::<StoredSession>(&raw) {
                Ok(s) if valid_id(&s.session.id) && valid_id(&s.session.route) => {
                    self.session = Some(s.session);
                    self.session_from_lead = s.from_lead;
                }
                _ => self.drop_corrupt("session"),
            }
        } else if let Some(legacy) = self.legacy_key.and_then(|k| stored.get(k)) {
            // PROTOCOLS.md §1: the vendor client's key is read once, then ours is kept.
            if valid_id(legacy) && legacy != "null" {
                self.session = Some(Session {
                    id: legacy.clone(),
                    route: self.codec_route(),
                });
                self.persist_session();
            }
            if let Some(k) = self.legacy_key {
                self.out.push(Output::Persist {
                    key: k.to_string(),
                    value: None,
                });
            }
        }
        if let Some(raw) = read("agent") {
            match serde_json::from_str::<StoredAgent>(&raw) {
                Ok(a) => self.emit(UiEvent::Agent {
                    name: a.name,
                    avatar: a.avatar,
                }),
                Err(_) => self.drop_corrupt("agent"),
            }
        }
        if let Some(raw) = read("transcript") {
            match Transcript::from_json(&raw) {
                Some(t) => self.transcript = t,
                None => self.drop_corrupt("transcript"),
            }
        }
        if let Some(raw) = read("outbox") {
            match Outbox::from_json(&raw) {
                Some(o) => self.outbox = o,
                None => self.drop_corrupt("outbox"),
            }
        }
        // Anything waiting in the outbox must also be on screen, marked as not yet sent.
        for (id, text, at) in self.outbox.items() {
            if !self.transcript.contains(&id) {
                self.transcript.push(Entry::outgoing(id, text, at));
            }
        }
        for entry in self.transcript.entries().to_vec() {
            let mut entry = entry;
            if entry.direction == Direction::Out && self.outbox.contains(&entry.id) {
                entry.status = Delivery::Pending;
                self.transcript.set_status(&entry.id, Delivery::Pending);
            }
            self.emit(UiEvent::Added {
                entry,
                restored: true,
            });
        }
        let panel_open = read("panel").as_deref() == Some("1");
        if panel_open {
            self.emit(UiEvent::Panel(true));
        }
        // A returning visitor reconnects at once, so nothing the agent says is missed.
        if self.session.is_some() || !self.outbox.is_empty() || panel_open {
            self.want_link(now);
        }
    }

    fn codec_route(&self) -> String {
        self.codec.anonymous_route()
    }

    fn want_link(&mut self, now: Now) {
        self.wants_link = true;
        if self.link == Link::Down && !self.session_request_in_flight {
            match self.state {
                ConnState::Idle | ConnState::Ended | ConnState::Failed => self.connect(now),
                ConnState::Reconnecting
                | ConnState::Offline
                | ConnState::Connecting
                | ConnState::Open => {}
            }
        }
    }

    fn connect(&mut self, _now: Now) {
        if self.stopped || self.link != Link::Down || self.session_request_in_flight {
            return;
        }
        self.wants_link = true;
        if !self.online {
            self.set_state(ConnState::Offline);
            return;
        }
        if !self.session_from_lead && !self.lead_refused {
            match self.codec.session_request(&self.lead) {
                Ok(Some(request)) => {
                    self.set_state(if self.attempt > 0 {
                        ConnState::Reconnecting
                    } else {
                        ConnState::Connecting
                    });
                    self.request_session(request);
                    return;
                }
                Ok(None) => {}
                Err(why) => {
                    self.lead_refused = true;
                    self.log(Level::Warn, why.clone());
                    self.emit(UiEvent::Error {
                        code: "lead_refused",
                        message: why,
                    });
                }
            }
        }
        let url = self.codec.socket_url(self.session.as_ref());
        self.link = Link::Connecting;
        self.set_state(if self.attempt > 0 {
            ConnState::Reconnecting
        } else {
            ConnState::Connecting
        });
        self.out.push(Output::Connect(url));
    }

    fn request_session(&mut self, request: HttpRequest) {
        self.session_request_in_flight = true;
        self.session_request_id = self.session_request_id.wrapping_add(1);
        self.out.push(Output::Http {
            id: self.session_request_id,
            request,
            bearer: None,
        });
    }

    fn on_session_answer(&mut self, now: Now, status: u16, body: &str) {
        if !self.session_request_in_flight {
            return;
        }
        self.session_request_in_flight = false;
        match self.codec.session_response(status, body) {
            Ok(session) => {
                self.session = Some(session);
                self.session_from_lead = true;
                self.persist_session();
                // A conversation already on the line was anonymous: move to the lead's session.
                self.drop_link();
                self.connect(now);
            }
            Err(why) => {
                self.log(Level::Warn, why.clone());
                self.emit(UiEvent::Error {
                    code: "session_init_failed",
                    message: why,
                });
                if (400..500).contains(&status) && status != 408 && status != 429 {
                    // The server refused this lead data; asking again will not help.
                    self.lead_refused = true;
                    if self.link == Link::Down {
                        self.connect(now);
                    }
                } else if self.link == Link::Down {
                    self.schedule_reconnect();
                }
            }
        }
    }

    fn on_open(&mut self, now: Now) {
        if self.link != Link::Connecting {
            return;
        }
        self.link = Link::Open;
        self.opened_at = Some(now.utc_ms);
        self.last_heartbeat = Some(now.utc_ms);
        self.set_state(ConnState::Open);
        self.out.push(Output::StartTimer(
            Timer::Heartbeat,
            self.codec.heartbeat_interval_ms(),
        ));
        self.flush_outbox();
    }

    fn flush_outbox(&mut self) {
        let mut changed = false;
        for (id, text) in self.outbox.unsent() {
            let frame = self.codec.encode(&Command::UserMessage {
                client_id: &id,
                text: &text,
            });
            self.out.push(Output::Send(frame));
            self.outbox.mark_sent(&id);
            if self.transcript.set_status(&id, Delivery::Sent) {
                self.emit(UiEvent::Status {
                    id,
                    status: Delivery::Sent,
                });
            }
            changed = true;
        }
        if changed {
            self.persist_transcript();
        }
    }

    fn on_close(&mut self, now: Now, code: u16) {
        if self.link == Link::Down {
            return;
        }
        let was_open = self.link == Link::Open;
        self.link = Link::Down;
        self.out.push(Output::CancelTimer(Timer::Heartbeat));
        self.stop_typing_timer();
        if let Some(opened) = self.opened_at.take() {
            if now.utc_ms - opened >= STABLE_OPEN_MS as i64 {
                self.attempt = 0;
            }
        }
        // Written but never acknowledged: send again on the next link (PROTOCOLS.md §1 decision:
        // `recv` is the only proof of delivery, so delivery is at least once).
        let mut reverted = Vec::new();
        for id in self.outbox.unsend_all() {
            if self.transcript.set_status(&id, Delivery::Pending) {
                reverted.push(id);
            }
        }
        for id in reverted {
            self.emit(UiEvent::Status {
                id,
                status: Delivery::Pending,
            });
        }
        self.log(
            Level::Info,
            format!(
                "socket closed with code {code}{}",
                if was_open { "" } else { " before it opened" }
            ),
        );
        if !self.online {
            self.set_state(ConnState::Offline);
        } else {
            self.schedule_reconnect();
        }
    }

    fn schedule_reconnect(&mut self) {
        let delay = backoff_delay_ms(self.attempt, self.rng.unit());
        self.attempt = self.attempt.saturating_add(1);
        self.set_state(ConnState::Reconnecting);
        self.out.push(Output::StartTimer(Timer::Reconnect, delay));
    }

    fn on_frame(&mut self, now: Now, text: &str) {
        if self.link != Link::Open {
            return;
        }
        let events = match self.codec.decode(text) {
            Ok(events) => events,
            Err(e) => {
                self.ignored_frames += 1;
                self.log(Level::Warn, format!("ignored a frame: {e}"));
                return;
            }
        };
        for event in events {
            self.apply(now, event);
        }
    }

    fn apply(&mut self, now: Now, event: Event) {
        match event {
            Event::Session { session_id } => {
                if !valid_id(&session_id) {
                    self.ignored_frames += 1;
                    self.log(
                        Level::Warn,
                        "ignored a session frame with an unusable id".into(),
                    );
                    return;
                }
                let route = match &self.session {
                    Some(s) => s.route.clone(),
                    None => self.codec_route(),
                };
                let changed = self.session.as_ref().is_none_or(|s| s.id != session_id);
                if changed {
                    self.session = Some(Session {
                        id: session_id,
                        route,
                    });
                    self.persist_session();
                }
            }
            Event::Agent { name, avatar } => {
                let agent = StoredAgent { name, avatar };
                self.persist("agent", serde_json::to_string(&agent).ok());
                self.emit(UiEvent::Agent {
                    name: agent.name,
                    avatar: agent.avatar,
                });
            }
            Event::AgentMessage { id, text, name, .. } => {
                if let Some(id) = &id {
                    if self.transcript.contains(id) {
                        return; // replayed after a resume: already shown
                    }
                }
                let id = id.unwrap_or_else(|| self.new_id(now, 's'));
                let entry = Entry {
                    id,
                    direction: Direction::In,
                    text,
                    status: Delivery::Received,
                    at: now.utc_ms,
                    name,
                    reply_to: None,
                };
                self.transcript.push(entry.clone());
                self.persist_transcript();
                self.emit(UiEvent::Added {
                    entry,
                    restored: false,
                });
            }
            Event::Receipt { client_id, text } => {
                let matched = match client_id {
                    Some(id) if self.outbox.contains(&id) => Some(id),
                    _ => self.outbox.oldest_sent_with_text(&text),
                };
                match matched {
                    Some(id) => {
                        self.outbox.remove(&id);
                        self.transcript.set_status(&id, Delivery::Delivered);
                        self.persist_outbox();
                        self.persist_transcript();
                        self.emit(UiEvent::Status {
                            id,
                            status: Delivery::Delivered,
                        });
                    }
                    None => self.log(
                        Level::Info,
                        "a receipt matched no message waiting for one".into(),
                    ),
                }
            }
            Event::Unknown { kind } => {
                self.ignored_frames += 1;
                if self.unknown_kinds.insert(kind.clone()) {
                    self.log(
                        Level::Info,
                        format!("ignored frames of unknown type \"{kind}\""),
                    );
                }
            }
        }
    }

    fn on_timer(&mut self, now: Now, timer: Timer) {
        match timer {
            Timer::Reconnect => {
                if self.link == Link::Down && self.wants_link {
                    self.connect(now);
                }
            }
            Timer::Heartbeat => {
                if self.link == Link::Open {
                    self.send_heartbeat(now);
                }
            }
            Timer::TypingIdle => {
                if self.typing {
                    self.typing = false;
                    if self.link == Link::Open {
                        self.out
                            .push(Output::Send(self.codec.encode(&Command::Typing(false))));
                    }
                }
            }
        }
    }

    fn send_heartbeat(&mut self, now: Now) {
        self.out
            .push(Output::Send(self.codec.encode(&Command::Heartbeat(now))));
        self.last_heartbeat = Some(now.utc_ms);
        self.out.push(Output::StartTimer(
            Timer::Heartbeat,
            self.codec.heartbeat_interval_ms(),
        ));
    }

    fn on_visible(&mut self, now: Now) {
        match self.link {
            Link::Down
                if self.wants_link && self.online && self.state == ConnState::Reconnecting =>
            {
                self.out.push(Output::CancelTimer(Timer::Reconnect));
                self.connect(now);
            }
            // A background tab's timers are throttled: catch up on an overdue heartbeat.
            Link::Open => {
                let due = self.last_heartbeat.unwrap_or(now.utc_ms)
                    + self.codec.heartbeat_interval_ms() as i64;
                if now.utc_ms >= due {
                    self.send_heartbeat(now);
                }
            }
            _ => {}
        }
    }

    fn send_text(&mut self, now: Now, text: String) {
        if text.trim().is_empty() {
            return;
        }
        let chars = text.chars().count();
        if chars > MAX_MESSAGE_CHARS {
            self.emit(UiEvent::Error {
                code: "message_too_long",
                message: format!(
                    "This message is {chars} characters long; the limit is {MAX_MESSAGE_CHARS}. Nothing was sent."
                ),
            });
            return;
        }
        let id = self.new_id(now, 'c');
        let entry = Entry::outgoing(id.clone(), text.clone(), now.utc_ms);
        self.outbox.push(id.clone(), text, now.utc_ms);
        self.transcript.push(entry.clone());
        self.persist_outbox();
        self.emit(UiEvent::Added {
            entry,
            restored: false,
        });
        if self.link == Link::Open {
            if self.typing {
                self.typing = false;
                self.stop_typing_timer();
                self.out
                    .push(Output::Send(self.codec.encode(&Command::Typing(false))));
            }
            self.flush_outbox();
        } else {
            self.persist_transcript();
            self.want_link(now);
        }
    }

    fn on_keystroke(&mut self) {
        if self.link != Link::Open {
            return;
        }
        if !self.typing {
            self.typing = true;
            self.out
                .push(Output::Send(self.codec.encode(&Command::Typing(true))));
        }
        self.out
            .push(Output::StartTimer(Timer::TypingIdle, TYPING_IDLE_MS));
    }

    fn stop_typing_timer(&mut self) {
        self.typing = false;
        self.out.push(Output::CancelTimer(Timer::TypingIdle));
    }

    fn identify(&mut self, now: Now, fields: BTreeMap<String, String>) {
        let mut changed = false;
        for (k, v) in fields {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            if !k.is_empty() && !v.is_empty() && self.lead.get(&k) != Some(&v) {
                self.lead.insert(k, v);
                changed = true;
            }
        }
        if !changed || self.session_from_lead {
            return;
        }
        self.lead_refused = false;
        // Lead data personalises the conversation: start its session now if one is live or wanted.
        if self.wants_link && !self.session_request_in_flight {
            match self.codec.session_request(&self.lead) {
                Ok(Some(request)) => {
                    self.request_session(request);
                }
                Ok(None) => {}
                Err(why) => {
                    self.lead_refused = true;
                    self.log(Level::Warn, why.clone());
                    self.emit(UiEvent::Error {
                        code: "lead_refused",
                        message: why,
                    });
                }
            }
        }
        let _ = now;
    }

    fn reset(&mut self, now: Now) {
        self.drop_link();
        for t in [Timer::Reconnect, Timer::Heartbeat, Timer::TypingIdle] {
            self.out.push(Output::CancelTimer(t));
        }
        self.session = None;
        self.session_from_lead = false;
        self.session_request_in_flight = false;
        self.lead_refused = false;
        self.attempt = 0;
        self.transcript = Transcript::default();
        self.outbox = Outbox::default();
        for k in ["session", "transcript", "outbox", "agent"] {
            self.persist(k, None);
        }
        self.emit(UiEvent::Cleared);
        self.emit(UiEvent::Agent {
            name: None,
            avatar: None,
        });
        self.set_state(ConnState::Idle);
        if self.wants_link {
            self.connect(now);
        }
    }

    /// Closes the socket on purpose (no reconnect follows) and stops its timers.
    fn drop_link(&mut self) {
        if self.link != Link::Down {
            self.out.push(Output::Close);
            self.out.push(Output::CancelTimer(Timer::Heartbeat));
            self.link = Link::Down;
            self.opened_at = None;
            self.typing = false;
            self.outbox.unsend_all();
        }
    }

    fn new_id(&mut self, now: Now, kind: char) -> String {
        self.ids += 1;
        format!(
            "{kind}{:x}-{:x}-{:04x}",
            now.utc_ms,
            self.ids,
            self.rng.next_u64() & 0xffff
        )
    }

    fn set_state(&mut self, state: ConnState) {
        if self.state != state {
            self.state = state;
            self.emit(UiEvent::State(state));
        }
    }

    fn emit(&mut self, event: UiEvent) {
        self.out.push(Output::Ui(event));
    }

    fn log(&mut self, level: Level, message: String) {
        self.out.push(Output::Log(level, message));
    }

    fn persist(&mut self, name: &str, value: Option<String>) {
        let key = self.key(name);
        self.out.push(Output::Persist { key, value });
    }

    fn persist_session(&mut self) {
        let value = self.session.as_ref().and_then(|s| {
            serde_json::to_string(&StoredSession {
                session: s.clone(),
                from_lead: self.session_from_lead,
            })
            .ok()
        });
        self.persist("session", value);
    }

    fn persist_transcript(&mut self) {
        let value = self.transcript.to_json();
        self.persist("transcript", Some(value));
    }

    fn persist_outbox(&mut self) {
        let value = if self.outbox.is_empty() {
            None
        } else {
            Some(self.outbox.to_json())
        };
        self.persist("outbox", value);
    }

    fn drop_corrupt(&mut self, name: &str) {
        self.log(
            Level::Warn,
            format!("stored {name} was unreadable; starting it fresh"),
        );
        self.persist(name, None);
    }
}

impl Machine for Engine {
    fn handle(&mut self, now: Now, input: Input) -> Vec<Output> {
        Engine::handle(self, now, input)
    }
    fn keys_to_load(&self) -> Vec<String> {
        Engine::keys_to_load(self)
    }
    fn state(&self) -> ConnState {
        self.state
    }
}

/// Ids end up in URL paths: non-empty, bounded, printable, no spaces.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.chars().all(|c| c.is_ascii_graphic())
}
