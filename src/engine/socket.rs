//! The sans-IO engine for socket vendors (Plura, PolyAI): connecting, reconnecting,
//! heartbeats, the outbox, delivery marks, sequenced replay with a resume cursor,
//! de-duplication, streamed chunks and persistence. Time is passed in.

use super::credential::{Credential, TokenAnswer, TokenSource};
use super::effects::Effects;
use super::{
    backoff_delay_ms, valid_id, ConnState, Delivery, Direction, Entry, Input, Level, Machine,
    Outbox, Output, Rng, Timer, Transcript, UiEvent, STABLE_OPEN_MS, TYPING_IDLE_MS,
};
use crate::clock::Now;
use crate::i18n::Notice;
use crate::keyed::{Fields, KeySet, Keyed};
use crate::protocol::record::{self, Record};
use crate::protocol::write::{json, Json, Object};
use crate::protocol::Problem;
use crate::protocol::{
    AgentText, Attachment, ClosePolicy, Codec, Command, Envelope, Event, HttpRequest, LinkParams,
    Session,
};
use crate::strmap::StrMap;
use std::collections::VecDeque;

/// Server event ids remembered for de-duplication.
const SEEN_IDS: usize = 4_096;
/// Events remembered beyond a gap in the sequence before the gap is given up (see
/// `Engine::advance_cursor`).
const MAX_AHEAD: usize = 256;
/// Unknown event types each logged once, up to this many distinct ones; past it, they are only
/// counted (a server inventing types keeps neither memory nor the console growing).
const MAX_UNKNOWN_KINDS: usize = 32;
/// How long after a heartbeat its echo may take before the link counts as half-open.
const PONG_GRACE_MS: u64 = 10_000;
/// How soon after a resumed link opens a repeated id-less agent message counts as a repeat.
const RESUME_ECHO_MS: i64 = 3_000;
/// Failed handshakes in a row (closes before any open) after which a fresh token is fetched.
const HANDSHAKE_FAILURES_FOR_NEW_TOKEN: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Down,
    Connecting,
    Open,
}

/// The session record to store, given what is stored now (perhaps written by another tab):
/// ours, except that for the same session a higher stored cursor is kept.
pub fn merge_session(stored: Option<&str>, ours: &str) -> String {
    let theirs = stored.and_then(StoredSession::parse);
    match (theirs, StoredSession::parse(ours)) {
        (Some(t), Some(mut o)) if t.session.id == o.session.id && t.cursor > o.cursor => {
            o.cursor = t.cursor;
            json(&o)
        }
        _ => ours.to_string(),
    }
}

/// What we keep about the conversation between page loads. Stored flat, the session's fields
/// beside the others.
#[derive(Clone)]
struct StoredSession {
    session: Session,
    from_lead: bool,
    /// Highest server sequence applied (written after the event is applied).
    cursor: Option<u64>,
    /// The agent has joined this conversation: no join request on reconnect.
    joined: bool,
}

impl Json for StoredSession {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("id", &self.session.id)
            .field("route", &self.session.route)
            .some("token", &self.session.token)
            .field("from_lead", &self.from_lead)
            .some("cursor", &self.cursor)
            .field("joined", &self.joined)
            .end();
    }
}

impl StoredSession {
    /// The stored record read back; `None` if it is not one.
    fn parse(raw: &str) -> Option<StoredSession> {
        record::parse(raw, |v| {
            let r = Record::of(v)?;
            Some(StoredSession {
                session: Session {
                    id: r.text("id")?,
                    route: r.text("route")?,
                    token: r.optional_text("token")?,
                },
                from_lead: r.flag("from_lead")?,
                cursor: r.optional_count("cursor")?,
                joined: r.flag("joined")?,
            })
        })
    }
}

#[derive(Default, Clone, PartialEq, Eq)]
struct StoredAgent {
    name: Option<String>,
    avatar: Option<String>,
}

impl Json for StoredAgent {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("name", &self.name)
            .field("avatar", &self.avatar)
            .end();
    }
}

impl StoredAgent {
    fn parse(raw: &str) -> Option<StoredAgent> {
        record::parse(raw, |v| {
            let r = Record::of(v)?;
            Some(StoredAgent {
                name: r.optional_text("name")?,
                avatar: r.optional_text("avatar")?,
            })
        })
    }
}

/// A streamed message being put together from its chunks.
#[derive(Default, Clone)]
struct Assembly {
    chunks: Keyed<u32, String>,
    /// Index of the chunk marked complete.
    last: Option<u32>,
    attachments: Vec<Attachment>,
    suggestions: Vec<String>,
}

impl Json for Assembly {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("chunks", &self.chunks)
            .field("last", &self.last)
            .field("attachments", &self.attachments)
            .field("suggestions", &self.suggestions)
            .end();
    }
}

impl Assembly {
    /// The stored assemblies by message id, read back; `None` if any is unreadable.
    fn parse_all(raw: &str) -> Option<Keyed<String, Assembly>> {
        record::parse(raw, |v| {
            Record::of(v)?
                .entries()
                .map(|(id, a)| Some((id.clone(), Assembly::read(a)?)))
                .collect()
        })
    }

    fn read(v: &crate::protocol::value::Value) -> Option<Assembly> {
        let r = Record::of(v)?;
        let chunks = r.optional("chunks", |c| {
            Record::of(c)?
                .entries()
                .map(|(i, t)| Some((i.parse().ok()?, record::text(t)?)))
                .collect::<Option<Keyed<u32, String>>>()
        })??;
        Some(Assembly {
            chunks,
            last: r
                .optional_count("last")?
                .map(u32::try_from)
                .transpose()
                .ok()?,
            attachments: r.list("attachments", Attachment::read)?,
            suggestions: r.list("suggestions", record::text)?,
        })
    }

    fn text(&self) -> String {
        self.chunks.values().map(String::as_str).collect()
    }

    fn finished(&self) -> bool {
        self.last
            .is_some_and(|last| (1..=last).all(|i| self.chunks.contains_key(&i)))
    }
}

/// Event ids seen lately, oldest forgotten first.
#[derive(Default)]
struct SeenIds {
    order: VecDeque<String>,
    /// The ids, as keys; the values are not read. The transcript's index type: its code is
    /// in the bundle once.
    set: StrMap,
}

impl SeenIds {
    /// Returns false when the id was already seen.
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains_key(id) {
            return false;
        }
        self.set.insert(id.to_string(), 0);
        self.order.push_back(id.to_string());
        if self.order.len() > SEEN_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    /// Forgets every id and gives their room back (a new conversation may be short).
    fn clear(&mut self) {
        *self = SeenIds::default();
    }
}

