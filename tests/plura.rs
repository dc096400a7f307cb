//! Native tests of the Plura codec and the heartbeat stamp (PROTOCOLS.md §1).
use confab::clock::{offset_label, utc_stamp, Now};
use confab::keyed::Fields;
use confab::protocol::plura::Plura;
use confab::protocol::{AgentText, Codec, Command, DecodeError, Event, LinkParams, Session};

/// The events of a decoded frame (Plura frames carry no ids or sequences of their own).
fn events(c: &Plura, frame: &str) -> Result<Vec<Event>, DecodeError> {
    c.decode(frame)
        .map(|envs| envs.into_iter().flat_map(|e| e.events).collect())
}

fn codec() -> Plura {
    Plura::new(
        "https://hooks.plura.ai",
        "wss://wss.plura.ai",
        "87f66d6d-dba9-4a44-9274-02c6927a083a",
    )
}

// 2025-11-06T21:59:02Z, the instant of the vendor's documented example.
const EXAMPLE_MS: i64 = 1_762_466_342_000;

#[test]
fn stamp_is_the_utc_instant_cut_to_seconds() {
    assert_eq!(utc_stamp(EXAMPLE_MS), "2025-11-06T21:59:02");
    assert_eq!(utc_stamp(EXAMPLE_MS + 999), "2025-11-06T21:59:02");
    assert_eq!(utc_stamp(0), "1970-01-01T00:00:00");
    assert_eq!(utc_stamp(951_782_400_000), "2000-02-29T00:00:00"); // leap day
    assert_eq!(utc_stamp(-1), "1969-12-31T23:59:59");
    assert_eq!(utc_stamp(4_102_444_799_000), "2099-12-31T23:59:59");
}

#[test]
fn heartbeat_frame_matches_the_vendor_browser_client_at_every_offset() {
    let c = codec();
    for (offset, tz) in [
        (240, "+04:00"),
        (-300, "-05:00"),
        (330, "+05:30"),
        (-570, "-09:30"),
        (0, "+00:00"),
        (840, "+14:00"),
        (-60, "-01:00"),
        (345, "+05:45"),
    ] {
        let frame = c.encode(&Command::Heartbeat(Now {
            utc_ms: EXAMPLE_MS,
            offset_min: offset,
        }));
        // The stamp stays UTC whatever the zone: the browser client uses toISOString().
        assert_eq!(
            frame,
            format!(
                r#"{{"message":{{"stamp":"2025-11-06T21:59:02","tz":"{tz}"}},"type":"heartbeat"}}"#
            )
        );
        assert_eq!(offset_label(offset), tz);
    }
}

