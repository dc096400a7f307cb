//! Native tests of the PolyAI codec and the socket engine's replay, cursor, de-duplication,
//! chunk assembly and close-code handling (PROTOCOLS.md §3).
use confab::clock::Now;
use confab::engine::*;
use confab::i18n::Lang;
use confab::keyed::Fields;
use confab::protocol::poly::Poly;
use confab::protocol::{ClosePolicy, Codec, Command, Event, LinkParams, Session};
use serde_json::json;
use std::collections::BTreeMap;

const PREFIX: &str = "confab:poly:default";

fn codec() -> Poly {
    Poly::new("https://messaging.test", "wss://messaging.test")
}

fn ev(seq: u64, kind: &str, payload: serde_json::Value) -> serde_json::Value {
    json!({"id": format!("e{seq}"), "sequence": seq, "timestamp": "2026-01-01T00:00:00Z", "type": format!("EVENT_TYPE_{kind}"), "payload": payload})
}

fn batch(events: Vec<serde_json::Value>) -> String {
    json!({"id": "b", "sequence": null, "type": "EVENT_TYPE_EVENT_BATCH", "payload": {"events": events}}).to_string()
}

fn start_event(seq: u64) -> serde_json::Value {
    ev(
        seq,
        "SESSION_START",
        json!({"capabilities": {"streaming": true, "max_message_size_bytes": 2000, "max_reconnect_attempts": 3, "heartbeat_interval_seconds": 20}}),
    )
}

fn chunk(seq: u64, id: &str, index: u32, text: &str, complete: bool) -> serde_json::Value {
    ev(
        seq,
        "POLY_AGENT_MESSAGE_CHUNK",
        json!({"message_id": id, "text": text, "chunk_index": index, "is_complete": complete, "attachments": [], "response_suggestions": []}),
    )
}

