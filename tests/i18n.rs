//! Native tests of the UI string catalogue and the local day a message is filed under.
use confab::i18n::Lang;

#[test]
fn data_lang_wins_then_the_browser_then_english() {
    assert_eq!(Lang::pick(Some("fr-CA"), Some("de-DE")), Lang::Fr);
    assert_eq!(Lang::pick(None, Some("es-MX")), Lang::Es);
    assert_eq!(
        Lang::pick(Some("xx"), Some("ar-EG")),
        Lang::Ar,
        "an unknown data-lang falls back to the browser"
    );
    assert_eq!(Lang::pick(None, Some("iw")), Lang::He);
    assert_eq!(Lang::pick(None, Some("ja-JP")), Lang::En);
    assert_eq!(Lang::pick(None, None), Lang::En);
}

#[test]
fn arabic_and_hebrew_are_right_to_left() {
    for l in Lang::ALL {
        assert_eq!(l.rtl(), matches!(l, Lang::Ar | Lang::He), "{l:?}");
    }
}

#[test]
fn every_language_has_every_string_translated() {
    let en = Lang::En.strings();
    for l in Lang::ALL {
        let t = l.strings();
        let all = [
            t.connecting,
            t.reconnecting,
            t.offline,
            t.ended,
            t.unavailable,
            t.sending,
            t.sent,
            t.delivered,
            t.not_sent,
            t.interrupted,
            t.retry,
            t.open_chat,
            t.close_chat,
            t.sound_on,
            t.sound_off,
            t.end_chat,
            t.new_chat,
            t.acting,
            t.stop,
            t.messages,
            t.message,
            t.placeholder,
            t.send,
            t.dismiss,
            t.suggested,
            t.your_details,
            t.typing,
            t.invalid_email,
            t.chat,
            t.latest,
            t.copy,
            t.copied,
            t.code,
            t.new_messages,
        ];
        assert!(
            all.iter().all(|s| !s.trim().is_empty()),
            "{l:?} has an empty string"
        );
        if l != Lang::En {
            assert_ne!(t.placeholder, en.placeholder, "{l:?}");
            assert_ne!(t.reconnecting, en.reconnecting, "{l:?}");
            assert_ne!(t.new_chat, en.new_chat, "{l:?}");
        }
    }
}

#[test]
fn engine_notices_are_worded_in_every_language() {
    use confab::i18n::Notice;
    let all = [
        Notice::ContinuedElsewhere,
        Notice::SessionExpired,
        Notice::EndedIdle,
        Notice::Ended,
        Notice::AssistantLeft,
        Notice::ConnectingTeam,
        Notice::TeamSoon,
        Notice::Queue {
            position: Some(2),
            queue: Some("Support".into()),
            wait_seconds: Some(30),
        },
        Notice::Queue {
            position: None,
            queue: None,
            wait_seconds: None,
        },
        Notice::AgentJoined {
            name: Some("Sarah".into()),
        },
        Notice::AgentJoined { name: None },
        Notice::AgentLeft,
        Notice::HandoffFailed,
        Notice::HandoffTimeout,
        Notice::NeedsTeam {
            queue: Some("Billing".into()),
        },
        Notice::NeedsTeam { queue: None },
    ];
    for n in &all {
        let en = n.text(Lang::En);
        for l in Lang::ALL {
            let t = n.text(l);
            assert!(!t.trim().is_empty() && !t.contains('{'), "{l:?} {n:?}: {t}");
            if l != Lang::En {
                assert_ne!(t, en, "{l:?} {n:?} is not translated");
            }
        }
    }
    assert_eq!(
        all[7].text(Lang::En),
        "You are number 2 in the queue for Support (wait: about a minute)."
    );
    assert_eq!(all[10].text(Lang::He), "נציג הצטרף לצ'אט.");
    let server = Notice::Server {
        text: "Maintenance at 5pm".into(),
    };
    // Stored with the transcript: every notice round-trips through JSON.
    for n in all.iter().chain([&server]) {
        let json = confab::protocol::write::json(n);
        let back = Notice::read(&confab::protocol::scan::parse(&json).unwrap());
        assert_eq!(back.as_ref(), Some(n), "{json}");
    }
    assert_eq!(
        server.text(Lang::Ar),
        "Maintenance at 5pm",
        "server text is shown as sent"
    );
}

#[test]
fn a_message_day_is_the_visitors_local_date() {
    use confab::clock::local_day_key;
    // 2025-11-06T21:59:02Z: still the 6th in New York, already the 7th in Tokyo.
    let at = 1_762_466_342_000;
    assert_eq!(local_day_key(at, 0), 20251106);
    assert_eq!(local_day_key(at, -300), 20251106);
    assert_eq!(local_day_key(at, 540), 20251107);
    // Midnight is the first moment of a day; the last millisecond before it is the day before.
    assert_eq!(local_day_key(951_782_400_000, 0), 20000229);
    assert_eq!(local_day_key(951_782_400_000 - 1, 0), 20000228);
    assert_eq!(local_day_key(-1, 0), 19691231);
    // Nothing absurd from an absurd time.
    assert_eq!(local_day_key(i64::MAX, 0), 0);
    assert_eq!(local_day_key(i64::MIN, 840), 0);
}

#[test]
fn stored_notices_read_back_in_their_stored_form() {
    use confab::i18n::Notice;
    let read = |json: &str| {
        Notice::read(&confab::protocol::scan::parse(json).unwrap()).ok_or(json.to_string())
    };
    assert_eq!(
        confab::protocol::write::json(&Notice::Queue {
            position: Some(3),
            queue: None,
            wait_seconds: Some(90)
        }),
        r#"{"k":"queue","position":3,"queue":null,"wait_seconds":90}"#
    );
    assert_eq!(
        read(r#"{"wait_seconds":90,"k":"queue","position":3}"#).unwrap(),
        Notice::Queue {
            position: Some(3),
            queue: None,
            wait_seconds: Some(90)
        }
    );
    assert_eq!(read(r#"{"k":"ended","extra":[1]}"#).unwrap(), Notice::Ended);
    assert!(
        read(r#"{"k":"server"}"#).is_err(),
        "a server notice needs its text"
    );
    assert!(read(r#"{"k":"no_such_notice"}"#).is_err());
    assert!(read(r#"{"text":"x"}"#).is_err(), "no kind");
    assert!(read(r#"{"k":"queue","position":"3"}"#).is_err());
    assert!(read(r#"{"k":"queue","position":-1}"#).is_err());
    assert!(read(r#"["queue"]"#).is_err(), "not an object");
    assert_eq!(
        read(r#"{"k":"agent_joined","name":null}"#).unwrap(),
        Notice::AgentJoined { name: None },
        "null is absent"
    );
}
