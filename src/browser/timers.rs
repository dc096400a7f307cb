//! The engine's named timers on `setTimeout` (gloo-timers); starting one replaces it.

use crate::engine::Timer;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Default)]
pub struct Timers {
    pending: RefCell<BTreeMap<Timer, Timeout>>,
}

impl Timers {
    pub fn start(&self, timer: Timer, after_ms: u64, fire: Rc<dyn Fn(Timer)>) {
        let ms = after_ms.min(u32::MAX as u64) as u32;
        let timeout = Timeout::new(ms, move || fire(timer));
        // Dropping the previous Timeout clears it.
        self.pending.borrow_mut().insert(timer, timeout);
    }

    pub fn cancel(&self, timer: Timer) {
        self.pending.borrow_mut().remove(&timer);
    }

    pub fn cancel_all(&self) {
        self.pending.borrow_mut().clear();
    }

    /// Timers started and not cancelled (fired ones stay counted until replaced or cancelled).
    pub fn len(&self) -> usize {
        self.pending.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Lets the browser run other tasks (input, and a frame when one is due) before the caller
/// goes on: a zero-delay timeout. (`scheduler.yield()` resumes ahead of rendering, so text
/// streamed in quickly would show all at once at the end.)
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let queued =
            web_sys::window().is_some_and(|w| w.set_timeout_with_callback(&resolve).is_ok());
        if !queued {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
