//! Native tests of the sans-IO engine with the Plura codec and a fake clock.
use confab::clock::Now;
use confab::engine::*;
use confab::keyed::Fields;
use confab::protocol::plura::Plura;
use std::collections::BTreeMap;

const FLOW: &str = "87f66d6d-dba9-4a44-9274-02c6927a083a";
const PREFIX: &str = "confab:plura:87f66d6d-dba9-4a44-9274-02c6927a083a";
const T0: i64 = 1_762_466_342_000; // 2025-11-06T21:59:02Z

/// A fake browser: a clock, timers, storage, and a record of what went on the wire.
struct Rig {
    engine: Engine,
    now: i64,
    offset_min: i32,
    timers: BTreeMap<Timer, i64>,
    storage: BTreeMap<String, String>,
    sent: Vec<String>,
    connects: Vec<String>,
    http: Vec<String>,
    last_http: u32,
    ui: Vec<UiEvent>,
    closes: usize,
}

impl Rig {
    fn new(lead: &[(&str, &str)]) -> Rig {
        let lead = lead
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let codec = Plura::new("http://api.test/plura", "ws://api.test/plura", FLOW);
        Rig {
            engine: Engine::new(Box::new(codec), PREFIX, lead),
            now: T0,
            offset_min: 240,
            timers: BTreeMap::new(),
            storage: BTreeMap::new(),
            sent: Vec::new(),
            connects: Vec::new(),
            http: Vec::new(),
            last_http: 0,
            ui: Vec::new(),
            closes: 0,
        }
    }

    fn feed(&mut self, input: Input) -> Vec<Output> {
        let outs = self.engine.handle(
            Now {
                utc_ms: self.now,
                offset_min: self.offset_min,
            },
            input,
        );
        for o in &outs {
            match o {
                Output::Connect(url) => self.connects.push(url.clone()),
                Output::Close => self.closes += 1,
                Output::Send(f) => self.sent.push(f.clone()),
                Output::StartTimer(t, ms) => {
                    self.timers.insert(*t, self.now + *ms as i64);
                }
                Output::CancelTimer(t) => {
                    self.timers.remove(t);
                }
                Output::Persist {
                    key,
                    value: Some(v),
                } => {
                    self.storage.insert(key.clone(), v.clone());
                }
                Output::PersistSession { key, value } => {
                    let merged = confab::engine::merge_session(
                        self.storage.get(key).map(|v| v.as_str()),
                        value,
                    );
                    self.storage.insert(key.clone(), merged);
                }
                Output::Persist { key, value: None } => {
                    self.storage.remove(key);
                }
                Output::Http { id, request: r, .. } => {
                    self.last_http = *id;
                    self.http.push(format!(
                        "{} {} {}",
                        r.method,
                        r.url,
                        r.body.clone().unwrap_or_default()
                    ))
                }
                Output::Abort(_) | Output::RunActions(_) => {}
                Output::Ui(e) => self.ui.push(e.clone()),
                Output::Log(..) => {}
            }
        }
        outs
    }

    fn start(&mut self) {
        let stored = self.storage.clone().into_iter().collect();
        self.feed(Input::Start { stored, seed: 42 });
    }

    /// Lets `ms` pass, firing due timers in deadline order.
    fn advance(&mut self, ms: i64) {
        let end = self.now + ms;
        loop {
            let due = self
                .timers
                .iter()
                .filter(|(_, at)| **at <= end)
                .min_by_key(|(_, at)| **at)
                .map(|(t, at)| (*t, *at));
            match due {
                Some((t, at)) => {
                    self.now = self.now.max(at);
                    self.timers.remove(&t);
                    self.feed(Input::TimerFired(t));
                }
                None => break,
            }
        }
        self.now = end;
    }

    fn frame(&mut self, json: &str) {
        self.feed(Input::Frame(json.to_string()));
    }

    fn open_socket(&mut self) {
        self.feed(Input::SocketOpened);
    }

