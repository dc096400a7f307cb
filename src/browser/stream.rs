//! Answer streams: a `fetch` body read chunk by chunk (when a bearer header is needed) or an
//! `EventSource` (when it is not). Both report [`StreamReport`]s; `abort` stops either silently.

use crate::keyed::Keyed;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamReport {
    Opened(u16),
    Chunk(Vec<u8>),
    Event(String),
    Ended(Option<String>),
}

type Sink = Rc<dyn Fn(StreamReport)>;

/// Body bytes handed on at once at most, and the work after which the browser gets the
/// thread back: a streamed answer never holds the page up for long.
const SLICE_BYTES: u32 = 16 * 1024;
const BUSY_MS: f64 = 8.0;

enum Handle {
    Fetch(web_sys::AbortController),
    Source {
        source: web_sys::EventSource,
        _on_open: Closure<dyn FnMut(web_sys::Event)>,
        _on_message: Closure<dyn FnMut(web_sys::Event)>,
        _on_error: Closure<dyn FnMut(web_sys::Event)>,
    },
}

#[derive(Default)]
pub struct Streams {
    live: Rc<RefCell<Keyed<u32, Handle>>>,
    /// Fetch streams that have handed the thread back in the middle of a backlog: more of
    /// their body is already here, waiting to be read.
    catching_up: Rc<Cell<u32>>,
}

impl Streams {
    /// GET `url` with `fetch` (and a bearer header when given), reporting the status, then
    /// every body chunk, then the end.
    pub fn fetch(&self, id: u32, url: String, bearer: Option<String>, sink: Sink) {
        let controller = match web_sys::AbortController::new() {
            Ok(c) => c,
            Err(_) => {
                sink(StreamReport::Ended(Some(
                    "AbortController is unavailable".into(),
                )));
                return;
            }
        };
        let signal = controller.signal();
        self.live.borrow_mut().insert(id, Handle::Fetch(controller));
        let live = self.live.clone();
        let catching_up = self.catching_up.clone();
        crate::browser::spawn(async move {
            let alive = |live: &Rc<RefCell<Keyed<u32, Handle>>>| live.borrow().contains_key(&id);
            let accept = [("Accept", "text/event-stream")];
            let sent =
                super::http::send("GET", &url, &accept, bearer.as_deref(), None, Some(&signal));
            let response = match sent.await {
                Ok(r) => r,
                Err(e) => {
                    if alive(&live) {
                        live.borrow_mut().remove(&id);
                        sink(StreamReport::Ended(Some(e)));
                    }
                    return;
                }
            };
            if !alive(&live) {
                return;
            }
            sink(StreamReport::Opened(response.status()));
            let Some(body) = response.body() else {
                live.borrow_mut().remove(&id);
                sink(StreamReport::Ended(None));
                return;
            };
            let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            // Work done on chunks since the browser last had the thread: a fast server fills
            // the body faster than it is read, and read() then never waits.
            let mut busy_ms = 0.0;
            loop {
                let step = wasm_bindgen_futures::JsFuture::from(reader.read()).await;
                if !alive(&live) {
                    return;
                }
                match step {
                    Ok(result) => {
                        let done = js_sys::Reflect::get(&result, &JsValue::from_str("done"))
                            .ok()
                            .and_then(|d| d.as_bool())
                            .unwrap_or(true);
                        if done {
                            live.borrow_mut().remove(&id);
                            sink(StreamReport::Ended(None));
                            return;
                        }
                        if let Ok(value) =
                            js_sys::Reflect::get(&result, &JsValue::from_str("value"))
                        {
                            if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
                                let len = bytes.length();
                                let mut at = 0;
                                // A slice handled may end the stream (an answer complete).
                                while at < len && alive(&live) {
                                    let end = at.saturating_add(SLICE_BYTES).min(len);
                                    let started = js_sys::Date::now();
                                    sink(StreamReport::Chunk(bytes.subarray(at, end).to_vec()));
                                    // A wall clock set back mid-stream must not count as
                                    // negative work (the reader would stop yielding).
                                    busy_ms += (js_sys::Date::now() - started).max(0.0);
                                    at = end;
                                    if busy_ms >= BUSY_MS {
                                        // A zero-delay timeout lets input and a due frame
                                        // run first (`scheduler.yield()` resumes ahead of
                                        // rendering: the answer would show all at once).
                                        catching_up.set(catching_up.get() + 1);
                                        gloo_timers::future::TimeoutFuture::new(0).await;
                                        catching_up.set(catching_up.get().saturating_sub(1));
                                        busy_ms = 0.0;
                                        if !alive(&live) {
                                            return;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => {
                        live.borrow_mut().remove(&id);
                        sink(StreamReport::Ended(Some(super::js_message(
                            &e,
                            "the stream could not be read",
                        ))));
                        return;
                    }
                }
            }
        });
    }

    /// GET `url` through `EventSource`. Its automatic reconnection is never used: a GET carries
    /// the visitor's message, so an error ends the stream instead of asking again.
    pub fn event_source(&self, id: u32, url: &str, sink: Sink) {
        let source = match web_sys::EventSource::new(url) {
            Ok(s) => s,
            Err(e) => {
                let sink = sink.clone();
                let why = super::js_message(&e, "the browser refused the event stream");
                crate::browser::spawn(async move { sink(StreamReport::Ended(Some(why))) });
                return;
            }
        };
        let s = sink.clone();
        let on_open =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| s(StreamReport::Opened(200)));
        let s = sink.clone();
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if let Some(data) = e
                .unchecked_ref::<web_sys::MessageEvent>()
                .data()
                .as_string()
            {
                s(StreamReport::Event(data));
            }
        });
        let live = self.live.clone();
        let s = sink;
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(Handle::Source { source, .. }) = live.borrow_mut().remove(&id) {
                source.close();
            }
            s(StreamReport::Ended(Some(
                "the event stream closed or failed".into(),
            )));
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.live.borrow_mut().insert(
            id,
            Handle::Source {
                source,
                _on_open: on_open,
                _on_message: on_message,
                _on_error: on_error,
            },
        );
    }

    /// Stops stream `id`; nothing more is reported for it.
    pub fn abort(&self, id: u32) {
        let handle = self.live.borrow_mut().remove(&id);
        match handle {
            Some(Handle::Fetch(controller)) => controller.abort(),
            Some(Handle::Source { source, .. }) => {
                source.set_onopen(None);
                source.set_onmessage(None);
                source.set_onerror(None);
                source.close();
            }
            None => {}
        }
    }

    pub fn abort_all(&self) {
        let ids: Vec<u32> = self.live.borrow().keys().copied().collect();
        for id in ids {
            self.abort(id);
        }
    }

    /// Whether a stream is pausing in the middle of a backlog (it has been reading without
    /// waiting, and yielded only to let the page run): text shown now would be out of date
    /// within milliseconds.
    pub fn catching_up(&self) -> bool {
        self.catching_up.get() > 0
    }

    pub fn len(&self) -> usize {
        self.live.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
