//! The host page around the panel: the on-screen keyboard (visual viewport), the page's own
//! scrolling behind a full-screen panel, and the optional message chime.

use std::cell::RefCell;
use wasm_bindgen::JsCast;

/// Whether the panel covers the whole screen: `fullscreen` mode, or a viewport under 480 px.
pub fn is_narrow() -> bool {
    web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .is_some_and(|w| w <= 480.0)
}

/// The visible part of the layout viewport (it shrinks when an on-screen keyboard opens), as
/// `--confab-vv-height` and `--confab-vv-top` on the widget's host element; the stylesheet
/// sizes the full-screen panel with them so the composer stays above the keyboard.
pub fn track_visual_viewport(host: &web_sys::Element) {
    let Some(el) = host.dyn_ref::<web_sys::HtmlElement>() else {
        return;
    };
    let Some(vv) = web_sys::window().and_then(|w| w.visual_viewport()) else {
        return;
    };
    let style = el.style();
    let _ = style.set_property(
        "--confab-vv-height",
        &format!("{}px", vv.height().round() as i64),
    );
    let _ = style.set_property(
        "--confab-vv-top",
        &format!("{}px", vv.offset_top().round() as i64),
    );
}

/// Stops (or restores) the page's own scrolling behind a panel that covers it. The page's
/// previous inline `overflow` is kept and put back.
pub struct ScrollLock {
    saved: RefCell<Option<String>>,
}

impl ScrollLock {
    pub fn new() -> ScrollLock {
        ScrollLock {
            saved: RefCell::new(None),
        }
    }

    pub fn set(&self, locked: bool) {
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        let style = root.style();
        let mut saved = self.saved.borrow_mut();
        match (locked, saved.is_some()) {
            (true, false) => {
                *saved = Some(style.get_property_value("overflow").unwrap_or_default());
                let _ = style.set_property("overflow", "hidden");
            }
            (false, true) => {
                let before = saved.take().unwrap_or_default();
                let _ = if before.is_empty() {
                    style.remove_property("overflow").map(|_| ())
                } else {
                    style.set_property("overflow", &before)
                };
            }
            _ => {}
        }
    }
}

impl Default for ScrollLock {
    fn default() -> Self {
        ScrollLock::new()
    }
}

thread_local! {
    static AUDIO: RefCell<Option<web_sys::AudioContext>> = const { RefCell::new(None) };
}

/// A short two-tone chime, made with Web Audio (no file to fetch), played by one tab only
/// when several show the same conversation. Tabs claim the chime through the Web Locks API
/// (`claim_key` held for a few seconds; a tab that cannot take it at once stays quiet) or,
/// where that API is missing (insecure origins), by writing the message id to localStorage.
pub fn chime(claim_key: &str, message_id: &str) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let get = |o: &JsValue, k: &str| {
        js_sys::Reflect::get(o, &k.into())
            .ok()
            .filter(|v| v.is_object())
    };
    let locks = get(&window.navigator(), "locks");
    let request = locks
        .as_ref()
        .and_then(|l| js_sys::Reflect::get(l, &"request".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if let (Some(locks), Some(request)) = (locks, request) {
        let options = js_sys::Object::new();
        super::set(&options, "ifAvailable", true);
        let held = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            if lock.is_null() {
                return JsValue::UNDEFINED;
            }
            play();
            // Holding the lock a little while keeps the other tabs quiet for this message.
            js_sys::Promise::new(&mut |resolve, _| {
                if let Some(w) = web_sys::window() {
                    let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 3000);
                }
            })
            .into()
        });
        let args = js_sys::Array::of3(&claim_key.into(), &options, &held);
        if let Ok(promise) = request.apply(&locks, &args) {
            if let Ok(p) = promise.dyn_into::<js_sys::Promise>() {
                let done = wasm_bindgen_futures::JsFuture::from(p);
                crate::browser::spawn(async move {
                    let _ = done.await;
                });
            }
            return;
        }
    }
    let storage = window.local_storage().ok().flatten();
    if let Some(s) = &storage {
        if s.get_item(claim_key).ok().flatten().as_deref() == Some(message_id) {
            return;
        }
        let _ = s.set_item(claim_key, message_id);
    }
    play();
}

fn play() {
    AUDIO.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = web_sys::AudioContext::new().ok();
        }
        let Some(ctx) = slot.as_ref() else { return };
        let _ = ctx.resume();
        let start = ctx.current_time();
        for (k, freq) in [660.0_f32, 880.0].into_iter().enumerate() {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                return;
            };
            let t0 = start + 0.12 * k as f64;
            osc.frequency().set_value(freq);
            let g = gain.gain();
            g.set_value(0.0);
            let _ = g.linear_ramp_to_value_at_time(0.08, t0 + 0.01);
            let _ = g.linear_ramp_to_value_at_time(0.0, t0 + 0.18);
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            let _ = osc.start_with_when(t0);
            let _ = osc.stop_with_when(t0 + 0.2);
        }
    });
}
