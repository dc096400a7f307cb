//! Agent text as DOM nodes, from the Markdown tree of [`crate::markdown`]. Every piece of text
//! becomes a text node; links get only checked targets and open in a new tab.

use crate::i18n::Strings;
use crate::markdown::{self, Align, Block, Inline};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A message's text, re-read as it grows. All blocks but the last are keyed by position and
/// content, so they are built once. The last one, where a streamed answer grows, is kept apart:
/// when it only gained text at its end, that text is appended to its last text node (the
/// browser then re-lays only what changed); otherwise it is built again.
pub fn rich_text(
    text: RwSignal<String>,
    streaming: Signal<bool>,
    t: &'static Strings,
) -> impl IntoView {
    let blocks = Memo::new(move |_| text.with(|s| markdown::parse(s, streaming.get())));
    let settled = Memo::new(move |_| {
        blocks.with(|all| {
            all[..all.len().saturating_sub(1)]
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let mut h = DefaultHasher::new();
                    b.hash(&mut h);
                    (i, h.finish(), b.clone())
                })
                .collect::<Vec<_>>()
        })
    });
    let tail_ref: NodeRef<leptos::html::Div> = NodeRef::new();
    let tail = Tail::default();
    // The last block's view belongs to the message, not to this effect: an effect clears what
    // it owns each time it runs, and a block kept on screen must keep its signals. Held weakly:
    // the effect belongs to the message too, and a strong hold would keep the row for good.
    let owner = Owner::current().map(|o| o.downgrade());
    Effect::new(move |_| {
        let last = blocks.with(|all| all.last().cloned());
        if let Some(el) = tail_ref.get() {
            match owner.as_ref().and_then(|o| o.upgrade()) {
                Some(o) => o.with(|| tail.show(&el, last, t)),
                None => tail.show(&el, last, t),
            }
        }
    });
    view! {
        <div class="text rich" dir="auto">
            <For
                each=move || settled.get()
                key=|(i, h, _)| (*i, *h)
                children=move |(_, _, b)| block(b, t)
            />
            <div class="tail" node_ref=tail_ref></div>
        </div>
    }
}

/// A block and its mounted view (dropping the view unmounts it).
type Shown = (Block, Box<dyn std::any::Any>);

/// The last block on screen.
#[derive(Clone, Default)]
struct Tail(Rc<RefCell<Option<Shown>>>);

impl Tail {
    fn show(&self, el: &web_sys::HtmlDivElement, last: Option<Block>, t: &'static Strings) {
        let mut shown = self.0.borrow_mut();
        let Some(new) = last else {
            *shown = None;
            return;
        };
        if let Some((old, _)) = shown.as_mut() {
            if *old == new {
                return;
            }
            if let Some((before, added)) = grown(old, &new) {
                if append_to_last_text(el, before, added) {
                    *old = new;
                    return;
                }
            }
        }
        // Unmount the old view before the new one goes in; the new one is built under the
        // mount's own owner, so its signals live as long as it is shown.
        *shown = None;
        let b = new.clone();
        let mounted = leptos::mount::mount_to(el.clone().into(), move || block(b, t));
        *shown = Some((new, Box::new(mounted)));
    }
}

/// Appends `added` to the last text node under `el`, if it holds exactly `before`.
fn append_to_last_text(el: &web_sys::Element, before: &str, added: &str) -> bool {
    use wasm_bindgen::JsCast;
    let mut node: Option<web_sys::Node> = el.last_child();
    while let Some(n) = node {
        if let Some(text) = n.dyn_ref::<web_sys::Text>() {
            // The node is the one the block's last text made if its length agrees.
            if text.length() as usize != before.encode_utf16().count() {
                return false;
            }
            return text.append_data(added).is_ok();
        }
        node = match n.last_child() {
            Some(child) => Some(child),
            // A comment or an empty element: look at what comes before it.
            None => n.previous_sibling(),
        };
    }
    false
}

/// When `new` is `old` with text added at its very end: (the old last text, what was added).
fn grown<'a>(old: &'a Block, new: &'a Block) -> Option<(&'a str, &'a str)> {
    match (old, new) {
        (Block::Paragraph(a), Block::Paragraph(b)) | (Block::Quote(a), Block::Quote(b)) => {
            inlines_grown(a, b)
        }
        (Block::Heading(x, a), Block::Heading(y, b)) if x == y => inlines_grown(a, b),
        (
            Block::List {
                ordered: o1,
                start: s1,
                items: a,
            },
            Block::List {
                ordered: o2,
                start: s2,
                items: b,
            },
        ) if o1 == o2 && s1 == s2 && a.len() == b.len() && !a.is_empty() => {
            let n = a.len() - 1;
            if a[..n] != b[..n] {
                return None;
            }
            inlines_grown(&a[n], &b[n])
        }
        // A code block's Copy button holds its text: it is built again.
        _ => None,
    }
}

