//! Runs an agent's page actions in order on the configured target, through
//! `www/page-actions.js`, after the DOM-free safety rules of `crate::actions`. Each action run
//! or refused is reported; a failure or Stop (or the visitor's own click or key press in the
//! target) ends the rest of the sequence, which is reported as not run.

use crate::actions::{check_navigate, precheck};
use crate::config::PageActions;
use crate::protocol::PageAction;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

// `page-actions.js` is fetched only when an Iraa widget starts (the one provider whose agent
// drives pages), not with the bundle: `dist/page-actions.js`, two levels above this snippet
// in `dist/snippets/<crate>/`. The promise is the target `createTarget` makes, or its error.
#[wasm_bindgen(
    inline_js = "export function loadTarget(spec, onVisitor, onInterrupt) { \
    return import(new URL('../../page-actions.js', import.meta.url).href) \
        .then((m) => m.createTarget(spec, onVisitor, onInterrupt)); }"
)]
extern "C" {
    #[wasm_bindgen(js_name = loadTarget)]
    fn load_target(
        spec: &str,
        on_visitor: &js_sys::Function,
        on_interrupt: &js_sys::Function,
    ) -> js_sys::Promise;
}

/// What happened to one action (the page's `action` event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReport {
    pub action: String,
    pub selector: Option<String>,
    pub url: Option<String>,
    pub ok: bool,
    pub error: Option<String>,
}

pub struct PageActionRunner {
    /// The target being loaded, then loaded (or failed); `None` when page actions are off.
    loading: Option<js_sys::Promise>,
    /// The target once loaded, for Stop and for the end.
    target: Rc<std::cell::RefCell<Option<JsValue>>>,
    /// The runner is gone: a target that loads after that is stopped at once.
    gone: Rc<Cell<bool>>,
    off: bool,
    allowed: Vec<String>,
    /// Bumped by Stop and by each new sequence: a running sequence checks it between actions.
    generation: Rc<Cell<u64>>,
    /// Bumped by Stop (and the visitor's own clicks) only, to tell "stopped" from "replaced".
    stops: Rc<Cell<u64>>,
    /// The generation of the last sequence that began acting on the target, until it ends:
    /// it is still acting while that equals `generation`.
    acting: Rc<Cell<Option<u64>>>,
    /// Stop, and the visitor's own click or key press in the target: the running sequence
    /// reports "stopped by the visitor" and the bar goes (the target's `cancel` is the
    /// caller's part).
    halt: Rc<dyn Fn()>,
    report: Rc<dyn Fn(ActionReport)>,
    busy: Rc<dyn Fn(bool)>,
    _on_visitor: Closure<dyn FnMut(String, String, String)>,
    _on_interrupt: Closure<dyn FnMut()>,
}

fn call(target: &JsValue, method: &str, arg: &JsValue) -> Result<JsValue, JsValue> {
    let f: js_sys::Function =
        js_sys::Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    f.call1(target, arg)
}

async fn call_async(target: &JsValue, method: &str, arg: &JsValue) -> Result<JsValue, String> {
    let promise: js_sys::Promise = call(target, method, arg)
        .map_err(js_message)?
        .dyn_into()
        .map_err(js_message)?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(js_message)
}

fn js_message(e: JsValue) -> String {
    super::js_message(&e, "the action failed")
}

impl PageActionRunner {
    pub fn new(
        mode: &PageActions,
        allowed: Vec<String>,
        on_visitor: Rc<dyn Fn(String, String, String)>,
        report: Rc<dyn Fn(ActionReport)>,
        busy: Rc<dyn Fn(bool)>,
    ) -> PageActionRunner {
        let generation = Rc::new(Cell::new(0u64));
        let stops = Rc::new(Cell::new(0u64));
        let halt: Rc<dyn Fn()> = {
            let (g, st, off_bar) = (generation.clone(), stops.clone(), busy.clone());
            Rc::new(move || {
                g.set(g.get() + 1);
                st.set(st.get() + 1);
                off_bar(false);
            })
        };
        // The target has already interrupted the action in progress.
        let on_interrupt = {
            let halt = halt.clone();
            Closure::<dyn FnMut()>::new(move || halt())
        };
        let on_visitor =
            Closure::<dyn FnMut(String, String, String)>::new(move |e, s, u| on_visitor(e, s, u));
        let spec = match mode {
            PageActions::Off => None,
            PageActions::Host => Some("host".to_string()),
            PageActions::Frame(selector) => Some(selector.clone()),
        };
        let loading = spec.map(|spec| {
            load_target(
                &spec,
                on_visitor.as_ref().unchecked_ref(),
                on_interrupt.as_ref().unchecked_ref(),
            )
        });
        let target = Rc::new(std::cell::RefCell::new(None));
        let gone = Rc::new(Cell::new(false));
        if let Some(promise) = loading.clone() {
            let (target, gone) = (target.clone(), gone.clone());
            crate::browser::spawn(async move {
                match wasm_bindgen_futures::JsFuture::from(promise).await {
                    Ok(t) if gone.get() => stop_target(&t),
                    Ok(t) => *target.borrow_mut() = Some(t),
                    Err(e) => super::console_warn(&format!(
                        "page actions are unavailable: {}",
                        js_message(e)
                    )),
                }
            });
        }
        PageActionRunner {
            loading,
            target,
            gone,
            off: matches!(mode, PageActions::Off),
            allowed,
            generation,
            stops,
            acting: Rc::new(Cell::new(None)),
            halt,
            report,
            busy,
            _on_visitor: on_visitor,
            _on_interrupt: on_interrupt,
        }
    }

