//! `online`, `offline`, `visibilitychange`, `pagehide`/`pageshow`, `storage` and visual
//! viewport changes, reported while alive, removed on drop.

use super::listeners::Listeners;
use std::rc::Rc;
use wasm_bindgen::JsCast;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageEvent {
    Online,
    Offline,
    Visible,
    /// The visual viewport moved or resized (an on-screen keyboard, pinch zoom, rotation).
    Viewport,
    /// `pagehide`: the page is leaving (perhaps into the back/forward cache).
    Hide,
    /// `pageshow` of a page restored from the back/forward cache.
    Restored,
    /// Another tab of this origin changed local storage (`key`, new value).
    Stored(String, Option<String>),
}

pub struct Lifecycle {
    listeners: Listeners,
}

impl Lifecycle {
    pub fn listen(sink: Rc<dyn Fn(PageEvent)>) -> Lifecycle {
        let mut listeners = Listeners::default();
        let Some(window) = web_sys::window() else {
            return Lifecycle { listeners };
        };
        let document = window.document();
        let s = sink.clone();
        listeners.add(&window, "online", Box::new(move |_| s(PageEvent::Online)));
        let s = sink.clone();
        listeners.add(&window, "offline", Box::new(move |_| s(PageEvent::Offline)));
        if let Some(vv) = window.visual_viewport() {
            for name in ["resize", "scroll"] {
                let s = sink.clone();
                listeners.add(&vv, name, Box::new(move |_| s(PageEvent::Viewport)));
            }
        }
        let s = sink.clone();
        listeners.add(&window, "pagehide", Box::new(move |_| s(PageEvent::Hide)));
        let s = sink.clone();
        listeners.add(
            &window,
            "pageshow",
            Box::new(move |e| {
                if e.dyn_ref::<web_sys::PageTransitionEvent>()
                    .is_some_and(|p| p.persisted())
                {
                    s(PageEvent::Restored)
                }
            }),
        );
        let s = sink.clone();
        listeners.add(
            &window,
            "storage",
            Box::new(move |e| {
                if let Some(e) = e.dyn_ref::<web_sys::StorageEvent>() {
                    if let Some(key) = e.key().filter(|k| k.starts_with("confab:")) {
                        s(PageEvent::Stored(key, e.new_value()))
                    }
                }
            }),
        );
        if let Some(doc) = document {
            let d = doc.clone();
            let s = sink;
            listeners.add(
                &doc,
                "visibilitychange",
                Box::new(move |_| {
                    if d.visibility_state() == web_sys::VisibilityState::Visible {
                        s(PageEvent::Visible)
                    }
                }),
            );
        }
        Lifecycle { listeners }
    }

    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }
}

/// Whether the browser believes it is online now.
pub fn is_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}
