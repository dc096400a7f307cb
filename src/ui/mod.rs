//! The view: Leptos components reading a [`ViewModel`] of signals and reporting what the
//! visitor does as [`UiAction`]s. No protocol knowledge lives here.

mod dom;
mod panel;
mod rich;
mod sig;

pub use sig::Sig;

use crate::browser::listeners::Listeners;
use crate::engine::{ConnState, Delivery, Direction};
use crate::i18n::Strings;
use crate::protocol::Attachment;
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// Messages kept in the view (the engine stores fewer; see `MAX_TRANSCRIPT`).
pub const MAX_VIEW: usize = 5000;
/// Rows in the DOM while following the latest message.
pub const WINDOW: usize = 60;
/// The most rows ever in the DOM, however far the visitor scrolls back.
pub const MAX_SPAN: usize = 150;
/// Rows added or moved per step when the visitor scrolls to an edge.
const STEP: usize = 30;

/// What the visitor did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UiAction {
    Toggle,
    Close,
    Send(String),
    Typing,
    DismissNotice,
    /// Ask again for an interrupted answer, or resend a failed message.
    Retry(String),
    /// A suggestion chip: sent as the visitor's message.
    Suggest(String),
    EndChat,
    NewChat,
    /// Stop the agent's running page actions.
    StopActions,
    ToggleSound,
    /// The lead form's values.
    LeadSubmit(Vec<(String, String)>),
}

/// An inline lead form being shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadFormView {
    pub fields: Vec<String>,
    pub prefill: Vec<(String, String)>,
    pub cta_text: Option<String>,
}

/// A plausible e-mail address: something@something.something, no spaces.
pub fn plausible_email(v: &str) -> bool {
    let v = v.trim();
    match v.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn field_label(field: &str) -> String {
    let words = field.replace(['_', '-'], " ");
    let first = words.chars().next().map_or(0, char::len_utf8);
    // The page's own case rules: Rust's would bring its Unicode case tables into the bundle.
    let head = js_sys::JsString::from(&words[..first]).to_upper_case();
    String::from(head) + &words[first..]
}

pub type Actions = Rc<dyn Fn(UiAction)>;

#[derive(Clone, Debug)]
pub struct MessageView {
    pub id: String,
    pub direction: Direction,
    /// A signal of its own, so a streamed answer grows without re-rendering the list.
    /// Reference-counted, not in the reactive arena: a message that leaves the view (reset,
    /// the 5 000-message cap) is freed with its row, not kept until the widget goes.
    pub text: Sig<String>,
    pub status: Sig<Delivery>,
    /// Its cards and chips, which arrive and change together.
    pub extras: Sig<Extras>,
    /// Whether it is the newest message (only its suggestions are offered). A row reads this,
    /// not the list: a row reading a signal that outlives it leaves an entry there for good.
    pub last: Sig<bool>,
    /// A system entry reporting a problem.
    pub error: bool,
    /// Order in the view, increasing.
    pub seq: u64,
    /// When it was written (UTC milliseconds); worded only when its row is drawn.
    pub at: i64,
    /// A local calendar day (yyyymmdd) and, for the first message of a day, its label.
    pub day_key: u32,
    pub day: Option<String>,
}

impl MessageView {
    /// Called when its row goes. The reactive graph keeps an entry for every effect that read a
    /// signal until that effect runs again, and a dropped one never does: each time a row was
    /// drawn, its effects would stay listed in these signals (with their memory) for as long
    /// as the message is kept. Readers still alive are asked to read again, then all are
    /// dropped; the live ones subscribe anew when they run.
    fn forget_readers(&self) {
        self.text.forget_readers();
        self.status.forget_readers();
        self.extras.forget_readers();
        self.last.forget_readers();
    }
}

/// A message's attachments (drawn as cards) and suggested replies (chips).
pub struct Extras {
    pub attachments: Vec<Attachment>,
    pub suggestions: Vec<String>,
}

/// Intl formatters for one locale, made once: making one costs far more than using it, and a
/// replayed history formats thousands of times.
struct TimeFormats {
    locale: String,
    time: js_sys::Function,
    day: js_sys::Function,
    day_year: js_sys::Function,
    relative: js_sys::Intl::RelativeTimeFormat,
}

thread_local! {
    static FORMATS: std::cell::RefCell<Option<Rc<TimeFormats>>> = const { std::cell::RefCell::new(None) };
}

fn options(pairs: &[(&str, &str)]) -> js_sys::Object {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        crate::browser::set(&o, k, *v);
    }
    o
}

fn formats(locale: &str) -> Rc<TimeFormats> {
    FORMATS.with(|cell| {
        if let Some(f) = cell.borrow().as_ref().filter(|f| f.locale == locale) {
            return f.clone();
        }
        let locales = js_sys::Array::of1(&locale.into());
        let date = |pairs: &[(&str, &str)]| {
            js_sys::Intl::DateTimeFormat::new(&locales, &options(pairs)).format()
        };
        let day = [("weekday", "long"), ("month", "long"), ("day", "numeric")];
        let made = Rc::new(TimeFormats {
            locale: locale.to_string(),
            time: date(&[("hour", "numeric"), ("minute", "2-digit")]),
            day: date(&day),
            day_year: date(&[day[0], day[1], day[2], ("year", "numeric")]),
            relative: js_sys::Intl::RelativeTimeFormat::new(
                &locales,
                &options(&[("numeric", "auto")]),
            ),
        });
        *cell.borrow_mut() = Some(made.clone());
        made
    })
}

