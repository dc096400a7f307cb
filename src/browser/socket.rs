//! One WebSocket at a time, reported as [`SocketEvent`]s.

use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SocketEvent {
    Open,
    Text(String),
    Binary(usize),
    Closed(u16),
}

type Sink = Rc<dyn Fn(SocketEvent)>;

struct Live {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(Event)>,
}

#[derive(Default)]
pub struct SocketDriver {
    live: RefCell<Option<Live>>,
}

impl SocketDriver {
    /// Opens `url`, closing any earlier socket silently. A URL the browser refuses outright
    /// (bad scheme, blocked by CSP) is reported as a close with code 1006, like a failed handshake.
    pub fn connect(&self, url: &str, sink: Sink) {
        self.close();
        let ws = match WebSocket::new(url) {
            Ok(ws) => ws,
            Err(e) => {
                // The query can hold an access token: never log it.
                let shown = url.split('?').next().unwrap_or_default();
                let why = super::js_message(&e, "the browser refused it");
                super::console_warn(&format!("cannot open {shown}: {why}"));
                let sink = sink.clone();
                // Reported on a later turn so the engine never sees its own call re-entered.
                crate::browser::spawn(async move { sink(SocketEvent::Closed(1006)) });
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let s = sink.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| s(SocketEvent::Open));
        let s = sink.clone();
        let on_message = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            let data = e.unchecked_ref::<MessageEvent>().data();
            match data.as_string() {
                Some(text) => s(SocketEvent::Text(text)),
                None => {
                    let len = data
                        .dyn_ref::<js_sys::ArrayBuffer>()
                        .map(|b| b.byte_length() as usize)
                        .unwrap_or(0);
                    s(SocketEvent::Binary(len))
                }
            }
        });
        let s = sink;
        let on_close = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            s(SocketEvent::Closed(e.unchecked_ref::<CloseEvent>().code()))
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        *self.live.borrow_mut() = Some(Live {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        });
    }

    /// Returns false when there is no open socket or the browser refused the frame.
    pub fn send(&self, text: &str) -> bool {
        match self.live.borrow().as_ref() {
            Some(live) if live.ws.ready_state() == WebSocket::OPEN => {
                live.ws.send_with_str(text).is_ok()
            }
            _ => false,
        }
    }

    /// Closes on purpose: handlers are detached first, so no close event is reported.
    pub fn close(&self) {
        if let Some(live) = self.live.borrow_mut().take() {
            live.ws.set_onopen(None);
            live.ws.set_onmessage(None);
            live.ws.set_onclose(None);
            let _ = live.ws.close_with_code(1000);
        }
    }

    pub fn is_connected(&self) -> bool {
        self.live.borrow().is_some()
    }
}

impl Drop for SocketDriver {
    fn drop(&mut self) {
        self.close();
    }
}
