//! Native tests of the UI string catalogue.
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
