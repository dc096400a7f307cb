//! A streaming Server-Sent Events parser (the WHATWG "event stream interpretation"), fed bytes
//! in chunks split anywhere, even inside a UTF-8 character or between `\r` and `\n`.

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field, `"message"` when absent.
    pub event: String,
    pub data: String,
    /// The last event id at dispatch time.
    pub id: Option<String>,
}

/// One dispatched event as the parser holds it, lent to the caller of
/// [`SseParser::feed_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    /// The `event` field, `"message"` when absent.
    pub event: &'a str,
    pub data: &'a str,
    /// The last event id at dispatch time.
    pub id: Option<&'a str>,
}

impl SseEventRef<'_> {
    pub fn into_event(self) -> SseEvent {
        SseEvent {
            event: self.event.to_string(),
            data: self.data.to_string(),
            id: self.id.map(str::to_string),
        }
    }
}

/// A data buffer grown past this by one large event is let go rather than kept for the rest
/// of the stream.
const KEEP_DATA_CAPACITY: usize = 64 * 1024;

#[derive(Default)]
pub struct SseParser {
    /// Bytes of the current, not yet terminated line.
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a leading `\n` of the next one belongs to it.
    after_cr: bool,
    started: bool,
    data: String,
    has_data: bool,
    event: String,
    last_id: Option<String>,
    /// The reconnection time the server asked for, in ms.
    pub retry_ms: Option<u64>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feeds one chunk; returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.feed_with(chunk, |e| out.push(e.into_event()));
        out
    }

    /// Feeds one chunk, handing each event it completes to `each` as it is completed, without
    /// copying it: a long answer is thousands of events.
    pub fn feed_with(&mut self, chunk: &[u8], mut each: impl FnMut(SseEventRef<'_>)) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if std::mem::take(&mut self.after_cr) && rest[0] == b'\n' {
                rest = &rest[1..];
                continue;
            }
            match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
                Some(at) => {
                    self.after_cr = rest[at] == b'\r';
                    if self.line.is_empty() {
                        // The whole line is in this chunk: read it where it is.
                        self.end_line(&rest[..at], &mut each);
                    } else {
                        self.line.extend_from_slice(&rest[..at]);
                        let mut line = std::mem::take(&mut self.line);
                        self.end_line(&line, &mut each);
                        // Its buffer is kept for the next line split across chunks.
                        line.clear();
                        self.line = line;
                    }
                    rest = &rest[at + 1..];
                }
                None => {
                    self.line.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
    }

    /// The stream ended: an event without its closing blank line is discarded, as the spec says.
    pub fn finish(&mut self) {
        self.line.clear();
        self.data.clear();
        self.has_data = false;
        self.event.clear();
    }

    fn end_line(&mut self, mut bytes: &[u8], each: &mut impl FnMut(SseEventRef<'_>)) {
        if !self.started {
            self.started = true;
            if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
                bytes = rest;
            }
        }
        // Valid UTF-8 (nearly every line) is read where it is; the rest with U+FFFD.
        let line = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(bytes),
        };
        if line.is_empty() {
            self.dispatch(each);
            return;
        }
        if line.starts_with(':') {
            return; // comment
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            "retry" if !value.is_empty() && value.bytes().all(|c| c.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, each: &mut impl FnMut(SseEventRef<'_>)) {
        if self.has_data {
            self.has_data = false;
            each(SseEventRef {
                event: if self.event.is_empty() {
                    "message"
                } else {
                    &self.event
                },
                data: &self.data,
                id: self.last_id.as_deref(),
            });
        }
        self.event.clear();
        if self.data.capacity() > KEEP_DATA_CAPACITY {
            self.data = String::new();
        } else {
            self.data.clear();
        }
    }
}
