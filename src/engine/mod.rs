//! The sans-IO conversation engine: inputs in, outputs out, time passed in.
//!
//! It owns every decision about connecting, reconnecting, heartbeats, the outbox, delivery
//! marks, de-duplication and persistence. Drivers in `src/browser/` only carry its outputs out
//! and its inputs in, so everything here is tested natively with a fake clock.

mod backoff;
mod credential;
mod effects;
mod exchange;
mod socket;
mod transcript;

pub use credential::{Credential, TokenAnswer, TokenSource};
pub use exchange::ExchangeEngine;
pub use socket::Engine;

pub use backoff::{backoff_delay_ms, Rng, BACKOFF_BASE_MS, BACKOFF_CAP_MS, STABLE_OPEN_MS};
pub use socket::merge_session;
pub use transcript::{Delivery, Direction, Entry, Outbox, Transcript, MAX_TRANSCRIPT};

use crate::clock::Now;
use crate::protocol::HttpRequest;

/// What the browser runtime drives: the socket engine or the exchange engine.
pub trait Machine {
    fn handle(&mut self, now: Now, input: Input) -> Vec<Output>;
    /// The storage keys [`Input::Start`] should carry.
    fn keys_to_load(&self) -> Vec<String>;
    fn state(&self) -> ConnState;
    /// Frames or events from the server that were malformed, binary, oversized or of an
    /// unknown type: ignored, and counted here.
    fn ignored_frames(&self) -> u64 {
        0
    }
}
use crate::keyed::Fields;

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
    /// An answer to the last heartbeat is due (providers whose server echoes heartbeats).
    PongDue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Values read from storage for [`Engine::keys_to_load`] (absent keys left out), and a
    /// random seed for backoff jitter and client ids.
    Start {
        stored: Fields,
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
    /// The page is hidden for the back/forward cache (`pagehide`), or shown again from it
    /// (`pageshow` with `persisted`).
    Suspend,
    Resume,
    /// Another tab of this site changed a stored value (the `storage` event).
    StoredElsewhere {
        key: String,
        value: Option<String>,
    },
    /// The visitor asked to retry a failed message or an interrupted answer.
    Retry(String),
    /// The visitor ends the conversation ("End chat").
    EndChat,
    /// The visitor turned spoken answers on or off.
    Sound(bool),
    /// The visitor's own click or navigation in the demo surface (reported to Iraa).
    PageEvent {
        event: String,
        selector: String,
        url: String,
    },
    /// The visitor submitted the lead form.
    LeadSubmitted(Fields),
    UserSend(String),
    UserTyping,
    Identify(Fields),
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
    /// A streamed message's cards and quick replies, once they are known.
    Extras {
        id: String,
        attachments: Vec<crate::protocol::Attachment>,
        suggestions: Vec<String>,
    },
    /// A message left the transcript (an interrupted answer being retried).
    Removed {
        id: String,
    },
    /// The transcript was forgotten (reset).
    Cleared,
    /// Restore the panel as the visitor left it.
    Panel(bool),
    /// The other side is (or stopped) composing.
    Typing(bool),
    /// The conversation's language (BCP-47).
    Language(String),
    /// Whether the visitor can end the conversation (shows "End chat").
    CanEnd(bool),
    /// Speak this text if the visitor turned sound on.
    Speak(String),
    /// Spoken answers on or off (restored from storage, or just toggled).
    Sound(bool),
    /// Show an inline lead form, prefilled from what the page already said.
    LeadForm {
        fields: Vec<String>,
        prefill: Fields,
        cta_text: Option<String>,
        cta_url: Option<String>,
    },
    /// The lead form was submitted: tell the page (`lead` event) and open the CTA if any.
    LeadSent {
        fields: Fields,
        cta_url: Option<String>,
    },
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
    /// Store the conversation's session record, merged with what is stored now by
    /// [`merge_session`] (read, merge and write in one step, so another tab's later cursor is
    /// never overwritten by an older one).
    PersistSession {
        key: String,
        value: String,
    },
    /// Make a request; `bearer` goes in an `Authorization: Bearer` header (never logged).
    Http {
        id: u32,
        request: HttpRequest,
        bearer: Option<String>,
    },
    /// Stop reading (and cancel) request `id`; nothing more is reported for it.
    Abort(u32),
    /// Run these page actions in order on the configured target (a driver checks each one's
    /// safety, runs it, and reports it as an `action` event).
    RunActions(Vec<crate::protocol::PageAction>),
    Ui(UiEvent),
    Log(Level, String),
}

/// Ids end up in URL paths: non-empty, bounded, printable, no spaces.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.chars().all(|c| c.is_ascii_graphic())
}
