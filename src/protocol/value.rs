//! The JSON tree that the codecs and the stored records read and build: what
//! [`super::scan::parse`] makes and [`super::write`] writes. It replaces `serde_json::Value`,
//! whose map (a `BTreeMap`) and number formatting cost the bundle 4.3 KB gzip for the few calls
//! made here.
//!
//! It keeps serde_json's behaviour where the code relies on it: an object is a
//! [`Keyed`](crate::keyed::Keyed) map, its keys in sorted order, so a frame built here is
//! written with its keys in the same order as serde_json writes them; and of a key given twice
//! the last counts. One difference, by
//! decision: a number keeps the text it was read from, so `1.50` is written and shown as
//! `1.50` (serde_json: `1.5`), and a large integer is never rounded through a float.

/// A JSON value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// A JSON number, as the text it was read from (well formed: only the reader makes one).
#[derive(Clone, Debug, PartialEq)]
pub struct Number(String);

impl Number {
    /// `text`, already checked by the reader to be a well-formed JSON number.
    pub(crate) fn read(text: &str) -> Number {
        Number(text.to_string())
    }

    /// The number's text, as it was read.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An integer without fraction or exponent, as serde_json reads one.
    fn integral(&self) -> Option<&str> {
        let t = self.0.as_str();
        (!t.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))).then_some(t)
    }

    /// The number as a float (infinite when too large for one: the reader refuses those).
    pub fn as_f64(&self) -> f64 {
        float(&self.0)
    }

    /// The number when it is a whole number from 0 to `u64::MAX`, written without a fraction
    /// or exponent.
    pub fn as_u64(&self) -> Option<u64> {
        self.integral()?.parse().ok()
    }

    /// The number when it is a whole number that fits an `i64`, written without a fraction or
    /// exponent.
    pub fn as_i64(&self) -> Option<i64> {
        self.integral()?.parse().ok()
    }
}

/// A well-formed JSON number's value as a float: its first 19 significant digits scaled by a
/// power of ten. Exact for the usual cases (at most 15 digits, exponent within ±22); otherwise
/// within a few units in the last place.
fn float(text: &str) -> f64 {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // Beyond ±800 every mantissa here gives infinity or zero; a longer exponent is clamped.
    let (digits, exponent) = match rest.split_once(['e', 'E']) {
        Some((digits, e)) => {
            let big = if e.starts_with('-') { -800 } else { 800 };
            (digits, e.parse::<i32>().unwrap_or(big).clamp(-800, 800))
        }
        None => (rest, 0),
    };
    let mut mantissa = 0u64;
    let mut scale = exponent;
    let mut kept = 0;
    let mut fraction = false;
    for b in digits.bytes() {
        match b {
            b'.' => fraction = true,
            b'0'..=b'9' => {
                if kept < 19 {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    if mantissa > 0 {
                        kept += 1;
                    }
                    if fraction {
                        scale = scale.saturating_sub(1);
                    }
                } else if !fraction {
                    scale = scale.saturating_add(1);
                }
            }
            _ => {}
        }
    }
    // Powers of ten up to 1e22 are exact, so a mantissa below 2^53 scaled by one of them is
    // correctly rounded (3.5 is 35 / 10, not 35 × 0.1); larger scales go in such steps.
    let mut value = mantissa as f64;
    if mantissa != 0 {
        while scale > 22 && value.is_finite() {
            value *= 1e22;
            scale -= 22;
        }
        while scale < -22 && value != 0.0 {
            value /= 1e22;
            scale += 22;
        }
        if scale >= 0 {
            value *= 10f64.powi(scale);
        } else {
            value /= 10f64.powi(-scale);
        }
    }
    if negative {
        -value
    } else {
        value
    }
}

impl Value {
    /// The field `key` of an object; `None` for a missing key or anything but an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_number()?.as_u64()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(map)
    }
}

/// A JSON object: its fields sorted by key, each key once (the widget's small sorted map).
pub type Map = crate::keyed::Keyed<String, Value>;

/// `v` as an object, or an object with no fields when it is absent or not an object: a
/// missing part of a frame reads as empty, without copying the parts that are there.
pub fn object_or_empty(v: Option<&Value>) -> &Map {
    static EMPTY: Map = Map::new();
    v.and_then(Value::as_object).unwrap_or(&EMPTY)
}