#[test]
fn codec_frames_and_urls() {
    let c = codec();
    let s = Session {
        id: "s 1".into(),
        route: String::new(),
        token: None,
    };
    assert_eq!(
        c.socket_url(
            Some(&s),
            &LinkParams {
                token: Some("t/k"),
                cursor: None
            }
        ),
        "wss://messaging.test/ws?session_id=s%201&access_token=t%2Fk"
    );
    assert_eq!(
        c.socket_url(
            Some(&s),
            &LinkParams {
                token: Some("t"),
                cursor: Some(12)
            }
        ),
        "wss://messaging.test/ws?session_id=s%201&access_token=t&cursor=12"
    );
    let msg: serde_json::Value = serde_json::from_str(&c.encode(&Command::UserMessage {
        client_id: "c1",
        text: "hi",
    }))
    .unwrap();
    assert_eq!(
        msg,
        json!({"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "hi"}, "metadata": {"custom": {"client_event_id": "c1"}}})
    );
    let typing: serde_json::Value =
        serde_json::from_str(&c.encode(&Command::Typing(true))).unwrap();
    assert_eq!(
        typing,
        json!({"type": "EVENT_TYPE_USER_TYPING", "payload": {"state": "TYPING_STATE_STARTED"}})
    );
    for (cmd, kind) in [
        (Command::Join, "REQUEST_POLY_AGENT_JOIN"),
        (Command::EndSession, "USER_END_SESSION"),
        (Command::Heartbeat(Now::utc(0)), "HEARTBEAT"),
    ] {
        let v: serde_json::Value = serde_json::from_str(&c.encode(&cmd)).unwrap();
        assert_eq!(
            v,
            json!({"type": format!("EVENT_TYPE_{kind}"), "payload": {}})
        );
    }
    let req = c.session_request(&Fields::new()).unwrap().unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        ("POST", "https://messaging.test/api/v1/sessions")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(req.body.as_deref().unwrap()).unwrap(),
        json!({"streaming_enabled": true, "platform": "web"})
    );
    assert_eq!(
        c.session_response(200, r#"{"session_id":"abc"}"#)
            .unwrap()
            .id,
        "abc"
    );
    assert!(c.session_response(401, "").is_err());
    assert_eq!(c.close_policy(1000, true), ClosePolicy::Stop);
    assert_eq!(c.close_policy(4000, true), ClosePolicy::Replaced);
    assert_eq!(c.close_policy(4001, true), ClosePolicy::NewSession);
    assert_eq!(c.close_policy(4002, true), ClosePolicy::Reconnect);
    assert_eq!(c.close_policy(1006, false), ClosePolicy::Reconnect);
}

#[test]
fn every_server_event_decodes_to_a_meaning() {
    let c = codec();
    let one = |kind: &str, payload: serde_json::Value| -> Vec<Event> {
        let envs = c.decode(&ev(1, kind, payload).to_string()).unwrap();
        assert_eq!(envs[0].seq, Some(1));
        assert_eq!(envs[0].id.as_deref(), Some("e1"));
        envs.into_iter().flat_map(|e| e.events).collect()
    };
    assert!(matches!(
        one(
            "POLY_AGENT_JOINED",
            json!({"agent_name": "Ada", "agent_avatar_url": "https://a/x.png"})
        )[0],
        Event::Agent { joined: true, .. }
    ));
    assert_eq!(
        one("POLY_AGENT_THINKING", json!({})),
        vec![Event::Typing(true)]
    );
    let m = one(
        "POLY_AGENT_MESSAGE",
        json!({"message_id": "m1", "text": "Hi", "attachments": [{"title": "Menu", "preview_image_url": "https://x/p.png", "content_url": "https://x/menu", "content_type": "ATTACHMENT_CONTENT_TYPE_URL", "call_to_action_text": "Open"}], "response_suggestions": [{"message_text": "Book"}]}),
    );
    match &m[0] {
        Event::AgentMessage(t) => {
            assert_eq!((t.id.as_deref(), t.text.as_str()), (Some("m1"), "Hi"));
            assert_eq!(t.attachments[0].url.as_deref(), Some("https://x/menu"));
            assert_eq!(t.suggestions, vec!["Book"]);
        }
        other => panic!("{other:?}"),
    }
    let q = one(
        "HANDOFF_QUEUE_STATUS",
        json!({"queue_name": "Billing", "position_in_queue": 3, "estimated_wait_seconds": 180}),
    );
    match &q[..] {
        [Event::Notice {
            notice,
            error: false,
        }] => {
            assert_eq!(
                notice.text(Lang::En),
                "You are number 3 in the queue for Billing (wait: about 3 minutes)."
            );
            assert_eq!(
                notice.text(Lang::Es),
                "Eres el número 3 en la cola de Billing (espera: unos 3 minutos)."
            );
        }
        other => panic!("{other:?}"),
    }
    let live = one(
        "LIVE_AGENT_JOINED",
        json!({"agent": {"id": "a42", "name": "Sarah", "avatar_url": "https://x/s.png"}}),
    );
    assert_eq!(live.len(), 2);
    assert!(
        matches!(&live[1], Event::Notice { notice, .. } if notice.text(Lang::En) == "Sarah joined the chat." && notice.text(Lang::De) == "Sarah ist dem Chat beigetreten.")
    );
    assert_eq!(
        one(
            "LIVE_AGENT_TYPING",
            json!({"state": "TYPING_STATE_STOPPED"})
        ),
        vec![Event::Typing(false)]
    );
    for kind in [
        "POLY_AGENT_TRIGGERED_HANDOFF",
        "HANDOFF_ACCEPTED",
        "POLY_AGENT_LEFT",
        "LIVE_AGENT_LEFT",
    ] {
        assert!(
            matches!(one(kind, json!({}))[0], Event::Notice { error: false, .. }),
            "{kind}"
        );
    }
    for kind in [
        "HANDOFF_FAILED",
        "HANDOFF_TIMEOUT",
        "CLIENT_HANDOFF_REQUIRED",
    ] {
        assert!(
            matches!(one(kind, json!({}))[0], Event::Notice { error: true, .. }),
            "{kind}"
        );
    }
    assert!(
        matches!(&one("SYSTEM_MESSAGE", json!({"level": "SYSTEM_MESSAGE_LEVEL_ERROR", "message": "bad"}))[0], Event::Notice { error: true, notice } if notice.text(Lang::Fr) == "bad")
    );
    assert_eq!(
        one("LANGUAGE_CHANGED", json!({"language_code": "fr-FR"})),
        vec![Event::Language("fr-FR".into())]
    );
    assert_eq!(
        one("SESSION_END", json!({"reason": "REASON_USER_END"})),
        vec![Event::SessionEnded {
            reason: "REASON_USER_END".into()
        }]
    );
    assert_eq!(one("HEARTBEAT", json!({})), vec![Event::Echo]);
    assert!(matches!(
        one("SOMETHING_NEW", json!({}))[0],
        Event::Unknown { .. }
    ));
    let echo = c
        .decode(&json!({"id": "x", "sequence": 4, "type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "hi", "message_id": "srv"}, "metadata": {"custom": {"client_event_id": "c9"}}}).to_string())
        .unwrap();
    assert_eq!(
        echo[0].events,
        vec![Event::Receipt {
            client_id: Some("c9".into()),
            text: "hi".into()
        }]
    );
}

#[test]
fn a_batch_flattens_its_events_and_ends_the_replay_even_with_another_payload_key() {
    let c = codec();
    let frame = json!({"type": "EVENT_TYPE_EVENT_BATCH", "payload": {"events": [
        start_event(1),
        {"id": "e2", "sequence": 2, "type": "EVENT_TYPE_POLY_AGENT_MESSAGE", "data": {"message_id": "m", "text": "from data"}}
    ]}})
    .to_string();
    let envs = c.decode(&frame).unwrap();
    assert_eq!(envs.len(), 3);
    assert!(matches!(
        envs[0].events[0],
        Event::Capabilities {
            heartbeat_ms: Some(20_000),
            max_reconnect_attempts: Some(3),
            max_message_bytes: Some(2000)
        }
    ));
    assert!(matches!(&envs[1].events[0], Event::AgentMessage(t) if t.text == "from data"));
    assert_eq!(envs[2].events, vec![Event::ReplayEnd]);
}

struct Rig {
    engine: Engine,
    now: i64,
    sent: Vec<String>,
    connects: Vec<String>,
    http: Vec<(u32, String)>,
    timers: BTreeMap<Timer, i64>,
    storage: BTreeMap<String, String>,
    ui: Vec<UiEvent>,
    closes: usize,
}

impl Rig {
    fn new(credential: Credential) -> Rig {
        Rig {
            engine: Engine::new(Box::new(codec()), PREFIX, Fields::new())
                .with_credential(credential),
            now: 1_800_000_000_000,
            sent: Vec::new(),
            connects: Vec::new(),
            http: Vec::new(),
            timers: BTreeMap::new(),
            storage: BTreeMap::new(),
            ui: Vec::new(),
            closes: 0,
        }
    }

    fn feed(&mut self, input: Input) {
        for o in self.engine.handle(Now::utc(self.now), input) {
            match o {
                Output::Connect(u) => self.connects.push(u),
                Output::Close => self.closes += 1,
                Output::Send(f) => self.sent.push(f),
                Output::Http { id, request, .. } => self
                    .http
                    .push((id, format!("{} {}", request.method, request.url))),
                Output::StartTimer(t, ms) => {
                    self.timers.insert(t, self.now + ms as i64);
                }
                Output::CancelTimer(t) => {
                    self.timers.remove(&t);
                }
                Output::Persist {
                    key,
                    value: Some(v),
                } => {
                    self.storage.insert(key, v);
                }
                Output::PersistSession { key, value } => {
                    let merged = confab::engine::merge_session(
                        self.storage.get(&key).map(|v| v.as_str()),
                        &value,
                    );
                    self.storage.insert(key.clone(), merged);
                }
                Output::Persist { key, value: None } => {
                    self.storage.remove(&key);
                }
                Output::Ui(e) => self.ui.push(e),
                _ => {}
            }
        }
    }

    fn http_done(&mut self, status: u16, body: &str) {
        let id = self.http.last().map(|h| h.0).unwrap_or(0);
        self.feed(Input::HttpDone {
            id,
            status,
            body: body.into(),
        });
    }

    /// Start, open the panel, get a token and a session, open the socket.
    fn connected(credential: Credential) -> Rig {
        let mut rig = Rig::new(credential);
        rig.feed(Input::Start {
            stored: Fields::new(),
            seed: 3,
        });
        rig.feed(Input::Panel(true));
        if rig.http.last().is_some_and(|h| h.1.contains("/token")) {
            rig.http_done(200, r#"{"access_token":"tok","expires_in":3600}"#);
        }
        rig.http_done(200, r#"{"session_id":"s1"}"#);
        rig.feed(Input::SocketOpened);
        rig
    }

    fn frame(&mut self, f: &str) {
        self.feed(Input::Frame(f.into()));
    }

    fn sent_types(&self) -> Vec<String> {
        self.sent
            .iter()
            .filter_map(|f| serde_json::from_str::<serde_json::Value>(f).ok())
            .filter_map(|v| {
                v["type"]
                    .as_str()
                    .map(|t| t.trim_start_matches("EVENT_TYPE_").to_string())
            })
            .collect()
    }

    fn texts(&self) -> Vec<(Direction, String, Delivery)> {
        self.engine
            .transcript()
            .iter()
            .map(|e| (e.direction, e.text.clone(), e.status))
            .collect()
    }

    fn stored_cursor(&self) -> Option<u64> {
        let raw = self.storage.get(&format!("{PREFIX}:session"))?;
        serde_json::from_str::<serde_json::Value>(raw).ok()?["cursor"].as_u64()
    }
}

#[test]
fn a_new_session_gets_a_token_creates_a_session_and_joins_after_the_replay() {
    let mut rig = Rig::new(Credential::Endpoint {
        url: "https://host.test/token".into(),
        token: None,
    });
    rig.feed(Input::Start {
        stored: Fields::new(),
        seed: 3,
    });
    rig.feed(Input::Panel(true));
    assert_eq!(rig.http[0].1, "POST https://host.test/token");
    rig.http_done(200, r#"{"access_token":"tok","expires_in":3600}"#);
    assert_eq!(rig.http[1].1, "POST https://messaging.test/api/v1/sessions");
    rig.http_done(200, r#"{"session_id":"s1"}"#);
    assert_eq!(
        rig.connects,
        vec!["wss://messaging.test/ws?session_id=s1&access_token=tok"]
    );
    rig.feed(Input::SocketOpened);
    assert!(rig.sent.is_empty(), "no join before the replay");
    rig.frame(&batch(vec![start_event(1)]));
    assert_eq!(rig.sent_types(), vec!["REQUEST_POLY_AGENT_JOIN"]);
    assert_eq!(
        rig.timers[&Timer::Heartbeat] - rig.now,
        20_000,
        "heartbeat interval from capabilities"
    );
    assert_eq!(rig.stored_cursor(), Some(1));
    assert!(
        !rig.storage[&format!("{PREFIX}:session")].contains("tok"),
        "the token is never stored"
    );
}

#[test]
fn no_join_when_the_replay_has_the_agent_or_on_reconnect() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({"agent_name": "Ada"})),
    ]));
    assert!(rig.sent_types().is_empty());
    rig.feed(Input::SocketClosed { code: 1006 });
    let at = rig.timers[&Timer::Reconnect];
    rig.now = at;
    rig.feed(Input::TimerFired(Timer::Reconnect));
    assert_eq!(
        rig.connects.last().unwrap(),
        "wss://messaging.test/ws?session_id=s1&access_token=tok&cursor=2"
    );
    rig.feed(Input::SocketOpened);
    rig.frame(&batch(vec![]));
    assert!(
        rig.sent_types().is_empty(),
        "the agent already joined: no join on reconnect"
    );
}

#[test]
fn replayed_and_duplicated_events_are_applied_once() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    let greeting = ev(
        3,
        "POLY_AGENT_MESSAGE",
        json!({"message_id": "m1", "text": "Hello"}),
    );
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({"agent_name": "Ada"})),
        greeting.clone(),
    ]));
    rig.frame(&greeting.to_string()); // duplicate id and sequence
    let mut same_message_new_event = greeting.clone();
    same_message_new_event["id"] = json!("other");
    same_message_new_event["sequence"] = json!(4);
    rig.frame(&same_message_new_event.to_string()); // same message_id in a new event
    rig.frame(&batch(vec![
        ev(2, "POLY_AGENT_JOINED", json!({})),
        greeting,
    ])); // overlap
    assert_eq!(
        rig.texts(),
        vec![(Direction::In, "Hello".into(), Delivery::Received)]
    );
    assert_eq!(rig.engine.cursor(), Some(4));
}