fn format_with(f: &js_sys::Function, date: &js_sys::Date) -> String {
    f.call1(&wasm_bindgen::JsValue::NULL, date)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// A JS `Date` for UTC milliseconds.
fn date_at(at_ms: i64) -> js_sys::Date {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at_ms as f64))
}

/// Whole days since 1970-01-01 of the local calendar date at `date`.
fn local_day(date: &js_sys::Date) -> f64 {
    ((date.get_time() - date.get_timezone_offset() * 60_000.0) / 86_400_000.0).floor()
}

/// A message's time in the visitor's locale and as an ISO date-time: (`14:05`, stamp).
pub fn local_time(at_ms: i64, locale: &str) -> (String, String) {
    let date = date_at(at_ms);
    if date.get_time().is_nan() {
        return (String::new(), String::new());
    }
    let time = format_with(&formats(locale).time, &date);
    (time, format!("{}Z", crate::clock::utc_stamp(at_ms)))
}

/// The visitor's local calendar day of `at_ms` as yyyymmdd (0 for an impossible time).
fn day_key(at_ms: i64) -> u32 {
    let date = date_at(at_ms);
    let offset = date.get_timezone_offset();
    if offset.is_nan() {
        return 0;
    }
    crate::clock::local_day_key(at_ms, -(offset as i32))
}

/// The separator's label for the day of `at_ms`: "today", "yesterday", or the date.
pub fn day_label(at_ms: i64, locale: &str) -> String {
    let date = date_at(at_ms);
    let today = js_sys::Date::new_0();
    let days = local_day(&today) - local_day(&date);
    let f = formats(locale);
    if days == 0.0 || days == 1.0 {
        String::from(f.relative.format(-days, "day"))
    } else if date.get_full_year() != today.get_full_year() {
        format_with(&f.day_year, &date)
    } else {
        format_with(&f.day, &date)
    }
}

/// Everything the view shows; the runtime writes it, the view reads it. One model is shared
/// (`Rc`) by the runtime and the view's effects. Its signals are [`Sig`]s, reference-counted
/// and outside Leptos's arena: an arena signal compiles a layer of its own per value type.
#[derive(Clone)]
pub struct ViewModel(Rc<Model>);

impl std::ops::Deref for ViewModel {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.0
    }
}

/// The signals of a [`ViewModel`].
pub struct Model {
    pub open: Sig<bool>,
    pub state: Sig<ConnState>,
    pub title: Sig<String>,
    /// The agent's picture's URL; empty for none.
    pub avatar: Sig<String>,
    pub messages: Sig<Vec<MessageView>>,
    /// The problem shown above the composer, and why the chat cannot start; empty for none.
    /// (Empty rather than `Option`: each type of signal compiles its own code.)
    pub notice: Sig<String>,
    pub config_error: Sig<String>,
    pub unread: Sig<u64>,
    /// The other side is composing.
    pub typing: Sig<bool>,
    /// The conversation's language as the server declared it; empty until it does.
    pub lang: Sig<String>,
    pub can_end: Sig<bool>,
    /// The agent is running page actions (shows the bar with Stop).
    pub acting: Sig<bool>,
    /// Spoken answers are possible (Iraa) and whether the visitor turned them on.
    pub can_speak: Sig<bool>,
    pub sound: Sig<bool>,
    pub lead_form: Sig<Option<LeadFormView>>,
    /// The polite live region: each finished agent message (as sent), once.
    pub announce: Sig<String>,
    /// The DOM window over `messages`: follow the latest, or end at `end_seq`; `span` rows.
    pub follow: Sig<bool>,
    pub end_seq: Sig<u64>,
    pub span: Sig<u64>,
    /// Messages that arrived while the visitor was reading further up.
    pub unseen: Sig<u64>,
    /// The locale used for times and dates.
    pub locale: Sig<String>,
    /// Counts conversations cleared; the message list is built anew for each.
    pub generation: Sig<u64>,
    /// The frame's elements, once the view is mounted (`mount`).
    pub frame: std::cell::RefCell<Option<Frame>>,
}

/// The elements of the view's frame that the code reaches for. Found by `mount` right after
/// the view is built, before any effect first runs. (Leptos node refs would do the same, at
/// the cost of a signal type per element type.)
#[derive(Clone)]
pub struct Frame {
    root: web_sys::Element,
    list: web_sys::HtmlElement,
    input: web_sys::HtmlTextAreaElement,
}

impl ViewModel {
    /// An effect ([`dom::effect`]) that is handed the model each time it runs.
    fn effect(&self, mut f: impl FnMut(&ViewModel) + 'static) {
        let model = self.clone();
        dom::effect(move || f(&model));
    }

    /// [`after_render`], handed the model.
    fn after_render(&self, f: impl FnOnce(&ViewModel) + 'static) {
        let model = self.clone();
        after_render(move || f(&model));
    }

