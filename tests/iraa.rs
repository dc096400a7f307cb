//! Native tests of the Iraa codec and the socket engine's Iraa behaviour (PROTOCOLS.md §2).
use confab::clock::Now;
use confab::engine::*;
use confab::keyed::Fields;
use confab::protocol::iraa::Iraa;
use confab::protocol::{
    ClosePolicy, Codec, Command, Event, LinkParams, PageAction, Problem, Session,
};
use serde_json::json;
use std::collections::BTreeMap;

const PREFIX: &str = "confab:iraa:default";
const SESSION: &str = r##"{"sessionId":"s1","token":"jwt1","greeting":{"text":"Hi! I'm Iris.","speech":"Hi!","suggestions":["Tour"]},"agent":{"name":"Iris","tone":"warm"}}"##;

fn codec() -> Iraa {
    Iraa::new("https://api.iraa.test", "wss://api.iraa.test", "default")
}

fn events(frame: &str) -> Vec<Event> {
    codec()
        .decode(frame)
        .unwrap()
        .into_iter()
        .flat_map(|e| e.events)
        .collect()
}

#[test]
fn frames_urls_and_session_requests() {
    let c = codec();
    let s = Session {
        id: "s 1".into(),
        route: String::new(),
        token: Some("j/1".into()),
    };
    assert_eq!(
        c.socket_url(Some(&s), &LinkParams::default()),
        "wss://api.iraa.test/ws/session/s%201?token=j%2F1"
    );
    let mut lead = Fields::new();
    lead.insert("first_name".to_string(), "Ada".to_string());
    lead.insert("email".to_string(), "ada@x.test".to_string());
    lead.insert("needs".to_string(), "crm, reporting".to_string());
    let req = c.session_request(&lead).unwrap().unwrap();
    assert_eq!(
        (req.method, req.url.as_str()),
        ("POST", "https://api.iraa.test/api/v1/session")
    );
    let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"productId": "default", "visitorMeta": {"name": "Ada", "email": "ada@x.test", "needs": ["crm", "reporting"]}})
    );
    let session = c.session_response(200, SESSION).unwrap();
    assert_eq!(
        (session.id.as_str(), session.token.as_deref()),
        ("s1", Some("jwt1"))
    );
    assert!(c.session_response(200, r##"{"sessionId":"s1"}"##).is_err());
    assert!(c
        .session_response(401, r##"{"error":"AUTH_REQUIRED"}"##)
        .unwrap_err()
        .contains("401"));
    let greeting = c.session_events(SESSION);
    assert!(matches!(&greeting[0], Event::Agent { name: Some(n), .. } if n == "Iris"));
    assert!(
        matches!(&greeting[1], Event::AgentMessage(m) if m.text == "Hi! I'm Iris." && m.suggestions == vec!["Tour"])
    );
    assert_eq!(greeting[2], Event::Speech("Hi!".into()));

    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&c.encode(&Command::UserMessage {
            client_id: "c",
            text: "hi"
        }))
        .unwrap(),
        json!({"type": "visitor_message", "payload": {"text": "hi"}})
    );
    assert_eq!(
        c.encode(&Command::Heartbeat(Now::utc(0))),
        r##"{"payload":{},"type":"heartbeat"}"##
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&c.encode(&Command::PageEvent {
            event: "click",
            selector: "#a",
            url: "/x"
        }))
        .unwrap(),
        json!({"type": "iframe_event", "payload": {"event": "click", "selector": "#a", "url": "/x"}})
    );
    assert_eq!(
        c.encode(&Command::Typing(true)),
        "",
        "Iraa has no client typing frame"
    );
    assert_eq!(
        c.end_request(&s).unwrap().url,
        "https://api.iraa.test/api/v1/session/s%201/end"
    );
}

