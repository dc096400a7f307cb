//! Event listeners added with plain DOM calls, each removed again when the set is dropped.
//!
//! Every listener has the one closure type `FnMut(Event)`, so the bundle holds wasm-bindgen's
//! glue for it once. (The view's listeners were Leptos `on:` attributes: each compiled its own
//! attach, callback and thread-check code.)

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// Where, which event, and the closure to remove again.
type Listener = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

#[derive(Default)]
pub struct Listeners(Vec<Listener>);

impl Listeners {
    /// Calls `f` with each `name` event on `target` until the set is dropped.
    pub fn add(&mut self, target: &EventTarget, name: &'static str, f: Box<dyn FnMut(Event)>) {
        let closure = Closure::<dyn FnMut(Event)>::wrap(f);
        if target
            .add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())
            .is_ok()
        {
            self.0.push((target.clone(), name, closure));
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for (target, name, closure) in std::mem::take(&mut self.0) {
            let _ =
                target.remove_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
    }
}
