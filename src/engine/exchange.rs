//! The sans-IO engine for vendors with no socket: each visitor message is one HTTP exchange
//! whose answer arrives whole or as an event stream (Plati). One exchange runs at a time, so
//! messages keep their order; the transcript is ours, since the server keeps no history.

use super::credential::{Credential, TokenAnswer, TokenSource};
use super::effects::Effects;
use super::{
    ConnState, Delivery, Direction, Entry, Input, Level, Machine, Outbox, Output, Rng, Transcript,
    UiEvent,
};
use crate::clock::Now;
use crate::keyed::Fields;
use crate::protocol::sse::SseParser;
use crate::protocol::{ExchangeCodec, StreamPiece};
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Job {
    /// Send the visitor message `out_id`.
    Message {
        out_id: String,
        text: String,
    },
    Identify,
}

struct Running {
    id: u32,
    job: Job,
    auth_retried: bool,
    /// The answer being built, once the stream has started.
    answer: Option<String>,
    parser: SseParser,
}

pub struct ExchangeEngine {
    codec: Box<dyn ExchangeCodec>,
    fx: Effects,
    lead: Fields,
    /// Whether this visitor's lead data (the tag's `data-lead-*`) has been put to the vendor
    /// in this page's life: it goes before the first message, then with each `identify()`.
    lead_told: bool,
    token: TokenSource,
    visitor: String,
    fixed_visitor: bool,
    online: bool,
    stopped: bool,
    transcript: Transcript,
    outbox: Outbox,
    jobs: VecDeque<(Job, bool)>,
    running: Option<Running>,
    token_request: Option<u32>,
    next_request: u32,
    rng: Rng,
    ids: u64,
    ignored_pieces: u64,
}

impl ExchangeEngine {
    /// `visitor`: a fixed visitor id from the page, or `None` to keep a random one per site.
    pub fn new(
        codec: Box<dyn ExchangeCodec>,
        prefix: &str,
        lead: Fields,
        credential: Credential,
        visitor: Option<String>,
    ) -> ExchangeEngine {
        ExchangeEngine {
            codec,
            fx: Effects::new(prefix),
            lead,
            lead_told: false,
            token: TokenSource::new(credential),
            fixed_visitor: visitor.is_some(),
            visitor: visitor.unwrap_or_default(),
            online: true,
            stopped: false,
            transcript: Transcript::default(),
            outbox: Outbox::default(),
            jobs: VecDeque::new(),
            running: None,
            token_request: None,
            next_request: 0,
            rng: Rng::new(1),
            ids: 0,
            ignored_pieces: 0,
        }
    }

    pub fn transcript(&self) -> &[Entry] {
        self.transcript.entries()
    }

    pub fn visitor(&self) -> &str {
        &self.visitor
    }

    /// Stream events that were malformed or of an unknown type.
    pub fn ignored_pieces(&self) -> u64 {
        self.ignored_pieces
    }

    fn start(&mut self, stored: Fields, seed: u64) {
        self.rng = Rng::new(seed);
        self.fx.emit(UiEvent::State(self.fx.state));
        if !self.fixed_visitor {
            match stored.get(&self.fx.key("identity")) {
                Some(v) if super::valid_id(v) => self.visitor = v.clone(),
                other => {
                    if other.is_some() {
                        self.fx.log(
                            Level::Warn,
                            "stored identity was unreadable; starting a new one".into(),
                        );
                    }
                    self.new_visitor();
                }
            }
        }
        if let Some(raw) = stored.get(&self.fx.key("transcript")) {
            match Transcript::from_json(raw) {
                Some(t) => self.transcript = t,
                None => {
                    self.fx.log(
                        Level::Warn,
                        "stored transcript was unreadable; starting it fresh".into(),
                    );
                    self.fx.persist("transcript", None);
                }
            }
        }
        // An answer that was still streaming when the page went away is incomplete.
        let cut: Vec<String> = self
            .transcript
            .entries()
            .iter()
            .filter(|e| e.status == Delivery::Streaming)
            .map(|e| e.id.clone())
            .collect();
        for id in &cut {
            self.transcript.set_status(id, Delivery::Interrupted);
        }
        if !cut.is_empty() {
            self.fx.transcript_changed();
        }
        if let Some(raw) = stored.get(&self.fx.key("outbox")) {
            match Outbox::from_json(raw) {
                Some(o) => self.outbox = o,
                None => self.fx.persist("outbox", None),
            }
        }
        for entry in self.transcript.entries().to_vec() {
            self.fx.emit(UiEvent::Added {
                entry,
                restored: true,
            });
        }
        // Messages typed but never sent (offline, or the page closed first) go out now.
        for (id, text, at) in self.outbox.items() {
            if !self.transcript.contains(&id) {
                let entry = Entry::outgoing(id.clone(), text.clone(), at);
                self.transcript.push(entry.clone());
                self.fx.emit(UiEvent::Added {
                    entry,
                    restored: true,
                });
            }
            self.jobs
                .push_back((Job::Message { out_id: id, text }, false));
        }
        if stored.get(&self.fx.key("panel")).map(String::as_str) == Some("1") {
            self.fx.emit(UiEvent::Panel(true));
        }
        self.fx.set_state(if self.online {
            ConnState::Open
        } else {
            ConnState::Offline
        });
        self.pump();
    }

