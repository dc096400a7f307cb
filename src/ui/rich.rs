//! Agent text as DOM nodes, from the Markdown tree of [`crate::markdown`]. Every piece of text
//! becomes a text node; links get only checked targets and open in a new tab.

use crate::i18n::Strings;
use crate::markdown::{self, Align, Block, Inline};
use leptos::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// A message's text, re-read as it grows. Blocks are keyed by position and content, so while
/// an answer streams only its last block is rebuilt.
pub fn rich_text(
    text: RwSignal<String>,
    streaming: Signal<bool>,
    t: &'static Strings,
) -> impl IntoView {
    let blocks = Memo::new(move |_| {
        text.with(|s| markdown::parse(s, streaming.get()))
            .into_iter()
            .enumerate()
            .map(|(i, b)| {
                let mut h = DefaultHasher::new();
                b.hash(&mut h);
                (i, h.finish(), b)
            })
            .collect::<Vec<_>>()
    });
    view! {
        <div class="text rich" dir="auto">
            <For
                each=move || blocks.get()
                key=|(i, h, _)| (*i, *h)
                children=move |(_, _, b)| block(b, t)
            />
        </div>
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
