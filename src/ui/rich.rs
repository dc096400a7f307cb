//! Agent text as DOM nodes, from the Markdown tree of [`crate::markdown`]. Every piece of text
//! becomes a text node; links get only checked targets and open in a new tab.
//!
//! The blocks are built with plain DOM calls ([`super::dom`]) rather than Leptos views: they
//! never change once drawn (a changed block is drawn again), so they need no reactivity, and a
//! view type per block and inline kind cost the bundle about 13 KB gzip.

use super::dom::{child, child_button, classed, effect, element, redraw, set, text};
use super::Sig;
use crate::engine::Delivery;
use crate::i18n::Strings;
use crate::markdown::{self, Align, Block, Inline};
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

/// A message's text, re-read as it grows. The blocks before the last are drawn once and kept
/// while their content stays the same. The last one, where a streamed answer grows, is kept
/// apart: when it only gained text at its end, that text is appended to its last text node
/// (the browser then re-lays only what changed); otherwise it is drawn again.
pub fn rich_text(
    doc: &Document,
    text: Sig<String>,
    status: Sig<Delivery>,
    t: &'static Strings,
) -> Option<Element> {
    let root = element(doc, "div", "text rich")?;
    set(&root, "dir", "auto");
    let tail_el = classed(doc, &root, "div", "tail")?;
    let settled = Settled::default();
    let tail = Tail::default();
    let (doc, el) = (doc.clone(), root.clone());
    // Parsed where it is drawn, not kept in a memo: nothing else reads the blocks, and both
    // parts below already skip what has not changed.
    effect(move || {
        let streaming = status.get() == Delivery::Streaming;
        let mut blocks = text.with(|s| markdown::parse(s, streaming));
        let last = blocks.pop();
        settled.show(&doc, &el, &tail_el, &blocks, t);
        tail.show(&tail_el, last, t);
    });
    Some(root)
}

/// The blocks before the last, as drawn: each block's content hash and its element.
#[derive(Clone, Default)]
struct Settled(Rc<RefCell<Vec<(u64, Element)>>>);

impl Settled {
    /// Keeps the drawn blocks up to the first that differs; draws the rest before `tail`.
    fn show(&self, doc: &Document, root: &Element, tail: &Element, now: &[Block], t: &Strings) {
        let mut drawn = self.0.borrow_mut();
        let hashes: Vec<u64> = now.iter().map(content_hash).collect();
        let keep = drawn
            .iter()
            .zip(&hashes)
            .take_while(|((was, _), is)| was == *is)
            .count();
        for (_, el) in drawn.split_off(keep) {
            el.remove();
        }
        for (b, hash) in now[keep..].iter().zip(&hashes[keep..]) {
            if let Some(el) = block(doc, b, t) {
                if root.insert_before(&el, Some(tail)).is_ok() {
                    drawn.push((*hash, el));
                }
            }
        }
    }
}

fn content_hash(b: &Block) -> u64 {
    let mut h = crate::strmap::Fnv::default();
    b.hash(&mut h);
    h.finish()
}

/// The last block on screen.
#[derive(Clone, Default)]
struct Tail(Rc<RefCell<Option<Block>>>);

impl Tail {
    /// Shows `last` and keeps it (moved, not copied) to compare the next one with.
    fn show(&self, el: &Element, last: Option<Block>, t: &Strings) {
        let mut shown = self.0.borrow_mut();
        let Some(new) = last else {
            el.set_text_content(None);
            *shown = None;
            return;
        };
        if let Some(old) = shown.as_ref() {
            if *old == new {
                return;
            }
            if grown(old, &new)
                .is_some_and(|(before, added)| append_to_last_text(el, before, added))
            {
                *shown = Some(new);
                return;
            }
        }
        redraw(el, |doc, el| {
            if let Some(drawn) = block(doc, &new, t) {
                let _ = el.append_child(&drawn);
            }
        });
        *shown = Some(new);
    }
}

