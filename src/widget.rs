//! The wasm entry: builds the host element and shadow root, mounts the view, and runs the
//! engine against the browser drivers. `embed.js` calls [`boot`] and forwards `window.Confab`.

use crate::browser::actions::{ActionReport, PageActionRunner};
use crate::browser::lifecycle::{is_online, Lifecycle, PageEvent};
use crate::browser::socket::{SocketDriver, SocketEvent};
use crate::browser::storage::Store;
use crate::browser::stream::{StreamReport, Streams};
use crate::browser::timers::Timers;
use crate::browser::{self, console_error, console_info, console_warn, set};
use crate::config::{Config, Position, ProviderConfig, RenderMode, Theme};
use crate::engine::Credential;
use crate::engine::{
    ConnState, Delivery, Direction, Engine, ExchangeEngine, Input, Level, Machine, Output, Timer,
    UiEvent,
};
use crate::i18n::Lang;
use crate::keyed::Fields;
use crate::protocol::iraa::Iraa;
use crate::protocol::plati::Plati;
use crate::protocol::plura::Plura;
use crate::protocol::poly::Poly;
use crate::protocol::Read;
use crate::ui::{self, Extras, Layout, LeadFormView, MessageView, Sig, UiAction, ViewModel};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `styles/widget.css` without comments and needless whitespace (written by `build.rs`).
const STYLES: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

struct Runtime {
    engine: Option<RefCell<Box<dyn Machine>>>,
    queue: RefCell<VecDeque<Input>>,
    busy: Cell<bool>,
    socket: SocketDriver,
    streams: Streams,
    actions: RefCell<Option<PageActionRunner>>,
    last_page_event: Cell<f64>,
    timers: Timers,
    store: Store,
    model: ViewModel,
    emit: js_sys::Function,
    lifecycle: RefCell<Option<Lifecycle>>,
    host: web_sys::Element,
    mount: RefCell<Option<Box<dyn std::any::Any>>>,
    fixed_title: bool,
    /// The header text when neither the page nor the server names the agent.
    default_title: &'static str,
    destroyed: Cell<bool>,
    this: RefCell<Weak<Runtime>>,
    /// Where tabs claim a message's chime; `None` when `data-sound` is off.
    chime_key: Option<String>,
    /// Streamed text waiting to be shown; the animation frame asked for (its id), the
    /// callback every such frame runs, when streamed text was last shown, and since when the
    /// text waiting has waited.
    appends: RefCell<Vec<(String, String)>>,
    frame: Cell<Option<i32>>,
    on_frame: RefCell<Option<Closure<dyn FnMut()>>>,
    shown_at: Cell<f64>,
    waiting_since: Cell<f64>,
    fullscreen: bool,
    lang: Lang,
    scroll_lock: browser::page::ScrollLock,
}

/// The handle `embed.js` holds; every method is safe to call at any time, even after destroy.
#[wasm_bindgen]
pub struct Widget {
    rt: Rc<Runtime>,
}

#[wasm_bindgen]
impl Widget {
    pub fn open(&self) {
        self.rt.set_open(true);
    }
    pub fn close(&self) {
        self.rt.set_open(false);
    }
    pub fn toggle(&self) {
        let open = self.rt.model.open.get_untracked();
        self.rt.set_open(!open);
    }
    pub fn send(&self, text: String) {
        self.rt.dispatch(Input::UserSend(text));
    }
    /// `fields`: a plain object of lead data; non-string values are written out as text.
    pub fn identify(&self, fields: JsValue) {
        match lead_fields(&fields) {
            Some(map) => self.rt.dispatch(Input::Identify(map)),
            None => {
                let message =
                    "Confab.identify() takes a plain object, e.g. {phone: \"+15551234567\"}";
                console_warn(message);
                self.rt.emit_error("bad_identify", message);
            }
        }
    }
    pub fn reset(&self) {
        self.rt.dispatch(Input::Reset);
    }
    pub fn destroy(&self) {
        self.rt.destroy();
    }
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.rt.model.state.get_untracked().as_str().to_string()
    }
    /// `Confab.stats()`: what a support engineer (or a test) wants to know about the link.
    pub fn stats(&self) -> JsValue {
        let o = js_sys::Object::new();
        let ignored = self
            .rt
            .engine
            .as_ref()
            .and_then(|e| e.try_borrow().ok().map(|e| e.ignored_frames()))
            .unwrap_or(0);
        set(&o, "ignoredFrames", ignored as f64);
        set(&o, "liveHandles", self.live_handles());
        set(&o, "state", self.state());
        // The wasm linear memory in bytes (it only grows), for memory benchmarks.
        let memory = wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .map(|m| m.buffer())
            .ok()
            .and_then(|b| b.dyn_into::<js_sys::ArrayBuffer>().ok())
            .map_or(0.0, |b| f64::from(b.byte_length()));
        set(&o, "wasmBytes", memory);
        // Of which allocated and not freed: what a leak would grow.
        set(&o, "wasmHeapBytes", browser::heap::live_bytes() as f64);
        o.into()
    }
    /// For tests and diagnostics: timers and page listeners still registered.
    #[wasm_bindgen(js_name = "liveHandles")]
    pub fn live_handles(&self) -> u32 {
        let listeners = self.rt.lifecycle.borrow().as_ref().map_or(0, |l| l.len());
        (self.rt.timers.len()
            + listeners
            + self.rt.streams.len()
            + usize::from(self.rt.socket.is_connected())) as u32
    }
}

