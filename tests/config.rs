//! Native tests of config parsing (EMBED.md attributes).
use confab::config::*;

fn parse(attrs: &[(&str, &str)]) -> Result<Config, Vec<ConfigError>> {
    Config::from_attributes(attrs.iter().copied())
}

#[test]
fn plura_defaults_use_the_vendor_hosts() {
    let c = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "87f66d6d-dba9"),
    ])
    .unwrap();
    assert_eq!(c.api_url, "https://hooks.plura.ai");
    assert_eq!(c.ws_url, "wss://wss.plura.ai");
    assert_eq!(c.position, Position::BottomRight);
    assert_eq!(c.theme, Theme::Auto);
    assert!(c.show_launcher && !c.auto_open);
    assert_eq!(c.storage, StorageKind::Local);
    assert_eq!(c.page_actions, PageActions::Host);
    assert_eq!(c.storage_prefix(), "confab:plura:87f66d6d-dba9");
}

#[test]
fn ws_base_is_derived_from_a_custom_api_base() {
    let c = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "f"),
        ("data-api-url", "http://127.0.0.1:8080/plura/"),
    ])
    .unwrap();
    assert_eq!(c.api_url, "http://127.0.0.1:8080/plura");
    assert_eq!(c.ws_url, "ws://127.0.0.1:8080/plura");
    let c = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "f"),
        ("data-api-url", "https://x.test/p"),
        ("data-ws-url", "wss://y.test/s/"),
    ])
    .unwrap();
    assert_eq!(c.ws_url, "wss://y.test/s");
}

#[test]
fn missing_or_bad_required_values_are_errors() {
    let e = parse(&[]).unwrap_err();
    assert_eq!(e[0].attribute, "data-provider");
    let e = parse(&[("data-provider", "intercom")]).unwrap_err();
    assert!(e[0].message.contains("unknown provider"));
    let e = parse(&[("data-provider", "plura")]).unwrap_err();
    assert_eq!(e[0].attribute, "data-flow-id");
    assert!(e[0].message.contains("required"));
    let e = parse(&[("data-provider", "plura"), ("data-flow-id", "../x")]).unwrap_err();
    assert!(e[0].message.contains("not a valid flow id"));
    let e = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "f"),
        ("data-api-url", "javascript:alert(1)"),
    ])
    .unwrap_err();
    assert_eq!(e[0].attribute, "data-api-url");
    let e = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "f"),
        ("data-ws-url", "http://x.test"),
    ])
    .unwrap_err();
    assert!(e[0].message.contains("ws://"));
}

#[test]
fn bad_optional_values_fall_back_with_a_warning() {
    let c = parse(&[
        ("data-provider", "PLURA"),
        ("data-flow-id", "f"),
        ("data-position", "top-middle"),
        ("data-accent", "red;background:url(x)"),
        ("data-auto-open", "TRUE"),
        ("data-storage", "none"),
        ("data-sound", "loud"),
        ("data-preload", "EAGER"),
    ])
    .unwrap();
    assert!(c.preload_eager, "values are case-insensitive");
    assert!(!c.sound, "an unknown data-sound leaves the chime off");
    assert_eq!(c.position, Position::BottomRight);
    assert_eq!(c.accent, None);
    assert!(c.auto_open);
    assert_eq!(c.storage, StorageKind::None);
    assert_eq!(c.warnings.len(), 3, "{:?}", c.warnings);
}

#[test]
fn lead_attributes_become_snake_case_fields() {
    let c = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "f"),
        ("data-lead-phone", "+15551234567"),
        ("data-lead-first-name", "Ada"),
        ("data-lead-empty", ""),
    ])
    .unwrap();
    let iraa = parse(&[
        ("data-provider", "iraa"),
        ("data-public-key", "pk_test_x"),
        ("data-product-id", "default"),
        ("data-lead-url", "https://crm.example.com/leads"),
        ("data-lead-email", "a@b.c"),
    ])
    .unwrap();
    assert!(
        !iraa.lead.contains_key("url"),
        "data-lead-url is not lead data"
    );
    assert!(
        matches!(iraa.provider_config, ProviderConfig::Iraa { lead_url: Some(ref u), .. } if u == "https://crm.example.com/leads")
    );
    assert_eq!(
        c.lead.get("phone").map(String::as_str),
        Some("+15551234567")
    );
    assert_eq!(c.lead.get("first_name").map(String::as_str), Some("Ada"));
    assert!(!c.lead.contains_key("empty"));
}

