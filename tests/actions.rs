//! Native tests of the page-action safety rules.
use confab::actions::{check_navigate, precheck};
use confab::protocol::PageAction;

fn act(action: &str, selector: Option<&str>, url: Option<&str>) -> PageAction {
    PageAction {
        action: action.into(),
        selector: selector.map(Into::into),
        url: url.map(Into::into),
        ..PageAction::default()
    }
}

#[test]
fn actions_need_their_fields() {
    assert!(precheck(&act("click", Some("#go"), None)).is_ok());
    assert!(precheck(&act("navigate", None, Some("/dashboard"))).is_ok());
    assert!(precheck(&act("click", None, None))
        .unwrap_err()
        .contains("needs a selector"));
    assert!(precheck(&act("navigate", None, None))
        .unwrap_err()
        .contains("needs a url"));
    assert!(precheck(&act("eval", Some("x"), None))
        .unwrap_err()
        .contains("unknown action \"eval\""));
    assert!(precheck(&act("", None, None)).is_err());
    assert!(precheck(&act("type", Some(&"a".repeat(501)), None)).is_err());
}

#[test]
fn navigate_goes_only_to_http_urls_of_allowed_origins() {
    let allowed = vec!["https://docs.example.com".to_string()];
    let t = "https://app.example.com";
    assert!(check_navigate("https://app.example.com/dashboard", t, &allowed).is_ok());
    assert!(check_navigate("https://docs.example.com/x?y#z", t, &allowed).is_ok());
    assert!(check_navigate("HTTPS://APP.EXAMPLE.COM/a", t, &allowed).is_ok());
    for bad in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "https://evil.example.net/",
        "http://app.example.com/", // another scheme is another origin
        "https://app.example.com:8443/",
        "https://app.example.com@evil.example.net/",
        "https://docs.example.com.evil.net/",
    ] {
        assert!(
            check_navigate(bad, t, &allowed).is_err(),
            "{bad} was allowed"
        );
    }
}