/// Starts a widget from the script tag's attributes (`[[name, value], …]`). `emit(name, detail)`
/// delivers page events to `Confab.on` listeners.
#[wasm_bindgen]
pub fn boot(attributes: JsValue, emit: js_sys::Function) -> Result<Widget, JsValue> {
    start(attributes, emit, None)
}

/// [`boot`] into a host element `embed.js` already placed (its shadow root holds the launcher
/// the loader drew while the bundle was loading; the widget replaces it).
#[wasm_bindgen(js_name = bootInto)]
pub fn boot_into(
    attributes: JsValue,
    emit: js_sys::Function,
    host: web_sys::Element,
) -> Result<Widget, JsValue> {
    start(attributes, emit, Some(host))
}

fn start(
    attributes: JsValue,
    emit: js_sys::Function,
    given: Option<web_sys::Element>,
) -> Result<Widget, JsValue> {
    // A bug must at least say where it was before the module aborts. (The release bundle
    // aborts at once, without a message, and never calls a hook: it has none.
    // `CONFAB_PANIC_MESSAGES=1 make dist` keeps it.)
    #[cfg(not(panic = "immediate-abort"))]
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!("internal error: {info}"))
    }));
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("Confab needs a document"))?;
    // Relative URLs in the tag mean the page's own (`data-token-url="/api/chat-token"`).
    let page_url = document.base_uri().ok().flatten();
    let resolve = |relative: &str| {
        let base = page_url.as_deref()?;
        web_sys::Url::new_with_base(relative, base)
            .ok()
            .map(|u| u.href())
    };
    let pairs = attribute_pairs(&attributes);
    let parsed =
        Config::from_page_attributes(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), resolve);
    let (host, shadow) = match given {
        Some(host) => {
            let shadow = match host.shadow_root() {
                Some(shadow) => shadow,
                None => host
                    .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?,
            };
            // The loader's placeholder launcher makes way for the widget.
            while let Some(child) = shadow.first_child() {
                shadow.remove_child(&child)?;
            }
            (host, shadow)
        }
        None => {
            let host = document.create_element("confab-widget")?;
            let shadow =
                host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
            (host, shadow)
        }
    };
    adopt_styles(&shadow);
    let container: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    shadow.append_child(&container)?;
    if !host.is_connected() {
        let body = document
            .body()
            .ok_or_else(|| JsValue::from_str("Confab needs a <body>"))?;
        body.append_child(&host)?;
    }

    let (config, errors) = match parsed {
        Ok(c) => (Some(c), Vec::new()),
        Err(e) => (None, e),
    };
    if let Some(c) = &config {
        for w in &c.warnings {
            console_warn(w);
        }
        if let Some(accent) = &c.accent {
            if let Some(el) = host.dyn_ref::<web_sys::HtmlElement>() {
                let _ = el.style().set_property("--confab-accent", accent);
            }
        }
    }
    let browser_lang = web_sys::window().and_then(|w| w.navigator().language());
    let lang = Lang::pick(
        config.as_ref().and_then(|c| c.lang.as_deref()),
        browser_lang.as_deref(),
    );
    let title = config
        .as_ref()
        .and_then(|c| c.title.clone())
        .unwrap_or_else(|| lang.strings().chat.to_string());
    let model = ViewModel::new(&title);
    model
        .locale
        .set(time_locale(lang.tag(), browser_lang.as_deref()));
    let layout = config.as_ref().map_or(
        Layout {
            left: false,
            fullscreen: false,
            show_launcher: true,
            theme: "auto",
            lang: lang.tag(),
            rtl: lang.rtl(),
            t: lang.strings(),
        },
        |c| Layout {
            left: c.position == Position::BottomLeft,
            fullscreen: c.render_mode == RenderMode::Fullscreen,
            show_launcher: c.show_launcher,
            theme: match c.theme {
                Theme::Light => "light",
                Theme::Dark => "dark",
                Theme::Auto => "auto",
            },
            lang: lang.tag(),
            rtl: lang.rtl(),
            t: lang.strings(),
        },
    );
    let engine = config.as_ref().and_then(|c| match build_engine(c) {
        Ok(engine) => Some(RefCell::new(engine)),
        Err(why) => {
            console_error(&why);
            model.config_error.set(why);
            None
        }
    });
    let store = Store::open(
        config
            .as_ref()
            .map_or(crate::config::StorageKind::None, |c| c.storage),
    );
    let rt = Rc::new(Runtime {
        engine,
        queue: RefCell::new(VecDeque::new()),
        busy: Cell::new(false),
        socket: SocketDriver::default(),
        streams: Streams::default(),
        actions: RefCell::new(None),
        last_page_event: Cell::new(0.0),
        timers: Timers::default(),
        store,
        model,
        emit,
        lifecycle: RefCell::new(None),
        host,
        mount: RefCell::new(None),
        fixed_title: config.as_ref().is_some_and(|c| c.title.is_some()),
        default_title: lang.strings().chat,
        destroyed: Cell::new(false),
        this: RefCell::new(Weak::new()),
        chime_key: config
            .as_ref()
            .filter(|c| c.sound)
            .map(|c| format!("{}chime", c.storage_prefix())),
        appends: RefCell::new(Vec::new()),
        frame: Cell::new(None),
        on_frame: RefCell::new(None),
        shown_at: Cell::new(0.0),
        waiting_since: Cell::new(0.0),
        fullscreen: layout.fullscreen,
        lang,
        scroll_lock: browser::page::ScrollLock::new(),
    });
    *rt.this.borrow_mut() = Rc::downgrade(&rt);

    let weak = Rc::downgrade(&rt);
    let actions: ui::Actions = Rc::new(move |action| {
        if let Some(rt) = weak.upgrade() {
            rt.on_ui(action);
        }
    });
    *rt.mount.borrow_mut() = Some(ui::mount(container, rt.model.clone(), layout, actions));

    if !errors.is_empty() {
        let mut text = String::new();
        for e in &errors {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(&e.to_string());
        }
        console_error(&format!("configuration error: {text}"));
        rt.model
            .config_error
            .set(format!("Chat is not configured correctly: {text}"));
        rt.model.state.set(ConnState::Failed);
        rt.emit_error("config", &text);
    }

    if rt.engine.is_some() {
        let weak = Rc::downgrade(&rt);
        *rt.lifecycle.borrow_mut() = Some(Lifecycle::listen(Rc::new(move |event| {
            if let Some(rt) = weak.upgrade() {
                rt.dispatch(match event {
                    PageEvent::Online => Input::Online,
                    PageEvent::Offline => Input::Offline,
                    PageEvent::Visible => Input::Visible,
                    PageEvent::Viewport => {
                        rt.fit_viewport();
                        return;
                    }
                    PageEvent::Hide => Input::Suspend,
                    PageEvent::Restored => Input::Resume,
                    PageEvent::Stored(key, value) => Input::StoredElsewhere { key, value },
                });
            }
        })));
        if let Some(c) = config
            .as_ref()
            .filter(|c| matches!(c.provider_config, ProviderConfig::Iraa { .. }))
        {
            rt.model.can_speak.set(true);
            *rt.actions.borrow_mut() = Some(rt.page_action_runner(c));
        }
        let stored = rt.load_stored();
        rt.dispatch(Input::Start {
            stored,
            seed: browser::random_seed(),
        });
        if !is_online() {
            rt.dispatch(Input::Offline);
        }
        if config.as_ref().is_some_and(|c| c.auto_open) {
            rt.set_open(true);
        }
    }
    rt.emit_event("ready", &js_sys::Object::new());
    Ok(Widget { rt })
}