#[test]
fn server_frames_decode() {
    let e = events(
        r##"{"type":"agent_response","payload":{"text":"Here","speech":"Here!","iframeCommands":[{"action":"navigate","url":"/dashboard"},{"action":"type","selector":"#n","text":"Acme"},7],"suggestions":["More"],"agentId":"demo"}}"##,
    );
    assert!(
        matches!(&e[0], Event::AgentMessage(m) if m.text == "Here" && m.suggestions == vec!["More"])
    );
    assert_eq!(e[1], Event::Speech("Here!".into()));
    match &e[2] {
        Event::PageActions(a) => {
            assert_eq!(
                a.len(),
                3,
                "a malformed command is kept so it is refused and reported"
            );
            assert_eq!(
                a[0],
                PageAction {
                    action: "navigate".into(),
                    url: Some("/dashboard".into()),
                    ..PageAction::default()
                }
            );
            assert_eq!(a[1].text.as_deref(), Some("Acme"));
            assert_eq!(a[2].action, "");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        events(r##"{"type":"typing_indicator","payload":{"agentId":"d","isTyping":true}}"##),
        vec![Event::Typing(true)]
    );
    assert_eq!(
        events(
            r##"{"type":"lead_form","payload":{"fields":["email","company"],"cta":{"text":"Book","url":"https://x.test/book"}}}"##
        ),
        vec![Event::LeadForm {
            fields: vec!["email".into(), "company".into()],
            cta_text: Some("Book".into()),
            cta_url: Some("https://x.test/book".into())
        }]
    );
    assert_eq!(
        events(r##"{"type":"error","payload":{"code":"SESSION_EXPIRED","message":"gone"}}"##),
        vec![Event::ServerError {
            code: "SESSION_EXPIRED".into(),
            message: "gone".into()
        }]
    );
    assert_eq!(
        events(r##"{"type":"pong","payload":{"ts":1}}"##),
        vec![Event::Pong]
    );
    assert!(matches!(
        events(r##"{"type":"confetti","payload":{}}"##)[0],
        Event::Unknown { .. }
    ));
}

#[test]
fn error_and_close_codes_map_as_protocols_says() {
    let c = codec();
    for (code, p) in [
        ("AUTH_REQUIRED", Problem::Auth),
        ("INVALID_TOKEN", Problem::Auth),
        ("SESSION_NOT_FOUND", Problem::SessionGone),
        ("SESSION_EXPIRED", Problem::SessionGone),
        ("INVALID_JSON", Problem::Notice),
        ("EMPTY_MESSAGE", Problem::Notice),
        ("UNKNOWN_TYPE", Problem::Notice),
        ("PDP_NOT_FOUND", Problem::Config),
    ] {
        assert_eq!(c.problem(code), p, "{code}");
    }
    assert_eq!(c.close_policy(4001, true), ClosePolicy::Auth);
    assert_eq!(c.close_policy(4004, true), ClosePolicy::NewSession);
    assert_eq!(c.close_policy(1000, true), ClosePolicy::Stop);
    assert_eq!(c.close_policy(1006, true), ClosePolicy::Reconnect);
}

struct Rig {
    engine: Engine,
    now: i64,
    out: Vec<Output>,
    timers: BTreeMap<Timer, i64>,
}

impl Rig {
    fn new() -> Rig {
        let mut lead = Fields::new();
        lead.insert("email".to_string(), "ada@x.test".to_string());
        Rig {
            engine: Engine::new(Box::new(codec()), PREFIX, lead)
                .with_credential(Credential::Fixed("pk_test_1".into()))
                .with_lead_url(Some("https://crm.test/leads".into())),
            now: 1_800_000_000_000,
            out: Vec::new(),
            timers: BTreeMap::new(),
        }
    }

    fn feed(&mut self, input: Input) {
        for o in self.engine.handle(Now::utc(self.now), input) {
            match &o {
                Output::StartTimer(t, ms) => {
                    self.timers.insert(*t, self.now + *ms as i64);
                }
                Output::CancelTimer(t) => {
                    self.timers.remove(t);
                }
                _ => {}
            }
            self.out.push(o);
        }
    }

    fn last_http(&self) -> (u32, String, Option<String>) {
        self.out
            .iter()
            .rev()
            .find_map(|o| match o {
                Output::Http {
                    id,
                    request,
                    bearer,
                } => Some((
                    *id,
                    format!("{} {}", request.method, request.url),
                    bearer.clone(),
                )),
                _ => None,
            })
            .unwrap()
    }

    fn count<F: Fn(&Output) -> bool>(&self, f: F) -> usize {
        self.out.iter().filter(|o| f(o)).count()
    }

    fn open() -> Rig {
        let mut rig = Rig::new();
        rig.feed(Input::Start {
            stored: Fields::new(),
            seed: 9,
        });
        rig.feed(Input::Panel(true));
        let (id, what, bearer) = rig.last_http();
        assert_eq!(what, "POST https://api.iraa.test/api/v1/session");
        assert_eq!(
            bearer.as_deref(),
            Some("pk_test_1"),
            "the public key is the only credential"
        );
        rig.feed(Input::HttpDone {
            id,
            status: 200,
            body: SESSION.into(),
        });
        rig.feed(Input::SocketOpened);
        rig
    }

    fn frame(&mut self, f: &str) {
        self.feed(Input::Frame(f.into()));
    }

    fn sessions_requested(&self) -> usize {
        self.count(|o| matches!(o, Output::Http { request, .. } if request.url.ends_with("/api/v1/session")))
    }
}

#[test]
fn the_greeting_shows_at_once_and_the_socket_uses_the_session_token() {
    let rig = Rig::open();
    assert!(rig.out.iter().any(
        |o| matches!(o, Output::Connect(u) if u == "wss://api.iraa.test/ws/session/s1?token=jwt1")
    ));
    assert_eq!(rig.engine.transcript()[0].text, "Hi! I'm Iris.");
    assert!(rig
        .out
        .iter()
        .any(|o| matches!(o, Output::Ui(UiEvent::Agent { name: Some(n), .. }) if n == "Iris")));
}

#[test]
fn messages_are_sent_once_since_nothing_acknowledges_them() {
    let mut rig = Rig::open();
    rig.feed(Input::UserSend("show me".into()));
    rig.feed(Input::SocketClosed { code: 1006 });
    let at = rig.timers[&Timer::Reconnect];
    rig.now = at;
    rig.feed(Input::TimerFired(Timer::Reconnect));
    rig.feed(Input::SocketOpened);
    assert_eq!(
        rig.count(|o| matches!(o, Output::Send(f) if f.contains("visitor_message"))),
        1
    );
    assert_eq!(rig.engine.transcript()[1].status, Delivery::Sent);
}

#[test]
fn typing_sends_nothing_since_iraa_has_no_typing_frame() {
    let mut rig = Rig::open();
    rig.feed(Input::UserTyping);
    rig.now += 4_000;
    rig.feed(Input::TimerFired(Timer::TypingIdle));
    rig.feed(Input::UserTyping);
    rig.feed(Input::UserSend("hi".into()));
    assert!(
        rig.out
            .iter()
            .all(|o| !matches!(o, Output::Send(f) if f.is_empty())),
        "no empty frames"
    );
    assert_eq!(rig.count(|o| matches!(o, Output::Send(_))), 1);
}

#[test]
fn no_pong_for_two_intervals_closes_and_reconnects() {
    let mut rig = Rig::open();
    for _ in 0..2 {
        rig.now = rig.timers[&Timer::Heartbeat];
        rig.feed(Input::TimerFired(Timer::Heartbeat));
    }
    assert_eq!(
        rig.count(|o| matches!(o, Output::Close)),
        0,
        "60 s without a pong is not yet dead"
    );
    rig.frame(r##"{"type":"pong","payload":{"ts":1}}"##);
    for _ in 0..3 {
        rig.now = rig.timers[&Timer::Heartbeat];
        rig.feed(Input::TimerFired(Timer::Heartbeat));
    }
    assert_eq!(
        rig.count(|o| matches!(o, Output::Close)),
        1,
        "a dead link is closed by us"
    );
    assert!(
        rig.timers.contains_key(&Timer::Reconnect),
        "and reconnected, whatever code the server echoes"
    );
    assert_eq!(rig.engine.state(), ConnState::Reconnecting);
}

#[test]
fn auth_errors_get_one_fresh_session_then_a_clear_error() {
    let mut rig = Rig::open();
    rig.frame(r##"{"type":"error","payload":{"code":"INVALID_TOKEN","message":"bad"}}"##);
    assert_eq!(rig.sessions_requested(), 2);
    let (id, _, _) = rig.last_http();
    rig.feed(Input::HttpDone {
        id,
        status: 200,
        body: SESSION.into(),
    });
    rig.feed(Input::SocketOpened);
    rig.feed(Input::SocketClosed { code: 4001 });
    assert_eq!(rig.sessions_requested(), 2, "no loop");
    assert_eq!(rig.engine.state(), ConnState::Failed);
    assert!(rig.out.iter().any(|o| matches!(
        o,
        Output::Ui(UiEvent::Error {
            code: "auth_failed",
            ..
        })
    )));
}

#[test]
fn a_gone_session_is_forgotten_and_replaced_and_a_bad_product_stops() {
    let mut rig = Rig::open();
    rig.frame(r##"{"type":"error","payload":{"code":"SESSION_EXPIRED","message":"x"}}"##);
    assert_eq!(rig.sessions_requested(), 2);
    assert!(rig
        .engine
        .transcript()
        .iter()
        .any(|e| e.direction == Direction::System && e.text.contains("expired")));
    let (id, _, _) = rig.last_http();
    rig.feed(Input::HttpDone {
        id,
        status: 200,
        body: SESSION.into(),
    });
    rig.feed(Input::SocketOpened);
    rig.frame(r##"{"type":"error","payload":{"code":"UNKNOWN_TYPE","message":"x"}}"##);
    assert_eq!(
        rig.engine.state(),
        ConnState::Open,
        "our own bug is a notice, not fatal"
    );
    rig.frame(r##"{"type":"error","payload":{"code":"PDP_NOT_FOUND","message":"no product"}}"##);
    assert_eq!(rig.engine.state(), ConnState::Failed);
    rig.now += 120_000;
    assert!(!rig.timers.contains_key(&Timer::Reconnect));
}

#[test]
fn commands_go_to_the_runner_and_the_visitor_events_to_the_server() {
    let mut rig = Rig::open();
    rig.frame(r##"{"type":"agent_response","payload":{"text":"Look","iframeCommands":[{"action":"highlight","selector":"#x"}]}}"##);
    assert!(rig
        .out
        .iter()
        .any(|o| matches!(o, Output::RunActions(a) if a[0].action == "highlight")));
    rig.feed(Input::PageEvent {
        event: "click".into(),
        selector: "#buy".into(),
        url: "https://app.test/x".into(),
    });
    assert!(rig
        .out
        .iter()
        .any(|o| matches!(o, Output::Send(f) if f.contains("iframe_event") && f.contains("#buy"))));
}

#[test]
fn the_lead_form_is_prefilled_and_its_values_go_to_the_page_and_the_lead_url() {
    let mut rig = Rig::open();
    rig.frame(r##"{"type":"lead_form","payload":{"fields":["email","company"],"cta":{"text":"Book","url":"https://x.test/book"}}}"##);
    assert!(rig.out.iter().any(|o| matches!(o, Output::Ui(UiEvent::LeadForm { prefill, .. }) if prefill.get("email").map(String::as_str) == Some("ada@x.test"))));
    let mut fields = Fields::new();
    fields.insert("email".to_string(), "ada@acme.test".to_string());
    rig.feed(Input::LeadSubmitted(fields));
    let (_, what, _) = rig.last_http();
    assert_eq!(what, "POST https://crm.test/leads");
    assert!(rig.out.iter().any(|o| matches!(o, Output::Ui(UiEvent::LeadSent { cta_url: Some(u), .. }) if u == "https://x.test/book")));
}

#[test]
fn end_chat_posts_the_end_and_forgets_the_session() {
    let mut rig = Rig::open();
    rig.feed(Input::EndChat);
    let (_, what, _) = rig.last_http();
    assert_eq!(what, "POST https://api.iraa.test/api/v1/session/s1/end");
    assert_eq!(rig.engine.state(), ConnState::Ended);
    assert!(rig
        .out
        .iter()
        .any(|o| matches!(o, Output::Persist { key, value: None } if key.ends_with(":session"))));
}

#[test]
fn an_agent_response_with_nothing_in_it_is_a_bad_frame_not_an_empty_bubble() {
    let c = codec();
    for frame in [
        r#"{"type":"agent_response"}"#,
        r#"{"type":"agent_response","payload":{"text":"","suggestions":[],"iframeCommands":[]}}"#,
    ] {
        assert!(c.decode(frame).is_err(), "{frame}");
    }
    assert!(c
        .decode(r#"{"type":"agent_response","payload":{"text":"Hi"}}"#)
        .is_ok());
}