#[test]
fn a_batch_with_a_sequence_of_its_own_does_not_hold_the_cursor_back() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    // A server that numbers the batch too: events 1 and 2 inside, the batch itself 3.
    let mut replay: serde_json::Value = serde_json::from_str(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({"agent_name": "Ada"})),
    ]))
    .unwrap();
    replay["sequence"] = json!(3);
    rig.frame(&replay.to_string());
    rig.frame(
        &ev(
            4,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": "m4", "text": "four"}),
        )
        .to_string(),
    );
    assert_eq!(rig.engine.cursor(), Some(4));
    assert!(
        rig.sent_types().is_empty(),
        "the replay had the agent: no join"
    );
    // A reconnect's batch numbered below the cursor still ends the replay, and changes nothing.
    rig.feed(Input::SocketClosed { code: 1006 });
    rig.now = rig.timers[&Timer::Reconnect];
    rig.feed(Input::TimerFired(Timer::Reconnect));
    assert!(rig.connects.last().unwrap().ends_with("&cursor=4"));
    rig.feed(Input::SocketOpened);
    let mut again: serde_json::Value = serde_json::from_str(&batch(vec![])).unwrap();
    again["sequence"] = json!(2);
    rig.frame(&again.to_string());
    assert_eq!(rig.engine.cursor(), Some(4));
    assert_eq!(rig.texts().len(), 1);
}