fn build_engine(config: &Config) -> Result<Box<dyn Machine>, String> {
    let prefix = config.storage_prefix();
    match &config.provider_config {
        ProviderConfig::Plura { flow_id } => Ok(Box::new(Engine::new(
            Box::new(Plura::new(&config.api_url, &config.ws_url, flow_id)),
            &prefix,
            config.lead.clone(),
        ))),
        ProviderConfig::Iraa {
            public_key,
            product_id,
            lead_url,
        } => Ok(Box::new(
            Engine::new(
                Box::new(Iraa::new(&config.api_url, &config.ws_url, product_id)),
                &prefix,
                config.lead.clone(),
            )
            // The public key is browser-safe by design (domain-restricted): PROTOCOLS.md §2.
            .with_credential(Credential::Fixed(public_key.clone()))
            .with_lead_url(lead_url.clone()),
        )),
        ProviderConfig::Poly {
            token_url,
            access_token,
        } => {
            let credential = credential_from(
                token_url,
                access_token,
                "data-access-token is for development only; use data-token-url in production",
            );
            Ok(Box::new(
                Engine::new(
                    Box::new(Poly::new(&config.api_url, &config.ws_url)),
                    &prefix,
                    config.lead.clone(),
                )
                .with_credential(credential),
            ))
        }
        ProviderConfig::Plati {
            channel_id,
            identity_id,
            token_url,
            api_key,
            streaming,
        } => {
            let credential = credential_from(
                token_url,
                api_key,
                "data-api-key puts a Plati key in the page: use it for local development only, \
                 and data-token-url or a proxy (data-api-url) in production",
            );
            Ok(Box::new(ExchangeEngine::new(
                Box::new(Plati::new(&config.api_url, channel_id, *streaming)),
                &prefix,
                config.lead.clone(),
                credential,
                identity_id.clone(),
            )))
        }
    }
}

