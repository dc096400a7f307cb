//! The widget's JSON reader, written by hand: serde_json's reader, with its error paths and
//! number tables, cost the bundle 7 KB gzip, more than this whole file.
//!
//! - [`parse`] reads any JSON text into a [`Value`] (what the codecs and the stored records
//!   work with), with serde_json's rules: one value, surrounded only by whitespace;
//!   strings with escapes and surrogate pairs checked; a number is kept as its text, reads as
//!   an integer when it is one that fits 64 bits, as a float otherwise, and a float too large
//!   for one is refused; of a key given twice, the last. One difference: nesting deeper than
//!   64 is refused (serde_json allows 128); no vendor frame or stored record comes near.
//!   `tests/fuzz.rs` holds it to serde_json on generated and damaged input.
//! - [`string_fields`] serves the one shape read thousands of times per answer, a flat object
//!   of which only a few string fields matter (a streamed token event): the whole input is
//!   checked to be one well-formed object, but no tree is built; a wanted string without
//!   escapes is borrowed from the input, and everything else is only stepped over.

use super::value::{Map, Number, Value};
use std::borrow::Cow;

/// How deeply arrays and objects may nest before the input is refused.
const MAX_DEPTH: usize = 64;

/// The JSON value `json` holds, or why it is not one.
pub fn parse(json: &str) -> Result<Value, String> {
    let mut r = Reader { src: json, at: 0 };
    r.space();
    let value = r.value(0)?;
    r.space();
    if r.at < json.len() {
        return Err(r.error("text after the value"));
    }
    Ok(value)
}

