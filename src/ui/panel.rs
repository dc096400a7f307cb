//! The widget's parts around the message list, drawn with plain DOM calls (see [`super::dom`]):
//! the launcher, the header, the connection banners, the "latest" button, the spoken-text
//! region, the typing and page-action indicators, the lead form, the ended bar and the notice.
//! Each part that changes has its own effect; their buttons are heard by one click listener on
//! the widget's root (`widget_click` in [`super::app`]), which tells them apart by class, and
//! the lead form by its submit listener. As Leptos views, each reactive attribute and text was
//! a type of its own, with its own build code: the panel's parts cost 3.5 KB gzip more, the
//! launcher and the lead form another 1.5 KB.

use super::dom::{self, child, child_button, classed, element, set};
use super::{banner_text, draw_lead_fields, safe_image_url, Model, ViewModel};
use crate::engine::ConnState;
use crate::i18n::Strings;
use web_sys::{Document, Element, Node};

const SVG: &str = "http://www.w3.org/2000/svg";

/// The parts, built detached, in the order they go: the launcher at the start of the root,
/// then before the message list, after it, and before the composer.
pub struct Parts {
    launcher: Option<Element>,
    before_list: Vec<Element>,
    after_list: Vec<Element>,
    before_composer: Vec<Element>,
}

impl Parts {
    /// Puts the parts in place in `root`, around `list` and `composer`; called once all three
    /// are on the page.
    pub fn place(&self, root: &Element, list: &Element, composer: &Element) {
        if let Some(launcher) = &self.launcher {
            let _ = root.prepend_with_node_1(launcher);
        }
        for el in &self.before_list {
            let _ = list.before_with_node_1(el);
        }
        for el in self.after_list.iter().rev() {
            let _ = list.after_with_node_1(el);
        }
        for el in &self.before_composer {
            let _ = composer.before_with_node_1(el);
        }
    }
}

/// An icon: a 24 × 24 SVG of `paths`, each a list of attributes.
fn icon(doc: &Document, parent: &Node, paths: &[&[(&str, &str)]]) {
    let Ok(svg) = doc.create_element_ns(Some(SVG), "svg") else {
        return;
    };
    set(&svg, "viewBox", "0 0 24 24");
    set(&svg, "aria-hidden", "true");
    set(&svg, "class", "icon");
    for attributes in paths {
        if let Ok(path) = doc.create_element_ns(Some(SVG), "path") {
            for (name, value) in *attributes {
                set(&path, name, value);
            }
            let _ = svg.append_child(&path);
        }
    }
    let _ = parent.append_child(&svg);
}

/// The text of `el`, kept equal to `text()`.
fn follow_text(el: Element, model: &ViewModel, text: impl Fn(&Model) -> String + 'static) {
    model.effect(move |model| el.set_text_content(Some(&text(model))));
}

/// `el` hidden while `hidden()` holds.
fn follow_hidden(el: Element, model: &ViewModel, hidden: impl Fn(&Model) -> bool + 'static) {
    model.effect(move |model| dom::hide(&el, hidden(model)));
}

/// The launcher: a chat icon and the unread count, labelled by what a click does.
fn launcher(doc: &Document, model: &ViewModel, t: &'static Strings) -> Option<Element> {
    let el = dom::button(doc, "launcher")?;
    icon(doc, &el, &[&[("d", "M4 4h16v12H7l-3 3z")]]);
    let badge = classed(doc, &el, "span", "badge");
    let show = {
        let launcher = el.clone();
        move |open: bool, unread: u64| {
            set(
                &launcher,
                "aria-label",
                if open { t.close_chat } else { t.open_chat },
            );
            set(&launcher, "aria-expanded", dom::flag(open));
            if let Some(badge) = &badge {
                badge.set_text_content(Some(&unread.to_string()));
                dom::hide(badge, unread == 0 || open);
            }
        }
    };
    // Labelled at once: the loader may hand it the focus before the effect first runs.
    show(model.open.get_untracked(), model.unread.get_untracked());
    model.effect(move |model| show(model.open.get(), model.unread.get()));
    Some(el)
}

/// Where the lead form goes while the agent asks for one: a box without a box of its own
/// (`display: contents`), emptied when the form is answered or withdrawn.
fn lead_slot(doc: &Document, model: &ViewModel, t: &'static Strings) -> Option<Element> {
    let slot = element(doc, "div", "lead-slot")?;
    let el = slot.clone();
    model.effect(move |model| {
        model.lead_form.with(|form| {
            dom::redraw(&el, |doc, el| {
                let Some(form) = form else { return };
                if let Some(f) = element(doc, "form", "lead") {
                    set(&f, "aria-label", t.your_details);
                    set(&f, "novalidate", "");
                    draw_lead_fields(doc, &f, form, t);
                    let _ = el.append_child(&f);
                }
            })
        })
    });
    Some(slot)
}