/// The bearer source from the page: the host's token endpoint, else a literal value (for
/// development, with a console warning), else none (a proxy adds credentials).
fn credential_from(
    token_url: &Option<String>,
    literal: &Option<String>,
    warning: &str,
) -> Credential {
    match (token_url, literal) {
        (Some(url), _) => Credential::Endpoint {
            url: url.clone(),
            token: None,
        },
        (None, Some(value)) => {
            console_warn(warning);
            Credential::Fixed(value.clone())
        }
        (None, None) => Credential::None,
    }
}

/// Speaks `text` with the browser's speech synthesis (only when the visitor turned sound on).
fn speak(text: &str) {
    let synth = web_sys::window().and_then(|w| w.speech_synthesis().ok());
    if let (Some(synth), Ok(utterance)) = (
        synth,
        web_sys::SpeechSynthesisUtterance::new_with_text(text),
    ) {
        synth.speak(&utterance);
    }
}

/// Reports of stream `id` as engine inputs.
fn stream_sink(weak: Weak<Runtime>, id: u32) -> Rc<dyn Fn(StreamReport)> {
    Rc::new(move |report| {
        if let Some(rt) = weak.upgrade() {
            rt.dispatch(match report {
                StreamReport::Opened(status) => Input::StreamOpened { id, status },
                StreamReport::Chunk(bytes) => Input::StreamChunk { id, bytes },
                StreamReport::Event(data) => Input::StreamEvent { id, data },
                StreamReport::Ended(error) => Input::StreamEnded { id, error },
            });
        }
    })
}

fn adopt_styles(shadow: &web_sys::ShadowRoot) {
    let sheet = match web_sys::CssStyleSheet::new() {
        Ok(s) => s,
        Err(_) => {
            console_warn("constructable stylesheets are unsupported; the widget is unstyled");
            return;
        }
    };
    if sheet.replace_sync(STYLES).is_err() {
        console_warn("the widget stylesheet was refused");
        return;
    }
    let sheets = js_sys::Array::of1(&sheet);
    set(shadow, "adoptedStyleSheets", sheets);
}