#[test]
fn heartbeat_across_a_dst_change_follows_the_offset_of_each_instant() {
    let c = codec();
    // New York, 2026-03-08: 06:59:55Z is 01:59:55 EST (-05:00), 07:00:10Z is 03:00:10 EDT (-04:00).
    let before = c.encode(&Command::Heartbeat(Now {
        utc_ms: 1_772_953_195_000,
        offset_min: -300,
    }));
    let after = c.encode(&Command::Heartbeat(Now {
        utc_ms: 1_772_953_210_000,
        offset_min: -240,
    }));
    assert!(
        before.contains(r#""stamp":"2026-03-08T06:59:55","tz":"-05:00""#),
        "{before}"
    );
    assert!(
        after.contains(r#""stamp":"2026-03-08T07:00:10","tz":"-04:00""#),
        "{after}"
    );
}

#[test]
fn outgoing_frames_are_exact() {
    let c = codec();
    assert_eq!(
        c.encode(&Command::UserMessage {
            client_id: "c1",
            text: "hi \"there\"\n"
        }),
        r#"{"message":"hi \"there\"\n","type":"message"}"#
    );
    assert_eq!(
        c.encode(&Command::Typing(true)),
        r#"{"message":true,"type":"typing"}"#
    );
    assert_eq!(
        c.encode(&Command::Typing(false)),
        r#"{"message":false,"type":"typing"}"#
    );
}

#[test]
fn socket_urls() {
    let c = codec();
    assert_eq!(
        c.socket_url(None, &LinkParams::default()),
        "wss://wss.plura.ai/webchat/flow/87f66d6d-dba9-4a44-9274-02c6927a083a/session/null/r/true"
    );
    let s = Session {
        id: "webchat-session.2a36".into(),
        route: "b7cf6862".into(),
        token: None,
    };
    assert_eq!(
        c.socket_url(Some(&s), &LinkParams::default()),
        "wss://wss.plura.ai/webchat/flow/b7cf6862/session/webchat-session.2a36/r/true"
    );
    let odd = Session {
        id: "a/b?c".into(),
        route: "r".into(),
        token: None,
    };
    assert!(c
        .socket_url(Some(&odd), &LinkParams::default())
        .ends_with("/session/a%2Fb%3Fc/r/true"));
}

#[test]
fn decodes_every_server_frame() {
    let c = codec();
    assert_eq!(
        events(
            &c,
            r#"{"type":"session","id":"m1","session_id":"webchat-session.35889b91"}"#
        ),
        Ok(vec![Event::Session {
            session_id: "webchat-session.35889b91".into()
        }])
    );
    assert_eq!(
        events(
            &c,
            r#"{"type":"chatowner","id":"o","profilepic":"https://x/p.png","name":"Flow Tester"}"#
        ),
        Ok(vec![Event::Agent {
            name: Some("Flow Tester".into()),
            avatar: Some("https://x/p.png".into()),
            joined: false
        }])
    );
    assert_eq!(
        events(
            &c,
            r#"{"type":"message","id":"m2","profilepic":"p","name":"Assistant","content":"Hi!"}"#
        ),
        Ok(vec![Event::AgentMessage(AgentText {
            id: Some("m2".into()),
            text: "Hi!".into(),
            name: Some("Assistant".into()),
            ..AgentText::default()
        })])
    );
    assert_eq!(
        events(
            &c,
            r#"{"type":"recv","id":"r","profilepic":"","name":"Anonymous","content":"hey"}"#
        ),
        Ok(vec![Event::Receipt {
            client_id: None,
            text: "hey".into()
        }])
    );
    assert_eq!(
        events(&c, r#"{"type":"flow_end"}"#),
        Ok(vec![Event::Unknown {
            kind: "flow_end".into()
        }])
    );
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let c = codec();
    assert!(matches!(
        events(&c, "not json"),
        Err(DecodeError::NotJson(_))
    ));
    assert_eq!(events(&c, "[1,2]"), Err(DecodeError::NotAnObject));
    assert_eq!(
        events(&c, r#"{"kind":"message"}"#),
        Err(DecodeError::MissingType)
    );
    assert_eq!(events(&c, r#"{"type":7}"#), Err(DecodeError::MissingType));
    assert!(matches!(
        events(&c, r#"{"type":"message"}"#),
        Err(DecodeError::MissingField {
            field: "content",
            ..
        })
    ));
    assert!(matches!(
        events(&c, r#"{"type":"session"}"#),
        Err(DecodeError::MissingField {
            field: "session_id",
            ..
        })
    ));
    let huge = format!(
        r#"{{"type":"message","content":"{}"}}"#,
        "a".repeat(300 * 1024)
    );
    assert!(matches!(events(&c, &huge), Err(DecodeError::TooLarge(_))));
}

#[test]
fn session_post_only_with_a_phone() {
    let c = codec();
    assert_eq!(c.session_request(&Fields::new()), Ok(None));
    let mut lead = Fields::new();
    lead.insert("first_name".to_string(), "Ada".to_string());
    assert!(c.session_request(&lead).unwrap_err().contains("phone"));
    lead.insert("phone".to_string(), "+15551234567".to_string());
    let req = c.session_request(&lead).unwrap().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.url, "https://hooks.plura.ai/webchat/session");
    let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"record": {"phone": "+15551234567", "first_name": "Ada"},
                           "flow_id": "87f66d6d-dba9-4a44-9274-02c6927a083a"})
    );
}

#[test]
fn session_answer_uses_the_returned_flow_and_session() {
    let c = codec();
    let ok = r#"{"flow_id":"b7cf6862","session":"webchat-session.2a36","flow_port":8088,"wss_test_url":"wss.plura.ai"}"#;
    assert_eq!(
        c.session_response(200, ok),
        Ok(Session {
            id: "webchat-session.2a36".into(),
            route: "b7cf6862".into(),
            token: None
        })
    );
    let err = c
        .session_response(400, r#"{"status":"failed","message":"Phone missing"}"#)
        .unwrap_err();
    assert!(
        err.contains("400") && err.contains("Phone missing"),
        "{err}"
    );
    assert!(c.session_response(200, "{}").is_err());
    assert!(c.session_response(0, "").is_err());
}
