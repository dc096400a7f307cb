//! Plain DOM building for what goes inside the view's Leptos frame: Markdown blocks,
//! attachment cards, suggestion chips, the lead form's fields, a message row's parts and the
//! panel's parts around the list. Each distinct Leptos view type costs the bundle its own
//! build, rebuild and drop code; these calls cost it once. Text always goes in as text nodes
//! and values as attributes, never as markup.

use web_sys::{Document, Element, Node};

/// `tag` appended to `parent`. Creating an element fails only for an invalid tag name, and
/// the names here are fixed: a failure leaves the element out rather than stopping the widget.
pub fn child(doc: &Document, parent: &Node, tag: &str) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    parent.append_child(&el).ok()?;
    Some(el)
}

/// `tag` with a class, not yet placed.
pub fn element(doc: &Document, tag: &str, class: &str) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    set(&el, "class", class);
    Some(el)
}

/// `tag` with a class, appended to `parent`.
pub fn classed(doc: &Document, parent: &Node, tag: &str, class: &str) -> Option<Element> {
    let el = element(doc, tag, class)?;
    parent.append_child(&el).ok()?;
    Some(el)
}

/// A `<button type="button">` with a class, not yet placed.
pub fn button(doc: &Document, class: &str) -> Option<Element> {
    let el = element(doc, "button", class)?;
    set(&el, "type", "button");
    Some(el)
}

/// A `<button type="button">` with a class and, when given, its text, appended to `parent`.
pub fn child_button(
    doc: &Document,
    parent: &Node,
    class: &str,
    label: Option<&str>,
) -> Option<Element> {
    let el = button(doc, class)?;
    if let Some(label) = label {
        text(doc, &el, label);
    }
    parent.append_child(&el).ok()?;
    Some(el)
}

/// An ARIA true/false value.
pub fn flag(on: bool) -> &'static str {
    if on {
        "true"
    } else {
        "false"
    }
}

/// A text node with `s` appended to `parent`.
pub fn text(doc: &Document, parent: &Node, s: &str) {
    let _ = parent.append_child(&doc.create_text_node(s));
}

/// Sets an attribute; the names here are fixed and valid, so it does not fail.
pub fn set(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

/// Sets or removes the `hidden` attribute.
pub fn hide(el: &Element, hidden: bool) {
    let _ = el.toggle_attribute_with_force("hidden", hidden);
}

/// Empties `el` and fills it again with `draw`.
pub fn redraw(el: &Element, draw: impl FnOnce(&Document, &Node)) {
    el.set_text_content(None);
    if let Some(doc) = el.owner_document() {
        draw(&doc, el);
    }
}

/// Runs `f` now and again whenever a signal it read changes. Every effect in the UI goes
/// through this one use of Leptos's `Effect::new_sync`: called with each closure's own type, it
/// compiles a copy of the effect's task per call site (about 1 KB of wasm each).
pub fn effect(f: impl FnMut() + 'static) {
    boxed_effect(OneThread(Box::new(f)));
}

fn boxed_effect(mut f: OneThread<Box<dyn FnMut()>>) {
    // The closure takes the whole wrapper (a closure would otherwise take only its field).
    leptos::prelude::Effect::new_sync(move |_: Option<()>| {
        let OneThread(run) = &mut f;
        run()
    });
}

/// A value of this wasm's one thread, kept by Leptos's thread-safe storage. Leptos's own
/// storage for values that are not `Send` checks the thread on every read, and that check
/// (`std::thread::current`) brings std's second allocator, dlmalloc, for the thread's handle:
/// about 2 KB gzip of a wasm that never has a second thread.
#[derive(Clone)]
pub struct OneThread<T>(pub T);

// SAFETY: the bundle is built for wasm32 without the `atomics` target feature, where there is
// one thread and no way to start another, so a value can never be reached from two threads.
// Built with `atomics`, these impls are left out and the build stops where they are needed.
#[cfg(not(target_feature = "atomics"))]
unsafe impl<T> Send for OneThread<T> {}
// SAFETY: as for `Send`.
#[cfg(not(target_feature = "atomics"))]
unsafe impl<T> Sync for OneThread<T> {}
