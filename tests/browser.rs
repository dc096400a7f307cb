//! Browser unit tests of the drivers and the mounted widget, in headless Chromium
//! (`wasm-bindgen-test`; `make test` runs them against the devserver on :18080).
#![cfg(target_arch = "wasm32")]

use confab::browser::socket::{SocketDriver, SocketEvent};
use confab::browser::storage::Store;
use confab::browser::{self};
use confab::clock::{offset_label, utc_stamp};
use confab::config::StorageKind;
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SERVER_WS: &str = "ws://127.0.0.1:18080";

async fn until<F: Fn() -> bool>(what: &str, ok: F) {
    for _ in 0..100 {
        if ok() {
            return;
        }
        TimeoutFuture::new(50).await;
    }
    panic!("timed out waiting for {what}");
}

#[wasm_bindgen_test]
fn local_storage_round_trips_and_removes() {
    let store = Store::open(StorageKind::Local);
    assert!(store.is_persistent());
    store.set("confab:test:k", Some("v1"));
    assert_eq!(store.get("confab:test:k").as_deref(), Some("v1"));
    let raw = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("confab:test:k").ok().flatten());
    assert_eq!(raw.as_deref(), Some("v1"), "really in localStorage");
    store.set("confab:test:k", None);
    assert_eq!(store.get("confab:test:k"), None);
}

#[wasm_bindgen_test]
fn session_storage_is_used_when_asked() {
    let store = Store::open(StorageKind::Session);
    store.set("confab:test:s", Some("x"));
    let raw = web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .and_then(|s| s.get_item("confab:test:s").ok().flatten());
    assert_eq!(raw.as_deref(), Some("x"));
    store.set("confab:test:s", None);
}

#[wasm_bindgen_test]
fn storage_none_keeps_values_in_memory_only() {
    let store = Store::open(StorageKind::None);
    assert!(!store.is_persistent());
    store.set("confab:test:m", Some("mem"));
    assert_eq!(store.get("confab:test:m").as_deref(), Some("mem"));
    let raw = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item("confab:test:m").ok().flatten());
    assert_eq!(raw, None);
}

#[wasm_bindgen_test]
fn a_full_storage_falls_back_to_memory_without_losing_the_value() {
    let store = Store::open(StorageKind::Local);
    // Far over Chromium's per-origin quota: the write throws QuotaExceededError.
    let huge = "x".repeat(12 * 1024 * 1024);
    store.set("confab:test:huge", Some(&huge));
    assert_eq!(
        store.get("confab:test:huge").map(|v| v.len()),
        Some(huge.len())
    );
    store.set("confab:test:huge", None);
    assert_eq!(store.get("confab:test:huge"), None);
}