    pub fn new(title: &str) -> ViewModel {
        ViewModel(Rc::new(Model {
            open: Sig::new(false),
            state: Sig::new(ConnState::Idle),
            title: Sig::new(title.to_string()),
            avatar: Sig::new(String::new()),
            messages: Sig::new(Vec::new()),
            notice: Sig::new(String::new()),
            config_error: Sig::new(String::new()),
            unread: Sig::new(0),
            typing: Sig::new(false),
            lang: Sig::new(String::new()),
            can_end: Sig::new(false),
            acting: Sig::new(false),
            can_speak: Sig::new(false),
            sound: Sig::new(false),
            lead_form: Sig::new(None),
            announce: Sig::new(String::new()),
            follow: Sig::new(true),
            end_seq: Sig::new(0),
            span: Sig::new(WINDOW as u64),
            unseen: Sig::new(0),
            locale: Sig::new("en".into()),
            generation: Sig::new(0),
            frame: std::cell::RefCell::new(None),
        }))
    }
}

impl Model {
    /// The frame's elements, or `None` before the view is mounted. (After an unmount they
    /// are detached, and nothing that reads them runs any more.)
    fn frame(&self) -> Option<Frame> {
        self.frame.borrow().clone()
    }

    /// Adds a message at the end of the view, with its order, time and day separator.
    pub fn push(&self, mut view: MessageView, at_ms: i64) {
        let key = day_key(at_ms);
        view.at = at_ms;
        view.day_key = key;
        let following = self.follow.get_untracked();
        self.edit(|list| {
            view.seq = list.last().map_or(1, |l| l.seq + 1);
            if key != 0 && list.last().is_none_or(|l| l.day_key != key) {
                view.day = Some(day_label(at_ms, &self.locale.get_untracked()));
            }
            list.push(view);
            let extra = list.len().saturating_sub(MAX_VIEW);
            list.drain(..extra);
        });
        if !following {
            self.unseen.update(|n| *n += 1);
        }
    }

    /// Takes message `id` out of the view.
    pub fn remove(&self, id: &str) {
        self.edit(|list| list.retain(|v| v.id != id));
    }

    /// Empties the view; the list is built anew.
    pub fn clear(&self) {
        // A new vector: the old one's capacity would stay reserved.
        self.edit(|list| *list = Vec::new());
        self.generation.update(|g| *g = g.wrapping_add(1));
        self.follow_latest();
    }

    /// Changes the list and moves the newest-message mark along with it.
    fn edit(&self, change: impl FnOnce(&mut Vec<MessageView>)) {
        let (before, after) = self.messages.update(|list| {
            let before = list.last().map(|v| v.last.clone());
            change(list);
            (before, list.last().map(|v| v.last.clone()))
        });
        if before != after {
            if let Some(mark) = before {
                mark.set(false);
            }
            if let Some(mark) = after {
                mark.set(true);
            }
        }
    }

    /// Says `text` (a finished agent message) once through the live region. Only the text is
    /// kept here: a replay can finish thousands in one turn, and the region is drawn once.
    pub fn say(&self, text: &str) {
        // The same words twice in a row would not be read again: make the second differ.
        let same = self
            .announce
            .with_untracked(|a| a.trim_end_matches('\u{a0}') == text);
        self.announce.set(if same {
            format!("{text}\u{a0}")
        } else {
            text.to_string()
        });
    }

    /// What the live region reads: the announced Markdown as plain text, its beginning only
    /// when it is long (the whole answer is in the list, to be read at the visitor's pace).
    fn spoken(&self) -> String {
        self.announce.with(|a| {
            let mut plain =
                crate::markdown::plain_text(head(a.trim_end_matches('\u{a0}'), 4 * MAX_SPOKEN));
            if plain.chars().count() > MAX_SPOKEN {
                let cut = head(&plain, MAX_SPOKEN);
                let cut = cut.rsplit_once(char::is_whitespace).map_or(cut, |(w, _)| w);
                plain = format!("{}…", cut.trim_end());
            }
            if a.ends_with('\u{a0}') {
                plain.push('\u{a0}');
            }
            plain
        })
    }

    /// The indices of the rows in the DOM: `start..end` of `messages`.
    fn bounds(&self) -> (usize, usize, usize) {
        let follow = self.follow.get();
        let end_seq = self.end_seq.get();
        let span = self.span.get() as usize;
        self.messages.with(|list| {
            let end = if follow {
                list.len()
            } else {
                list.partition_point(|m| m.seq <= end_seq)
            };
            (end.saturating_sub(span), end, list.len())
        })
    }

    /// Back to following the newest message, with the default window.
    pub fn follow_latest(&self) {
        self.follow.set(true);
        self.span.set(WINDOW as u64);
        self.unseen.set(0);
    }
}

/// Characters of one announcement, at most.
const MAX_SPOKEN: usize = 1000;

/// The first `chars` characters of `s`.
fn head(s: &str, chars: usize) -> &str {
    s.char_indices().nth(chars).map_or(s, |(at, _)| &s[..at])
}

