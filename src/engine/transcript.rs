//! The conversation as the visitor sees it, and the messages still owed to the server.

use crate::i18n::Notice;
use crate::protocol::record::{self, Record};
use crate::protocol::value::Value;
use crate::protocol::write::{json, Json, Object};
use crate::protocol::Attachment;

/// Entries kept (and persisted) per conversation; older ones are dropped first.
pub const MAX_TRANSCRIPT: usize = 200;
/// Longest text accepted from storage for one entry.
const MAX_STORED_TEXT: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
    /// A notice from the system (handoff, queue, session end), shown apart from messages.
    System,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::System => "system",
        }
    }

    /// The direction named `name` ([`Direction::as_str`]).
    pub fn named(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.as_str() == name)
    }

    pub const ALL: [Direction; 3] = [Direction::In, Direction::Out, Direction::System];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Waiting for a link (or written to one that dropped): will be sent.
    Pending,
    /// Written to an open socket, not yet acknowledged.
    Sent,
    /// The server acknowledged it.
    Delivered,
    /// An incoming message.
    Received,
    /// An incoming answer still arriving.
    Streaming,
    /// An answer cut off before it completed; Retry asks again.
    Interrupted,
    /// An outgoing message the server refused or never answered; Retry sends it again.
    Failed,
}

impl Delivery {
    /// Its name on the wire and in the page (`data-status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Received => "received",
            Delivery::Streaming => "streaming",
            Delivery::Interrupted => "interrupted",
            Delivery::Failed => "failed",
        }
    }

    /// The status named `name` ([`Delivery::as_str`]).
    pub fn named(name: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == name)
    }

    #[rustfmt::skip]
    pub const ALL: [Delivery; 7] = {
        use Delivery::*;
        [Pending, Sent, Delivered, Received, Streaming, Interrupted, Failed]
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub direction: Direction,
    pub text: String,
    pub status: Delivery,
    /// UTC milliseconds.
    pub at: i64,
    pub name: Option<String>,
    /// For an answer: the id of the visitor message it answers (exchange providers).
    pub reply_to: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Quick replies offered with this message.
    pub suggestions: Vec<String>,
    /// For a system entry: whether it reports a problem.
    pub error: bool,
    /// For a system entry: which notice, so the view can word it in the visitor's language
    /// (`text` holds the English wording).
    pub notice: Option<Notice>,
}

/// The stored form: `dir` for the direction, empty fields left out.
impl Json for Entry {
    fn write(&self, out: &mut String) {
        let mut o = Object::new(out);
        o.field("id", &self.id)
            .field("dir", &self.direction.as_str())
            .field("text", &self.text)
            .field("status", &self.status.as_str())
            .field("at", &self.at)
            .some("name", &self.name)
            .some("reply_to", &self.reply_to);
        if !self.attachments.is_empty() {
            o.field("attachments", &self.attachments);
        }
        if !self.suggestions.is_empty() {
            o.field("suggestions", &self.suggestions);
        }
        if self.error {
            o.field("error", &true);
        }
        o.some("notice", &self.notice).end();
    }
}

impl Entry {
    pub fn outgoing(id: String, text: String, at: i64) -> Entry {
        Entry {
            id,
            direction: Direction::Out,
            text,
            status: Delivery::Pending,
            at,
            name: None,
            reply_to: None,
            attachments: Vec::new(),
            suggestions: Vec::new(),
            error: false,
            notice: None,
        }
    }

    /// An incoming entry with the given text, status and time; other fields empty.
    pub fn incoming(id: String, text: String, status: Delivery, at: i64) -> Entry {
        Entry {
            direction: Direction::In,
            status,
            ..Entry::outgoing(id, text, at)
        }
    }

    /// A stored entry read back (the form `Serialize` writes).
    fn read(v: &Value) -> Option<Entry> {
        let r = Record::of(v)?;
        Some(Entry {
            id: r.text("id")?,
            direction: Direction::named(&r.text("dir")?)?,
            text: r.text("text")?,
            status: Delivery::named(&r.text("status")?)?,
            at: r.int("at")?,
            name: r.optional_text("name")?,
            reply_to: r.optional_text("reply_to")?,
            attachments: r.list("attachments", Attachment::read)?,
            suggestions: r.list("suggestions", record::text)?,
            error: r.flag("error")?,
            notice: r.optional("notice", Notice::read)?,
        })
    }

    fn plausible(&self) -> bool {
        !self.id.is_empty() && self.id.len() <= 256 && self.text.len() <= MAX_STORED_TEXT
    }
}

#[derive(Clone, Debug, Default)]
pub struct Transcript {
    /// The kept entries are `entries[start..]`; those before `start` were dropped and are
    /// removed in bulk now and then, so a long replay does not shift the list per message.
    entries: Vec<Entry>,
    start: usize,
    /// How many of `entries` have each id: a replay asks about thousands of ids in one go.
    ids: crate::strmap::StrMap,
}