pub struct Engine {
    codec: Box<dyn Codec>,
    fx: Effects,
    lead: Fields,
    token: TokenSource,
    token_request: Option<u32>,
    link: Link,
    session: Option<Session>,
    session_from_lead: bool,
    session_request: Option<u32>,
    session_auth_retried: bool,
    next_request: u32,
    lead_refused: bool,
    wants_link: bool,
    panel_open: bool,
    stopped: bool,
    online: bool,
    attempt: u32,
    handshake_failures: u32,
    opened_at: Option<i64>,
    last_heartbeat: Option<i64>,
    heartbeat_ms: u64,
    max_attempts: Option<u32>,
    max_bytes: Option<usize>,
    typing: bool,
    cursor: Option<u64>,
    /// Sequences applied beyond a gap in the cursor (see `advance_cursor`).
    ahead: KeySet<u64>,
    /// The page went into the back/forward cache (`pagehide`) and has not come back.
    suspended: bool,
    /// The highest cursor another tab stored for this same session.
    cursor_elsewhere: Option<u64>,
    seen: SeenIds,
    joined: bool,
    join_sent: bool,
    awaiting_replay: bool,
    assemblies: Keyed<String, Assembly>,
    agent_name: Option<String>,
    /// The current link was opened for a conversation we already had.
    resumed_link: bool,
    /// A visitor message went out on the current link (answers to it are never repeats).
    sent_on_link: bool,
    /// When the server last answered a heartbeat (vendors that answer them).
    last_pong: Option<i64>,
    /// Fresh sessions started because credentials were refused (at most one).
    auth_resets: u32,
    /// The lead form's call to action, once shown.
    lead_cta: Option<String>,
    /// Where submitted lead form values are POSTed (Iraa `data-lead-url`).
    lead_url: Option<String>,
    transcript: Transcript,
    outbox: Outbox,
    rng: Rng,
    ids: u64,
    /// Unknown event types already logged, as keys (the values are not read).
    unknown_kinds: StrMap,
    ignored_frames: u64,
    /// The session record changed during this input: it is written once, at the end.
    session_dirty: bool,
}

impl Engine {
    /// `prefix` namespaces every storage key (see `Config::storage_prefix`).
    pub fn new(codec: Box<dyn Codec>, prefix: &str, lead: Fields) -> Engine {
        Engine {
            heartbeat_ms: codec.heartbeat_interval_ms(),
            max_bytes: codec.max_message_bytes(),
            codec,
            fx: Effects::new(prefix),
            lead,
            token: TokenSource::new(Credential::None),
            token_request: None,
            link: Link::Down,
            session: None,
            session_from_lead: false,
            session_request: None,
            session_auth_retried: false,
            next_request: 0,
            lead_refused: false,
            wants_link: false,
            panel_open: false,
            stopped: false,
            online: true,
            attempt: 0,
            handshake_failures: 0,
            opened_at: None,
            last_heartbeat: None,
            max_attempts: None,
            typing: false,
            cursor: None,
            ahead: KeySet::new(),
            suspended: false,
            cursor_elsewhere: None,
            seen: SeenIds::default(),
            joined: false,
            join_sent: false,
            awaiting_replay: false,
            assemblies: Keyed::new(),
            agent_name: None,
            resumed_link: false,
            sent_on_link: false,
            last_pong: None,
            auth_resets: 0,
            lead_cta: None,
            lead_url: None,
            transcript: Transcript::default(),
            outbox: Outbox::default(),
            rng: Rng::new(1),
            ids: 0,
            unknown_kinds: StrMap::new(),
            ignored_frames: 0,
            session_dirty: false,
        }
    }

    /// Where the socket's access token comes from (PolyAI).
    pub fn with_credential(mut self, credential: Credential) -> Engine {
        self.token = TokenSource::new(credential);
        self
    }

    /// Where submitted lead forms are POSTed.
    pub fn with_lead_url(mut self, url: Option<String>) -> Engine {
        self.lead_url = url;
        self
    }