#[wasm_bindgen_test]
fn the_stamp_and_zone_equal_what_the_vendor_browser_client_computes() {
    let now = browser::now();
    let date = js_sys::Date::new(&JsValue::from_f64(now.utc_ms as f64));
    let iso: String = date.to_iso_string().into();
    assert_eq!(utc_stamp(now.utc_ms), iso[..19]);
    let offset = -(date.get_timezone_offset() as i32);
    assert_eq!(now.offset_min, offset);
    let sign = if offset >= 0 { '+' } else { '-' };
    assert_eq!(
        offset_label(offset),
        format!("{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60)
    );
    for ms in [
        0.0,
        951_782_400_000.0,
        1_772_953_195_000.0,
        2_147_483_647_000.0,
        4_102_444_799_999.0,
    ] {
        let iso: String = js_sys::Date::new(&JsValue::from_f64(ms))
            .to_iso_string()
            .into();
        assert_eq!(utc_stamp(ms as i64), iso[..19], "at {ms}");
        // The local day the view files a message under is the browser's own.
        let date = js_sys::Date::new(&JsValue::from_f64(ms));
        let offset = -(date.get_timezone_offset() as i32);
        let day = date.get_full_year() * 10_000 + (date.get_month() + 1) * 100 + date.get_date();
        assert_eq!(
            confab::clock::local_day_key(ms as i64, offset),
            day,
            "at {ms}"
        );
    }
}

#[wasm_bindgen_test]
async fn the_socket_driver_talks_to_the_plura_emulator() {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let driver = SocketDriver::default();
    driver.connect(
        &format!("{SERVER_WS}/plura/webchat/flow/browser-test/session/null/r/true"),
        Rc::new(move |e| sink.borrow_mut().push(e)),
    );
    until("open and the session frame", || {
        events
            .borrow()
            .iter()
            .any(|e| matches!(e, SocketEvent::Text(t) if t.contains("\"session_id\"")))
    })
    .await;
    assert_eq!(events.borrow()[0], SocketEvent::Open);
    assert!(driver.send(r#"{"message":"from the driver","type":"message"}"#));
    until("the recv", || {
        events.borrow().iter().any(|e| matches!(e, SocketEvent::Text(t) if t.contains("\"recv\"") && t.contains("from the driver")))
    })
    .await;
    let before = events.borrow().len();
    driver.close();
    assert!(!driver.is_connected());
    assert!(!driver.send("late"));
    TimeoutFuture::new(300).await;
    assert!(
        !events.borrow()[before..]
            .iter()
            .any(|e| matches!(e, SocketEvent::Closed(_))),
        "a close we asked for is not reported"
    );
}

#[wasm_bindgen_test]
async fn a_refused_handshake_is_reported_as_1006() {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let driver = SocketDriver::default();
    driver.connect(
        "ws://127.0.0.1:9/nothing-listens-here",
        Rc::new(move |e| sink.borrow_mut().push(e)),
    );
    until("the close", || !events.borrow().is_empty()).await;
    assert_eq!(events.borrow()[0], SocketEvent::Closed(1006));

    let events2 = Rc::new(RefCell::new(Vec::new()));
    let sink2 = events2.clone();
    driver.connect("not a url", Rc::new(move |e| sink2.borrow_mut().push(e)));
    until("the close of a bad URL", || !events2.borrow().is_empty()).await;
    assert_eq!(events2.borrow()[0], SocketEvent::Closed(1006));
}

fn attrs(pairs: &[(&str, &str)]) -> JsValue {
    let list = js_sys::Array::new();
    for (k, v) in pairs {
        list.push(&js_sys::Array::of2(
            &JsValue::from_str(k),
            &JsValue::from_str(v),
        ));
    }
    list.into()
}

fn shadow_of_last_widget() -> web_sys::ShadowRoot {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let hosts = doc.query_selector_all("confab-widget").expect("query");
    let host: web_sys::Element = hosts
        .item(hosts.length() - 1)
        .expect("a host")
        .unchecked_into();
    host.shadow_root().expect("an open shadow root")
}

#[wasm_bindgen_test]
async fn the_widget_mounts_in_an_open_shadow_root_with_an_adopted_stylesheet() {
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let s = seen.clone();
    let emit = Closure::<dyn FnMut(String, JsValue)>::new(move |name: String, _detail: JsValue| {
        s.borrow_mut().push(name)
    });
    let widget = confab::widget::boot(
        attrs(&[
            ("data-provider", "plura"),
            ("data-flow-id", "mount-test"),
            ("data-storage", "none"),
            ("data-api-url", "http://127.0.0.1:18080/plura"),
        ]),
        emit.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    )
    .expect("boot");
    leptos::task::tick().await;
    let shadow = shadow_of_last_widget();
    let sheets = js_sys::Reflect::get(&shadow, &"adoptedStyleSheets".into()).expect("sheets");
    assert_eq!(js_sys::Array::from(&sheets).length(), 1);
    assert!(
        shadow.query_selector("style").expect("q").is_none(),
        "no <style> element"
    );
    let launcher: web_sys::HtmlElement = shadow
        .query_selector("button.launcher")
        .expect("q")
        .expect("launcher")
        .unchecked_into();
    let panel = shadow.query_selector(".panel").expect("q").expect("panel");
    assert!(panel.has_attribute("hidden"));
    launcher.click();
    leptos::task::tick().await;
    assert!(!panel.has_attribute("hidden"));
    assert!(seen.borrow().contains(&"ready".to_string()));
    assert!(seen.borrow().contains(&"open".to_string()));
    until("the socket to open", || widget.state() == "open").await;
    let title = shadow.query_selector(".title").expect("q").expect("title");
    until("the owner name", || {
        title.text_content().unwrap_or_default() == "Ada at Acme"
    })
    .await;
    widget.destroy();
    assert_eq!(
        widget.live_handles(),
        0,
        "no timer, listener or socket left after destroy"
    );
    assert_eq!(widget.state(), "idle");
    drop(emit);
}

#[wasm_bindgen_test]
async fn a_configuration_error_is_shown_in_the_panel() {
    let emit = Closure::<dyn FnMut(String, JsValue)>::new(|_: String, _: JsValue| {});
    let widget = confab::widget::boot(
        attrs(&[("data-provider", "plura")]),
        emit.as_ref().unchecked_ref::<js_sys::Function>().clone(),
    )
    .expect("boot");
    leptos::task::tick().await;
    let shadow = shadow_of_last_widget();
    let error = shadow
        .query_selector(".config-error")
        .expect("q")
        .expect("config error");
    assert!(error
        .text_content()
        .unwrap_or_default()
        .contains("data-flow-id: is required"));
    assert_eq!(widget.state(), "failed");
    widget.destroy();
    drop(emit);
}

mod streams {
    use super::*;
    use confab::browser::stream::{StreamReport, Streams};

    const SERVER: &str = "http://127.0.0.1:18080";

    type Seen = Rc<RefCell<Vec<StreamReport>>>;

    fn collector() -> (Seen, Rc<dyn Fn(StreamReport)>) {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let sink = seen.clone();
        (seen, Rc::new(move |r| sink.borrow_mut().push(r)))
    }

    fn ended(seen: &Seen) -> bool {
        seen.borrow()
            .iter()
            .any(|r| matches!(r, StreamReport::Ended(_)))
    }

    #[wasm_bindgen_test]
    async fn fetch_reads_an_event_stream_chunk_by_chunk_with_a_bearer_header() {
        let (seen, sink) = collector();
        let streams = Streams::default();
        streams.fetch(
            1,
            format!(
                "{SERVER}/plati/conversation/browser-test/streaming?channel_id=c&message=hello"
            ),
            Some("dev-key".into()),
            sink,
        );
        until("the end of the stream", || ended(&seen)).await;
        let seen = seen.borrow();
        assert_eq!(seen[0], StreamReport::Opened(200));
        assert_eq!(*seen.last().expect("reports"), StreamReport::Ended(None));
        let bytes: Vec<u8> = seen
            .iter()
            .filter_map(|r| {
                if let StreamReport::Chunk(b) = r {
                    Some(b.clone())
                } else {
                    None
                }
            })
            .flatten()
            .collect();
        let body = String::from_utf8(bytes).expect("utf-8");
        let events: Vec<serde_json::Value> = body
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).expect("JSON data"))
            .collect();
        assert!(events.len() >= 2, "{body}");
        assert_eq!(
            events
                .last()
                .and_then(|e| e.get("type"))
                .and_then(|t| t.as_str()),
            Some("complete")
        );
        assert!(streams.is_empty());
    }

    #[wasm_bindgen_test]
    async fn fetch_reports_a_401_status() {
        let (seen, sink) = collector();
        let streams = Streams::default();
        streams.fetch(
            2,
            format!("{SERVER}/plati/conversation/x/streaming?channel_id=c&message=m"),
            Some("wrong".into()),
            sink,
        );
        until("the status", || !seen.borrow().is_empty()).await;
        assert_eq!(seen.borrow()[0], StreamReport::Opened(401));
        streams.abort(2);
    }

    #[wasm_bindgen_test]
    async fn event_source_reports_each_event_and_an_abort_silences_it() {
        let (seen, sink) = collector();
        let streams = Streams::default();
        streams.event_source(3, &format!("{SERVER}/plati-proxy/conversation/browser-test/streaming?channel_id=c&message=hello"), sink);
        until("the complete event", || {
            seen.borrow()
                .iter()
                .any(|r| matches!(r, StreamReport::Event(d) if d.contains("complete")))
        })
        .await;
        assert_eq!(seen.borrow()[0], StreamReport::Opened(200));
        assert!(seen
            .borrow()
            .iter()
            .any(|r| matches!(r, StreamReport::Event(d) if d.contains(r#""type":"token""#))));
        streams.abort(3);
        let count = seen.borrow().len();
        TimeoutFuture::new(500).await;
        assert_eq!(
            seen.borrow().len(),
            count,
            "nothing is reported after abort"
        );
        assert!(streams.is_empty());
    }

    #[wasm_bindgen_test]
    async fn event_source_reports_a_failure_once_and_does_not_reconnect() {
        let (seen, sink) = collector();
        let streams = Streams::default();
        streams.event_source(
            4,
            &format!("{SERVER}/plati/conversation/x/streaming?channel_id=c&message=m"),
            sink,
        );
        until("the failure", || ended(&seen)).await;
        TimeoutFuture::new(3500).await;
        assert_eq!(
            seen.borrow()
                .iter()
                .filter(|r| matches!(r, StreamReport::Ended(_)))
                .count(),
            1
        );
        assert!(streams.is_empty());
    }
}

#[wasm_bindgen_test]
async fn boot_into_takes_over_the_host_and_launcher_the_loader_drew() {
    let document = web_sys::window()
        .expect("window")
        .document()
        .expect("document");
    let host = document.create_element("confab-widget").expect("host");
    let shadow = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .expect("shadow");
    let placeholder = document.create_element("button").expect("button");
    placeholder.set_class_name("launcher placeholder");
    shadow.append_child(&placeholder).expect("append");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append host");
    let emit = Closure::<dyn FnMut(String, JsValue)>::new(|_: String, _: JsValue| {});
    let widget = confab::widget::boot_into(
        attrs(&[
            ("data-provider", "plura"),
            ("data-flow-id", "boot-into-test"),
            ("data-storage", "none"),
            ("data-api-url", "http://127.0.0.1:18080/plura"),
        ]),
        emit.as_ref().unchecked_ref::<js_sys::Function>().clone(),
        host.clone(),
    )
    .expect("boot");
    // At once, before any effect has run: the loader moves focus to the launcher right after.
    assert!(
        shadow.query_selector(".placeholder").expect("q").is_none(),
        "the placeholder is gone"
    );
    assert_eq!(
        shadow
            .query_selector_all("button.launcher")
            .expect("q")
            .length(),
        1,
        "the widget's launcher is there as soon as boot returns"
    );
    let label = shadow
        .query_selector("button.launcher")
        .expect("q")
        .and_then(|l| l.get_attribute("aria-label"));
    assert_eq!(label.as_deref(), Some("Open chat"), "and labelled");
    leptos::task::tick().await;
    let sheets = js_sys::Reflect::get(&shadow, &"adoptedStyleSheets".into()).expect("sheets");
    assert_eq!(js_sys::Array::from(&sheets).length(), 1);
    assert!(host.is_connected());
    widget.destroy();
    assert!(
        !host.is_connected(),
        "destroy removes the host it was given"
    );
    drop(emit);
}

/// A long conversation keeps only the rows in its window: a row that scrolls out is freed with
/// its DOM nodes, and clearing the conversation gives all of its memory back. (Leptos keeps an
/// entry for each effect that read a signal until that effect runs again; rows that read
/// long-lived signals, or hold their own owner, used to stay for good.)
/// The widget's view alone, mounted in a fresh element, open, with no engine behind it.
fn mount_list(
    title: &str,
) -> (
    web_sys::HtmlElement,
    confab::ui::ViewModel,
    Box<dyn std::any::Any>,
) {
    use confab::ui::{self, Layout, ViewModel};
    let document = web_sys::window()
        .expect("window")
        .document()
        .expect("document");
    let host: web_sys::HtmlElement = document
        .create_element("div")
        .expect("div")
        .unchecked_into();
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    let model = ViewModel::new(title);
    let layout = Layout {
        left: false,
        fullscreen: false,
        show_launcher: true,
        theme: "light",
        lang: "en",
        rtl: false,
        t: confab::i18n::Lang::En.strings(),
    };
    let act: ui::Actions = Rc::new(|_| {});
    let mounted = ui::mount(host.clone(), model.clone(), layout, act);
    model.open.set(true);
    (host, model, mounted)
}

/// Message `m{i}`: the visitor's when `i` is even, the agent's when odd.
fn message(i: usize, at: i64) -> confab::ui::MessageView {
    use confab::engine::{Delivery, Direction};
    use confab::ui::Sig;
    confab::ui::MessageView {
        id: format!("m{i}"),
        direction: if i % 2 == 1 {
            Direction::In
        } else {
            Direction::Out
        },
        text: Sig::new(format!("message **{i}**")),
        status: Sig::new(Delivery::Received),
        extras: Sig::new(confab::ui::Extras {
            attachments: Vec::new(),
            suggestions: vec!["Yes".into()],
        }),
        last: Sig::new(false),
        error: false,
        seq: 0,
        at,
        day_key: 0,
        day: None,
    }
}

#[wasm_bindgen_test]
async fn rows_leaving_the_window_are_freed_and_a_clear_gives_the_memory_back() {
    use confab::ui;

    let (host, model, mounted) = mount_list("Rows");
    let at = js_sys::Date::now() as i64;
    let mut next = 0;
    // Each message drawn on its own turn, as a chat does: the window moves one row at a time.
    let mut push = |count: usize| {
        let from = next;
        next += count;
        let model = model.clone();
        async move {
            for i in from..from + count {
                model.push(message(i, at), at);
                leptos::task::tick().await;
            }
        }
    };
    let rows = || {
        host.query_selector_all("li.message")
            .expect("rows")
            .length()
    };
    let heap = confab::browser::heap::live_bytes;

    push(100).await;
    let held = wasm_bindgen::externref_heap_live_count();
    assert_eq!(rows(), ui::WINDOW as u32, "only the window is drawn");
    let start = heap();
    push(600).await;
    // What a kept message costs: its text and signals (about 600 bytes here). A row drawn and
    // dropped used to leave about 900 more in them.
    let each = heap().saturating_sub(start) / 600;
    assert!(each < 1000, "each message kept {each} bytes");
    assert_eq!(rows(), ui::WINDOW as u32);
    let grown = wasm_bindgen::externref_heap_live_count().saturating_sub(held);
    assert!(
        grown < 20,
        "rows that left the window still hold {grown} DOM objects"
    );
    // Only the newest message offers its suggestions.
    let offered = host
        .query_selector_all(".chips:not([hidden])")
        .expect("chips")
        .length();
    assert_eq!(offered, 1);

    model.clear();
    push(1).await;
    let before = heap();
    push(600).await;
    model.clear();
    push(1).await;
    let kept = heap().saturating_sub(before);
    assert!(
        kept < 16 * 1024,
        "600 messages left {kept} bytes behind after a clear"
    );
    drop(mounted);
    host.remove();
}

#[wasm_bindgen_test]
async fn rows_added_above_and_below_the_window_keep_order_and_kept_rows_stay_the_same_nodes() {
    use confab::ui;

    let (host, model, mounted) = mount_list("Order");
    let at = js_sys::Date::now() as i64;
    for i in 0..200 {
        model.push(message(i, at), at);
    }
    leptos::task::tick().await;
    let rows = || {
        let list = host.query_selector_all("li.message").expect("rows");
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok())
            .collect::<Vec<_>>()
    };
    let ids = |from: usize, to: usize| (from..to).map(|i| format!("m{i}")).collect::<Vec<_>>();
    let shown = || {
        rows()
            .iter()
            .filter_map(|r| r.get_attribute("data-id"))
            .collect::<Vec<_>>()
    };
    // Marks each row element, to tell a kept row from one drawn again.
    let mark = || {
        for r in rows() {
            let id = r.get_attribute("data-id").unwrap_or_default();
            js_sys::Reflect::set(&r, &"mark".into(), &id.into()).expect("mark");
        }
    };
    let marked = |id: &str| {
        rows().iter().any(|r| {
            r.get_attribute("data-id").as_deref() == Some(id)
                && js_sys::Reflect::get(r, &"mark".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .as_deref()
                    == Some(id)
        })
    };
    let seq_of = |i: usize| model.messages.with_untracked(|l| l[i].seq);
    // Nodes taken out of the list since the last call: a row that leaves counts once, and so
    // would a kept row moved for nothing (a move is a removal and an insertion).
    let list = host.query_selector("ol").expect("query").expect("the list");
    let removed = js_sys::Function::new_with_args(
        "list",
        "let n = 0; const count = (rs) => rs.forEach((r) => { n += r.removedNodes.length; }); \
         const o = new MutationObserver(count); o.observe(list, { childList: true }); \
         return () => { count(o.takeRecords()); const k = n; n = 0; return k; };",
    )
    .call1(&JsValue::NULL, &list)
    .expect("observer")
    .unchecked_into::<js_sys::Function>();
    let removed = || {
        removed
            .call0(&JsValue::NULL)
            .ok()
            .and_then(|n| n.as_f64())
            .unwrap_or(-1.0) as i32
    };
    let w = ui::WINDOW;
    assert_eq!(shown(), ids(200 - w, 200), "the newest window, in order");

    // Older rows come in above the ones kept.
    mark();
    model.span.set((w + 30) as u64);
    leptos::task::tick().await;
    assert_eq!(shown(), ids(200 - w - 30, 200));
    assert!(
        marked("m150") && marked("m199"),
        "kept rows are not drawn again"
    );
    assert_eq!(removed(), 0, "kept rows are not moved");

    // The window moves up: the newest leave below, older ones come in above.
    mark();
    model.follow.set(false);
    model.end_seq.set(seq_of(139));
    leptos::task::tick().await;
    assert_eq!(shown(), ids(140 - w - 30, 140));
    assert!(marked("m110") && marked("m139"));
    assert_eq!(removed(), 60, "only the 60 rows below m139 left");

    // And down again past where it was, then back to the newest.
    mark();
    model.end_seq.set(seq_of(179));
    leptos::task::tick().await;
    assert_eq!(shown(), ids(180 - w - 30, 180));
    assert!(marked("m90") && marked("m139"));
    assert_eq!(removed(), 40);
    model.follow_latest();
    leptos::task::tick().await;
    assert_eq!(shown(), ids(200 - w, 200));
    assert_eq!(removed(), 50);
    assert_eq!(
        host.query_selector_all("ol.messages > li")
            .expect("li")
            .length(),
        w as u32,
        "no row left behind"
    );
    drop(mounted);
    host.remove();
}

/// The view's signal (`ui::Sig`): an effect that read it runs again when it is set or
/// updated, a value read untracked never runs it, and `forget_readers` has a live reader read
/// once more and subscribe anew.
#[wasm_bindgen_test]
async fn a_sig_runs_the_effects_that_read_it_and_only_those() {
    use confab::ui::Sig;
    use std::cell::Cell;

    // Mounting the view sets up Leptos's executor, which effects need.
    let (host, _model, mounted) = mount_list("Signals");
    let tracked = Sig::new(1u32);
    let untracked = Sig::new(String::from("a"));
    let runs = Rc::new(Cell::new(0u32));
    let seen = Rc::new(Cell::new((0u32, 0usize)));
    {
        let (tracked, untracked) = (tracked.clone(), untracked.clone());
        let (runs, seen) = (runs.clone(), seen.clone());
        leptos::prelude::Effect::new(move |_| {
            runs.set(runs.get() + 1);
            seen.set((tracked.get(), untracked.with_untracked(String::len)));
        });
    }
    leptos::task::tick().await;
    assert_eq!((runs.get(), seen.get()), (1, (1, 1)));

    tracked.set(2);
    leptos::task::tick().await;
    assert_eq!((runs.get(), seen.get()), (2, (2, 1)));

    untracked.set("abc".into());
    leptos::task::tick().await;
    assert_eq!(
        runs.get(),
        2,
        "a value read untracked does not run the effect"
    );
    assert_eq!(untracked.get_untracked(), "abc");

    // `update` hands back what its closure returns, and notifies once.
    let doubled = tracked.update(|n| {
        *n *= 2;
        *n
    });
    assert_eq!(doubled, 4);
    leptos::task::tick().await;
    assert_eq!((runs.get(), seen.get()), (3, (4, 3)));

    // The reader still alive runs once more and reads again, so it is still subscribed.
    tracked.forget_readers();
    leptos::task::tick().await;
    assert_eq!(runs.get(), 4);
    tracked.set(5);
    leptos::task::tick().await;
    assert_eq!((runs.get(), seen.get()), (5, (5, 3)));

    // Equality is identity: a clone is the same signal, an equal value is not.
    assert!(tracked == tracked.clone());
    assert!(tracked != Sig::new(5u32));
    drop(mounted);
    host.remove();
}