/// Runs `f` once this turn's changes are in the DOM (a hidden field cannot take focus, a list
/// not yet grown cannot scroll to its end).
fn after_render(f: impl FnOnce() + 'static) {
    // Boxed, so that one future type serves every caller.
    let f: Box<dyn FnOnce()> = Box::new(f);
    crate::browser::spawn(async move {
        leptos::task::tick().await;
        f();
    });
}

/// The first row at or below the top of the scrolled list, and how far below the top it is.
fn anchor(list: &web_sys::HtmlElement) -> Option<(String, i32)> {
    let top = list.scroll_top();
    let rows = list.children();
    (0..rows.length())
        .filter_map(|i| rows.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|r| r.has_attribute("data-id"))
        .find(|r| r.offset_top() + r.offset_height() > top)
        .and_then(|r| Some((r.get_attribute("data-id")?, r.offset_top() - top)))
}

/// Puts the anchored row back where it was, once the window change is in the DOM.
fn keep_anchor(model: &ViewModel, mark: Option<(String, i32)>) {
    let Some((id, offset)) = mark else { return };
    model.after_render(move |model| {
        let Some(Frame { list: el, .. }) = model.frame() else {
            return;
        };
        let rows = el.children();
        let row = (0..rows.length())
            .filter_map(|i| rows.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
            .find(|r| r.get_attribute("data-id").as_deref() == Some(id.as_str()));
        if let Some(r) = row {
            el.set_scroll_top(r.offset_top() - offset);
        }
    });
}

fn scroll_to_end(model: &Model) {
    if let Some(Frame { list, .. }) = model.frame() {
        list.set_scroll_top(list.scroll_height());
    }
}

/// Layout choices from the config, fixed for the widget's life.
#[derive(Clone, Copy)]
pub struct Layout {
    pub left: bool,
    pub fullscreen: bool,
    pub show_launcher: bool,
    pub theme: &'static str,
    /// The UI language's tag and direction, and its strings.
    pub lang: &'static str,
    pub rtl: bool,
    pub t: &'static Strings,
}

/// Only http(s) URLs are shown or linked; anything else (javascript:, data:) is dropped.
pub fn safe_image_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim().to_string())
}