#[test]
fn events_out_of_order_are_all_applied_and_the_cursor_waits_for_the_gap() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    let msg = |seq: u64, id: &str, text: &str| {
        ev(
            seq,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": id, "text": text}),
        )
        .to_string()
    };
    rig.frame(&msg(4, "m4", "four")); // arrives before 3
    assert_eq!(
        rig.engine.cursor(),
        Some(2),
        "the cursor stays below the gap"
    );
    assert_eq!(rig.stored_cursor(), Some(2));
    rig.frame(&msg(3, "m3", "three"));
    assert_eq!(
        rig.engine.cursor(),
        Some(4),
        "the gap filled: the cursor moves over both"
    );
    rig.frame(&msg(4, "m4", "four")); // a resume replays it again
    let texts: Vec<String> = rig.texts().into_iter().map(|t| t.1).collect();
    assert_eq!(texts, vec!["four", "three"], "each once, none lost");
}

#[test]
fn the_stored_cursor_never_goes_backwards_when_another_tab_is_ahead() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    assert_eq!(rig.stored_cursor(), Some(2));
    let key = format!("{PREFIX}:session");
    let mut theirs: serde_json::Value =
        serde_json::from_str(rig.storage.get(&key).expect("stored")).expect("json");
    theirs["cursor"] = json!(9);
    // The other tab is further on; then this tab applies event 3 and stores its own state.
    rig.feed(Input::StoredElsewhere {
        key: key.clone(),
        value: Some(theirs.to_string()),
    });
    rig.frame(
        &ev(
            3,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": "m3", "text": "three"}),
        )
        .to_string(),
    );
    assert_eq!(
        rig.engine.cursor(),
        Some(3),
        "this tab's own cursor is its own"
    );
    assert_eq!(
        rig.stored_cursor(),
        Some(9),
        "the stored one does not go back"
    );
    // Another session's value, or garbage, changes nothing.
    theirs["id"] = json!("someone-else");
    theirs["cursor"] = json!(50);
    rig.feed(Input::StoredElsewhere {
        key: key.clone(),
        value: Some(theirs.to_string()),
    });
    rig.feed(Input::StoredElsewhere {
        key,
        value: Some("{garbage".into()),
    });
    rig.frame(
        &ev(
            4,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": "m4", "text": "four"}),
        )
        .to_string(),
    );
    assert_eq!(rig.stored_cursor(), Some(9));
}