#[test]
fn allowed_origins_keep_only_http_origins() {
    let c = parse(&[
        ("data-provider", "plura"),
        ("data-flow-id", "f"),
        (
            "data-allowed-origins",
            "https://Shop.Example/path http://a.test:81 javascript:x",
        ),
    ])
    .unwrap();
    assert_eq!(
        c.allowed_origins,
        vec!["https://shop.example", "http://a.test:81"]
    );
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn other_providers_check_their_required_attributes() {
    let e = parse(&[
        ("data-provider", "iraa"),
        ("data-public-key", "sk_live_x"),
        ("data-product-id", "default"),
    ])
    .unwrap_err();
    assert!(e[0].message.contains("public key"));
    assert!(parse(&[("data-provider", "poly")]).is_err());
    assert!(parse(&[("data-provider", "poly"), ("data-access-token", "t")]).is_ok());
    assert!(parse(&[("data-provider", "plati")]).is_err());
}

/// A stand-in for the browser's `new URL(relative, page)`, for a page at
/// `https://shop.example/store/page.html`.
fn page_resolve(relative: &str) -> Option<String> {
    let page = "https://shop.example/store/page.html";
    Some(if let Some(rest) = relative.strip_prefix("//") {
        format!("https://{rest}")
    } else if relative.starts_with('/') {
        format!("https://shop.example{relative}")
    } else {
        let path = relative.strip_prefix("./").unwrap_or(relative);
        format!("{}{path}", &page[..page.rfind('/')? + 1])
    })
}

#[test]
fn relative_url_attributes_resolve_against_the_page() {
    let r = |name: &str, value: &str| resolve_url_attribute(name, value, page_resolve);
    assert_eq!(
        r("data-token-url", "/api/token").as_deref(),
        Some("https://shop.example/api/token")
    );
    assert_eq!(
        r("data-lead-url", "./leads?src=chat").as_deref(),
        Some("https://shop.example/store/leads?src=chat")
    );
    assert_eq!(
        r("data-api-url", "//proxy.example/plati").as_deref(),
        Some("https://proxy.example/plati")
    );
    // A socket base on the page's own host becomes ws(s).
    assert_eq!(
        r("data-ws-url", "/socket").as_deref(),
        Some("wss://shop.example/socket")
    );
    // Absolute values, other schemes and other attributes are left as written.
    assert_eq!(r("data-token-url", "https://t.example/x"), None);
    assert_eq!(r("data-api-url", "javascript:alert(1)"), None);
    assert_eq!(r("data-api-url", "ftp://x.example"), None);
    assert_eq!(r("data-title", "/not-a-url"), None);
    assert_eq!(r("data-token-url", "  "), None);
    // A host without its scheme is not a path on this page: it is refused, with a hint.
    assert_eq!(r("data-api-url", "api.example.com/plati"), None);
    let e = parse(&[
        ("data-provider", "plati"),
        ("data-channel-id", "c"),
        ("data-api-url", "api.example.com/plati"),
    ])
    .unwrap_err();
    assert!(e[0].message.contains("write https://"), "{e:?}");
    // A page the browser cannot resolve against (no base): read as written, and refused.
    assert_eq!(
        resolve_url_attribute("data-token-url", "/t", |_| None),
        None
    );
    let e = parse(&[("data-provider", "poly"), ("data-token-url", "/t")]).unwrap_err();
    assert!(e[0].message.contains("not an absolute URL"), "{e:?}");
}

#[test]
fn endpoint_urls_keep_their_query_and_path_exactly() {
    let c = parse(&[
        ("data-provider", "poly"),
        (
            "data-token-url",
            "https://shop.example/api/token/?site=a&v=2",
        ),
    ])
    .unwrap();
    assert!(
        matches!(c.provider_config, ProviderConfig::Poly { token_url: Some(ref u), .. } if u == "https://shop.example/api/token/?site=a&v=2")
    );
    for bad in [
        "ftp://x.example/t",
        "https:///t",
        "https://x.example/a b",
        "javascript:alert(1)",
    ] {
        let e = parse(&[("data-provider", "poly"), ("data-token-url", bad)]).unwrap_err();
        assert_eq!(e[0].attribute, "data-token-url", "{bad}");
    }
    // A REST base still takes no query: paths are appended to it.
    let e = parse(&[
        ("data-provider", "poly"),
        ("data-access-token", "t"),
        ("data-api-url", "https://x.example/p?x=1"),
    ])
    .unwrap_err();
    assert!(e[0].message.contains("without query"), "{e:?}");
}
