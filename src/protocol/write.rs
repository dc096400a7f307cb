//! JSON text out: the frames the codecs send and the records the engine stores.
//!
//! The output is what `serde_json` writes for the same data (the same escapes and key order;
//! a number as it was read, see `value`; `tests/fuzz.rs` holds the two to each other), without
//! serde's serializer and one copy of its generic code per stored type in the wasm bundle.
//!
//! A type is written by implementing [`Json`]; a struct with [`Object`], its fields in the
//! order they are stored. A frame whose keys serde_json would order (alphabetically, as its
//! map does) is built as a [`Value`] with [`object`] and written as one.

use super::value::{Map, Value};
use crate::keyed::Keyed;
use std::fmt::Write as _;

/// Something written as JSON text.
pub trait Json {
    fn write(&self, out: &mut String);
}

/// `value` as JSON text.
pub fn json(value: &(impl Json + ?Sized)) -> String {
    let mut out = String::new();
    value.write(&mut out);
    out
}

/// A JSON object as a `Value`: its keys end up in the map's (sorted) order.
pub fn object<const N: usize>(mut fields: [(&str, Value); N]) -> Value {
    object_of(&mut fields)
}

/// [`object`] for any number of fields, compiled once: the values are taken out of `fields`.
fn object_of(fields: &mut [(&str, Value)]) -> Value {
    // Inserted one by one: collecting would bring the map's sort-and-build code along.
    let mut map = Map::new();
    for (k, v) in fields {
        map.insert(k.to_string(), std::mem::take(v));
    }
    Value::Object(map)
}

/// An object being written: `{`, then each field, then `}` from [`Object::end`].
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, first: true }
    }

    /// One field. (`dyn`: one copy of this code serves every type of value.)
    pub fn field(&mut self, key: &str, value: &dyn Json) -> &mut Self {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        key.write(self.out);
        self.out.push(':');
        value.write(self.out);
        self
    }

    /// A field written only when it has a value (serde's `skip_serializing_if = "Option::is_none"`).
    pub fn some(&mut self, key: &str, value: &Option<impl Json>) -> &mut Self {
        if let Some(v) = value {
            self.field(key, v);
        }
        self
    }

    pub fn end(&mut self) {
        self.out.push('}');
    }
}

impl Json for str {
    fn write(&self, out: &mut String) {
        out.push('"');
        let mut from = 0;
        for (at, b) in self.bytes().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            // The escaped bytes are ASCII: `from..at` falls on character boundaries.
            out.push_str(self.get(from..at).unwrap_or_default());
            if escape.is_empty() {
                let _ = write!(out, "\\u{b:04x}");
            } else {
                out.push_str(escape);
            }
            from = at + 1;
        }
        out.push_str(self.get(from..).unwrap_or_default());
        out.push('"');
    }
}

impl Json for String {
    fn write(&self, out: &mut String) {
        self.as_str().write(out);
    }
}

impl Json for bool {
    fn write(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Json for $t {
            fn write(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integers!(u32, u64, i64);

impl<T: Json> Json for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(v) => v.write(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Json> Json for [T] {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write(out);
        }
        out.push(']');
    }
}

impl<T: Json> Json for Vec<T> {
    fn write(&self, out: &mut String) {
        self.as_slice().write(out);
    }
}

impl<T: Json + ?Sized> Json for &T {
    fn write(&self, out: &mut String) {
        (**self).write(out);
    }
}

/// A map key: JSON keys are strings, so a number is written in quotes (as serde_json does).
pub trait Key {
    fn write_key(&self, out: &mut String);
}

impl Key for String {
    fn write_key(&self, out: &mut String) {
        self.write(out);
    }
}

impl Key for u32 {
    fn write_key(&self, out: &mut String) {
        let _ = write!(out, "\"{self}\"");
    }
}

impl<K: Key, V: Json> Json for Keyed<K, V> {
    fn write(&self, out: &mut String) {
        map(out, self);
    }
}

/// A JSON object of `entries`, in their order.
fn map<'e, K: Key + 'e, V: Json + 'e>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'e K, &'e V)>,
) {
    out.push('{');
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        k.write_key(out);
        out.push(':');
        v.write(out);
    }
    out.push('}');
}

impl Json for Value {
    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write(out),
            // A number as it was read (see `value`).
            Value::Number(n) => out.push_str(n.as_str()),
            Value::String(s) => s.write(out),
            Value::Array(items) => items.write(out),
            Value::Object(fields) => fields.write(out),
        }
    }
}