    /// Runs `actions` in order. A sequence already running is replaced: its action in
    /// progress is interrupted at once (a long `wait` too), and the rest are not run.
    pub fn run(&self, actions: Vec<PageAction>) {
        let replaces = self.acting.get() == Some(self.generation.get());
        let generation = self.generation.get() + 1;
        self.generation.set(generation);
        if replaces {
            self.cancel();
        }
        let gen_cell = self.generation.clone();
        let stops = self.stops.clone();
        let stops_at_start = stops.get();
        let acting = self.acting.clone();
        let loading = self.loading.clone();
        let off = self.off;
        let allowed = self.allowed.clone();
        let report = self.report.clone();
        let busy = self.busy.clone();
        crate::browser::spawn(async move {
            let refuse = |a: &PageAction, why: String| {
                report(ActionReport {
                    action: a.action.clone(),
                    selector: a.selector.clone(),
                    url: a.url.clone(),
                    ok: false,
                    error: Some(why),
                })
            };
            // Actions that come while the target loads wait for it (a sequence that replaces
            // them or a Stop meanwhile is seen at the first action, as while running).
            let target = match loading {
                Some(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok(),
                None => None,
            };
            let Some(target) = target else {
                let why = if off {
                    "page actions are off on this page"
                } else {
                    "the page-action target is unavailable"
                };
                for a in &actions {
                    refuse(a, why.to_string());
                }
                return;
            };
            // (Replaced or stopped while the target loaded: seen at the first action.)
            if gen_cell.get() == generation {
                acting.set(Some(generation));
                busy(true);
                let _ = call(&target, "setRunning", &JsValue::TRUE);
            }
            // Why the rest of this sequence does not run, once it has been interrupted.
            let interruption = || {
                if stops.get() != stops_at_start {
                    "stopped by the visitor".to_string()
                } else {
                    "replaced by the agent's next actions".to_string()
                }
            };
            let mut stopped: Option<String> = None;
            for a in &actions {
                if let Some(why) = &stopped {
                    refuse(a, why.clone());
                    continue;
                }
                if gen_cell.get() != generation {
                    let why = interruption();
                    refuse(a, why.clone());
                    stopped = Some(why);
                    continue;
                }
                if let Err(why) = precheck(a) {
                    refuse(a, why);
                    stopped = Some("an earlier action failed".into());
                    continue;
                }
                let mut action = a.clone();
                if a.action == "navigate" {
                    let resolved = call_async(
                        &target,
                        "resolve",
                        &JsValue::from_str(a.url.as_deref().unwrap_or("")),
                    )
                    .await;
                    let checked = resolved.and_then(|r| {
                        let get = |k: &str| {
                            js_sys::Reflect::get(&r, &JsValue::from_str(k))
                                .ok()
                                .and_then(|v| v.as_string())
                        };
                        let (href, origin) = (
                            get("href").unwrap_or_default(),
                            get("origin").unwrap_or_default(),
                        );
                        check_navigate(&href, &origin, &allowed).map(|_| href)
                    });
                    match checked {
                        Ok(href) => action.url = Some(href),
                        Err(why) => {
                            refuse(a, why);
                            stopped = Some("an earlier action was refused".into());
                            continue;
                        }
                    }
                }
                let as_object =
                    serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
                let arg = serde::Serialize::serialize(&action, &as_object).unwrap_or(JsValue::NULL);
                match call_async(&target, "run", &arg).await {
                    Ok(_) => {
                        report(ActionReport {
                            action: a.action.clone(),
                            selector: a.selector.clone(),
                            url: action.url.clone(),
                            ok: true,
                            error: None,
                        });
                        // Interrupted while this one ran: it ran, the rest do not.
                        if gen_cell.get() != generation {
                            stopped = Some(interruption());
                        }
                    }
                    Err(_) if gen_cell.get() != generation => {
                        // Interrupted in progress (the target rejects it at once).
                        let why = interruption();
                        refuse(a, why.clone());
                        stopped = Some(why);
                    }
                    Err(why) => {
                        refuse(a, why);
                        stopped = Some("an earlier action failed".into());
                    }
                }
            }
            if gen_cell.get() == generation {
                acting.set(None);
                let _ = call(&target, "setRunning", &JsValue::FALSE);
                busy(false);
            }
        });
    }

    /// Stop: the running sequence's action in progress is interrupted, and the rest not run.
    pub fn stop(&self) {
        (self.halt)();
        self.cancel();
    }

    /// Interrupts the action in progress on the target (the caller has bumped the generation,
    /// so its sequence reports why and stops).
    fn cancel(&self) {
        if let Some(t) = self.target.borrow().as_ref() {
            let _ = call(t, "cancel", &JsValue::UNDEFINED);
        }
    }
}

impl Drop for PageActionRunner {
    fn drop(&mut self) {
        self.generation.set(self.generation.get() + 1);
        self.gone.set(true);
        if let Some(t) = self.target.borrow_mut().take() {
            stop_target(&t);
        }
    }
}

/// Ends a target: its listeners on the page go.
fn stop_target(t: &JsValue) {
    if let Ok(f) = js_sys::Reflect::get(t, &JsValue::from_str("stop"))
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = f.call0(t);
    }
}