fn banner_text(state: ConnState, t: &'static Strings) -> Option<&'static str> {
    match state {
        ConnState::Connecting => Some(t.connecting),
        ConnState::Reconnecting => Some(t.reconnecting),
        ConnState::Offline => Some(t.offline),
        ConnState::Ended => Some(t.ended),
        ConnState::Failed => Some(t.unavailable),
        ConnState::Idle | ConnState::Open => None,
    }
}

fn status_mark(status: Delivery, t: &'static Strings) -> (&'static str, &'static str) {
    match status {
        Delivery::Pending => ("…", t.sending),
        Delivery::Sent => ("✓", t.sent),
        Delivery::Delivered => ("✓✓", t.delivered),
        Delivery::Failed => ("!", t.not_sent),
        Delivery::Interrupted => ("", t.interrupted),
        Delivery::Received | Delivery::Streaming => ("", ""),
    }
}

/// Draws the widget into `container` and returns what keeps it there (dropping it unmounts).
/// Everything is in place when this returns, the parts drawn with DOM calls included: the
/// loader moves a keyboard user's focus to the launcher right after, and a page's `ready`
/// listener may look for it.
pub fn mount(
    container: web_sys::HtmlElement,
    model: ViewModel,
    layout: Layout,
    act: Actions,
) -> Box<dyn std::any::Any> {
    // Built under the view's owner (their effects end with it), placed once the view is.
    let built = Rc::new(std::cell::RefCell::new(None));
    let handlers = Rc::new(std::cell::RefCell::new(Vec::new()));
    let handle = leptos::mount::mount_to(container.clone(), {
        let (built, handlers) = (built.clone(), handlers.clone());
        let model = model.clone();
        move || {
            *built.borrow_mut() = Some(panel::parts(
                &document(),
                model.clone(),
                layout.t,
                layout.show_launcher,
            ));
            app(model.clone(), layout, act, &mut handlers.borrow_mut())
        }
    });
    let find = |selector: &str| container.query_selector(selector).ok().flatten();
    let (root, list) = (find(".confab"), find("ol.messages"));
    if let (Some(parts), Some(root), Some(list), Some(composer)) = (
        built.borrow_mut().take(),
        &root,
        &list,
        find("form.composer"),
    ) {
        parts.place(root, list, &composer);
    }
    let list = list.and_then(|el| el.dyn_into().ok());
    let input = find("form.composer textarea").and_then(|el| el.dyn_into().ok());
    if let (Some(root), Some(list), Some(input)) = (root, list, input) {
        *model.frame.borrow_mut() = Some(Frame { root, list, input });
    }
    let mut listeners = Listeners::default();
    for (selector, name, f) in handlers.take() {
        if let Some(el) = find(selector) {
            listeners.add(&el, name, f);
        }
    }
    // Dropped in this order: the view goes, then its listeners.
    Box::new((handle, listeners))
}

/// A listener the view asks for: the element's selector, the event, what to do.
type Handler = (&'static str, &'static str, Box<dyn FnMut(web_sys::Event)>);

fn app(model: ViewModel, layout: Layout, act: Actions, on: &mut Vec<Handler>) -> impl IntoView {
    let t = layout.t;
    // Closing the panel from inside it returns focus to the launcher (keyboard users).
    fn focus_launcher(model: &Model) {
        let launcher = model
            .frame()
            .and_then(|f| f.root.query_selector("button.launcher").ok().flatten())
            .and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = launcher {
            let _ = el.focus();
        }
    }

    // Follow the newest message unless the visitor has scrolled up to read.
    model.effect(|model| {
        // Again whenever a message is added or removed.
        model.messages.track();
        let open = model.open.get();
        if model.follow.get() && open {
            // After this turn's rows are in the DOM.
            model.after_render(|m| scroll_to_end(m));
        }
    });
    // Focus the composer when the panel opens (once the panel is shown: a hidden field
    // cannot take focus).
    model.effect(|model| {
        if model.open.get() {
            model.after_render(|model| {
                if let Some(f) = model.frame() {
                    let _ = f.input.focus();
                }
            });
        }
    });
    keep_rows(model.clone(), t);
    let busy = |model: &Model| {
        model.messages.with(|l| {
            l.last()
                .is_some_and(|m| m.status.get() == Delivery::Streaming)
        })
    };
    let on_scroll = {
        let model = model.clone();
        move |_: web_sys::Event| {
            let Some(Frame { list: el, .. }) = model.frame() else {
                return;
            };
            let el = &el;
            let top = el.scroll_top();
            let gap = el.scroll_height() - top - el.client_height();
            let (start, end, len) = model.bounds();
            let seq_at = |i: usize| {
                model
                    .messages
                    .with_untracked(|l| l.get(i).map_or(0, |m| m.seq))
            };
            if gap <= 32 && end < len {
                // Reading forward through older messages: move the window down.
                let mark = anchor(el);
                let new_end = (end + STEP).min(len);
                if new_end == len {
                    model.follow.set(true);
                    model.unseen.set(0);
                } else {
                    model.end_seq.set(seq_at(new_end - 1));
                }
                keep_anchor(&model, mark);
            } else if gap <= 32 {
                if !model.follow.get_untracked() {
                    model.follow_latest();
                }
            } else if gap > 96 && model.follow.get_untracked() && end > 0 {
                model.follow.set(false);
                model.end_seq.set(seq_at(end - 1));
            }
            if top <= 32 && start > 0 {
                // Reading back: load older rows above, dropping the newest once the DOM is full.
                let mark = anchor(el);
                let span = model.span.get_untracked() as usize;
                if span + STEP <= MAX_SPAN {
                    model.span.set((span + STEP) as u64);
                } else {
                    model.follow.set(false);
                    model.end_seq.set(seq_at(end.saturating_sub(STEP + 1)));
                }
                keep_anchor(&model, mark);
            }
        }
    };

    let send_from_input = {
        let act = act.clone();
        let model = model.clone();
        move || {
            if let Some(Frame { input: el, .. }) = model.frame() {
                let text = el.value();
                if !text.trim().is_empty() {
                    el.set_value("");
                    model.follow_latest();
                    act(UiAction::Send(text));
                }
            }
        }
    };
    let on_keydown = {
        let send = send_from_input.clone();
        let act = act.clone();
        let model = model.clone();
        move |ev: web_sys::Event| {
            let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                ev.prevent_default();
                send();
            } else if ev.key() == "Escape" {
                ev.stop_propagation();
                act(UiAction::Close);
                focus_launcher(&model);
            }
        }
    };
    let on_submit = {
        let send = send_from_input;
        move |ev: web_sys::Event| {
            ev.prevent_default();
            send();
        }
    };
    let on_input = {
        let act = act.clone();
        move |_: web_sys::Event| act(UiAction::Typing)
    };
    let panel_keydown = {
        let act = act.clone();
        let model = model.clone();
        move |ev: web_sys::Event| {
            let escape = ev
                .dyn_ref::<web_sys::KeyboardEvent>()
                .is_some_and(|ev| ev.key() == "Escape");
            if escape {
                act(UiAction::Close);
                focus_launcher(&model);
            }
        }
    };
    // One listener for every button in the widget but the composer's and the lead form's,
    // told apart by class: the launcher, those of the panel's parts (`panel.rs`) and those
    // inside the rows (Copy on a code block, a suggestion chip, which sends its own text, and
    // Retry).
    let widget_click = {
        let act = act.clone();
        let model = model.clone();
        move |ev: web_sys::Event| {
            let button = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("button").ok().flatten());
            let Some(button) = button else {
                return;
            };
            let action = match button.class_name().as_str() {
                "launcher" => UiAction::Toggle,
                "copy" => return rich::copy_code(&button, t),
                "chip" => match button.text_content() {
                    Some(text) => UiAction::Suggest(text),
                    None => return,
                },
                "retry" => match button
                    .closest("li[data-id]")
                    .ok()
                    .flatten()
                    .and_then(|row| row.get_attribute("data-id"))
                {
                    Some(id) => UiAction::Retry(id),
                    None => return,
                },
                "latest" => {
                    model.follow_latest();
                    return model.after_render(|m| scroll_to_end(m));
                }
                "close" => {
                    act(UiAction::Close);
                    return focus_launcher(&model);
                }
                "sound" => UiAction::ToggleSound,
                "end" => UiAction::EndChat,
                "new-chat" => UiAction::NewChat,
                "stop" => UiAction::StopActions,
                "dismiss" => UiAction::DismissNotice,
                _ => return,
            };
            act(action);
        }
    };
    // The lead form's submit; the composer's is its own.
    let lead_submit = {
        let act = act.clone();
        let model = model.clone();
        move |ev: web_sys::Event| {
            let form = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .filter(|f| f.class_name() == "lead");
            if let Some(form) = form {
                ev.prevent_default();
                if let Some(values) = lead_values(&form, &model, t) {
                    act(UiAction::LeadSubmit(values));
                }
            }
        }
    };
    on.extend([
        (
            ".confab",
            "click",
            Box::new(widget_click) as Box<dyn FnMut(_)>,
        ),
        ("section.panel", "keydown", Box::new(panel_keydown)),
        ("section.panel", "submit", Box::new(lead_submit)),
        ("ol.messages", "scroll", Box::new(on_scroll)),
        ("form.composer", "submit", Box::new(on_submit)),
        ("form.composer textarea", "keydown", Box::new(on_keydown)),
        ("form.composer textarea", "input", Box::new(on_input)),
    ]);

    // The frame's few changing attributes are set by effects, by hand: as the view's reactive
    // attributes each compiled its own update code (the Leptos view is the static frame).
    // Their first values are written into the view, so nothing shows wrongly before they run.
    let lang = move |model: &Model| {
        let code = model.lang.get();
        if code.is_empty() {
            layout.lang.to_string()
        } else {
            code
        }
    };
    let hidden = |model: &Model| !model.open.get();
    let off = |model: &Model| model.config_error.with(|e| !e.is_empty());
    model.effect(move |model| {
        let lang = lang(model);
        if let Some(f) = model.frame() {
            dom::set(&f.root, "lang", &lang);
        }
    });
    let panel = |f: &Frame| f.list.parent_element();
    model.effect(move |model| {
        let title = model.title.get();
        if let Some(panel) = model.frame().as_ref().and_then(panel) {
            dom::set(&panel, "aria-label", &title);
        }
    });
    model.effect(move |model| {
        let hidden = hidden(model);
        if let Some(panel) = model.frame().as_ref().and_then(panel) {
            dom::hide(&panel, hidden);
        }
    });
    model.effect(move |model| {
        let busy = busy(model);
        if let Some(f) = model.frame() {
            dom::set(&f.list, "aria-busy", dom::flag(busy));
        }
    });
    model.effect(move |model| {
        let off = off(model);
        if let Some(f) = model.frame() {
            f.input.set_disabled(off);
            if let Ok(Some(send)) = f.root.query_selector("form.composer button.send") {
                let _ = send.toggle_attribute_with_force("disabled", off);
            }
        }
    });

    let (first_lang, first_title) = (untrack(|| lang(&model)), model.title.get_untracked());
    let (first_hidden, off) = (untrack(|| hidden(&model)), untrack(|| off(&model)));
    view! {
        <div
            class="confab"
            class:left=layout.left
            class:fullscreen=layout.fullscreen
            data-theme=layout.theme
            dir=if layout.rtl { "rtl" } else { "ltr" }
            lang=first_lang
        >
            <section class="panel" role="dialog" aria-label=first_title hidden=first_hidden>
                <ol class="messages" aria-label=t.messages aria-busy="false"></ol>
                <form class="composer">
                    <textarea
                        rows="1"
                        aria-label=t.message
                        placeholder=t.placeholder
                        disabled=off
                    ></textarea>
                    <button class="send" type="submit" aria-label=t.send disabled=off>
                        <svg viewBox="0 0 24 24" aria-hidden="true" class="icon">
                            <path d="M3 20l18-8L3 4v6l12 2-12 2z"></path>
                        </svg>
                    </button>
                </form>
            </section>
        </div>
    }
}