#[test]
fn a_heartbeat_without_an_echo_marks_the_link_half_open_after_the_grace() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    let heartbeat = rig.timers[&Timer::Heartbeat];
    rig.now = heartbeat;
    rig.feed(Input::TimerFired(Timer::Heartbeat));
    assert_eq!(
        rig.sent_types().last().map(String::as_str),
        Some("HEARTBEAT")
    );
    // The echo comes back: nothing happens when the grace runs out.
    rig.now += 200;
    rig.frame(
        &json!({"id": "hb1", "sequence": null, "type": "EVENT_TYPE_HEARTBEAT", "payload": {}})
            .to_string(),
    );
    rig.now = rig.timers[&Timer::PongDue];
    rig.feed(Input::TimerFired(Timer::PongDue));
    assert_eq!(rig.engine.state(), ConnState::Open);
    // The next heartbeat goes unanswered: 10 s later the link is given up and replaced.
    rig.now = rig.timers[&Timer::Heartbeat];
    rig.feed(Input::TimerFired(Timer::Heartbeat));
    let due = rig.timers[&Timer::PongDue];
    assert_eq!(due - rig.now, 10_000);
    rig.now = due;
    rig.feed(Input::TimerFired(Timer::PongDue));
    assert_eq!(rig.engine.state(), ConnState::Reconnecting);
    assert!(rig.timers.contains_key(&Timer::Reconnect));
}