    fn heartbeats(&self) -> Vec<&String> {
        self.sent
            .iter()
            .filter(|f| f.contains(r#""type":"heartbeat""#))
            .collect()
    }

    fn messages_sent(&self) -> Vec<&String> {
        self.sent
            .iter()
            .filter(|f| f.contains(r#""type":"message""#))
            .collect()
    }

    fn last_state(&self) -> Option<ConnState> {
        self.ui.iter().rev().find_map(|e| match e {
            UiEvent::State(s) => Some(*s),
            _ => None,
        })
    }

    fn status_of(&self, id: &str) -> Option<Delivery> {
        self.ui.iter().rev().find_map(|e| match e {
            UiEvent::Status { id: i, status } if i == id => Some(*status),
            UiEvent::Added { entry, .. } if entry.id == id => Some(entry.status),
            _ => None,
        })
    }

    fn added_out_ids(&self) -> Vec<String> {
        self.ui
            .iter()
            .filter_map(|e| match e {
                UiEvent::Added { entry, .. } if entry.direction == Direction::Out => {
                    Some(entry.id.clone())
                }
                _ => None,
            })
            .collect()
    }
}

fn anon_url() -> String {
    format!("ws://api.test/plura/webchat/flow/{FLOW}/session/null/r/true")
}

fn connected() -> Rig {
    let mut rig = Rig::new(&[]);
    rig.start();
    rig.feed(Input::Panel(true));
    rig.open_socket();
    rig.frame(r#"{"type":"session","id":"a","session_id":"webchat-session.s1"}"#);
    rig
}

#[test]
fn a_new_visitor_connects_only_when_the_panel_opens() {
    let mut rig = Rig::new(&[]);
    rig.start();
    assert!(rig.connects.is_empty());
    assert_eq!(rig.engine.state(), ConnState::Idle);
    rig.feed(Input::Panel(true));
    assert_eq!(rig.connects, vec![anon_url()]);
    assert_eq!(rig.engine.state(), ConnState::Connecting);
    rig.open_socket();
    assert_eq!(rig.engine.state(), ConnState::Open);
}

#[test]
fn heartbeat_first_15s_after_open_then_every_15s_stamped_with_the_instant() {
    let mut rig = connected();
    rig.advance(14_999);
    assert!(rig.heartbeats().is_empty(), "no heartbeat before 15 s");
    rig.advance(1);
    assert_eq!(
        rig.heartbeats(),
        vec![r#"{"message":{"stamp":"2025-11-06T21:59:17","tz":"+04:00"},"type":"heartbeat"}"#]
    );
    rig.advance(15_000 * 3);
    let hb = rig.heartbeats();
    assert_eq!(hb.len(), 4);
    assert!(
        hb[1].contains("21:59:32") && hb[2].contains("21:59:47") && hb[3].contains("22:00:02"),
        "{hb:?}"
    );
}

#[test]
fn heartbeats_stop_when_the_socket_closes_and_restart_15s_after_the_next_open() {
    let mut rig = connected();
    rig.advance(20_000);
    assert_eq!(rig.heartbeats().len(), 1);
    rig.feed(Input::SocketClosed { code: 1006 });
    assert!(!rig.timers.contains_key(&Timer::Heartbeat));
    let reconnect_at = rig.timers[&Timer::Reconnect];
    rig.advance(reconnect_at - rig.now);
    assert_eq!(rig.connects.len(), 2);
    rig.open_socket();
    let opened = rig.now;
    rig.advance(15_000);
    assert_eq!(rig.heartbeats().len(), 2);
    assert_eq!(rig.timers[&Timer::Heartbeat], opened + 30_000);
}

#[test]
fn the_session_id_is_persisted_and_used_on_the_next_load() {
    let rig = connected();
    let stored = rig.storage[&format!("{PREFIX}:session")].clone();
    assert!(stored.contains("webchat-session.s1"), "{stored}");

    let mut reload = Rig::new(&[]);
    reload.storage = rig.storage.clone();
    reload.start();
    assert_eq!(
        reload.connects,
        vec![format!(
            "ws://api.test/plura/webchat/flow/{FLOW}/session/webchat-session.s1/r/true"
        )],
        "a returning visitor reconnects at once, to the same session"
    );
}

#[test]
fn the_server_session_id_replaces_ours_when_it_differs() {
    let mut rig = connected();
    rig.frame(r#"{"type":"session","session_id":"webchat-session.s2"}"#);
    assert_eq!(
        rig.engine.session().map(|s| s.id.as_str()),
        Some("webchat-session.s2")
    );
    assert!(rig.storage[&format!("{PREFIX}:session")].contains("s2"));
}

#[test]
fn the_transcript_comes_back_after_a_reload_without_duplicates() {
    let mut rig = connected();
    rig.frame(r#"{"type":"chatowner","name":"Flow Tester","profilepic":"https://x/p.png"}"#);
    rig.frame(r#"{"type":"message","id":"m1","name":"Assistant","profilepic":"","content":"Hi!"}"#);
    rig.feed(Input::UserSend("hello".into()));
    rig.frame(r#"{"type":"recv","id":"r1","name":"Anonymous","profilepic":"","content":"hello"}"#);

    let mut reload = Rig::new(&[]);
    reload.storage = rig.storage.clone();
    reload.start();
    let restored: Vec<(String, Delivery, bool)> = reload
        .ui
        .iter()
        .filter_map(|e| match e {
            UiEvent::Added { entry, restored } => {
                Some((entry.text.clone(), entry.status, *restored))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        restored,
        vec![
            ("Hi!".into(), Delivery::Received, true),
            ("hello".into(), Delivery::Delivered, true)
        ]
    );
    assert!(reload.ui.contains(&UiEvent::Agent {
        name: Some("Flow Tester".into()),
        avatar: Some("https://x/p.png".into())
    }));
    // The server greets again on resume with the same id: shown once.
    reload.open_socket();
    reload.frame(
        r#"{"type":"message","id":"m1","name":"Assistant","profilepic":"","content":"Hi!"}"#,
    );
    assert_eq!(reload.engine.transcript().len(), 2);
}

#[test]
fn messages_typed_while_down_wait_in_order_and_are_delivered_once() {
    let mut rig = connected();
    rig.feed(Input::SocketClosed { code: 1006 });
    rig.feed(Input::UserSend("first".into()));
    rig.feed(Input::UserSend("second".into()));
    assert!(rig.messages_sent().is_empty());
    let ids = rig.added_out_ids();
    assert_eq!(rig.status_of(&ids[0]), Some(Delivery::Pending));
    assert!(
        rig.storage[&format!("{PREFIX}:outbox")].contains("second"),
        "the outbox is persisted"
    );

    let at = rig.timers[&Timer::Reconnect];
    rig.advance(at - rig.now);
    rig.open_socket();
    assert_eq!(
        rig.messages_sent(),
        vec![
            r#"{"message":"first","type":"message"}"#,
            r#"{"message":"second","type":"message"}"#
        ]
    );
    assert_eq!(rig.status_of(&ids[0]), Some(Delivery::Sent));
    rig.frame(r#"{"type":"recv","id":"r","name":"Anonymous","profilepic":"","content":"first"}"#);
    rig.frame(r#"{"type":"recv","id":"r","name":"Anonymous","profilepic":"","content":"second"}"#);
    assert_eq!(rig.status_of(&ids[0]), Some(Delivery::Delivered));
    assert_eq!(rig.status_of(&ids[1]), Some(Delivery::Delivered));
    assert!(
        !rig.storage.contains_key(&format!("{PREFIX}:outbox")),
        "nothing owed any more"
    );
    // Another reconnect sends nothing again.
    rig.feed(Input::SocketClosed { code: 1006 });
    let at = rig.timers[&Timer::Reconnect];
    rig.advance(at - rig.now);
    rig.open_socket();
    assert_eq!(rig.messages_sent().len(), 2);
}

#[test]
fn a_receipt_marks_the_oldest_waiting_message_with_equal_text() {
    let mut rig = connected();
    rig.feed(Input::UserSend("ok".into()));
    rig.feed(Input::UserSend("ok".into()));
    let ids = rig.added_out_ids();
    rig.frame(r#"{"type":"recv","content":"ok"}"#);
    assert_eq!(rig.status_of(&ids[0]), Some(Delivery::Delivered));
    assert_eq!(rig.status_of(&ids[1]), Some(Delivery::Sent));
}

#[test]
fn unacknowledged_messages_are_sent_again_after_a_drop() {
    let mut rig = connected();
    rig.feed(Input::UserSend("lost?".into()));
    let id = rig.added_out_ids()[0].clone();
    rig.feed(Input::SocketClosed { code: 1006 });
    assert_eq!(rig.status_of(&id), Some(Delivery::Pending));
    let at = rig.timers[&Timer::Reconnect];
    rig.advance(at - rig.now);
    rig.open_socket();
    assert_eq!(rig.messages_sent().len(), 2);
    rig.frame(r#"{"type":"recv","content":"lost?"}"#);
    assert_eq!(rig.status_of(&id), Some(Delivery::Delivered));
}

#[test]
fn an_outbox_left_by_a_previous_page_is_flushed_on_the_next_load() {
    let mut rig = connected();
    rig.feed(Input::SocketClosed { code: 1006 });
    rig.feed(Input::UserSend("typed before reload".into()));
    let mut reload = Rig::new(&[]);
    reload.storage = rig.storage.clone();
    reload.start();
    assert_eq!(reload.connects.len(), 1);
    reload.open_socket();
    assert_eq!(
        reload.messages_sent(),
        vec![r#"{"message":"typed before reload","type":"message"}"#]
    );
    assert_eq!(
        reload
            .engine
            .transcript()
            .iter()
            .filter(|e| e.text == "typed before reload")
            .count(),
        1
    );
}

#[test]
fn backoff_grows_from_1s_to_a_30s_cap_with_bounded_jitter() {
    for attempt in 0..12 {
        let full = (1000u64 << attempt).min(30_000);
        for unit in [0.0, 0.3, 0.999_999] {
            let d = backoff_delay_ms(attempt, unit);
            assert!(
                d <= full && d >= full * 3 / 4,
                "attempt {attempt}: {d} outside [{}, {full}]",
                full * 3 / 4
            );
        }
    }
    assert_eq!(backoff_delay_ms(0, 0.0), 1000);
    assert_eq!(backoff_delay_ms(40, 0.0), 30_000);
    assert_eq!(backoff_delay_ms(u32::MAX, f64::NAN), 30_000);
}

#[test]
fn repeated_failures_back_off_and_a_stable_link_resets_the_counter() {
    let mut rig = connected();
    let mut delays = Vec::new();
    for _ in 0..7 {
        rig.feed(Input::SocketClosed { code: 1006 });
        let at = rig.timers[&Timer::Reconnect];
        delays.push(at - rig.now);
        rig.advance(at - rig.now);
        assert_eq!(rig.last_state(), Some(ConnState::Reconnecting));
    }
    let bounds = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
    for (d, full) in delays.iter().zip(bounds) {
        assert!(*d <= full && *d >= full * 3 / 4, "{delays:?}");
    }
    // Open briefly: not stable, so backoff keeps growing.
    rig.open_socket();
    rig.advance(2_000);
    rig.feed(Input::SocketClosed { code: 1006 });
    assert!(rig.timers[&Timer::Reconnect] - rig.now >= 22_500);
    let at = rig.timers[&Timer::Reconnect];
    rig.advance(at - rig.now);
    // Open for longer than STABLE_OPEN_MS: the next drop starts again from 1 s.
    rig.open_socket();
    rig.advance(STABLE_OPEN_MS as i64);
    rig.feed(Input::SocketClosed { code: 1006 });
    assert!(rig.timers[&Timer::Reconnect] - rig.now <= 1000);
}

#[test]
fn any_close_we_did_not_ask_for_reconnects_even_a_normal_one() {
    let mut rig = connected();
    rig.feed(Input::SocketClosed { code: 1000 });
    assert!(rig.timers.contains_key(&Timer::Reconnect));
    assert_eq!(rig.engine.state(), ConnState::Reconnecting);
}

#[test]
fn destroy_closes_without_reconnecting_and_leaves_no_timer() {
    let mut rig = connected();
    rig.feed(Input::Destroy);
    assert_eq!(rig.closes, 1);
    assert!(rig.timers.is_empty(), "{:?}", rig.timers);
    rig.feed(Input::SocketClosed { code: 1006 });
    rig.advance(120_000);
    assert_eq!(rig.connects.len(), 1);
    assert!(rig.sent.is_empty());
}

#[test]
fn reset_forgets_everything_and_starts_a_fresh_anonymous_conversation() {
    let mut rig = connected();
    rig.frame(r#"{"type":"message","id":"m1","content":"Hi!"}"#);
    rig.feed(Input::Reset);
    assert_eq!(rig.closes, 1);
    for k in ["session", "transcript", "outbox", "agent"] {
        assert!(
            !rig.storage.contains_key(&format!("{PREFIX}:{k}")),
            "{k} still stored"
        );
    }
    assert!(rig.ui.contains(&UiEvent::Cleared));
    assert_eq!(rig.connects, vec![anon_url(), anon_url()]);
    assert!(!rig.timers.contains_key(&Timer::Reconnect));
}

#[test]
fn offline_pauses_reconnecting_and_online_or_visible_retries_at_once() {
    let mut rig = connected();
    rig.feed(Input::Offline);
    assert_eq!(
        rig.engine.state(),
        ConnState::Open,
        "an open socket is left alone"
    );
    rig.feed(Input::SocketClosed { code: 1006 });
    assert_eq!(rig.engine.state(), ConnState::Offline);
    assert!(!rig.timers.contains_key(&Timer::Reconnect));
    rig.advance(60_000);
    assert_eq!(rig.connects.len(), 1);
    rig.feed(Input::Online);
    assert_eq!(rig.connects.len(), 2, "online reconnects at once");

    rig.feed(Input::SocketClosed { code: 1006 });
    rig.feed(Input::SocketClosed { code: 1006 }); // a stale report changes nothing
    assert!(rig.timers.contains_key(&Timer::Reconnect));
    rig.feed(Input::Visible);
    assert_eq!(rig.connects.len(), 3, "becoming visible retries at once");
    assert!(!rig.timers.contains_key(&Timer::Reconnect));
}

#[test]
fn a_visible_page_catches_up_on_an_overdue_heartbeat() {
    let mut rig = connected();
    // A throttled background tab: the timer did not fire, but time passed.
    rig.now += 40_000;
    rig.feed(Input::Visible);
    assert_eq!(rig.heartbeats().len(), 1);
    assert_eq!(rig.timers[&Timer::Heartbeat], rig.now + 15_000);
}

#[test]
fn after_a_sleep_past_the_deadlines_the_link_is_re_established_at_once() {
    let mut rig = connected();
    let before = rig.connects.len();
    // The laptop slept for ten minutes: no timer fired, the socket still looks open.
    rig.now += 600_000;
    rig.feed(Input::Visible);
    assert_eq!(rig.closes, 1, "the suspect link is closed by us");
    assert_eq!(
        rig.connects.len(),
        before + 1,
        "and a new one opened at once, no backoff"
    );
    assert!(!rig.timers.contains_key(&Timer::Reconnect));
    rig.open_socket();
    assert_eq!(rig.engine.state(), ConnState::Open);
    // A heartbeat timer that fires long after its deadline means the same.
    rig.now += 100_000;
    rig.feed(Input::TimerFired(Timer::Heartbeat));
    assert_eq!(rig.connects.len(), before + 2);
}

#[test]
fn the_back_forward_cache_closes_the_link_and_coming_back_reconnects() {
    let mut rig = connected();
    let before = rig.connects.len();
    rig.feed(Input::Suspend);
    assert_eq!(rig.closes, 1);
    assert!(
        rig.timers.is_empty(),
        "no timer runs in the cache: {:?}",
        rig.timers
    );
    rig.feed(Input::SocketClosed { code: 1000 });
    rig.advance(120_000);
    assert_eq!(
        rig.connects.len(),
        before,
        "no reconnect while the page is cached"
    );
    rig.feed(Input::Resume);
    assert_eq!(rig.connects.len(), before + 1, "back: reconnected at once");
    rig.feed(Input::Resume);
    assert_eq!(
        rig.connects.len(),
        before + 1,
        "a second pageshow changes nothing"
    );
}

#[test]
fn corrupt_stored_values_are_dropped_and_the_widget_starts_fresh() {
    let mut rig = Rig::new(&[]);
    rig.storage
        .insert(format!("{PREFIX}:session"), "{not json".into());
    rig.storage
        .insert(format!("{PREFIX}:transcript"), r#"[{"id":1}]"#.into());
    rig.storage.insert(format!("{PREFIX}:outbox"), "42".into());
    rig.storage.insert(format!("{PREFIX}:agent"), "[]".into());
    rig.start();
    for k in ["session", "transcript", "outbox", "agent"] {
        assert!(
            !rig.storage.contains_key(&format!("{PREFIX}:{k}")),
            "corrupt {k} kept"
        );
    }
    assert!(rig.connects.is_empty());
    rig.feed(Input::Panel(true));
    assert_eq!(rig.connects, vec![anon_url()]);
}

#[test]
fn a_stored_session_with_an_unusable_id_is_dropped() {
    let mut rig = Rig::new(&[]);
    rig.storage.insert(
        format!("{PREFIX}:session"),
        r#"{"id":"a b","route":"r"}"#.into(),
    );
    rig.start();
    assert!(rig.connects.is_empty());
    assert!(!rig.storage.contains_key(&format!("{PREFIX}:session")));
}

#[test]
fn the_vendor_clients_session_key_is_migrated_once() {
    let mut rig = Rig::new(&[]);
    rig.storage
        .insert("plura_session_id".into(), "webchat-session.legacy".into());
    rig.start();
    assert!(!rig.storage.contains_key("plura_session_id"));
    assert!(rig.storage[&format!("{PREFIX}:session")].contains("webchat-session.legacy"));
    assert_eq!(
        rig.connects,
        vec![format!(
            "ws://api.test/plura/webchat/flow/{FLOW}/session/webchat-session.legacy/r/true"
        )]
    );
}

#[test]
fn lead_data_with_a_phone_starts_with_the_session_post_and_uses_its_answer() {
    let mut rig = Rig::new(&[("phone", "+15551234567"), ("first_name", "Ada")]);
    rig.start();
    rig.feed(Input::Panel(true));
    assert!(rig.connects.is_empty());
    assert_eq!(
        rig.http,
        vec![format!(
            r#"POST http://api.test/plura/webchat/session {{"flow_id":"{FLOW}","record":{{"first_name":"Ada","phone":"+15551234567"}}}}"#
        )]
    );
    rig.feed(Input::HttpDone { id: rig.last_http, status: 200,
        body: r#"{"flow_id":"b7cf6862","session":"webchat-session.2a36","flow_port":8088,"wss_test_url":"wss.plura.ai"}"#.into(),
    });
    assert_eq!(
        rig.connects,
        vec!["ws://api.test/plura/webchat/flow/b7cf6862/session/webchat-session.2a36/r/true"]
    );
    // On reload the lead session is reused, not POSTed again.
    let mut reload = Rig::new(&[("phone", "+15551234567")]);
    reload.storage = rig.storage.clone();
    reload.start();
    assert!(reload.http.is_empty());
    assert_eq!(reload.connects, rig.connects);
}

#[test]
fn lead_data_without_a_phone_is_refused_with_a_reason_and_the_chat_goes_on() {
    let mut rig = Rig::new(&[("first_name", "Ada")]);
    rig.start();
    rig.feed(Input::Panel(true));
    assert!(rig.http.is_empty());
    assert!(rig.ui.iter().any(|e| matches!(e, UiEvent::Error { code: "lead_refused", message } if message.contains("phone"))));
    assert_eq!(rig.connects, vec![anon_url()]);
}

#[test]
fn a_refused_session_post_falls_back_to_anonymous_and_a_failed_one_retries() {
    let mut rig = Rig::new(&[("phone", "x")]);
    rig.start();
    rig.feed(Input::Panel(true));
    rig.feed(Input::HttpDone {
        id: rig.last_http,
        status: 400,
        body: r#"{"status":"failed","message":"bad phone"}"#.into(),
    });
    assert!(rig.ui.iter().any(|e| matches!(e, UiEvent::Error { code: "session_init_failed", message } if message.contains("bad phone"))));
    assert_eq!(rig.connects, vec![anon_url()]);

    let mut rig = Rig::new(&[("phone", "+1555")]);
    rig.start();
    rig.feed(Input::Panel(true));
    rig.feed(Input::HttpDone {
        id: rig.last_http,
        status: 0,
        body: "network".into(),
    });
    assert!(rig.connects.is_empty());
    let at = rig.timers[&Timer::Reconnect];
    rig.advance(at - rig.now);
    assert_eq!(rig.http.len(), 2, "the POST is retried with backoff");
}

#[test]
fn identify_during_an_anonymous_chat_moves_it_to_a_lead_session() {
    let mut rig = connected();
    let mut fields = Fields::new();
    fields.insert("phone".to_string(), "+15551234567".to_string());
    rig.feed(Input::Identify(fields));
    assert_eq!(rig.http.len(), 1);
    rig.feed(Input::HttpDone {
        id: rig.last_http,
        status: 200,
        body: r#"{"flow_id":"f2","session":"webchat-session.lead"}"#.into(),
    });
    assert_eq!(rig.closes, 1);
    assert_eq!(
        rig.connects.last().map(String::as_str),
        Some("ws://api.test/plura/webchat/flow/f2/session/webchat-session.lead/r/true")
    );
}

#[test]
fn typing_is_throttled_true_once_then_false_after_3s_idle_or_on_send() {
    let mut rig = connected();
    for _ in 0..5 {
        rig.feed(Input::UserTyping);
        rig.advance(500);
    }
    let typing: Vec<&String> = rig.sent.iter().filter(|f| f.contains("typing")).collect();
    assert_eq!(typing, vec![r#"{"message":true,"type":"typing"}"#]);
    rig.advance(2_999);
    assert_eq!(rig.sent.iter().filter(|f| f.contains("typing")).count(), 2);
    assert_eq!(
        rig.sent.last().map(String::as_str),
        Some(r#"{"message":false,"type":"typing"}"#)
    );

    rig.feed(Input::UserTyping);
    rig.feed(Input::UserSend("done".into()));
    let tail: Vec<&str> = rig
        .sent
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        vec![
            r#"{"message":false,"type":"typing"}"#,
            r#"{"message":"done","type":"message"}"#
        ]
    );
    rig.advance(10_000);
    assert_eq!(
        rig.sent
            .iter()
            .filter(|f| f.contains(r#"false,"type":"typing"#))
            .count(),
        2,
        "no extra false"
    );
}

#[test]
fn typing_is_not_sent_while_down() {
    let mut rig = Rig::new(&[]);
    rig.start();
    rig.feed(Input::UserTyping);
    assert!(rig.sent.is_empty());
}

#[test]
fn an_oversized_message_is_refused_with_a_clear_error_and_nothing_is_lost_or_sent() {
    let mut rig = connected();
    rig.feed(Input::UserSend("x".repeat(MAX_MESSAGE_CHARS + 1)));
    assert!(rig.messages_sent().is_empty());
    assert!(rig.ui.iter().any(|e| matches!(
        e,
        UiEvent::Error {
            code: "message_too_long",
            ..
        }
    )));
    rig.feed(Input::UserSend("   ".into()));
    assert!(rig.messages_sent().is_empty());
    rig.feed(Input::UserSend("é".repeat(MAX_MESSAGE_CHARS)));
    assert_eq!(
        rig.messages_sent().len(),
        1,
        "the limit counts characters, not bytes"
    );
}

#[test]
fn bad_frames_are_counted_and_ignored() {
    let mut rig = connected();
    for f in [
        "",
        "nope",
        "[]",
        r#"{"type":"message"}"#,
        r#"{"type":"flow_end"}"#,
        r#"{"type":"session","session_id":"has space"}"#,
    ] {
        rig.frame(f);
    }
    rig.feed(Input::BinaryFrame(12));
    assert_eq!(rig.engine.ignored_frames(), 7);
    assert_eq!(rig.engine.state(), ConnState::Open);
    assert_eq!(
        rig.engine.session().map(|s| s.id.as_str()),
        Some("webchat-session.s1")
    );
    rig.frame(r#"{"type":"message","id":"ok","content":"still here"}"#);
    assert_eq!(rig.engine.transcript().len(), 1);
}

#[test]
fn the_transcript_is_bounded() {
    let mut rig = connected();
    for i in 0..(MAX_TRANSCRIPT + 20) {
        rig.frame(&format!(
            r#"{{"type":"message","id":"m{i}","content":"n{i}"}}"#
        ));
    }
    assert_eq!(rig.engine.transcript().len(), MAX_TRANSCRIPT);
    assert_eq!(rig.engine.transcript()[0].text, "n20");
}

#[test]
fn the_transcript_knows_exactly_the_ids_it_keeps() {
    let mut t = Transcript::default();
    for i in 0..(MAX_TRANSCRIPT + 20) {
        t.push(Entry::incoming(
            format!("m{i}"),
            "x".into(),
            Delivery::Received,
            0,
        ));
    }
    assert!(!t.contains("m19"), "dropped with its entry");
    assert!(t.contains("m20") && t.contains(&format!("m{}", MAX_TRANSCRIPT + 19)));
    // An id held twice stays known until its last copy goes.
    t.push(Entry::incoming(
        "m20".into(),
        "again".into(),
        Delivery::Received,
        0,
    ));
    assert!(t.contains("m20"), "the oldest copy went, the newest stays");
    t.remove("m20");
    assert!(!t.contains("m20"));
    assert_eq!(t.entries().len(), MAX_TRANSCRIPT - 1);
}

#[test]
fn a_greeting_repeated_without_id_right_after_a_resume_is_shown_once() {
    let mut rig = connected();
    rig.frame(r#"{"type":"message","content":"Hi! How can I help?"}"#);
    rig.feed(Input::UserSend("prices?".into()));
    rig.frame(r#"{"type":"recv","content":"prices?"}"#);
    rig.frame(r#"{"type":"message","content":"From $29."}"#);
    let mut reload = Rig::new(&[]);
    reload.storage = rig.storage.clone();
    reload.start();
    reload.open_socket();
    // A server that greets again on resume, with no ids: the greeting is not repeated.
    reload.frame(r#"{"type":"message","content":"Hi! How can I help?"}"#);
    assert_eq!(reload.engine.transcript().len(), 3);
    // Later, the same text is a real new message.
    reload.advance(5_000);
    reload.frame(r#"{"type":"message","content":"From $29."}"#);
    assert_eq!(reload.engine.transcript().len(), 4);
    // Nor is an answer to a message sent on this link.
    let mut resend = Rig::new(&[]);
    resend.storage = reload.storage.clone();
    resend.start();
    resend.open_socket();
    resend.feed(Input::UserSend("prices?".into()));
    resend.frame(r#"{"type":"message","content":"From $29."}"#);
    assert_eq!(resend.engine.transcript().len(), 6);
    // And a new conversation (no transcript) never drops its first message.
    let mut fresh = connected();
    fresh.frame(r#"{"type":"message","content":"Hello"}"#);
    assert_eq!(fresh.engine.transcript().len(), 1);
}

#[test]
fn a_delivery_state_has_one_name_on_the_wire_and_in_the_page() {
    use confab::engine::Delivery;
    for d in [
        Delivery::Pending,
        Delivery::Sent,
        Delivery::Delivered,
        Delivery::Received,
        Delivery::Streaming,
        Delivery::Interrupted,
        Delivery::Failed,
    ] {
        let entry = confab::engine::Entry::incoming("a".into(), "x".into(), d, 1);
        let stored = confab::protocol::write::json(&entry);
        let field = format!("\"status\":\"{}\"", d.as_str());
        assert!(stored.contains(&field), "{stored} has {field}");
        assert!(Delivery::ALL.contains(&d));
        assert_eq!(
            Delivery::named(d.as_str()),
            Some(d),
            "read back by its name"
        );
    }
    assert_eq!(Delivery::ALL.len(), 7);
    assert_eq!(Delivery::named("lost"), None);
}

#[test]
fn a_stored_transcript_and_outbox_read_back_whole_and_nothing_malformed_is_read() {
    use confab::i18n::Notice;
    use confab::protocol::Attachment;
    let mut t = Transcript::default();
    let mut answer = Entry::incoming("m1".into(), "Hi".into(), Delivery::Received, T0);
    answer.name = Some("Sarah".into());
    answer.reply_to = Some("u1".into());
    answer.attachments = vec![Attachment {
        title: Some("Card".into()),
        image: None,
        url: Some("https://example.com/".into()),
        is_image: false,
        action: Some("open".into()),
    }];
    answer.suggestions = vec!["Yes".into(), "No".into()];
    t.push(answer);
    let mut notice = Entry::incoming("n1".into(), "In the queue".into(), Delivery::Received, T0);
    notice.direction = Direction::System;
    notice.error = true;
    notice.notice = Some(Notice::Queue {
        position: Some(2),
        queue: None,
        wait_seconds: Some(60),
    });
    t.push(notice);
    t.push(Entry::outgoing("u2".into(), "hello".into(), T0 + 5));
    let stored = t.to_json();
    let back = Transcript::from_json(&stored).expect("written by us, read by us");
    assert_eq!(back.entries(), t.entries());
    assert!(
        stored.ends_with(
            r#"{"id":"u2","dir":"out","text":"hello","status":"pending","at":1762466342005}]"#
        ),
        "{stored}"
    );
    // Unknown fields are ignored; absent or null optional ones are empty.
    let lenient = Transcript::from_json(
        r#"[{"id":"a","dir":"in","text":"x","status":"received","at":1,"name":null,"extra":{"y":[1]}}]"#,
    )
    .expect("readable");
    assert_eq!(lenient.entries()[0].name, None);
    // Anything of the wrong shape makes the whole record unreadable.
    for bad in [
        r#"{"id":"a"}"#,
        r#"[{"id":"a","dir":"sideways","text":"x","status":"received","at":1}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"lost","at":1}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"received","at":1.5}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"received"}]"#,
        r#"[{"id":"a","dir":"in","text":7,"status":"received","at":1}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"received","at":1,"suggestions":[1]}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"received","at":1,"error":"yes"}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"received","at":1,"notice":{"k":"nope"}}]"#,
        r#"[{"id":"a","dir":"in","text":"x","status":"received","at":1,"attachments":[{"url":3}]}]"#,
    ] {
        assert!(Transcript::from_json(bad).is_none(), "{bad}");
    }

    let mut o = Outbox::default();
    o.push("u3".into(), "later".into(), T0);
    let stored = o.to_json();
    assert_eq!(stored, r#"[{"id":"u3","text":"later","at":1762466342000}]"#);
    assert_eq!(
        Outbox::from_json(&stored).map(|b| b.items()),
        Some(o.items())
    );
    assert!(Outbox::from_json(r#"[{"id":"u3","text":"later"}]"#).is_none());
    assert!(Outbox::from_json(r#"[{"id":"u3","text":"later","at":"now"}]"#).is_none());
}