fn attribute_pairs(value: &JsValue) -> Vec<(String, String)> {
    let Some(array) = value.dyn_ref::<js_sys::Array>() else {
        return Vec::new();
    };
    array
        .iter()
        .filter_map(|pair| {
            let pair = pair.dyn_into::<js_sys::Array>().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

fn lead_fields(value: &JsValue) -> Option<Fields> {
    if !value.is_object() || value.is_function() || js_sys::Array::is_array(value) {
        return None;
    }
    let object: &js_sys::Object = value.unchecked_ref();
    let mut map = Fields::new();
    for entry in js_sys::Object::entries(object).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let Some(key) = pair.get(0).as_string() else {
            continue;
        };
        let v = pair.get(1);
        let text = if let Some(s) = v.as_string() {
            s
        } else if let Some(n) = v.as_f64() {
            // As the page would write it (42, 1.5, 1e+21).
            match js_sys::Number::from(n).to_string_with_radix(10) {
                Ok(s) => String::from(s),
                Err(_) => continue,
            }
        } else if let Some(b) = v.as_bool() {
            b.to_string()
        } else {
            continue;
        };
        map.insert(key, text);
    }
    Some(map)
}

impl Runtime {
    fn weak(&self) -> Weak<Runtime> {
        self.this.borrow().clone()
    }

    fn load_stored(&self) -> Fields {
        let Some(engine) = &self.engine else {
            return Fields::new();
        };
        let keys = engine.borrow().keys_to_load();
        keys.into_iter()
            .filter_map(|k| self.store.get(&k).map(|v| (k, v)))
            .collect()
    }

    /// Feeds the engine one input and carries out what it asks, one input at a time even when
    /// a driver reports back synchronously.
    fn dispatch(&self, input: Input) {
        if self.destroyed.get() {
            return;
        }
        self.queue.borrow_mut().push_back(input);
        if self.busy.replace(true) {
            return;
        }
        loop {
            // Pop in its own statement: a driver may queue more while this input is handled.
            let next = self.queue.borrow_mut().pop_front();
            let (Some(next), Some(engine)) = (next, &self.engine) else {
                break;
            };
            let outputs = engine.borrow_mut().handle(browser::now(), next);
            for output in outputs {
                self.perform(output);
            }
        }
        self.busy.set(false);
    }

    fn perform(&self, output: Output) {
        match output {
            Output::Connect(url) => {
                let weak = self.weak();
                self.socket.connect(
                    &url,
                    Rc::new(move |event| {
                        if let Some(rt) = weak.upgrade() {
                            rt.dispatch(match event {
                                SocketEvent::Open => Input::SocketOpened,
                                SocketEvent::Text(t) => Input::Frame(t),
                                SocketEvent::Binary(n) => Input::BinaryFrame(n),
                                SocketEvent::Closed(code) => Input::SocketClosed { code },
                            });
                        }
                    }),
                );
            }
            Output::Close => self.socket.close(),
            Output::Send(frame) => {
                if !self.socket.send(&frame) {
                    console_warn("a frame could not be written; the socket is closing");
                }
            }
            Output::StartTimer(timer, ms) => {
                let weak = self.weak();
                self.timers.start(
                    timer,
                    ms,
                    Rc::new(move |t: Timer| {
                        if let Some(rt) = weak.upgrade() {
                            rt.dispatch(Input::TimerFired(t));
                        }
                    }),
                );
            }
            Output::CancelTimer(timer) => self.timers.cancel(timer),
            Output::Persist { key, value } => self.store.set(&key, value.as_deref()),
            Output::PersistSession { key, value } => {
                // Read, merge and write in one turn: another tab may have stored a later cursor.
                let merged = crate::engine::merge_session(self.store.get(&key).as_deref(), &value);
                self.store.set(&key, Some(&merged));
            }
            Output::Http {
                id,
                request,
                bearer,
            } => {
                let weak = self.weak();
                match request.read {
                    Read::Whole => crate::browser::spawn(async move {
                        let (status, body) = browser::http::perform(request, bearer).await;
                        if let Some(rt) = weak.upgrade() {
                            rt.dispatch(Input::HttpDone { id, status, body });
                        }
                    }),
                    Read::FetchStream => {
                        self.streams
                            .fetch(id, request.url, bearer, stream_sink(weak, id))
                    }
                    Read::EventSource => {
                        self.streams
                            .event_source(id, &request.url, stream_sink(weak, id))
                    }
                }
            }
            Output::Abort(id) => self.streams.abort(id),
            Output::RunActions(actions) => match self.actions.borrow().as_ref() {
                Some(runner) => runner.run(actions),
                None => console_warn(
                    "the agent sent page actions, but this provider has no page to drive",
                ),
            },
            Output::Ui(event) => self.show(event),
            Output::Log(level, message) => match level {
                Level::Info => console_info(&message),
                Level::Warn => console_warn(&message),
                Level::Error => console_error(&message),
            },
        }
    }

    fn show(&self, event: UiEvent) {
        let m = &self.model;
        // Streamed text reaches the view at most once per frame; anything else about the
        // conversation first brings the view up to date, so order is kept.
        if let UiEvent::Append { id, text } = event {
            let mut appends = self.appends.borrow_mut();
            if appends.is_empty() {
                self.waiting_since.set(js_sys::Date::now());
            }
            appends.push((id, text));
            drop(appends);
            self.schedule_appends();
            return;
        }
        self.flush_appends();
        match event {
            UiEvent::State(state) => {
                m.state.set(state);
                let detail = js_sys::Object::new();
                set(&detail, "state", state.as_str());
                self.emit_event("connection", &detail);
            }
            UiEvent::Agent { name, avatar } => {
                if !self.fixed_title {
                    m.title
                        .set(name.unwrap_or_else(|| self.default_title.to_string()));
                }
                m.avatar.set(avatar.unwrap_or_default());
            }
            UiEvent::Added { entry, restored } => {
                // A streamed answer is announced once, when complete (UiEvent::Replace).
                if !restored
                    && entry.status != Delivery::Streaming
                    && entry.direction != Direction::System
                {
                    let detail = js_sys::Object::new();
                    set(&detail, "direction", entry.direction.as_str());
                    set(&detail, "id", &entry.id);
                    set(&detail, "text", &entry.text);
                    self.emit_event("message", &detail);
                    if entry.direction == Direction::In && !m.open.get_untracked() {
                        m.unread.update(|n| *n += 1);
                    }
                }
                let chime = !restored && entry.direction == Direction::In;
                let (id, at) = (entry.id.clone(), entry.at);
                // A system notice in the visitor's language.
                let text = match &entry.notice {
                    Some(n) => n.text(self.lang),
                    None => entry.text,
                };
                let announce =
                    (!restored && entry.status != Delivery::Streaming).then(|| text.clone());
                let view = MessageView {
                    id: entry.id,
                    direction: entry.direction,
                    text: Sig::new(text),
                    status: Sig::new(entry.status),
                    extras: Sig::new(Extras {
                        attachments: entry.attachments,
                        suggestions: entry.suggestions,
                    }),
                    last: Sig::new(false),
                    error: entry.error,
                    seq: 0,
                    at: 0,
                    day_key: 0,
                    day: None,
                };
                m.push(view, at);
                if let Some(text) = announce.filter(|_| entry.direction != Direction::Out) {
                    m.say(&text);
                }
                if chime {
                    self.chime(&id);
                }
            }
            UiEvent::Status { id, status } => self.with_message(&id, |v| v.status.set(status)),
            UiEvent::Append { .. } => {}
            UiEvent::Replace { id, text } => {
                let mut shown = false;
                self.with_message(&id, |v| {
                    shown = true;
                    // A streamed answer usually holds the whole text already: setting it again
                    // would only have the view read it again.
                    if v.text.with_untracked(|t| *t != text) {
                        v.text.set(text.clone());
                    }
                });
                if shown {
                    let detail = js_sys::Object::new();
                    set(&detail, "direction", "in");
                    set(&detail, "id", &id);
                    set(&detail, "text", &text);
                    self.emit_event("message", &detail);
                    m.say(&text);
                    if !m.open.get_untracked() {
                        m.unread.update(|n| *n += 1);
                    }
                }
            }
            UiEvent::Extras {
                id,
                attachments,
                suggestions,
            } => self.with_message(&id, |v| {
                v.extras.set(Extras {
                    attachments,
                    suggestions,
                })
            }),
            UiEvent::Removed { id } => m.remove(&id),
            UiEvent::Cleared => {
                m.clear();
                m.unread.set(0);
            }
            UiEvent::Panel(open) => self.set_open(open),
            UiEvent::Typing(on) => m.typing.set(on),
            UiEvent::Language(code) => {
                // Only a plausible BCP-47 tag reaches the lang attribute.
                let ok = !code.is_empty()
                    && code.len() <= 35
                    && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if ok {
                    m.lang.set(code);
                }
            }
            UiEvent::CanEnd(can) => m.can_end.set(can),
            UiEvent::Sound(on) => m.sound.set(on),
            UiEvent::Speak(text) => {
                if m.sound.get_untracked() {
                    speak(&text);
                }
            }
            UiEvent::LeadForm {
                fields,
                prefill,
                cta_text,
                ..
            } => m.lead_form.set(Some(LeadFormView {
                fields,
                prefill: prefill.into_iter().collect(),
                cta_text,
            })),
            UiEvent::LeadSent { fields, cta_url } => {
                m.lead_form.set(None);
                let detail = js_sys::Object::new();
                let values = js_sys::Object::new();
                for (k, v) in &fields {
                    set(&values, k, v);
                }
                set(&detail, "fields", values);
                self.emit_event("lead", &detail);
                // Only http(s) calls to action are opened.
                if let Some(url) = cta_url.as_deref().and_then(ui::safe_image_url) {
                    if let Some(w) = web_sys::window() {
                        let _ = w.open_with_url_and_target_and_features(
                            &url,
                            "_blank",
                            "noopener,noreferrer",
                        );
                    }
                }
            }
            UiEvent::Error { code, message } => {
                m.notice.set(message.clone());
                self.emit_error(code, &message);
            }
        }
    }

    fn page_action_runner(&self, config: &Config) -> PageActionRunner {
        let weak = self.weak();
        let on_visitor = Rc::new(move |event: String, selector: String, url: String| {
            if let Some(rt) = weak.upgrade() {
                // Throttled: at most one visitor event every half second.
                let now = js_sys::Date::now();
                if now - rt.last_page_event.get() >= 500.0 {
                    rt.last_page_event.set(now);
                    rt.dispatch(Input::PageEvent {
                        event,
                        selector,
                        url,
                    });
                }
            }
        });
        let weak = self.weak();
        let report = Rc::new(move |r: ActionReport| {
            if let Some(rt) = weak.upgrade() {
                rt.report_action(r);
            }
        });
        let weak = self.weak();
        let busy = Rc::new(move |on: bool| {
            if let Some(rt) = weak.upgrade() {
                rt.model.acting.set(on);
            }
        });
        PageActionRunner::new(
            &config.page_actions,
            config.allowed_origins.clone(),
            on_visitor,
            report,
            busy,
        )
    }

    fn report_action(&self, r: ActionReport) {
        let detail = js_sys::Object::new();
        set(&detail, "action", &r.action);
        if let Some(s) = &r.selector {
            set(&detail, "selector", s);
        }
        if let Some(u) = &r.url {
            set(&detail, "url", u);
        }
        set(&detail, "ok", r.ok);
        if let Some(e) = &r.error {
            set(&detail, "error", e);
            console_warn(&format!("page action {} refused: {e}", r.action));
            // The first failure of a sequence says why; the rest only follow from it.
            if !e.starts_with("an earlier")
                && !e.starts_with("stopped")
                && !e.starts_with("replaced")
            {
                self.model
                    .notice
                    .set(format!("The agent couldn't do that on the page: {e}"));
            }
        }
        self.emit_event("action", &detail);
    }

    fn with_message(&self, id: &str, f: impl FnOnce(&MessageView)) {
        self.model.messages.with_untracked(|list| {
            if let Some(v) = list.iter().find(|v| v.id == id) {
                f(v);
            }
        });
    }

    fn on_ui(&self, action: UiAction) {
        match action {
            UiAction::Toggle => self.set_open(!self.model.open.get_untracked()),
            UiAction::Close => self.set_open(false),
            UiAction::Send(text) => self.dispatch(Input::UserSend(text)),
            UiAction::Typing => self.dispatch(Input::UserTyping),
            UiAction::DismissNotice => self.model.notice.set(String::new()),
            UiAction::Suggest(text) => self.dispatch(Input::UserSend(text)),
            UiAction::StopActions => {
                if let Some(runner) = self.actions.borrow().as_ref() {
                    runner.stop();
                }
            }
            UiAction::ToggleSound => {
                let on = !self.model.sound.get_untracked();
                if !on {
                    if let Some(s) = web_sys::window().and_then(|w| w.speech_synthesis().ok()) {
                        s.cancel();
                    }
                }
                self.dispatch(Input::Sound(on));
            }
            UiAction::LeadSubmit(values) => {
                self.dispatch(Input::LeadSubmitted(values.into_iter().collect()))
            }
            UiAction::EndChat => self.dispatch(Input::EndChat),
            UiAction::NewChat => self.dispatch(Input::Reset),
            UiAction::Retry(id) => {
                self.model.notice.set(String::new());
                self.dispatch(Input::Retry(id));
            }
        }
    }

    fn set_open(&self, open: bool) {
        if self.destroyed.get() || self.model.open.get_untracked() == open {
            return;
        }
        self.model.open.set(open);
        if open {
            self.model.unread.set(0);
            self.fit_viewport();
        }
        // A panel covering the page keeps the page behind it still.
        self.scroll_lock
            .set(open && (self.fullscreen || browser::page::is_narrow()));
        self.emit_event(if open { "open" } else { "close" }, &js_sys::Object::new());
        self.dispatch(Input::Panel(open));
    }

    fn destroy(&self) {
        if self.destroyed.get() {
            return;
        }
        self.dispatch(Input::Destroy);
        self.destroyed.set(true);
        self.socket.close();
        self.streams.abort_all();
        self.actions.borrow_mut().take();
        self.timers.cancel_all();
        self.lifecycle.borrow_mut().take();
        if let Some(id) = self.frame.take() {
            if let Some(w) = web_sys::window() {
                let _ = w.cancel_animation_frame(id);
            }
        }
        self.on_frame.borrow_mut().take();
        self.scroll_lock.set(false);
        self.mount.borrow_mut().take();
        self.host.remove();
    }

    /// Asks for an animation frame in which the streamed text gathered so far is shown.
    fn schedule_appends(&self) {
        if self.frame.get().is_some() || self.destroyed.get() {
            return;
        }
        let weak = self.weak();
        let mut slot = self.on_frame.borrow_mut();
        // One callback for every frame: it may ask for the next frame while it runs.
        let callback = slot.get_or_insert_with(|| {
            Closure::<dyn FnMut()>::new(move || {
                if let Some(rt) = weak.upgrade() {
                    rt.frame.set(None);
                    if rt.appends_due(js_sys::Date::now()) {
                        rt.flush_appends();
                    } else {
                        rt.schedule_appends();
                    }
                }
            })
        });
        let id = web_sys::window().and_then(|w| {
            w.request_animation_frame(callback.as_ref().unchecked_ref())
                .ok()
        });
        drop(slot);
        match id {
            Some(id) => self.frame.set(Some(id)),
            // No frames to wait for: show it now.
            None => self.flush_appends(),
        }
    }

    /// Whether the streamed text gathered is shown in this frame (see [`crate::pace`]).
    fn appends_due(&self, now: f64) -> bool {
        let longest = self
            .appends
            .borrow()
            .iter()
            .map(|(id, _)| {
                let mut len = 0;
                self.with_message(id, |v| len = v.text.with_untracked(String::len));
                len
            })
            .max()
            .unwrap_or(0);
        crate::pace::update_due(crate::pace::Waiting {
            longest,
            since_shown: now - self.shown_at.get(),
            waited: now - self.waiting_since.get(),
            catching_up: self.streams.catching_up(),
        })
    }

    /// Shows the streamed text gathered since the last frame, one update per message.
    fn flush_appends(&self) {
        let pending = std::mem::take(&mut *self.appends.borrow_mut());
        if pending.is_empty() {
            return;
        }
        self.shown_at.set(js_sys::Date::now());
        let mut merged: Vec<(String, String)> = Vec::new();
        for (id, text) in pending {
            match merged.iter_mut().find(|(i, _)| *i == id) {
                Some((_, t)) => t.push_str(&text),
                None => merged.push((id, text)),
            }
        }
        for (id, text) in merged {
            self.with_message(&id, |v| v.text.update(|t| t.push_str(&text)));
        }
    }

    fn fit_viewport(&self) {
        if self.model.open.get_untracked() {
            browser::page::track_visual_viewport(&self.host);
        }
    }

    /// The chime for an agent message, when turned on and the visitor is not looking.
    fn chime(&self, id: &str) {
        let Some(key) = &self.chime_key else { return };
        let hidden = web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.visibility_state() != web_sys::VisibilityState::Visible);
        if hidden || !self.model.open.get_untracked() {
            browser::page::chime(key, id);
        }
    }

    fn emit_event(&self, name: &str, detail: &js_sys::Object) {
        if let Err(e) = self
            .emit
            .call2(&JsValue::NULL, &JsValue::from_str(name), detail)
        {
            let why = crate::browser::js_message(&e, "a value that is not an Error");
            console_warn(&format!("a Confab.on(\"{name}\") listener threw: {why}"));
        }
    }

    fn emit_error(&self, code: &str, message: &str) {
        let detail = js_sys::Object::new();
        set(&detail, "code", code);
        set(&detail, "message", message);
        self.emit_event("error", &detail);
    }
}

/// The locale for times and dates: the browser's own when it is a variant of the UI language
/// (`en-GB` for English) and one the browser supports, else the UI language.
fn time_locale(ui: &str, browser: Option<&str>) -> String {
    let candidate = browser
        .filter(|b| {
            b.split('-')
                .next()
                .is_some_and(|p| p.eq_ignore_ascii_case(ui))
        })
        .filter(|b| b.len() <= 35 && b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let supported = candidate.filter(|b| {
        // supportedLocalesOf throws on a malformed tag: called through Reflect, so it cannot
        // take the widget down.
        let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
        let format = get(&js_sys::global(), "Intl").and_then(|i| get(&i, "DateTimeFormat"));
        let check = format
            .as_ref()
            .and_then(|f| get(f, "supportedLocalesOf"))
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        check
            .and_then(|f| {
                f.call1(&JsValue::NULL, &js_sys::Array::of1(&(*b).into()))
                    .ok()
            })
            .and_then(|r| r.dyn_into::<js_sys::Array>().ok())
            .is_some_and(|r| r.length() == 1)
    });
    supported.unwrap_or(ui).to_string()
}