/// The lead form's values, or `None` (and the form's error line says why) when one is not
/// acceptable. The error line is cleared once they are.
fn lead_values(
    form: &web_sys::Element,
    model: &Model,
    t: &'static Strings,
) -> Option<Vec<(String, String)>> {
    let error = form.query_selector("p.lead-error").ok().flatten();
    let show_error = |message: Option<&str>| {
        if let Some(p) = &error {
            p.set_text_content(message);
            dom::hide(p, message.is_none());
        }
    };
    let fields = model
        .lead_form
        .with_untracked(|f| f.as_ref().map(|f| f.fields.clone()))?;
    let mut values = Vec::new();
    for f in fields {
        let input = form
            .query_selector(&format!("input[name=\"{}\"]", f.replace('"', "")))
            .ok()
            .flatten()
            .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok());
        let value = input.map(|i| i.value()).unwrap_or_default();
        if f == "email" && !plausible_email(&value) {
            show_error(Some(t.invalid_email));
            return None;
        }
        values.push((f, value.trim().to_string()));
    }
    show_error(None);
    Some(values)
}

/// The lead form's labelled inputs (prefilled from what the page said), its error line and
/// its button.
pub(super) fn draw_lead_fields(
    doc: &web_sys::Document,
    parent: &web_sys::Node,
    form: &LeadFormView,
    t: &Strings,
) {
    for f in &form.fields {
        let id = format!("confab-lead-{f}");
        if let Some(label) = dom::child(doc, parent, "label") {
            dom::set(&label, "for", &id);
            dom::text(doc, &label, &field_label(f));
        }
        if let Some(input) = dom::child(doc, parent, "input") {
            let value = form
                .prefill
                .iter()
                .find(|(k, _)| k == f)
                .map_or("", |(_, v)| v.as_str());
            let kind = match f.as_str() {
                "email" => "email",
                "phone" => "tel",
                _ => "text",
            };
            dom::set(&input, "id", &id);
            dom::set(&input, "name", f);
            dom::set(&input, "type", kind);
            dom::set(&input, "value", value);
            dom::set(&input, "required", "");
            dom::set(&input, "autocomplete", f);
        }
    }
    if let Some(error) = dom::classed(doc, parent, "p", "lead-error") {
        dom::set(&error, "role", "alert");
        dom::set(&error, "hidden", "");
    }
    if let Some(button) = dom::classed(doc, parent, "button", "lead-submit") {
        dom::set(&button, "type", "submit");
        dom::text(doc, &button, form.cta_text.as_deref().unwrap_or(t.send));
    }
}

