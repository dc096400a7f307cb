//! Thin browser drivers: the only place that touches web-sys and gloo. Each carries the
//! engine's outputs out and reports what happened as engine inputs; none decides anything.

pub mod actions;
pub mod heap;
pub mod http;
pub mod lifecycle;
pub mod listeners;
pub mod page;
pub mod socket;
pub mod storage;
pub mod stream;
pub mod timers;

use crate::clock::Now;
use wasm_bindgen::JsValue;

/// Runs `future` on the page's event loop. Every task goes through here boxed as one future
/// type, the one Leptos's own tasks have: `spawn_local` and the task code under it compile
/// once for each future type they are given (about 0.3 KB of wasm each).
pub fn spawn(future: impl std::future::Future<Output = ()> + 'static) {
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> = Box::pin(future);
    wasm_bindgen_futures::spawn_local(boxed);
}

/// Sets one property of a plain JS object (an options bag, an event's detail, stats).
pub fn set(object: &js_sys::Object, key: &str, value: impl Into<JsValue>) {
    set_value(object, key, value.into());
}

/// `set` after the conversion: compiled once, not once per value type.
#[inline(never)]
fn set_value(object: &js_sys::Object, key: &str, value: JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), &value);
}

/// A thrown JS value as text: an `Error`'s message, a thrown string, or `fallback`.
pub fn js_message(e: &JsValue, fallback: &str) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| fallback.into())
}

/// The browser's clock and the local UTC offset at this instant (DST-aware).
pub fn now() -> Now {
    let date = js_sys::Date::new_0();
    Now {
        utc_ms: date.get_time() as i64,
        offset_min: -(date.get_timezone_offset() as i32),
    }
}

/// A seed for the engine's jitter and ids.
pub fn random_seed() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

pub fn console_warn(message: &str) {
    web_sys::console::warn_1(&format!("[confab] {message}").into());
}

pub fn console_error(message: &str) {
    web_sys::console::error_1(&format!("[confab] {message}").into());
}

pub fn console_info(message: &str) {
    web_sys::console::info_1(&format!("[confab] {message}").into());
}