    pub fn state(&self) -> ConnState {
        self.fx.state
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Highest server sequence applied.
    pub fn cursor(&self) -> Option<u64> {
        self.cursor
    }

    pub fn transcript(&self) -> &[Entry] {
        self.transcript.entries()
    }

    /// Frames that were malformed, binary, oversized or of an unknown type.
    pub fn ignored_frames(&self) -> u64 {
        self.ignored_frames
    }

    /// The storage keys [`Input::Start`] should carry.
    pub fn keys_to_load(&self) -> Vec<String> {
        let mut keys: Vec<String> = [
            "session",
            "transcript",
            "outbox",
            "agent",
            "panel",
            "assembly",
        ]
        .iter()
        .map(|k| self.fx.key(k))
        .collect();
        keys.extend(self.codec.legacy_session_key().map(str::to_string));
        keys
    }

    pub fn handle(&mut self, now: Now, input: Input) -> Vec<Output> {
        if self.stopped {
            return Vec::new();
        }
        match input {
            Input::Start { stored, seed } => self.start(now, stored, seed),
            Input::Panel(open) => {
                self.panel_open = open;
                self.fx
                    .persist("panel", Some(if open { "1" } else { "0" }.to_string()));
                if open {
                    self.want_link(now);
                }
            }
            Input::SocketOpened => self.on_open(now),
            Input::SocketClosed { code } => self.on_close(now, code),
            Input::Frame(text) => self.on_frame(now, &text),
            Input::BinaryFrame(len) => {
                self.ignored_frames += 1;
                self.fx.log(
                    Level::Warn,
                    format!("ignored a binary frame of {len} bytes"),
                );
            }
            Input::TimerFired(timer) => self.on_timer(now, timer),
            Input::HttpDone { id, status, body } => {
                if self.token_request == Some(id) {
                    self.on_token(now, status, &body);
                } else if self.session_request == Some(id) {
                    self.on_session_answer(now, status, &body);
                }
            }
            Input::StreamOpened { .. }
            | Input::StreamChunk { .. }
            | Input::StreamEvent { .. }
            | Input::StreamEnded { .. }
            | Input::Retry(_) => {}
            Input::UserSend(text) => self.send_text(now, text),
            Input::UserTyping => self.on_keystroke(),
            Input::Identify(fields) => self.identify(fields),
            Input::EndChat => self.end_chat(now),
            Input::Sound(on) => {
                self.fx
                    .persist("sound", Some(if on { "1" } else { "0" }.into()));
                self.fx.emit(UiEvent::Sound(on));
            }
            Input::PageEvent {
                event,
                selector,
                url,
            } => {
                if self.link == Link::Open {
                    let frame = self.codec.encode(&Command::PageEvent {
                        event: &event,
                        selector: &selector,
                        url: &url,
                    });
                    self.send_frame(frame);
                }
            }
            Input::LeadSubmitted(fields) => self.lead_submitted(fields),
            Input::Online => {
                self.online = true;
                if self.link == Link::Down && self.wants_link && self.fx.state != ConnState::Ended {
                    self.fx.push(Output::CancelTimer(Timer::Reconnect));
                    self.connect(now);
                }
            }
            Input::Offline => {
                self.online = false;
                if self.link == Link::Down && self.wants_link && self.fx.state != ConnState::Ended {
                    self.fx.push(Output::CancelTimer(Timer::Reconnect));
                    self.fx.set_state(ConnState::Offline);
                }
            }
            Input::Visible => self.on_visible(now),
            // Leaving for the back/forward cache: close the link (an open socket keeps a page
            // out of the cache) but keep the session; coming back reconnects at once.
            Input::Suspend => {
                if !self.suspended {
                    self.suspended = true;
                    self.drop_link();
                    self.fx.push(Output::CancelTimer(Timer::Reconnect));
                }
            }
            Input::StoredElsewhere { key, value } => {
                self.on_stored_elsewhere(&key, value.as_deref())
            }
            Input::Resume => {
                if self.suspended {
                    self.suspended = false;
                    if self.wants_link && !self.stopped && self.fx.state != ConnState::Ended {
                        self.attempt = 0;
                        self.connect(now);
                    }
                }
            }
            Input::Reset => self.reset(now),
            Input::Destroy => {
                self.drop_link();
                for t in [
                    Timer::Reconnect,
                    Timer::Heartbeat,
                    Timer::TypingIdle,
                    Timer::PongDue,
                ] {
                    self.fx.push(Output::CancelTimer(t));
                }
                self.fx.set_state(ConnState::Idle);
                self.stopped = true;
            }
        }
        if std::mem::take(&mut self.session_dirty) {
            self.write_session();
        }
        self.fx.take(&self.transcript)
    }

    fn start(&mut self, now: Now, stored: Fields, seed: u64) {
        self.rng = Rng::new(seed);
        self.fx.emit(UiEvent::State(self.fx.state));
        self.fx.emit(UiEvent::CanEnd(self.codec.can_end()));
        let prefix = self.fx.key("");
        let read = |name: &str| stored.get(&format!("{prefix}{name}")).cloned();

        if let Some(raw) = read("session") {
            match StoredSession::parse(&raw) {
                Some(s)
                    if valid_id(&s.session.id)
                        && (s.session.route.is_empty() || valid_id(&s.session.route)) =>
                {
                    self.session = Some(s.session);
                    self.session_from_lead = s.from_lead;
                    self.cursor = s.cursor;
                    self.joined = s.joined;
                }
                _ => self.drop_corrupt("session"),
            }
        } else if let Some(key) = self.codec.legacy_session_key() {
            if let Some(legacy) = stored.get(key) {
                // PROTOCOLS.md §1: the vendor client's key is read once, then ours is kept.
                if valid_id(legacy) && legacy != "null" {
                    self.session = Some(Session {
                        id: legacy.clone(),
                        route: self.codec.anonymous_route(),
                        token: None,
                    });
                    self.persist_session();
                }
                self.fx.push(Output::Persist {
                    key: key.to_string(),
                    value: None,
                });
            }
        }
        if let Some(raw) = read("agent") {
            match StoredAgent::parse(&raw) {
                Some(a) => {
                    self.agent_name = a.name.clone();
                    self.fx.emit(UiEvent::Agent {
                        name: a.name,
                        avatar: a.avatar,
                    })
                }
                None => self.drop_corrupt("agent"),
            }
        }
        if let Some(raw) = read("transcript") {
            match Transcript::from_json(&raw) {
                Some(t) => self.transcript = t,
                None => self.drop_corrupt("transcript"),
            }
        }
        if let Some(raw) = read("assembly") {
            match Assembly::parse_all(&raw) {
                Some(a) => self.assemblies = a,
                None => self.drop_corrupt("assembly"),
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
        for mut entry in self.transcript.entries().to_vec() {
            if entry.direction == Direction::Out && self.outbox.contains(&entry.id) {
                entry.status = Delivery::Pending;
                self.transcript.set_status(&entry.id, Delivery::Pending);
            }
            self.fx.emit(UiEvent::Added {
                entry,
                restored: true,
            });
        }
        if read("sound").as_deref() == Some("1") {
            self.fx.emit(UiEvent::Sound(true));
        }
        let panel_open = read("panel").as_deref() == Some("1");
        if panel_open {
            self.fx.emit(UiEvent::Panel(true));
        }
        // A returning visitor reconnects at once, so nothing the agent says is missed.
        if self.session.is_some() || !self.outbox.is_empty() || panel_open {
            self.want_link(now);
        }
    }

    fn want_link(&mut self, now: Now) {
        self.wants_link = true;
        if self.link == Link::Down && self.session_request.is_none() && self.token_request.is_none()
        {
            match self.fx.state {
                ConnState::Idle | ConnState::Failed => self.connect(now),
                ConnState::Ended => {}
                ConnState::Reconnecting
                | ConnState::Offline
                | ConnState::Connecting
                | ConnState::Open => {}
            }
        }
    }

    fn request_id(&mut self) -> u32 {
        self.next_request = self.next_request.wrapping_add(1);
        self.next_request
    }

    fn connecting_state(&self) -> ConnState {
        if self.attempt > 0 {
            ConnState::Reconnecting
        } else {
            ConnState::Connecting
        }
    }

    fn connect(&mut self, _now: Now) {
        if self.stopped
            || self.link != Link::Down
            || self.session_request.is_some()
            || self.token_request.is_some()
        {
            return;
        }
        self.wants_link = true;
        if !self.online {
            self.fx.set_state(ConnState::Offline);
            return;
        }
        if let Some(request) = self.token.fetch() {
            let id = self.request_id();
            self.token_request = Some(id);
            self.fx.set_state(self.connecting_state());
            self.fx.push(Output::Http {
                id,
                request,
                bearer: None,
            });
            return;
        }
        let may_request = self.session.is_none() || self.codec.anonymous_allowed();
        if may_request && !self.session_from_lead && !self.lead_refused && self.ask_for_session() {
            self.fx.set_state(self.connecting_state());
            return;
        }
        if self.session.is_none() && !self.codec.anonymous_allowed() {
            return; // nothing to connect to until a session exists
        }
        let token = self.token.bearer();
        let url = self.codec.socket_url(
            self.session.as_ref(),
            &LinkParams {
                token: token.as_deref(),
                cursor: self.cursor,
            },
        );
        self.link = Link::Connecting;
        self.resumed_link = self.session.is_some() && !self.transcript.entries().is_empty();
        self.sent_on_link = false;
        self.fx.set_state(self.connecting_state());
        self.fx.push(Output::Connect(url));
    }

    fn on_token(&mut self, now: Now, status: u16, body: &str) {
        self.token_request = None;
        match self.token.on_answer(status, body) {
            TokenAnswer::Ready | TokenAnswer::AskAgain => self.connect(now),
            TokenAnswer::Failed(why) => {
                self.fx.log(Level::Error, why);
                self.fx.emit(UiEvent::Error {
                    code: "auth_failed",
                    message: format!(
                        "The chat could not get a sign-in token from the site (HTTP {status}). Please try again later."
                    ),
                });
                if (500..600).contains(&status) || status == 0 || status == 429 {
                    self.schedule_reconnect();
                } else {
                    self.fx.set_state(ConnState::Failed);
                }
            }
        }
    }

    fn request_session(&mut self, request: HttpRequest) {
        let id = self.request_id();
        self.session_request = Some(id);
        let bearer = self.token.bearer();
        self.fx.push(Output::Http {
            id,
            request,
            bearer,
        });
    }

    fn on_session_answer(&mut self, now: Now, status: u16, body: &str) {
        self.session_request = None;
        match self.codec.session_response(status, body) {
            Ok(session) => {
                self.session_auth_retried = false;
                for event in self.codec.session_events(body) {
                    self.apply(now, event, false);
                }
                self.session = Some(session);
                self.session_from_lead = self.codec.anonymous_allowed();
                self.cursor = None;
                self.ahead.clear();
                self.cursor_elsewhere = None;
                self.joined = false;
                self.join_sent = false;
                self.seen.clear();
                self.persist_session();
                // A conversation already on the line was anonymous: move to the new session.
                self.drop_link();
                self.connect(now);
            }
            Err(why) => {
                if status == 401 && self.token.refreshable() && !self.session_auth_retried {
                    self.session_auth_retried = true;
                    self.token.invalidate();
                    return self.connect(now);
                }
                self.fx.log(Level::Warn, why.clone());
                self.fx.emit(UiEvent::Error {
                    code: "session_init_failed",
                    message: why,
                });
                let refused = (400..500).contains(&status) && status != 408 && status != 429;
                if refused && self.codec.anonymous_allowed() {
                    // The server refused this lead data; asking again will not help.
                    self.lead_refused = true;
                    if self.link == Link::Down {
                        self.connect(now);
                    }
                } else if refused {
                    self.fx.set_state(ConnState::Failed);
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
        self.handshake_failures = 0;
        self.opened_at = Some(now.utc_ms);
        self.last_heartbeat = Some(now.utc_ms);
        self.last_pong = Some(now.utc_ms);
        self.awaiting_replay = self.codec.join_after_replay();
        self.fx.set_state(ConnState::Open);
        self.fx
            .push(Output::StartTimer(Timer::Heartbeat, self.heartbeat_ms));
        self.flush_outbox();
    }

    fn flush_outbox(&mut self) {
        let mut changed = false;
        for (id, text) in self.outbox.unsent() {
            let frame = self.codec.encode(&Command::UserMessage {
                client_id: &id,
                text: &text,
            });
            self.fx.push(Output::Send(frame));
            self.sent_on_link = true;
            self.outbox.mark_sent(&id);
            if !self.codec.acknowledges() {
                self.outbox.remove(&id);
                self.fx.persist_outbox(&self.outbox);
            }
            if self.transcript.set_status(&id, Delivery::Sent) {
                self.fx.emit(UiEvent::Status {
                    id,
                    status: Delivery::Sent,
                });
            }
            changed = true;
        }
        if changed {
            self.fx.transcript_changed();
        }
    }

    fn on_close(&mut self, now: Now, code: u16) {
        if self.link == Link::Down {
            return;
        }
        let was_open = self.link == Link::Open;
        self.link = Link::Down;
        self.fx.push(Output::CancelTimer(Timer::Heartbeat));
        self.stop_typing_timer();
        self.fx.emit(UiEvent::Typing(false));
        if let Some(opened) = self.opened_at.take() {
            if now.utc_ms - opened >= STABLE_OPEN_MS as i64 {
                self.attempt = 0;
            }
        }
        // Written but never acknowledged: send again on the next link (delivery is at least
        // once; PolyAI's echo of our client id keeps a second copy off the screen).
        let mut reverted = Vec::new();
        for id in self.outbox.unsend_all() {
            if self.transcript.set_status(&id, Delivery::Pending) {
                reverted.push(id);
            }
        }
        for id in reverted {
            self.fx.emit(UiEvent::Status {
                id,
                status: Delivery::Pending,
            });
        }
        self.fx.log(
            Level::Info,
            format!(
                "socket closed with code {code}{}",
                if was_open { "" } else { " before it opened" }
            ),
        );
        if !was_open {
            self.handshake_failures += 1;
            // A failed handshake shows only as 1006: the access token may have expired.
            if self.handshake_failures >= HANDSHAKE_FAILURES_FOR_NEW_TOKEN
                && self.token.refreshable()
            {
                self.handshake_failures = 0;
                self.token.invalidate();
            }
        }
        match self.codec.close_policy(code, was_open) {
            ClosePolicy::Stop => {
                self.wants_link = false;
                self.fx.set_state(ConnState::Ended);
            }
            ClosePolicy::Replaced => {
                self.wants_link = false;
                self.system_notice(now, Notice::ContinuedElsewhere, false);
                self.fx.set_state(ConnState::Ended);
            }
            ClosePolicy::NewSession => {
                self.forget_session();
                self.system_notice(now, Notice::SessionExpired, false);
                self.attempt = 0;
                self.connect(now);
            }
            ClosePolicy::Auth => self.credentials_refused(now),
            ClosePolicy::Reconnect if !self.online => self.fx.set_state(ConnState::Offline),
            ClosePolicy::Reconnect => self.schedule_reconnect(),
        }
    }

    fn schedule_reconnect(&mut self) {
        if let Some(max) = self.max_attempts {
            if self.attempt >= max {
                self.wants_link = false;
                self.fx.emit(UiEvent::Error {
                    code: "reconnect_failed",
                    message: "The chat could not reconnect. Start a new chat to continue.".into(),
                });
                self.fx.set_state(ConnState::Failed);
                return;
            }
        }
        let delay = backoff_delay_ms(self.attempt, self.rng.unit());
        self.attempt = self.attempt.saturating_add(1);
        self.fx.set_state(ConnState::Reconnecting);
        self.fx.push(Output::StartTimer(Timer::Reconnect, delay));
    }

    fn on_frame(&mut self, now: Now, text: &str) {
        if self.link != Link::Open {
            return;
        }
        // Any frame at all shows the link is alive (half-open detection).
        self.last_pong = Some(now.utc_ms);
        let envelopes = match self.codec.decode(text) {
            Ok(envelopes) => envelopes,
            Err(e) => {
                self.ignored_frames += 1;
                // A flood of bad frames must not flood the console: the first few, then a tally.
                if self.ignored_frames <= 3 {
                    self.fx.log(Level::Warn, format!("ignored a frame: {e}"));
                } else if self.ignored_frames.is_multiple_of(1000) {
                    self.fx.log(
                        Level::Warn,
                        format!("{} frames ignored so far", self.ignored_frames),
                    );
                }
                return;
            }
        };
        for envelope in envelopes {
            self.apply_envelope(now, envelope);
        }
    }

    /// Applies one server event exactly once: repeated ids and sequences at or below the
    /// cursor are skipped; the cursor is written after the event is applied.
    fn apply_envelope(&mut self, now: Now, envelope: Envelope) {
        if let Some(seq) = envelope.seq {
            if self.cursor.is_some_and(|c| seq <= c) || self.ahead.contains_key(&seq) {
                return;
            }
        }
        if let Some(id) = &envelope.id {
            if !self.seen.insert(id) {
                return;
            }
        }
        let sequenced = envelope.seq.is_some();
        for event in envelope.events {
            if self.awaiting_replay && !matches!(event, Event::ReplayEnd) && !sequenced {
                // A live (non-history) event before any replay: the replay is not coming.
                self.replay_over();
            }
            self.apply(now, event, sequenced);
        }
        if let Some(seq) = envelope.seq {
            self.advance_cursor(seq);
            self.persist_session();
        }
    }

    /// The cursor is the highest sequence up to which *every* event was applied. An event
    /// that arrives ahead of a gap (frames out of order) is applied and remembered; the cursor
    /// moves over it once the gap fills, so a resume still asks for what is missing. A gap that
    /// never fills (a server that skips numbers) is given up after `MAX_AHEAD` later events.
    fn advance_cursor(&mut self, seq: u64) {
        match self.cursor {
            None if self.ahead.is_empty() => self.cursor = Some(seq),
            Some(c) if seq == c + 1 => self.cursor = Some(seq),
            _ => {
                self.ahead.add(seq);
            }
        }
        while let Some(c) = self.cursor {
            if self.ahead.remove(&(c + 1)).is_none() {
                break;
            }
            self.cursor = Some(c + 1);
        }
        if self.ahead.len() > MAX_AHEAD {
            self.cursor = self.ahead.last().map(|(k, _)| *k).max(self.cursor);
            self.ahead.clear();
        }
    }

    fn replay_over(&mut self) {
        self.awaiting_replay = false;
        if !self.joined && !self.join_sent && self.link == Link::Open {
            self.join_sent = true;
            let frame = self.codec.encode(&Command::Join);
            self.send_frame(frame);
        }
    }

    fn apply(&mut self, now: Now, event: Event, sequenced: bool) {
        match event {
            Event::Session { session_id } => {
                if !valid_id(&session_id) {
                    self.ignored_frames += 1;
                    self.fx.log(
                        Level::Warn,
                        "ignored a session frame with an unusable id".into(),
                    );
                    return;
                }
                let route = match &self.session {
                    Some(s) => s.route.clone(),
                    None => self.codec.anonymous_route(),
                };
                if self.session.as_ref().is_none_or(|s| s.id != session_id) {
                    let token = self.session.as_ref().and_then(|s| s.token.clone());
                    self.session = Some(Session {
                        id: session_id,
                        route,
                        token,
                    });
                    self.persist_session();
                }
            }
            Event::Agent {
                name,
                avatar,
                joined,
            } => {
                if joined && !self.joined {
                    self.joined = true;
                    self.persist_session();
                }
                self.agent_name = name.clone();
                let agent = StoredAgent { name, avatar };
                self.fx.persist("agent", Some(json(&agent)));
                self.fx.emit(UiEvent::Agent {
                    name: agent.name,
                    avatar: agent.avatar,
                });
            }
            Event::AgentMessage(message) => self.agent_message(now, message),
            Event::Chunk {
                message_id,
                index,
                text,
                complete,
                attachments,
                suggestions,
            } => self.chunk(
                now,
                message_id,
                index,
                text,
                complete,
                attachments,
                suggestions,
            ),
            Event::Receipt { client_id, text } => {
                let matched = match client_id.clone() {
                    Some(id) if self.outbox.contains(&id) => Some(id),
                    Some(id) if self.transcript.contains(&id) => {
                        // Already delivered (an echo replayed after a resume): nothing to do.
                        let _ = id;
                        return;
                    }
                    _ => self.outbox.oldest_sent_with_text(&text),
                };
                match matched {
                    Some(id) => {
                        self.outbox.remove(&id);
                        self.transcript.set_status(&id, Delivery::Delivered);
                        self.fx.persist_outbox(&self.outbox);
                        self.fx.transcript_changed();
                        self.fx.emit(UiEvent::Status {
                            id,
                            status: Delivery::Delivered,
                        });
                    }
                    // History of this conversation sent from elsewhere (another device, or a
                    // transcript lost locally): show it as the visitor's.
                    None if sequenced && !text.is_empty() => {
                        let id = client_id.unwrap_or_else(|| self.new_id(now, 'h'));
                        let mut entry = Entry::outgoing(id, text, now.utc_ms);
                        entry.status = Delivery::Delivered;
                        self.transcript.push(entry.clone());
                        self.fx.transcript_changed();
                        self.fx.emit(UiEvent::Added {
                            entry,
                            restored: false,
                        });
                    }
                    None => self.fx.log(
                        Level::Info,
                        "a receipt matched no message waiting for one".into(),
                    ),
                }
            }
            Event::Typing(on) => self.fx.emit(UiEvent::Typing(on)),
            Event::Capabilities {
                heartbeat_ms,
                max_reconnect_attempts,
                max_message_bytes,
            } => {
                if let Some(ms) = heartbeat_ms {
                    if ms != self.heartbeat_ms {
                        self.heartbeat_ms = ms;
                        if self.link == Link::Open {
                            self.fx.push(Output::StartTimer(Timer::Heartbeat, ms));
                        }
                    }
                }
                if max_reconnect_attempts.is_some() {
                    self.max_attempts = max_reconnect_attempts;
                }
                if max_message_bytes.is_some() {
                    self.max_bytes = max_message_bytes;
                }
            }
            Event::Notice { notice, error } => self.system_notice(now, notice, error),
            Event::Language(code) => self.fx.emit(UiEvent::Language(code)),
            Event::SessionEnded { reason } => {
                self.fx.log(
                    Level::Info,
                    format!("the server ended the session ({reason})"),
                );
                self.fx.emit(UiEvent::Typing(false));
                let notice = match reason.as_str() {
                    "REASON_USER_ABANDONED" => Notice::EndedIdle,
                    _ => Notice::Ended,
                };
                self.system_notice(now, notice, false);
                self.forget_session();
                self.drop_link();
                self.wants_link = false;
                self.fx.set_state(ConnState::Ended);
            }
            Event::ReplayEnd => {
                if self.awaiting_replay {
                    self.replay_over();
                }
            }
            Event::Echo => {}
            Event::Pong => self.last_pong = Some(now.utc_ms),
            Event::PageActions(actions) => {
                if !actions.is_empty() {
                    self.fx.push(Output::RunActions(actions));
                }
            }
            Event::Speech(text) => self.fx.emit(UiEvent::Speak(text)),
            Event::LeadForm {
                fields,
                cta_text,
                cta_url,
            } => {
                self.lead_cta = cta_url.clone();
                let prefill = fields
                    .iter()
                    .filter_map(|f| self.lead.get(f).map(|v| (f.clone(), v.clone())))
                    .collect();
                self.fx.emit(UiEvent::LeadForm {
                    fields,
                    prefill,
                    cta_text,
                    cta_url,
                });
            }
            Event::ServerError { code, message } => self.server_problem(now, &code, message),
            Event::Unknown { kind } => {
                self.ignored_frames += 1;
                let known = self.unknown_kinds.contains_key(&kind);
                if !known && self.unknown_kinds.len() < MAX_UNKNOWN_KINDS {
                    let mut line = format!("ignored events of unknown type \"{kind}\"");
                    if self.unknown_kinds.len() + 1 == MAX_UNKNOWN_KINDS {
                        line.push_str("; further unknown types are counted, not listed");
                    }
                    self.fx.log(Level::Info, line);
                    self.unknown_kinds.insert(kind, 0);
                }
            }
        }
    }

    /// PROTOCOLS.md §2: each error code's behaviour; none loops.
    fn server_problem(&mut self, now: Now, code: &str, message: String) {
        self.fx
            .log(Level::Warn, format!("server error {code}: {message}"));
        match self.codec.problem(code) {
            Problem::Auth => self.credentials_refused(now),
            Problem::SessionGone => {
                self.forget_session();
                self.drop_link();
                self.system_notice(now, Notice::SessionExpired, false);
                self.attempt = 0;
                self.connect(now);
            }
            Problem::Notice => self.fx.emit(UiEvent::Error {
                code: "server_notice",
                message: format!("The chat had a hiccup ({code}). You can keep chatting."),
            }),
            Problem::Config => {
                self.drop_link();
                self.wants_link = false;
                self.fx.emit(UiEvent::Error {
                    code: "config",
                    message: format!("This chat is not set up correctly ({code}): {message}"),
                });
                self.fx.set_state(ConnState::Failed);
            }
        }
    }

    /// Credentials were refused (an `error` code or a close code): one fresh session, then
    /// a clear terminal error.
    fn credentials_refused(&mut self, now: Now) {
        self.drop_link();
        if self.auth_resets == 0 {
            self.auth_resets += 1;
            self.forget_session();
            self.attempt = 0;
            self.connect(now);
        } else {
            self.wants_link = false;
            self.fx.emit(UiEvent::Error {
                code: "auth_failed",
                message: "The chat could not sign in. Please reload the page or try again later."
                    .into(),
            });
            self.fx.set_state(ConnState::Failed);
        }
    }

    /// A server that greets again when a conversation is resumed, without message ids, would
    /// put the same greeting on screen at every reload (decision, PROTOCOLS.md §1: no ids on
    /// the wire): right after a resumed link opens, an id-less message whose text equals one
    /// the agent already sent in this conversation is taken as that repeat.
    fn is_resume_echo(&self, now: Now, text: &str) -> bool {
        let just_opened = self
            .opened_at
            .is_some_and(|t| now.utc_ms - t <= RESUME_ECHO_MS);
        self.resumed_link
            && just_opened
            && !self.sent_on_link
            && self
                .transcript
                .entries()
                .iter()
                .any(|e| e.direction == Direction::In && e.text == text)
    }

    fn agent_message(&mut self, now: Now, message: AgentText) {
        if let Some(id) = &message.id {
            if self.transcript.contains(id) {
                return; // replayed after a resume: already shown
            }
        }
        if message.id.is_none() && self.is_resume_echo(now, &message.text) {
            return;
        }
        self.fx.emit(UiEvent::Typing(false));
        let id = message.id.unwrap_or_else(|| self.new_id(now, 's'));
        let entry = Entry {
            name: message.name.or_else(|| self.agent_name.clone()),
            attachments: message.attachments,
            suggestions: message.suggestions,
            ..Entry::incoming(id, message.text, Delivery::Received, now.utc_ms)
        };
        self.transcript.push(entry.clone());
        self.fx.transcript_changed();
        self.fx.emit(UiEvent::Added {
            entry,
            restored: false,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn chunk(
        &mut self,
        now: Now,
        message_id: String,
        index: u32,
        text: String,
        complete: bool,
        attachments: Vec<Attachment>,
        suggestions: Vec<String>,
    ) {
        let done_already = self
            .transcript
            .get(&message_id)
            .is_some_and(|e| e.status == Delivery::Received);
        if done_already {
            return;
        }
        let assembly = self.assemblies.entry_or_default(message_id.clone());
        if assembly.chunks.contains_key(&index) {
            return; // a repeat after a resume
        }
        assembly.chunks.insert(index, text);
        assembly.attachments.extend(attachments);
        assembly.suggestions.extend(suggestions);
        if complete {
            assembly.last = Some(index);
        }
        let full = assembly.text();
        let finished = assembly.finished();
        let (attachments, suggestions) =
            (assembly.attachments.clone(), assembly.suggestions.clone());
        if finished {
            self.assemblies.remove(&message_id);
        }
        let status = if finished {
            Delivery::Received
        } else {
            Delivery::Streaming
        };
        match self.transcript.get_mut(&message_id) {
            Some(entry) => {
                entry.text = full.clone();
                entry.status = status;
                entry.attachments = attachments.clone();
                entry.suggestions = suggestions.clone();
                self.fx.emit(UiEvent::Replace {
                    id: message_id.clone(),
                    text: full,
                });
                if finished {
                    self.fx.emit(UiEvent::Typing(false));
                    self.fx.emit(UiEvent::Status {
                        id: message_id.clone(),
                        status,
                    });
                }
                if !attachments.is_empty() || !suggestions.is_empty() {
                    self.fx.emit(UiEvent::Extras {
                        id: message_id.clone(),
                        attachments,
                        suggestions,
                    });
                }
            }
            None => {
                self.fx.emit(UiEvent::Typing(false));
                let entry = Entry {
                    name: self.agent_name.clone(),
                    attachments,
                    suggestions,
                    ..Entry::incoming(message_id.clone(), full, status, now.utc_ms)
                };
                self.transcript.push(entry.clone());
                self.fx.emit(UiEvent::Added {
                    entry,
                    restored: false,
                });
            }
        }
        self.fx.transcript_changed();
        let assemblies = Some(json(&self.assemblies));
        self.fx
            .persist("assembly", assemblies.filter(|a| a != "{}"));
    }

    fn system_notice(&mut self, now: Now, notice: Notice, error: bool) {
        let id = self.new_id(now, 'n');
        let text = notice.text(crate::i18n::Lang::En);
        let entry = Entry {
            direction: Direction::System,
            error,
            notice: Some(notice),
            ..Entry::incoming(id, text, Delivery::Received, now.utc_ms)
        };
        self.transcript.push(entry.clone());
        self.fx.transcript_changed();
        self.fx.emit(UiEvent::Added {
            entry,
            restored: false,
        });
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
                    if self.link_is_dead(now) {
                        return self.dead_link();
                    }
                    if self.slept(now) {
                        return self.relink_now(now);
                    }
                    self.send_heartbeat(now);
                }
            }
            Timer::PongDue => {
                let answered = match (self.last_pong, self.last_heartbeat) {
                    (Some(pong), Some(beat)) => pong >= beat,
                    _ => true,
                };
                if self.link == Link::Open && !answered {
                    self.dead_link();
                }
            }
            Timer::TypingIdle => {
                if self.typing {
                    self.typing = false;
                    if self.link == Link::Open {
                        let frame = self.codec.encode(&Command::Typing(false));
                        self.send_frame(frame);
                    }
                }
            }
        }
    }

    /// The wall clock moved far past the heartbeat deadline (the machine slept, or the tab was
    /// frozen): a link that looks open may be long gone.
    fn slept(&self, now: Now) -> bool {
        self.last_heartbeat
            .is_some_and(|t| now.utc_ms - t > 3 * self.heartbeat_ms as i64)
    }

    /// Re-establishes a suspect link at once, without a backoff delay.
    fn relink_now(&mut self, now: Now) {
        self.fx.log(
            Level::Info,
            "the page slept past its heartbeat deadline; reconnecting".into(),
        );
        self.drop_link();
        self.fx.push(Output::CancelTimer(Timer::Reconnect));
        self.attempt = 0;
        self.connect(now);
    }

    /// No answer to heartbeats for two intervals (vendors that answer them).
    fn link_is_dead(&self, now: Now) -> bool {
        self.codec.expects_pong()
            && self
                .last_pong
                .is_some_and(|t| now.utc_ms - t > 2 * self.heartbeat_ms as i64)
    }

    /// A half-open link: close it ourselves and reconnect, whatever code the server answers.
    fn dead_link(&mut self) {
        self.fx.log(
            Level::Warn,
            "the server stopped answering heartbeats (a half-open link); reconnecting".into(),
        );
        self.drop_link();
        self.fx.emit(UiEvent::Typing(false));
        self.schedule_reconnect();
    }

    /// Sends a frame unless the codec has nothing to say for it.
    fn send_frame(&mut self, frame: String) {
        if !frame.is_empty() {
            self.fx.push(Output::Send(frame));
        }
    }

    fn end_chat(&mut self, now: Now) {
        if !self.codec.can_end() {
            return;
        }
        if let Some(request) = self
            .session
            .as_ref()
            .and_then(|s| self.codec.end_request(s))
        {
            // Ended over HTTP (Iraa): the answer changes nothing, the conversation is over.
            let id = self.request_id();
            let bearer = self.token.bearer();
            self.fx.push(Output::Http {
                id,
                request,
                bearer,
            });
            self.system_notice(now, Notice::Ended, false);
            self.forget_session();
            self.drop_link();
            self.wants_link = false;
            self.fx.set_state(ConnState::Ended);
        } else if self.link == Link::Open {
            let frame = self.codec.encode(&Command::EndSession);
            self.send_frame(frame);
        }
    }

    fn lead_submitted(&mut self, fields: Fields) {
        if let Some(url) = self.lead_url.clone() {
            let body = Some(json(&fields));
            let id = self.request_id();
            self.fx.push(Output::Http {
                id,
                request: HttpRequest {
                    method: "POST",
                    url,
                    body,
                    read: crate::protocol::Read::Whole,
                },
                bearer: None,
            });
        }
        for (k, v) in &fields {
            self.lead.insert(k.clone(), v.clone());
        }
        let cta_url = self.lead_cta.take();
        self.fx.emit(UiEvent::LeadSent { fields, cta_url });
    }

    fn send_heartbeat(&mut self, now: Now) {
        self.fx
            .push(Output::Send(self.codec.encode(&Command::Heartbeat(now))));
        self.last_heartbeat = Some(now.utc_ms);
        self.fx
            .push(Output::StartTimer(Timer::Heartbeat, self.heartbeat_ms));
        if self.codec.expects_pong() {
            // A half-open link is found one grace period after the heartbeat it ignores.
            let grace = PONG_GRACE_MS.min(self.heartbeat_ms);
            self.fx.push(Output::StartTimer(Timer::PongDue, grace));
        }
    }

    fn on_visible(&mut self, now: Now) {
        match self.link {
            Link::Down
                if self.wants_link && self.online && self.fx.state == ConnState::Reconnecting =>
            {
                self.fx.push(Output::CancelTimer(Timer::Reconnect));
                self.connect(now);
            }
            // Back from sleep or a frozen tab: the deadlines are checked against the wall clock.
            Link::Open if self.link_is_dead(now) || self.slept(now) => self.relink_now(now),
            // A background tab's timers are throttled: catch up on an overdue heartbeat.
            Link::Open => {
                let due = self.last_heartbeat.unwrap_or(now.utc_ms) + self.heartbeat_ms as i64;
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
        if self.fx.refuse_too_long(&text) {
            return;
        }
        let id = self.new_id(now, 'c');
        if let Some(max) = self.max_bytes {
            let size = self
                .codec
                .encode(&Command::UserMessage {
                    client_id: &id,
                    text: &text,
                })
                .len();
            if size > max {
                self.fx.emit(UiEvent::Error {
                    code: "message_too_long",
                    message: format!(
                        "This message is {size} bytes long; the chat accepts at most {max}. Nothing was sent."
                    ),
                });
                return;
            }
        }
        if self.fx.state == ConnState::Ended || self.fx.state == ConnState::Failed {
            // Writing after the end starts a new conversation.
            self.fx.state = ConnState::Idle;
            self.attempt = 0;
        }
        let entry = Entry::outgoing(id.clone(), text.clone(), now.utc_ms);
        self.outbox.push(id.clone(), text, now.utc_ms);
        self.transcript.push(entry.clone());
        self.fx.persist_outbox(&self.outbox);
        self.fx.emit(UiEvent::Added {
            entry,
            restored: false,
        });
        if self.link == Link::Open {
            if self.typing {
                self.typing = false;
                self.stop_typing_timer();
                let frame = self.codec.encode(&Command::Typing(false));
                self.send_frame(frame);
            }
            self.flush_outbox();
        } else {
            self.fx.transcript_changed();
            self.want_link(now);
        }
    }

    fn on_keystroke(&mut self) {
        if self.link != Link::Open {
            return;
        }
        if !self.typing {
            self.typing = true;
            let frame = self.codec.encode(&Command::Typing(true));
            self.send_frame(frame);
        }
        self.fx
            .push(Output::StartTimer(Timer::TypingIdle, TYPING_IDLE_MS));
    }

    fn stop_typing_timer(&mut self) {
        self.typing = false;
        self.fx.push(Output::CancelTimer(Timer::TypingIdle));
    }

    fn identify(&mut self, fields: Fields) {
        let mut changed = false;
        for (k, v) in fields {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            if !k.is_empty() && !v.is_empty() && self.lead.get(&k) != Some(&v) {
                self.lead.insert(k, v);
                changed = true;
            }
        }
        // Lead data personalises an anonymous conversation (Plura): start its session now if
        // one is live or wanted. Vendors without anonymous chat take no lead data here.
        if !changed || self.session_from_lead || !self.codec.anonymous_allowed() {
            return;
        }
        self.lead_refused = false;
        if self.wants_link && self.session_request.is_none() {
            self.ask_for_session();
        }
    }

    /// Sends the codec's session request, if it wants one; a refusal (lead data without what
    /// the vendor requires) is reported once and the chat goes on. Returns whether it was sent.
    fn ask_for_session(&mut self) -> bool {
        match self.codec.session_request(&self.lead) {
            Ok(Some(request)) => {
                self.request_session(request);
                true
            }
            Ok(None) => false,
            Err(why) => {
                self.lead_refused = true;
                self.fx.log(Level::Warn, why.clone());
                self.fx.emit(UiEvent::Error {
                    code: "lead_refused",
                    message: why,
                });
                false
            }
        }
    }

    /// The server's conversation is gone: a new one starts from nothing (cursor and
    /// de-duplication state included, so old sequence numbers hide nothing new).
    fn forget_session(&mut self) {
        self.session = None;
        self.session_from_lead = false;
        self.cursor = None;
        self.ahead = Default::default();
        self.cursor_elsewhere = None;
        self.seen.clear();
        self.joined = false;
        self.join_sent = false;
        self.assemblies.clear();
        self.fx.persist("session", None);
        self.fx.persist("assembly", None);
    }

    fn reset(&mut self, now: Now) {
        self.drop_link();
        for t in [Timer::Reconnect, Timer::Heartbeat, Timer::TypingIdle] {
            self.fx.push(Output::CancelTimer(t));
        }
        self.forget_session();
        self.session_request = None;
        self.token_request = None;
        self.lead_refused = false;
        self.attempt = 0;
        self.transcript = Transcript::default();
        self.outbox = Outbox::default();
        for k in ["transcript", "outbox", "agent"] {
            self.fx.persist(k, None);
        }
        self.fx.emit(UiEvent::Cleared);
        self.fx.emit(UiEvent::Typing(false));
        self.fx.emit(UiEvent::Agent {
            name: None,
            avatar: None,
        });
        self.fx.set_state(ConnState::Idle);
        // A fresh conversation starts at once when the visitor is looking at the panel.
        if self.wants_link || self.panel_open {
            self.connect(now);
        }
    }

    /// Closes the socket on purpose (no reconnect follows) and stops its timers.
    fn drop_link(&mut self) {
        if self.link != Link::Down {
            self.fx.push(Output::Close);
            self.fx.push(Output::CancelTimer(Timer::Heartbeat));
            self.fx.push(Output::CancelTimer(Timer::PongDue));
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

    /// The session record (id, cursor, joined) changed: written when the input has been
    /// handled, once however many events of a replay moved the cursor.
    fn persist_session(&mut self) {
        self.session_dirty = true;
    }

    fn write_session(&mut self) {
        let value = self.session.as_ref().map(|s| {
            json(&StoredSession {
                session: s.clone(),
                from_lead: self.session_from_lead,
                // Another tab of the same conversation may have stored a later cursor: the
                // stored cursor never goes backwards.
                cursor: self.cursor.max(self.cursor_elsewhere),
                joined: self.joined,
            })
        });
        match value {
            Some(value) => {
                let key = self.fx.key("session");
                self.fx.push(Output::PersistSession { key, value });
            }
            None => self.fx.persist("session", None),
        }
    }

    /// Another tab wrote one of our keys (the browser's `storage` event).
    fn on_stored_elsewhere(&mut self, key: &str, value: Option<&str>) {
        if key != self.fx.key("session") {
            return;
        }
        let theirs = value.and_then(StoredSession::parse);
        match (theirs, &self.session) {
            (Some(t), Some(ours)) if t.session.id == ours.id => {
                let known = self.cursor.max(self.cursor_elsewhere);
                self.cursor_elsewhere = self.cursor_elsewhere.max(t.cursor);
                // localStorage is not atomic across tabs: a tab that had not yet seen a later
                // write can store an older cursor. The tab that knows better puts it back.
                if t.cursor < known {
                    self.persist_session();
                }
            }
            _ => {}
        }
    }

    fn drop_corrupt(&mut self, name: &str) {
        self.fx.log(
            Level::Warn,
            format!("stored {name} was unreadable; starting it fresh"),
        );
        self.fx.persist(name, None);
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
        self.fx.state
    }
    fn ignored_frames(&self) -> u64 {
        self.ignored_frames
    }
}