#[test]
fn merging_a_stored_session_keeps_the_higher_cursor_of_the_same_session_only() {
    let ours = r#"{"id":"s1","route":"","cursor":4,"joined":true}"#;
    let later = r#"{"id":"s1","route":"","cursor":9,"joined":true}"#;
    let other = r#"{"id":"s2","route":"","cursor":99}"#;
    let cursor = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["cursor"].as_u64();
    assert_eq!(cursor(&merge_session(Some(later), ours)), Some(9));
    assert_eq!(cursor(&merge_session(Some(ours), later)), Some(9));
    assert_eq!(cursor(&merge_session(Some(other), ours)), Some(4));
    assert_eq!(cursor(&merge_session(Some("{garbage"), ours)), Some(4));
    assert_eq!(cursor(&merge_session(None, ours)), Some(4));
    // The stored record is flat: the session's fields beside the widget's own.
    assert_eq!(
        merge_session(
            Some(later),
            r#"{"id":"s1","route":"r","token":"t","cursor":4}"#
        ),
        r#"{"id":"s1","route":"r","token":"t","from_lead":false,"cursor":9,"joined":false}"#
    );
}

#[test]
fn chunks_assemble_by_index_through_gaps_repeats_and_a_resume() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.frame(&chunk(3, "m", 1, "Hel", false).to_string());
    rig.frame(&chunk(4, "m", 3, "ld", false).to_string()); // index 2 is missing so far
    assert_eq!(
        rig.texts()[0],
        (Direction::In, "Helld".into(), Delivery::Streaming)
    );
    // The link drops mid-stream; the resume asks for what came after sequence 4.
    rig.feed(Input::SocketClosed { code: 1006 });
    let at = rig.timers[&Timer::Reconnect];
    rig.now = at;
    rig.feed(Input::TimerFired(Timer::Reconnect));
    assert!(rig.connects.last().unwrap().ends_with("&cursor=4"));
    rig.feed(Input::SocketOpened);
    // The server replays with overlap: sequences 3 and 4 again, then the missing chunk.
    rig.frame(&batch(vec![
        chunk(3, "m", 1, "Hel", false),
        chunk(4, "m", 3, "ld", false),
        chunk(5, "m", 2, "lo wor", false),
    ]));
    rig.frame(&chunk(6, "m", 3, "ld", false).to_string()); // a repeated chunk under a new sequence
    assert_eq!(rig.texts()[0].1, "Hello world");
    rig.frame(&chunk(7, "m", 4, "!", true).to_string());
    assert_eq!(
        rig.texts(),
        vec![(Direction::In, "Hello world!".into(), Delivery::Received)]
    );
    assert!(!rig.storage.contains_key(&format!("{PREFIX}:assembly")));
}

#[test]
fn a_complete_chunk_waits_for_missing_earlier_ones() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.frame(&chunk(3, "m", 2, "world", true).to_string());
    assert_eq!(rig.texts()[0].2, Delivery::Streaming);
    rig.frame(&chunk(4, "m", 1, "hello ", false).to_string());
    assert_eq!(
        rig.texts(),
        vec![(Direction::In, "hello world".into(), Delivery::Received)]
    );
}

#[test]
fn a_reload_mid_stream_completes_without_repeating_text() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.frame(&chunk(3, "m", 1, "One ", false).to_string());
    rig.frame(&chunk(4, "m", 2, "two ", false).to_string());
    let mut reload = Rig::new(Credential::Fixed("tok".into()));
    reload.storage = rig.storage.clone();
    let stored = reload.storage.clone().into_iter().collect();
    reload.feed(Input::Start { stored, seed: 4 });
    assert!(
        reload.connects[0].ends_with("&cursor=4"),
        "{:?}",
        reload.connects
    );
    reload.feed(Input::SocketOpened);
    reload.frame(&batch(vec![chunk(5, "m", 3, "three", true)]));
    assert_eq!(
        reload.texts(),
        vec![(Direction::In, "One two three".into(), Delivery::Received)]
    );
    assert!(
        reload.sent_types().is_empty(),
        "no join: the agent joined before the reload"
    );
}

