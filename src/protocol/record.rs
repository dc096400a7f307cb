//! Stored records read back by hand from a parsed JSON tree.
//!
//! Derived serde readers cost the bundle a reader per type (and per `Option`, `Vec` and map of
//! it); these few lines read every stored record instead. The rules are serde's defaults for
//! the shapes used: unknown fields are ignored, an absent or `null` optional field is `None`,
//! and a field of the wrong type makes the whole record unreadable (`None`).

use crate::protocol::value::{Map, Value};

/// A JSON object read field by field.
#[derive(Clone, Copy)]
pub struct Record<'a>(&'a Map);

impl<'a> Record<'a> {
    /// `None` unless `v` is an object.
    pub fn of(v: &'a Value) -> Option<Record<'a>> {
        v.as_object().map(Record)
    }

    fn field(self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A field that must be a string.
    pub fn text(self, key: &str) -> Option<String> {
        text(self.field(key)?)
    }

    /// A string field that may be absent: `Some(None)` then; `None` if it is not a string.
    pub fn optional_text(self, key: &str) -> Option<Option<String>> {
        self.optional(key, text)
    }

    /// A field that must be a whole number.
    pub fn int(self, key: &str) -> Option<i64> {
        self.field(key)?.as_i64()
    }

    /// A whole number at or above zero that may be absent.
    pub fn optional_count(self, key: &str) -> Option<Option<u64>> {
        self.optional(key, Value::as_u64)
    }

    /// A flag that is false when absent.
    pub fn flag(self, key: &str) -> Option<bool> {
        match self.field(key) {
            None => Some(false),
            Some(v) => v.as_bool(),
        }
    }

    /// A list, empty when absent, each item read by `item`; `None` if any item is unreadable.
    pub fn list<T>(self, key: &str, item: impl Fn(&'a Value) -> Option<T>) -> Option<Vec<T>> {
        match self.field(key) {
            None => Some(Vec::new()),
            Some(v) => list(v, item),
        }
    }

    /// A field that may be absent (`Some(None)`), read by `read` when present.
    pub fn optional<T>(
        self,
        key: &str,
        read: impl Fn(&'a Value) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.field(key) {
            None => Some(None),
            Some(v) => read(v).map(Some),
        }
    }

    /// The object's fields, in order.
    pub fn entries(self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.0.iter()
    }
}

/// `v` as a list, each item read by `item`; `None` unless every item reads.
pub fn list<'a, T>(v: &'a Value, item: impl Fn(&'a Value) -> Option<T>) -> Option<Vec<T>> {
    let items = v.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        out.push(item(v)?);
    }
    Some(out)
}

/// A string item.
pub fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// Parses `raw` and reads it with `read`; `None` if either fails.
pub fn parse<T>(raw: &str, read: impl Fn(&Value) -> Option<T>) -> Option<T> {
    read(&super::scan::parse(raw).ok()?)
}