/// Appends `added` to the last text node under `el`, if it holds exactly `before`.
fn append_to_last_text(el: &Element, before: &str, added: &str) -> bool {
    let mut node: Option<Node> = el.last_child();
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

/// A block's element, not yet placed.
fn block(doc: &Document, b: &Block, t: &Strings) -> Option<Element> {
    let tag = match b {
        Block::Paragraph(_) | Block::Heading(..) => "p",
        Block::Quote(_) => "blockquote",
        Block::Rule => "hr",
        Block::List { ordered: true, .. } => "ol",
        Block::List { .. } => "ul",
        Block::Code { .. } | Block::Table { .. } => "div",
    };
    let el = doc.create_element(tag).ok()?;
    match b {
        Block::Paragraph(i) | Block::Quote(i) => inline(doc, &el, i),
        Block::Heading(level, i) => {
            // Inside a chat bubble headings are emphasis, not document structure.
            set(&el, "class", "heading");
            set(&el, "data-level", &level.to_string());
            if let Some(strong) = child(doc, &el, "strong") {
                inline(doc, &strong, i);
            }
        }
        Block::Rule => {}
        Block::List {
            ordered,
            start,
            items,
        } => {
            if *ordered {
                set(&el, "start", &start.to_string());
            }
            for item in items {
                if let Some(li) = child(doc, &el, "li") {
                    inline(doc, &li, item);
                }
            }
        }
        Block::Code {
            lang, text: code, ..
        } => code_block(doc, &el, lang, code, t),
        Block::Table { align, head, rows } => table(doc, &el, align, head, rows, t),
    }
    Some(el)
}

fn code_block(doc: &Document, el: &Element, lang: &str, code: &str, t: &Strings) {
    set(el, "class", "code");
    if let Some(bar) = classed(doc, el, "div", "code-bar") {
        if let Some(label) = classed(doc, &bar, "span", "code-lang") {
            text(doc, &label, if lang.is_empty() { t.code } else { lang });
        }
        // Its click is heard by the widget's one click listener (see `copy_code`).
        child_button(doc, &bar, "copy", Some(t.copy));
    }
    if let Some(pre) = child(doc, el, "pre") {
        set(&pre, "tabindex", "0");
        if let Some(c) = child(doc, &pre, "code") {
            set(&c, "data-lang", lang);
            text(doc, &c, code);
        }
    }
}

fn table(
    doc: &Document,
    el: &Element,
    align: &[Align],
    head: &[Vec<Inline>],
    rows: &[Vec<Vec<Inline>>],
    t: &Strings,
) {
    set(el, "class", "table");
    set(el, "tabindex", "0");
    set(el, "role", "region");
    set(el, "aria-label", t.code);
    let Some(table) = child(doc, el, "table") else {
        return;
    };
    let row = |section: &Element, cells: &[Vec<Inline>], tag: &str| {
        let Some(tr) = child(doc, section, "tr") else {
            return;
        };
        for (k, c) in cells.iter().enumerate() {
            if let Some(cell) = child(doc, &tr, tag) {
                if tag == "th" {
                    set(&cell, "scope", "col");
                }
                let class = match align.get(k) {
                    Some(Align::Left) => "left",
                    Some(Align::Center) => "center",
                    Some(Align::Right) => "right",
                    Some(Align::None) | None => "",
                };
                if !class.is_empty() {
                    set(&cell, "class", class);
                }
                inline(doc, &cell, c);
            }
        }
    };
    if let Some(thead) = child(doc, &table, "thead") {
        row(&thead, head, "th");
    }
    if let Some(tbody) = child(doc, &table, "tbody") {
        for r in rows {
            row(&tbody, r, "td");
        }
    }
}

/// A Copy button's click (heard by the widget's one click listener): its block's code to the
/// clipboard, and the button says so for a moment.
pub fn copy_code(button: &Element, t: &'static Strings) {
    let code = button
        .closest("div.code")
        .ok()
        .flatten()
        .and_then(|block| block.query_selector("pre code").ok().flatten())
        .and_then(|c| c.text_content());
    let Some(code) = code else {
        return;
    };
    if copy_text(&code) {
        button.set_text_content(Some(t.copied));
        let button = button.clone();
        gloo_timers::callback::Timeout::new(1500, move || {
            button.set_text_content(Some(t.copy));
        })
        .forget();
    }
}

/// `navigator.clipboard.writeText(text)`, looked up at run time (absent on insecure origins).
fn copy_text(text: &str) -> bool {
    use wasm_bindgen::JsValue;
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
                    crate::browser::spawn(async move {
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

fn inline(doc: &Document, parent: &Node, list: &[Inline]) {
    for i in list {
        let (tag, children) = match i {
            Inline::Text(s) => {
                text(doc, parent, s);
                continue;
            }
            Inline::Code(s) => {
                if let Some(code) = child(doc, parent, "code") {
                    text(doc, &code, s);
                }
                continue;
            }
            Inline::Break => {
                child(doc, parent, "br");
                continue;
            }
            Inline::Strong(c) => ("strong", c),
            Inline::Em(c) => ("em", c),
            Inline::Strike(c) => ("s", c),
            Inline::Link { href, children } => {
                if let Some(a) = child(doc, parent, "a") {
                    // `href` passed `markdown::safe_href`: http(s) or mailto only.
                    set(&a, "href", href);
                    set(&a, "target", "_blank");
                    set(&a, "rel", "noopener noreferrer");
                    inline(doc, &a, children);
                }
                continue;
            }
        };
        if let Some(el) = child(doc, parent, tag) {
            inline(doc, &el, children);
        }
    }
}