#[test]
fn the_echo_of_our_client_id_marks_delivery_and_never_adds_a_copy() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.feed(Input::UserSend("hi".into()));
    let sent: serde_json::Value = serde_json::from_str(rig.sent.last().unwrap()).unwrap();
    let client_id = sent["metadata"]["custom"]["client_event_id"]
        .as_str()
        .unwrap()
        .to_string();
    // The link drops before the echo: the message is sent again on the next link.
    rig.feed(Input::SocketClosed { code: 1006 });
    let at = rig.timers[&Timer::Reconnect];
    rig.now = at;
    rig.feed(Input::TimerFired(Timer::Reconnect));
    rig.feed(Input::SocketOpened);
    rig.frame(&batch(vec![]));
    assert_eq!(
        rig.sent_types()
            .iter()
            .filter(|t| *t == "USER_MESSAGE")
            .count(),
        2
    );
    // Both copies are echoed (the server got the first after all): shown once, delivered.
    for seq in [3, 4] {
        rig.frame(&json!({"id": format!("echo{seq}"), "sequence": seq, "type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "hi"}, "metadata": {"custom": {"client_event_id": client_id}}}).to_string());
    }
    assert_eq!(
        rig.texts(),
        vec![(Direction::Out, "hi".into(), Delivery::Delivered)]
    );
}

#[test]
fn history_from_another_device_is_rendered() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
        ev(3, "POLY_AGENT_MESSAGE", json!({"message_id": "g", "text": "Hi"})),
        json!({"id": "u", "sequence": 4, "type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "earlier question"}, "metadata": {"custom": {"client_event_id": "elsewhere"}}}),
    ]));
    assert_eq!(
        rig.texts(),
        vec![
            (Direction::In, "Hi".into(), Delivery::Received),
            (
                Direction::Out,
                "earlier question".into(),
                Delivery::Delivered
            )
        ]
    );
}

#[test]
fn close_4001_starts_a_new_session_with_fresh_cursor_and_dedup_state() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
        ev(
            3,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": "m1", "text": "old"}),
        ),
    ]));
    rig.feed(Input::SocketClosed { code: 4001 });
    assert_eq!(
        rig.http.last().unwrap().1,
        "POST https://messaging.test/api/v1/sessions"
    );
    rig.http_done(200, r#"{"session_id":"s2"}"#);
    assert_eq!(
        rig.connects.last().unwrap(),
        "wss://messaging.test/ws?session_id=s2&access_token=tok",
        "no cursor"
    );
    rig.feed(Input::SocketOpened);
    // The new session's sequence numbers start again at 1, and reuse ids: nothing is hidden.
    rig.frame(&batch(vec![start_event(1)]));
    assert_eq!(
        rig.sent_types().last().map(String::as_str),
        Some("REQUEST_POLY_AGENT_JOIN")
    );
    rig.frame(&ev(2, "POLY_AGENT_JOINED", json!({})).to_string());
    rig.frame(
        &ev(
            3,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": "m2", "text": "new"}),
        )
        .to_string(),
    );
    assert!(rig.texts().iter().any(|t| t.1 == "new"));
    assert!(rig
        .texts()
        .iter()
        .any(|t| t.0 == Direction::System && t.1.contains("expired")));
}

#[test]
fn session_end_forgets_the_session_and_a_new_chat_starts_fresh() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.feed(Input::EndChat);
    assert_eq!(
        rig.sent_types().last().map(String::as_str),
        Some("USER_END_SESSION")
    );
    rig.frame(&ev(3, "SESSION_END", json!({"reason": "REASON_USER_END"})).to_string());
    assert_eq!(rig.engine.state(), ConnState::Ended);
    assert!(!rig.storage.contains_key(&format!("{PREFIX}:session")));
    assert_eq!(rig.closes, 1);
    rig.feed(Input::SocketClosed { code: 1000 });
    assert!(
        !rig.timers.contains_key(&Timer::Reconnect),
        "no reconnect after the end"
    );
    rig.feed(Input::Reset);
    assert_eq!(
        rig.http.last().unwrap().1,
        "POST https://messaging.test/api/v1/sessions"
    );
}

#[test]
fn close_codes_1000_and_4000_stop_and_4002_reconnects() {
    for (code, reconnects) in [(1000, false), (4000, false), (4002, true), (1006, true)] {
        let mut rig = Rig::connected(Credential::Fixed("tok".into()));
        rig.feed(Input::SocketClosed { code });
        assert_eq!(
            rig.timers.contains_key(&Timer::Reconnect),
            reconnects,
            "code {code}"
        );
    }
}

