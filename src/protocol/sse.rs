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
            match line_end(rest) {
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
        if bytes.is_empty() {
            self.dispatch(each);
            return;
        }
        // The field ends at the first `:` (a comment when that is the first byte). A `:` is
        // never inside a UTF-8 sequence, so the two halves decode as the whole line would.
        let (field, value) = match bytes.iter().position(|&b| b == b':') {
            Some(0) => return,
            Some(at) => {
                let v = &bytes[at + 1..];
                (&bytes[..at], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (bytes, &[][..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&text(value));
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                self.event.push_str(&text(value));
            }
            b"id" if !value.contains(&0) => self.last_id = Some(text(value).into_owned()),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry_ms = text(value).parse().ok();
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

/// Where the first `\r` or `\n` in `bytes` is. Eight bytes are tested at a time: a stream's
/// lines are tens of bytes long, and a burst is hundreds of kilobytes of them.
fn line_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Non-zero exactly when some byte of `x` is zero.
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut at = 0;
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        let x = u64::from_ne_bytes(w);
        if zero_byte(x ^ (ONES * u64::from(b'\n'))) | zero_byte(x ^ (ONES * u64::from(b'\r'))) != 0
        {
            break;
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .map(|i| at + i)
}

/// A field's value as text: valid UTF-8 (nearly every value) where it is, the rest with
/// U+FFFD. Only the fields the parser reads are decoded.
fn text(value: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(value) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(value),
    }
}