/// The string values of `keys` in the JSON object `json`: `None` for a key that is absent or
/// whose value is not a string; of a key given twice, the last. An error says why `json` is not
/// one well-formed JSON object.
pub fn string_fields<'a, const N: usize>(
    json: &'a str,
    keys: [&str; N],
) -> Result<[Option<Cow<'a, str>>; N], String> {
    let mut r = Reader { src: json, at: 0 };
    let mut out: [Option<Cow<'a, str>>; N] = std::array::from_fn(|_| None);
    r.space();
    r.require(b'{')?;
    r.space();
    if !r.eat(b'}') {
        loop {
            r.space();
            let key = r.string()?;
            r.space();
            r.require(b':')?;
            r.space();
            let wanted = keys.iter().position(|k| *k == key);
            match wanted {
                Some(i) if r.peek() == Some(b'"') => out[i] = Some(r.string()?),
                Some(i) => {
                    r.skip_value(0)?;
                    out[i] = None;
                }
                None => r.skip_value(0)?,
            }
            r.space();
            if r.eat(b',') {
                continue;
            }
            r.require(b'}')?;
            break;
        }
    }
    r.space();
    if r.at < json.len() {
        return Err(r.error("text after the object"));
    }
    Ok(out)
}

struct Reader<'a> {
    src: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    #[inline(always)]
    fn require(&mut self, byte: u8) -> Result<(), String> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.expected(byte))
        }
    }

    #[cold]
    fn expected(&self, byte: u8) -> String {
        self.error(&format!("expected `{}`", byte as char))
    }

    fn error(&self, what: &str) -> String {
        match self.peek() {
            Some(_) => format!("{what} at byte {}", self.at),
            None => format!("{what} at the end"),
        }
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// A string, from its opening quote: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, String> {
        self.require(b'"')?;
        let start = self.at;
        let bytes = self.src.as_bytes();
        // The quote, backslash and control characters are ASCII: the slices below fall on
        // character boundaries.
        let plain = bytes
            .get(start..)
            .and_then(|rest| {
                rest.iter()
                    .position(|&b| matches!(b, b'"' | b'\\' | 0..=0x1f))
            })
            .map(|n| start + n);
        let Some(end) = plain else {
            self.at = bytes.len();
            return Err(self.error("unterminated string"));
        };
        self.at = end;
        let head = self.src.get(start..end).unwrap_or_default();
        if self.eat(b'"') {
            return Ok(Cow::Borrowed(head));
        }
        let mut text = head.to_string();
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(text));
                }
                Some(b'\\') => {
                    self.at += 1;
                    text.push(self.escape()?);
                }
                Some(0..=0x1f) => return Err(self.error("control character in a string")),
                Some(_) => {
                    // Up to the next quote, backslash or control character, whole.
                    let from = self.at;
                    let n = bytes
                        .get(from..)
                        .and_then(|rest| {
                            rest.iter()
                                .position(|&b| matches!(b, b'"' | b'\\' | 0..=0x1f))
                        })
                        .unwrap_or(bytes.len() - from);
                    self.at = from + n;
                    text.push_str(self.src.get(from..self.at).unwrap_or_default());
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character an escape stands for, after its backslash.
    fn escape(&mut self) -> Result<char, String> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.at += 1;
                let unit = self.hex4()?;
                let code = match unit {
                    0xd800..=0xdbff => {
                        // A pair: the low half must follow as its own escape.
                        if !(self.eat(b'\\') && self.eat(b'u')) {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err(self.error("lone surrogate in a string")),
                    _ => unit,
                };
                return char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"));
            }
            _ => return Err(self.error("bad escape")),
        };
        self.at += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .src
            .get(self.at..self.at + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("bad \\u escape"))?;
        let unit = u32::from_str_radix(digits, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.at += 4;
        Ok(unit)
    }

    /// One value of any kind, built.
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        self.walk(depth, true)
    }

    /// Steps over one value of any kind, checking it is well formed; nothing is built.
    fn skip_value(&mut self, depth: usize) -> Result<(), String> {
        self.walk(depth, false).map(drop)
    }

    /// Reads one value, checking it is well formed: built when `keep`, else `Null` (and no
    /// string, number or container made on the way).
    fn walk(&mut self, depth: usize, keep: bool) -> Result<Value, String> {
        if depth >= MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            Some(b'"') => {
                let text = self.string()?;
                Ok(if keep {
                    Value::String(text.into_owned())
                } else {
                    Value::Null
                })
            }
            Some(open @ (b'[' | b'{')) => {
                self.at += 1;
                let object = open == b'{';
                let close = if object { b'}' } else { b']' };
                let mut items = Vec::new();
                let mut fields = Vec::new();
                self.space();
                if !self.eat(close) {
                    loop {
                        self.space();
                        if object {
                            let key = self.string()?;
                            self.space();
                            self.require(b':')?;
                            self.space();
                            let value = self.walk(depth + 1, keep)?;
                            if keep {
                                fields.push((key.into_owned(), value));
                            }
                        } else {
                            let value = self.walk(depth + 1, keep)?;
                            if keep {
                                items.push(value);
                            }
                        }
                        self.space();
                        if !self.eat(b',') {
                            self.require(close)?;
                            break;
                        }
                    }
                }
                Ok(match (keep, object) {
                    (false, _) => Value::Null,
                    (true, true) => Value::Object(Map::from_unsorted(fields)),
                    (true, false) => Value::Array(items),
                })
            }
            Some(b'-' | b'0'..=b'9') => {
                let from = self.at;
                self.number()?;
                if !keep {
                    return Ok(Value::Null);
                }
                let text = self.src.get(from..self.at).unwrap_or_default();
                number_value(text).ok_or_else(|| self.error("number out of range"))
            }
            _ => {
                let (word, value) = match self.peek() {
                    Some(b't') => ("true", Value::Bool(true)),
                    Some(b'f') => ("false", Value::Bool(false)),
                    _ => ("null", Value::Null),
                };
                self.word(word).map(|()| value)
            }
        }
    }

    fn word(&mut self, word: &str) -> Result<(), String> {
        if self
            .src
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), String> {
        self.eat(b'-');
        if !self.eat(b'0') && self.digits() == 0 {
            return Err(self.error("expected a digit"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.error("expected a digit"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let from = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - from
    }
}

/// A well-formed JSON number as a value, kept as its text; `None` for one that is neither an
/// integer of 64 bits nor a float that a double holds (serde_json refuses those too).
fn number_value(text: &str) -> Option<Value> {
    let n = Number::read(text);
    let in_range = n.as_u64().is_some() || n.as_i64().is_some() || n.as_f64().is_finite();
    in_range.then_some(Value::Number(n))
}