fn inlines_grown<'a>(old: &'a [Inline], new: &'a [Inline]) -> Option<(&'a str, &'a str)> {
    if old.len() != new.len() || old.is_empty() {
        return None;
    }
    let n = old.len() - 1;
    if old[..n] != new[..n] {
        return None;
    }
    match (&old[n], &new[n]) {
        (Inline::Text(a), Inline::Text(b)) | (Inline::Code(a), Inline::Code(b)) => {
            b.strip_prefix(a.as_str()).map(|added| (a.as_str(), added))
        }
        (Inline::Strong(a), Inline::Strong(b))
        | (Inline::Em(a), Inline::Em(b))
        | (Inline::Strike(a), Inline::Strike(b)) => inlines_grown(a, b),
        (
            Inline::Link {
                href: h1,
                children: a,
            },
            Inline::Link {
                href: h2,
                children: b,
            },
        ) if h1 == h2 => inlines_grown(a, b),
        _ => None,
    }
}

fn block(b: Block, t: &'static Strings) -> AnyView {
    match b {
        Block::Paragraph(i) => view! { <p>{inline(i)}</p> }.into_any(),
        Block::Heading(level, i) => {
            // Inside a chat bubble headings are emphasis, not document structure.
            view! { <p class="heading" data-level=level.to_string()><strong>{inline(i)}</strong></p> }
                .into_any()
        }
        Block::Quote(i) => view! { <blockquote>{inline(i)}</blockquote> }.into_any(),
        Block::Rule => view! { <hr /> }.into_any(),
        Block::List {
            ordered: true,
            start,
            items,
        } => view! {
            <ol start=start.to_string()>
                {items.into_iter().map(|i| view! { <li>{inline(i)}</li> }).collect::<Vec<_>>()}
            </ol>
        }
        .into_any(),
        Block::List { items, .. } => view! {
            <ul>{items.into_iter().map(|i| view! { <li>{inline(i)}</li> }).collect::<Vec<_>>()}</ul>
        }
        .into_any(),
        Block::Code { lang, text, .. } => code_block(lang, text, t).into_any(),
        Block::Table { align, head, rows } => {
            let class = move |k: usize| match align.get(k).copied().unwrap_or(Align::None) {
                Align::Left => "left",
                Align::Center => "center",
                Align::Right => "right",
                Align::None => "",
            };
            view! {
                <div class="table" tabindex="0" role="region" aria-label=t.code>
                    <table>
                        <thead>
                            <tr>
                                {head.into_iter().enumerate()
                                    .map(|(k, c)| view! { <th scope="col" class=class(k)>{inline(c)}</th> })
                                    .collect::<Vec<_>>()}
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr>
                                    {r.into_iter().enumerate()
                                        .map(|(k, c)| view! { <td class=class(k)>{inline(c)}</td> })
                                        .collect::<Vec<_>>()}
                                </tr>
                            }).collect::<Vec<_>>()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    }
}

fn code_block(lang: String, text: String, t: &'static Strings) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = {
        let text = text.clone();
        move |_| {
            if copy_text(&text) {
                copied.set(true);
                gloo_timers::callback::Timeout::new(1500, move || copied.set(false)).forget();
            }
        }
    };
    let label = if lang.is_empty() {
        t.code.to_string()
    } else {
        lang.clone()
    };
    view! {
        <div class="code">
            <div class="code-bar">
                <span class="code-lang">{label}</span>
                <button type="button" class="copy" on:click=copy>
                    {move || if copied.get() { t.copied } else { t.copy }}
                </button>
            </div>
            <pre tabindex="0"><code data-lang=lang>{text}</code></pre>
        </div>
    }
}

/// `navigator.clipboard.writeText(text)`, looked up at run time (absent on insecure origins).
fn copy_text(text: &str) -> bool {
    use wasm_bindgen::{JsCast, JsValue};
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("clipboard"))
        .ok()
        .filter(|c| c.is_object());
    let Some(clipboard) = clipboard else {
        return false;
    };
    let write = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match write {
        Some(f) => match f.call1(&clipboard, &JsValue::from_str(text)) {
            Ok(promise) => {
                // A refused write rejects the promise: awaited here so nothing goes uncaught.
                if let Ok(p) = promise.dyn_into::<js_sys::Promise>() {
                    let done = wasm_bindgen_futures::JsFuture::from(p);
                    leptos::task::spawn_local(async move {
                        let _ = done.await;
                    });
                }
                true
            }
            Err(_) => false,
        },
        None => false,
    }
}

fn inline(list: Vec<Inline>) -> Vec<AnyView> {
    list.into_iter()
        .map(|i| match i {
            Inline::Text(s) => s.into_any(),
            Inline::Strong(c) => view! { <strong>{inline(c)}</strong> }.into_any(),
            Inline::Em(c) => view! { <em>{inline(c)}</em> }.into_any(),
            Inline::Strike(c) => view! { <s>{inline(c)}</s> }.into_any(),
            Inline::Code(s) => view! { <code>{s}</code> }.into_any(),
            Inline::Break => view! { <br /> }.into_any(),
            Inline::Link { href, children } => view! {
                <a href=href target="_blank" rel="noopener noreferrer">{inline(children)}</a>
            }
            .into_any(),
        })
        .collect()
}