impl Transcript {
    pub fn entries(&self) -> &[Entry] {
        &self.entries[self.start..]
    }

    fn kept_mut(&mut self) -> &mut [Entry] {
        &mut self.entries[self.start..]
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    fn forget(&mut self, id: &str) {
        if let Some(n) = self.ids.get_mut(id) {
            *n -= 1;
            if *n == 0 {
                self.ids.remove(id);
            }
        }
    }

    pub fn push(&mut self, entry: Entry) {
        match self.ids.get_mut(&entry.id) {
            Some(n) => *n += 1,
            None => {
                self.ids.insert(entry.id.clone(), 1);
            }
        }
        self.entries.push(entry);
        while self.entries.len() - self.start > MAX_TRANSCRIPT {
            let id = std::mem::take(&mut self.entries[self.start].id);
            self.forget(&id);
            self.start += 1;
        }
        if self.start >= MAX_TRANSCRIPT {
            self.entries.drain(..self.start);
            self.start = 0;
        }
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        // The entry asked about is nearly always one of the latest.
        self.entries().iter().rev().find(|e| e.id == id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Entry> {
        self.kept_mut().iter_mut().rev().find(|e| e.id == id)
    }

    pub fn remove(&mut self, id: &str) {
        self.entries.drain(..self.start);
        self.start = 0;
        self.entries.retain(|e| e.id != id);
        self.ids.remove(id);
    }

    /// Returns whether the entry exists and its status changed.
    pub fn set_status(&mut self, id: &str, status: Delivery) -> bool {
        match self.get_mut(id) {
            Some(e) if e.status != status => {
                e.status = status;
                true
            }
            _ => false,
        }
    }

    pub fn to_json(&self) -> String {
        json(self.entries())
    }

    /// `None` when the stored value is not a list of plausible entries.
    pub fn from_json(raw: &str) -> Option<Transcript> {
        let entries = record::parse(raw, |v| record::list(v, Entry::read))?;
        if !entries.iter().all(Entry::plausible) {
            return None;
        }
        let mut t = Transcript::default();
        for e in entries {
            t.push(e);
        }
        Some(t)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Owed {
    id: String,
    text: String,
    at: i64,
    /// Not stored: after a reload nothing has been written to the new link.
    sent: bool,
}

impl Json for Owed {
    fn write(&self, out: &mut String) {
        Object::new(out)
            .field("id", &self.id)
            .field("text", &self.text)
            .field("at", &self.at)
            .end();
    }
}

impl Owed {
    fn read(v: &Value) -> Option<Owed> {
        let r = Record::of(v)?;
        Some(Owed {
            id: r.text("id")?,
            text: r.text("text")?,
            at: r.int("at")?,
            sent: false,
        })
    }
}

/// Messages the server has not acknowledged yet, oldest first.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    items: Vec<Owed>,
}

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.items.iter().any(|o| o.id == id)
    }

    pub fn push(&mut self, id: String, text: String, at: i64) {
        self.items.push(Owed {
            id,
            text,
            at,
            sent: false,
        });
    }

    pub fn items(&self) -> Vec<(String, String, i64)> {
        self.items
            .iter()
            .map(|o| (o.id.clone(), o.text.clone(), o.at))
            .collect()
    }

    /// Not yet written to the current link, in order.
    pub fn unsent(&self) -> Vec<(String, String)> {
        self.items
            .iter()
            .filter(|o| !o.sent)
            .map(|o| (o.id.clone(), o.text.clone()))
            .collect()
    }

    pub fn mark_sent(&mut self, id: &str) {
        if let Some(o) = self.items.iter_mut().find(|o| o.id == id) {
            o.sent = true;
        }
    }

    /// The link is gone: everything owed goes out again on the next one. Returns the ids that
    /// had been written.
    pub fn unsend_all(&mut self) -> Vec<String> {
        let mut ids = Vec::new();
        for o in &mut self.items {
            if o.sent {
                o.sent = false;
                ids.push(o.id.clone());
            }
        }
        ids
    }

    pub fn oldest_sent_with_text(&self, text: &str) -> Option<String> {
        self.items
            .iter()
            .find(|o| o.sent && o.text == text)
            .or_else(|| self.items.iter().find(|o| o.text == text))
            .map(|o| o.id.clone())
    }

    pub fn remove(&mut self, id: &str) {
        self.items.retain(|o| o.id != id);
    }

    pub fn to_json(&self) -> String {
        json(&self.items)
    }

    pub fn from_json(raw: &str) -> Option<Outbox> {
        let items = record::parse(raw, |v| record::list(v, Owed::read))?;
        let ok = items
            .iter()
            .all(|o| !o.id.is_empty() && o.id.len() <= 256 && o.text.len() <= MAX_STORED_TEXT);
        ok.then_some(Outbox { items })
    }
}