    fn new_visitor(&mut self) {
        self.visitor = format!("v{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
        let v = self.visitor.clone();
        self.fx.persist("identity", Some(v));
    }

    /// Starts the next job when nothing is running.
    fn pump(&mut self) {
        if self.stopped || self.running.is_some() || self.token_request.is_some() || !self.online {
            return;
        }
        if matches!(self.fx.state, ConnState::Failed) {
            return;
        }
        if let Some(request) = self.token.fetch() {
            if self.jobs.is_empty() {
                return;
            }
            let id = self.request_id();
            self.token_request = Some(id);
            self.fx.set_state(ConnState::Connecting);
            self.fx.push(Output::Http {
                id,
                request,
                bearer: None,
            });
            return;
        }
        let Some((mut job, mut auth_retried)) = self.jobs.pop_front() else {
            return;
        };
        if !self.lead_told {
            self.lead_told = true;
            // Decision: lead data from the tag tells the vendor who the visitor is before
            // their first message (PROTOCOLS.md §4, `PUT /identity`), not at page load, so a
            // visitor who never writes creates no identity.
            if matches!(job, Job::Message { .. })
                && self
                    .codec
                    .identify_request(&self.visitor, &self.lead)
                    .is_some()
            {
                self.jobs.push_front((job, auth_retried));
                (job, auth_retried) = (Job::Identify, false);
            }
        }
        let bearer = self.token.bearer();
        let request = match &job {
            Job::Message { out_id, text } => {
                self.outbox.remove(out_id);
                self.fx.persist_outbox(&self.outbox);
                self.set_out_status(out_id, Delivery::Sent);
                self.codec
                    .message_request(&self.visitor, text, bearer.is_some())
            }
            Job::Identify => match self.codec.identify_request(&self.visitor, &self.lead) {
                Some(r) => r,
                None => return self.pump(),
            },
        };
        let id = self.request_id();
        self.running = Some(Running {
            id,
            job,
            auth_retried,
            answer: None,
            parser: SseParser::new(),
        });
        self.fx.push(Output::Http {
            id,
            request,
            bearer,
        });
    }

    fn request_id(&mut self) -> u32 {
        self.next_request = self.next_request.wrapping_add(1);
        self.next_request
    }

    fn on_token(&mut self, status: u16, body: &str) {
        self.token_request = None;
        match self.token.on_answer(status, body) {
            TokenAnswer::Ready => {
                self.fx.set_state(ConnState::Open);
                self.pump();
            }
            TokenAnswer::AskAgain => self.pump(),
            TokenAnswer::Failed(why) => {
                let message = format!(
                    "The chat could not get a sign-in token from the site (HTTP {status}). Please try again later."
                );
                self.fx.log(Level::Error, why);
                self.fail_queued(&message);
                self.fx.emit(UiEvent::Error {
                    code: "auth_failed",
                    message,
                });
                self.fx.set_state(ConnState::Open);
            }
        }
    }

    /// Every queued message is marked failed (each can be retried); nothing is dropped.
    fn fail_queued(&mut self, why: &str) {
        for (job, _) in std::mem::take(&mut self.jobs) {
            if let Job::Message { out_id, .. } = job {
                self.outbox.remove(&out_id);
                self.set_out_status(&out_id, Delivery::Failed);
            }
        }
        self.fx.persist_outbox(&self.outbox);
        self.fx.log(Level::Warn, why.to_string());
    }

    /// Takes the running exchange if it is request `id` (a late report for another is ignored).
    fn take_running(&mut self, id: u32) -> Option<Running> {
        if self.running.as_ref().is_some_and(|r| r.id == id) {
            self.running.take()
        } else {
            None
        }
    }

    fn on_whole(&mut self, now: Now, id: u32, status: u16, body: &str) {
        let Some(run) = self.take_running(id) else {
            return;
        };
        if !(200..300).contains(&status) {
            return self.on_failure(run, status);
        }
        match &run.job {
            Job::Identify => {}
            Job::Message { out_id, .. } => {
                self.set_out_status(out_id, Delivery::Delivered);
                match self.codec.whole_answer(body) {
                    Ok(text) => {
                        let entry = self.answer_entry(now, out_id, text, Delivery::Received);
                        self.transcript.push(entry.clone());
                        self.fx.transcript_changed();
                        self.fx.emit(UiEvent::Added {
                            entry,
                            restored: false,
                        });
                    }
                    Err(why) => {
                        self.fx.log(Level::Warn, why);
                        self.set_out_status(out_id, Delivery::Failed);
                        self.fx.emit(UiEvent::Error {
                            code: "bad_answer",
                            message: "The assistant's answer could not be read. You can retry."
                                .into(),
                        });
                    }
                }
            }
        }
        self.pump();
    }

    fn on_failure(&mut self, run: Running, status: u16) {
        self.fx.push(Output::Abort(run.id));
        if status == 401 && self.token.refreshable() && !run.auth_retried {
            // PROTOCOLS.md §4: a 401 gets one fresh token and one retry.
            self.token.invalidate();
            if let Job::Message { out_id, text } = &run.job {
                self.outbox.push(out_id.clone(), text.clone(), 0);
            }
            self.jobs.push_front((run.job, true));
            self.pump();
            return;
        }
        let message = self.codec.explain_status(status);
        if let Job::Message { out_id, .. } = &run.job {
            self.set_out_status(out_id, Delivery::Failed);
        }
        let code = match status {
            401 => "auth_failed",
            404 => "not_found",
            0 => "network",
            _ => "http_error",
        };
        self.fx
            .log(Level::Warn, format!("request failed with HTTP {status}"));
        self.fx.emit(UiEvent::Error { code, message });
        if status == 404 {
            // A missing channel or identity is a configuration error: asking again will not help.
            self.fail_queued("stopped after HTTP 404");
            self.fx.set_state(ConnState::Failed);
            return;
        }
        self.pump();
    }

    fn on_stream_opened(&mut self, now: Now, id: u32, status: u16) {
        if !(200..300).contains(&status) {
            if let Some(run) = self.take_running(id) {
                self.on_failure(run, status);
            }
            return;
        }
        let Some(run) = self.running.as_ref().filter(|r| r.id == id) else {
            return;
        };
        let out_id = match &run.job {
            Job::Message { out_id, .. } => out_id.clone(),
            Job::Identify => return,
        };
        self.set_out_status(&out_id, Delivery::Delivered);
        let entry = self.answer_entry(now, &out_id, String::new(), Delivery::Streaming);
        let answer_id = entry.id.clone();
        if let Some(run) = self.running.as_mut() {
            run.answer = Some(answer_id);
        }
        self.transcript.push(entry.clone());
        // Persisted now, so a page closed mid-answer shows it interrupted, with Retry, next time.
        self.fx.transcript_changed();
        self.fx.emit(UiEvent::Added {
            entry,
            restored: false,
        });
    }

    fn answer_entry(&mut self, now: Now, out_id: &str, text: String, status: Delivery) -> Entry {
        self.ids += 1;
        Entry {
            reply_to: Some(out_id.to_string()),
            ..Entry::incoming(
                format!("a{:x}-{:x}", now.utc_ms, self.ids),
                text,
                status,
                now.utc_ms,
            )
        }
    }

    fn on_stream_data(&mut self, data: &str) {
        let piece = self.codec.stream_piece(data);
        // The common case, thousands of times an answer, borrows the id.
        if let StreamPiece::Token(t) = &piece {
            if let Some(answer_id) = self.running.as_ref().and_then(|r| r.answer.as_deref()) {
                if let Some(e) = self.transcript.get_mut(answer_id) {
                    e.text.push_str(t);
                }
                self.fx.append(answer_id, t);
            }
            return;
        }
        let Some(answer_id) = self.running.as_ref().and_then(|r| r.answer.clone()) else {
            return;
        };
        match piece {
            StreamPiece::Token(_) => {}
            StreamPiece::Complete(full) => {
                if let Some(e) = self.transcript.get_mut(&answer_id) {
                    e.text = full.clone();
                    e.status = Delivery::Received;
                }
                self.fx.emit(UiEvent::Replace {
                    id: answer_id.clone(),
                    text: full,
                });
                self.fx.emit(UiEvent::Status {
                    id: answer_id,
                    status: Delivery::Received,
                });
                self.fx.transcript_changed();
                if let Some(run) = self.running.take() {
                    self.fx.push(Output::Abort(run.id));
                }
                self.pump();
            }
            StreamPiece::Error(message) => {
                self.interrupt(&answer_id);
                self.fx.emit(UiEvent::Error {
                    code: "stream_error",
                    message,
                });
                if let Some(run) = self.running.take() {
                    self.fx.push(Output::Abort(run.id));
                }
                self.pump();
            }
            StreamPiece::Unknown(kind) => {
                self.ignored_pieces += 1;
                self.fx.log(
                    Level::Info,
                    format!("ignored a stream event of unknown type \"{kind}\""),
                );
            }
            StreamPiece::Malformed(why) => {
                self.ignored_pieces += 1;
                self.fx
                    .log(Level::Warn, format!("ignored a stream event: {why}"));
            }
        }
    }

    fn interrupt(&mut self, answer_id: &str) {
        if self.transcript.set_status(answer_id, Delivery::Interrupted) {
            self.fx.emit(UiEvent::Status {
                id: answer_id.to_string(),
                status: Delivery::Interrupted,
            });
        }
        self.fx.transcript_changed();
    }

    fn on_stream_ended(&mut self, id: u32, error: Option<String>) {
        let Some(run) = self.take_running(id) else {
            return;
        };
        match &run.answer {
            Some(answer_id) => {
                let answer_id = answer_id.clone();
                self.interrupt(&answer_id);
                self.fx.emit(UiEvent::Error {
                    code: "stream_cut",
                    message: "The answer was cut off. Press Retry to ask again.".into(),
                });
                self.fx.log(
                    Level::Warn,
                    format!(
                        "stream ended early: {}",
                        error.unwrap_or_else(|| "closed".into())
                    ),
                );
                self.pump();
            }
            None => self.on_failure(run, 0),
        }
    }

    fn send_text(&mut self, now: Now, text: String) {
        if text.trim().is_empty() {
            return;
        }
        if self.fx.refuse_too_long(&text) {
            return;
        }
        self.ids += 1;
        let id = format!(
            "c{:x}-{:x}-{:04x}",
            now.utc_ms,
            self.ids,
            self.rng.next_u64() & 0xffff
        );
        let entry = Entry::outgoing(id.clone(), text.clone(), now.utc_ms);
        self.transcript.push(entry.clone());
        self.outbox.push(id.clone(), text.clone(), now.utc_ms);
        self.fx.transcript_changed();
        self.fx.persist_outbox(&self.outbox);
        self.fx.emit(UiEvent::Added {
            entry,
            restored: false,
        });
        self.jobs
            .push_back((Job::Message { out_id: id, text }, false));
        if self.fx.state == ConnState::Failed {
            self.fx.set_state(ConnState::Open);
        }
        self.pump();
    }

    fn retry(&mut self, id: &str) {
        let Some(entry) = self.transcript.get(id).cloned() else {
            return;
        };
        let question = match (entry.direction, entry.status) {
            (Direction::In, Delivery::Interrupted) => {
                // Drop the partial answer; the question is asked again.
                self.transcript.remove(id);
                self.fx.emit(UiEvent::Removed { id: id.to_string() });
                entry
                    .reply_to
                    .and_then(|q| self.transcript.get(&q).cloned())
            }
            (Direction::Out, Delivery::Failed) => Some(entry),
            _ => None,
        };
        if let Some(q) = question {
            self.outbox.push(q.id.clone(), q.text.clone(), q.at);
            self.fx.persist_outbox(&self.outbox);
            self.set_out_status(&q.id, Delivery::Pending);
            self.jobs.push_back((
                Job::Message {
                    out_id: q.id,
                    text: q.text,
                },
                false,
            ));
            if self.fx.state == ConnState::Failed {
                self.fx.set_state(ConnState::Open);
            }
            self.pump();
        }
    }

    fn set_out_status(&mut self, id: &str, status: Delivery) {
        if self.transcript.set_status(id, status) {
            self.fx.emit(UiEvent::Status {
                id: id.to_string(),
                status,
            });
            self.fx.transcript_changed();
        }
    }

    fn reset(&mut self) {
        if let Some(run) = self.running.take() {
            self.fx.push(Output::Abort(run.id));
        }
        self.token_request = None;
        self.jobs.clear();
        self.transcript = Transcript::default();
        self.outbox = Outbox::default();
        self.fx.persist("transcript", None);
        self.fx.persist("outbox", None);
        if !self.fixed_visitor {
            self.new_visitor();
        }
        self.lead_told = false;
        self.fx.emit(UiEvent::Cleared);
        if self.fx.state == ConnState::Failed {
            self.fx.set_state(ConnState::Open);
        }
    }
}

impl Machine for ExchangeEngine {
    fn handle(&mut self, now: Now, input: Input) -> Vec<Output> {
        if self.stopped {
            return Vec::new();
        }
        match input {
            Input::Start { stored, seed } => self.start(stored, seed),
            Input::Panel(open) => self
                .fx
                .persist("panel", Some(if open { "1" } else { "0" }.into())),
            Input::HttpDone { id, status, body } => {
                if self.token_request == Some(id) {
                    self.on_token(status, &body);
                } else {
                    self.on_whole(now, id, status, &body);
                }
            }
            Input::StreamOpened { id, status } => self.on_stream_opened(now, id, status),
            Input::StreamChunk { id, bytes } => {
                // The parser leaves the run while it reads, so that each event is handled
                // where it lies; it goes back only to the same run (an event may end it).
                let parser = self
                    .running
                    .as_mut()
                    .filter(|r| r.id == id)
                    .map(|r| std::mem::take(&mut r.parser));
                if let Some(mut parser) = parser {
                    parser.feed_with(&bytes, |e| {
                        if self.running.as_ref().is_some_and(|r| r.id == id) {
                            self.on_stream_data(e.data);
                        }
                    });
                    if let Some(run) = self.running.as_mut().filter(|r| r.id == id) {
                        run.parser = parser;
                    }
                }
            }
            Input::StreamEvent { id, data } => {
                if self.running.as_ref().is_some_and(|r| r.id == id) {
                    self.on_stream_data(&data);
                }
            }
            Input::StreamEnded { id, error } => self.on_stream_ended(id, error),
            Input::UserSend(text) => self.send_text(now, text),
            Input::Retry(id) => self.retry(&id),
            Input::Identify(fields) => {
                for (k, v) in fields {
                    if !k.trim().is_empty() && !v.trim().is_empty() {
                        self.lead.insert(k.trim().to_string(), v.trim().to_string());
                    }
                }
                self.jobs.push_back((Job::Identify, false));
                self.pump();
            }
            Input::Online => {
                self.online = true;
                if self.fx.state == ConnState::Offline {
                    self.fx.set_state(ConnState::Open);
                }
                self.pump();
            }
            Input::Offline => {
                self.online = false;
                if self.running.is_none() {
                    self.fx.set_state(ConnState::Offline);
                }
            }
            Input::Reset => self.reset(),
            Input::Destroy => {
                if let Some(run) = self.running.take() {
                    self.fx.push(Output::Abort(run.id));
                }
                self.fx.set_state(ConnState::Idle);
                self.stopped = true;
            }
            // No link to close: a request in flight simply finishes or is cut by the browser
            // (then it is Interrupted, with Retry).
            Input::Suspend
            | Input::Resume
            | Input::StoredElsewhere { .. }
            | Input::SocketOpened
            | Input::SocketClosed { .. }
            | Input::Frame(_)
            | Input::BinaryFrame(_)
            | Input::TimerFired(_)
            | Input::UserTyping
            | Input::EndChat
            | Input::Sound(_)
            | Input::PageEvent { .. }
            | Input::LeadSubmitted(_)
            | Input::Visible => {}
        }
        self.fx.take(&self.transcript)
    }

    fn keys_to_load(&self) -> Vec<String> {
        ["identity", "transcript", "outbox", "panel"]
            .iter()
            .map(|k| self.fx.key(k))
            .collect()
    }

    fn state(&self) -> ConnState {
        self.fx.state
    }
}