/// Attachment cards: a link (checked URL) with an optional image (checked URL), a title and
/// an action label. An attachment with neither a link nor an image is left out.
fn cards(doc: &web_sys::Document, parent: &web_sys::Node, list: &[Attachment]) {
    for a in list {
        let url = a.url.as_deref().and_then(safe_image_url);
        let image = a.image.as_deref().and_then(safe_image_url).or_else(|| {
            if a.is_image {
                url.clone()
            } else {
                None
            }
        });
        if url.is_none() && image.is_none() {
            continue;
        }
        let Some(card) = dom::classed(doc, parent, "a", "card") else {
            continue;
        };
        let title = a.title.as_deref().unwrap_or_default();
        if let Some(url) = &url {
            dom::set(&card, "href", url);
        }
        dom::set(&card, "target", "_blank");
        dom::set(&card, "rel", "noopener noreferrer");
        if let Some(src) = image {
            if let Some(img) = dom::child(doc, &card, "img") {
                dom::set(&img, "src", &src);
                dom::set(&img, "alt", title);
            }
        }
        if let Some(span) = dom::classed(doc, &card, "span", "card-title") {
            dom::text(doc, &span, title);
        }
        if let Some(action) = &a.action {
            if let Some(span) = dom::classed(doc, &card, "span", "card-action") {
                dom::text(doc, &span, action);
            }
        }
    }
}

/// Suggestion chips: a chip's text is what it sends (see `widget_click`).
fn chips(doc: &web_sys::Document, parent: &web_sys::Node, list: &[String]) {
    for s in list {
        dom::child_button(doc, parent, "chip", Some(s));
    }
}

/// A row in the DOM: a message's `<li>` (after its day's, for the first of a day) and the
/// owner of its signals and effects.
struct Row {
    seq: u64,
    nodes: Vec<web_sys::Element>,
    owner: Owner,
}

impl Row {
    /// Takes the row off the page and ends its effects.
    fn remove(self) {
        for n in &self.nodes {
            n.remove();
        }
        self.owner.cleanup();
    }
}

/// Keeps the list's rows equal to the window over the conversation ([`ViewModel::bounds`]):
/// rows that left it are removed, new ones built, and those kept (matched by `seq`) are
/// moved only when out of place. Each row's owner belongs to no other, so a row gone leaves
/// nothing behind; all go when the conversation is cleared, and with this effect when the
/// widget goes.
fn keep_rows(model: ViewModel, t: &'static Strings) {
    let mut rows: Vec<Row> = Vec::new();
    let mut generation = None;
    dom::effect(move || {
        let now = model.generation.get();
        let Some(Frame { list: ol, .. }) = model.frame() else {
            return;
        };
        let (start, end, _) = model.bounds();
        let wanted: Vec<MessageView> = model
            .messages
            .with(|list| list.get(start..end).map(<[_]>::to_vec).unwrap_or_default());
        if generation != Some(now) {
            std::mem::take(&mut rows).into_iter().for_each(Row::remove);
            generation = Some(now);
        }
        // Both lists are in `seq` order: one walk matches them.
        let mut old = std::mem::take(&mut rows).into_iter().peekable();
        for m in wanted {
            while let Some(gone) = old.next_if(|r| r.seq < m.seq) {
                gone.remove();
            }
            match old.next_if(|r| r.seq == m.seq) {
                Some(kept) => rows.push(kept),
                None => rows.push(untrack(|| message_row(m, &model, t))),
            }
        }
        old.for_each(Row::remove);
        let mut at = ol.first_child();
        for node in rows.iter().flat_map(|r| &r.nodes) {
            let node: &web_sys::Node = node;
            if at.as_ref() == Some(node) {
                at = node.next_sibling();
            } else {
                let _ = ol.insert_before(node, at.as_ref());
            }
        }
    });
}