/// Builds the parts (detached) and the effects that keep them up to date; the launcher only
/// when the page shows one.
pub fn parts(doc: &Document, model: ViewModel, t: &'static Strings, show_launcher: bool) -> Parts {
    let launcher = show_launcher.then(|| launcher(doc, &model, t)).flatten();
    let mut before_list = Vec::new();
    let mut after_list = Vec::new();
    let mut before_composer = Vec::new();

    if let Some(header) = element(doc, "header", "header") {
        // The avatar (checked URL only) comes first, drawn again when it changes.
        let avatar_slot = header.clone();
        model.effect(move |m| {
            if let Ok(Some(old)) = avatar_slot.query_selector("img.avatar") {
                old.remove();
            }
            let src = m.avatar.with(|url| safe_image_url(url));
            let doc = avatar_slot.owner_document();
            if let (Some(src), Some(doc)) = (src, doc) {
                if let Some(img) = element(&doc, "img", "avatar") {
                    set(&img, "src", &src);
                    set(&img, "alt", "");
                    let _ = avatar_slot.prepend_with_node_1(&img);
                }
            }
        });
        if let Some(title) = classed(doc, &header, "h2", "title") {
            follow_text(title, &model, move |model| model.title.get());
        }
        if let Some(sound) = child_button(doc, &header, "sound", None) {
            icon(
                doc,
                &sound,
                &[
                    &[("d", "M4 9h4l5-4v14l-5-4H4z")],
                    &[
                        ("class", "waves"),
                        ("d", "M16 8a5 5 0 0 1 0 8M18.5 5.5a8.5 8.5 0 0 1 0 13"),
                        ("fill", "none"),
                        ("stroke", "currentColor"),
                        ("stroke-width", "2"),
                    ],
                ],
            );
            model.effect(move |m| {
                let on = m.sound.get();
                dom::hide(&sound, !m.can_speak.get());
                set(&sound, "aria-pressed", dom::flag(on));
                set(
                    &sound,
                    "aria-label",
                    if on { t.sound_off } else { t.sound_on },
                );
            });
        }
        if let Some(end) = child_button(doc, &header, "end", Some(t.end_chat)) {
            follow_hidden(end, &model, move |model| {
                !model.can_end.get() || model.state.get() != ConnState::Open
            });
        }
        if let Some(close) = child_button(doc, &header, "close", Some("×")) {
            set(&close, "aria-label", t.close_chat);
        }
        before_list.push(header);
    }
    if let Some(error) = element(doc, "p", "config-error") {
        set(&error, "role", "alert");
        follow_hidden(error.clone(), &model, move |model| {
            model.config_error.with(String::is_empty)
        });
        follow_text(error.clone(), &model, move |model| model.config_error.get());
        before_list.push(error);
    }
    if let Some(banner) = element(doc, "p", "banner") {
        set(&banner, "role", "status");
        let el = banner.clone();
        model.effect(move |m| {
            let state = m.state.get();
            set(&el, "data-state", state.as_str());
            let text = banner_text(state, t);
            dom::hide(&el, text.is_none());
            el.set_text_content(Some(text.unwrap_or_default()));
        });
        before_list.push(banner);
    }

    if let Some(latest) = dom::button(doc, "latest") {
        follow_hidden(latest.clone(), &model, move |model| {
            model.follow.get() && model.unseen.get() == 0
        });
        follow_text(latest.clone(), &model, move |model| {
            match model.unseen.get() {
                0 => t.latest.to_string(),
                n => format!("{} ({n})", t.new_messages),
            }
        });
        after_list.push(latest);
    }
    if let Some(spoken) = element(doc, "p", "sr-only") {
        set(&spoken, "role", "status");
        set(&spoken, "aria-live", "polite");
        set(&spoken, "aria-atomic", "true");
        follow_text(spoken.clone(), &model, move |model| model.spoken());
        after_list.push(spoken);
    }
    if let Some(typing) = element(doc, "div", "typing") {
        set(&typing, "role", "img");
        set(&typing, "aria-label", t.typing);
        for _ in 0..3 {
            child(doc, &typing, "span");
        }
        follow_hidden(typing.clone(), &model, move |model| !model.typing.get());
        after_list.push(typing);
    }
    if let Some(acting) = element(doc, "div", "acting") {
        set(&acting, "role", "status");
        if let Some(span) = child(doc, &acting, "span") {
            dom::text(doc, &span, t.acting);
        }
        child_button(doc, &acting, "stop", Some(t.stop));
        follow_hidden(acting.clone(), &model, move |model| !model.acting.get());
        after_list.push(acting);
    }

    before_composer.extend(lead_slot(doc, &model, t));
    if let Some(ended) = element(doc, "div", "ended") {
        child_button(doc, &ended, "new-chat", Some(t.new_chat));
        follow_hidden(ended.clone(), &model, move |model| {
            model.state.get() != ConnState::Ended
        });
        before_composer.push(ended);
    }
    if let Some(notice) = element(doc, "div", "notice") {
        set(&notice, "role", "alert");
        if let Some(span) = child(doc, &notice, "span") {
            follow_text(span, &model, move |model| model.notice.get());
        }
        if let Some(dismiss) = child_button(doc, &notice, "dismiss", Some("×")) {
            set(&dismiss, "aria-label", t.dismiss);
        }
        follow_hidden(notice.clone(), &model, move |model| {
            model.notice.with(String::is_empty)
        });
        before_composer.push(notice);
    }
    Parts {
        launcher,
        before_list,
        after_list,
        before_composer,
    }
}