#[test]
fn reconnect_attempts_stop_at_the_capability_and_handshake_failures_fetch_a_new_token() {
    let mut rig = Rig::connected(Credential::Endpoint {
        url: "https://host.test/token".into(),
        token: None,
    });
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.feed(Input::SocketClosed { code: 1006 });
    let tokens = |rig: &Rig| rig.http.iter().filter(|h| h.1.contains("/token")).count();
    let before = tokens(&rig);
    // Two handshakes fail (closes before any open): the token may have expired.
    for _ in 0..2 {
        let at = rig.timers[&Timer::Reconnect];
        rig.now = at;
        rig.feed(Input::TimerFired(Timer::Reconnect));
        assert!(rig.connects.last().unwrap().contains("access_token=tok&"));
        rig.feed(Input::SocketClosed { code: 1006 });
    }
    let at = rig.timers[&Timer::Reconnect];
    rig.now = at;
    rig.feed(Input::TimerFired(Timer::Reconnect));
    assert_eq!(
        tokens(&rig),
        before + 1,
        "a fresh token after failed handshakes"
    );
    rig.http_done(200, r#"{"access_token":"tok2"}"#);
    assert!(rig.connects.last().unwrap().contains("access_token=tok2&"));
    rig.feed(Input::SocketClosed { code: 1006 });
    assert_eq!(
        rig.engine.state(),
        ConnState::Failed,
        "max_reconnect_attempts is 3"
    );
    assert!(rig.ui.iter().any(|e| matches!(
        e,
        UiEvent::Error {
            code: "reconnect_failed",
            ..
        }
    )));
}

#[test]
fn an_outgoing_message_over_the_size_limit_is_refused() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![
        start_event(1),
        ev(2, "POLY_AGENT_JOINED", json!({})),
    ]));
    rig.feed(Input::UserSend("x".repeat(1990)));
    assert!(rig.ui.iter().any(|e| matches!(e, UiEvent::Error { code: "message_too_long", message } if message.contains("2000"))));
    assert!(!rig.sent_types().contains(&"USER_MESSAGE".to_string()));
    assert!(rig.engine.transcript().is_empty());
}

#[test]
fn a_long_history_replays_in_one_large_batch_but_frames_stay_bounded() {
    let c = codec();
    let mut events = vec![start_event(1)];
    for k in 0..5000u64 {
        events.push(ev(
            k + 2,
            "POLY_AGENT_MESSAGE",
            json!({"message_id": format!("h{k}"), "text": format!("History message {k}, with some words to make it a realistic length."), "attachments": [], "response_suggestions": []}),
        ));
    }
    let frame = batch(events);
    assert!(
        frame.len() > 1024 * 1024,
        "the batch is over a megabyte: {}",
        frame.len()
    );
    let env = c.decode(&frame).expect("a 5 000-message replay decodes");
    let messages = env
        .iter()
        .flat_map(|e| e.events.iter())
        .filter(|e| matches!(e, Event::AgentMessage(_)))
        .count();
    assert_eq!(messages, 5000);
    let huge = format!(
        "{{\"type\":\"EVENT_TYPE_HEARTBEAT\",\"pad\":\"{}\"}}",
        "x".repeat(9 * 1024 * 1024)
    );
    assert!(c.decode(&huge).is_err(), "a 9 MB frame is refused");
}

/// A server inventing event types: each new type is logged once, up to 32 of them, the last
/// saying that more are only counted; every such event is counted as ignored.
#[test]
fn unknown_event_types_are_logged_once_each_up_to_a_bound_and_all_counted() {
    let mut rig = Rig::connected(Credential::Fixed("tok".into()));
    rig.frame(&batch(vec![start_event(1)]));
    let before = rig.engine.ignored_frames();
    let mut logged = Vec::new();
    for i in 0..500u64 {
        // The first three types come back again later: still one line each.
        let kind = format!(
            "INVENTED_{}",
            if (100..110).contains(&i) { i % 3 } else { i }
        );
        let frame = ev(2 + i, &kind, json!({})).to_string();
        for o in rig.engine.handle(Now::utc(rig.now), Input::Frame(frame)) {
            if let Output::Log(_, line) = o {
                if line.contains("unknown type") {
                    logged.push(line);
                }
            }
        }
    }
    assert_eq!(logged.len(), 32, "{logged:?}");
    assert!(
        logged[0].contains("\"EVENT_TYPE_INVENTED_0\""),
        "{}",
        logged[0]
    );
    assert!(logged[..31].iter().all(|l| !l.contains("counted")));
    assert!(
        logged[31].contains("further unknown types are counted"),
        "{}",
        logged[31]
    );
    assert_eq!(rig.engine.ignored_frames() - before, 500);
}