/// An owner that is no other's child: dropping a child leaves a record in its parent for as
/// long as the parent lives.
fn detached_owner() -> Owner {
    let current = Owner::current();
    let owner = Owner::new_root(None);
    match current {
        Some(current) => current.set(),
        None => owner.clone().unset(),
    }
    owner
}

/// One message's row, built with DOM calls; each part that changes (text, status, cards,
/// chips) has its own effect. Clicks on its buttons are heard by the widget's root
/// (`widget_click`).
fn message_row(m: MessageView, model: &ViewModel, t: &'static Strings) -> Row {
    let owner = detached_owner();
    let seq = m.seq;
    let nodes = owner.with(|| draw_row(m, model, t));
    Row { seq, nodes, owner }
}

fn draw_row(m: MessageView, model: &ViewModel, t: &'static Strings) -> Vec<web_sys::Element> {
    {
        let m = dom::OneThread(m.clone());
        on_cleanup(move || {
            let dom::OneThread(m) = &m;
            m.forget_readers()
        });
    }
    // The message's own signals, held by the row's effects: let go when the row goes.
    let status = m.status.clone();
    let text = m.text.clone();
    let doc = document();
    let mut nodes = Vec::new();
    if let Some(day) = &m.day {
        if let Some(li) = dom::element(&doc, "li", "day") {
            if let Some(span) = dom::child(&doc, &li, "span") {
                dom::text(&doc, &span, day);
            }
            nodes.push(li);
        }
    }
    let class = match m.direction {
        Direction::System if m.error => "system error",
        Direction::System => "system",
        Direction::Out => "message out",
        Direction::In => "message in",
    };
    let Some(row) = dom::element(&doc, "li", class) else {
        return nodes;
    };
    dom::set(&row, "data-id", &m.id);
    nodes.push(row.clone());
    let parts: &web_sys::Node = &row;
    draw_row_body(parts, text, status.clone(), m.direction, model, t);
    if m.direction == Direction::System {
        return nodes;
    }
    let outgoing = m.direction == Direction::Out;
    let part =
        |parent: &web_sys::Node, tag: &str, class: &str| dom::classed(&doc, parent, tag, class);
    let mark = part(parts, "div", "meta").and_then(|meta| {
        let (time, stamp) = local_time(m.at, &model.locale.get_untracked());
        if let Some(el) = part(&meta, "time", "time") {
            dom::set(&el, "datetime", &stamp);
            dom::text(&doc, &el, &time);
        }
        outgoing.then(|| part(&meta, "span", "mark")).flatten()
    });
    let cards_el = part(parts, "div", "cards");
    let interrupted = part(parts, "span", "interrupted");
    if let Some(el) = &interrupted {
        dom::text(&doc, el, t.interrupted);
    }
    let retry = dom::child_button(&doc, parts, "retry", Some(t.retry));
    let chips_el = part(parts, "div", "chips");
    if let Some(el) = &chips_el {
        dom::set(el, "role", "group");
        dom::set(el, "aria-label", t.suggested);
    }
    dom::effect(move || {
        let now = status.get();
        dom::set(&row, "data-status", now.as_str());
        dom::set(&row, "aria-busy", dom::flag(now == Delivery::Streaming));
        if let Some(el) = &mark {
            let (symbol, label) = status_mark(now, t);
            el.set_text_content(Some(symbol));
            dom::set(el, "aria-label", label);
        }
        if let Some(el) = &interrupted {
            dom::hide(el, now != Delivery::Interrupted);
        }
        if let Some(el) = &retry {
            dom::hide(el, !matches!(now, Delivery::Interrupted | Delivery::Failed));
        }
    });
    let extras = m.extras.clone();
    dom::effect(move || {
        if let Some(el) = &cards_el {
            extras.with(|e| {
                dom::redraw(el, |doc, el| cards(doc, el, &e.attachments));
                dom::hide(el, e.attachments.is_empty());
            });
        }
    });
    let (last, extras) = (m.last.clone(), m.extras.clone());
    dom::effect(move || {
        if let Some(el) = &chips_el {
            let newest = last.get();
            extras.with(|e| {
                dom::redraw(el, |doc, el| chips(doc, el, &e.suggestions));
                dom::hide(el, !newest || e.suggestions.is_empty());
            });
        }
    });
    nodes
}

/// A row's text: the visitor's own words (and system lines) exactly as written, an agent's as
/// Markdown, kept in view while it grows if the visitor follows the conversation.
fn draw_row_body(
    parts: &web_sys::Node,
    text: Sig<String>,
    status: Sig<Delivery>,
    direction: Direction,
    model: &ViewModel,
    t: &'static Strings,
) {
    let doc = document();
    if direction == Direction::In {
        let grown = text.clone();
        model.effect(move |model| {
            grown.track();
            if model.follow.get_untracked() {
                model.after_render(|m| scroll_to_end(m));
            }
        });
        if let Some(el) = rich::rich_text(&doc, text, status, t) {
            let _ = parts.append_child(&el);
        }
        return;
    }
    if let Some(p) = dom::classed(&doc, parts, "p", "text") {
        dom::set(&p, "dir", "auto");
        dom::effect(move || text.with(|s| p.set_text_content(Some(s))));
    }
}
