//! One validated `Config` from the script tag's `data-*` attributes (EMBED.md).
//!
//! Parsing is plain Rust so every rule is tested natively. Problems with a *required*
//! attribute are errors (the widget shows them and does not connect); a bad *optional* value
//! falls back to its default with a warning, so a typo never takes a chat down.

use crate::keyed::Fields;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Plura,
    Iraa,
    Poly,
    Plati,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Plura => "plura",
            Provider::Iraa => "iraa",
            Provider::Poly => "poly",
            Provider::Plati => "plati",
        }
    }

    /// The vendor's REST and socket bases (PROTOCOLS.md, "Defaults").
    fn default_bases(self) -> (&'static str, Option<&'static str>) {
        match self {
            Provider::Plura => ("https://hooks.plura.ai", Some("wss://wss.plura.ai")),
            Provider::Iraa => ("https://api.iraa.ai", None),
            Provider::Poly => ("https://messaging.us-1.poly.ai", None),
            Provider::Plati => ("https://api.plati.ai", None),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    BottomRight,
    BottomLeft,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    Auto,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderMode {
    Default,
    Fullscreen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageKind {
    Local,
    Session,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageActions {
    Off,
    Host,
    /// A CSS selector of an `<iframe>` on the host page.
    Frame(String),
}

/// What each provider needs beyond the common attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderConfig {
    Plura {
        flow_id: String,
    },
    Iraa {
        public_key: String,
        product_id: String,
        lead_url: Option<String>,
    },
    Poly {
        token_url: Option<String>,
        access_token: Option<String>,
    },
    Plati {
        channel_id: String,
        identity_id: Option<String>,
        token_url: Option<String>,
        api_key: Option<String>,
        streaming: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub provider: Provider,
    pub api_url: String,
    pub ws_url: String,
    pub title: Option<String>,
    pub position: Position,
    pub theme: Theme,
    pub accent: Option<String>,
    pub auto_open: bool,
    /// A short chime for agent messages that arrive while the visitor is not looking
    /// (`data-sound="true"`; off by default).
    pub sound: bool,
    /// `data-preload="eager"`: embed.js fetches the bundle at once (it reads the attribute
    /// itself; it is parsed here so a typo is reported like any other).
    pub preload_eager: bool,
    pub show_launcher: bool,
    pub render_mode: RenderMode,
    pub lang: Option<String>,
    pub storage: StorageKind,
    pub page_actions: PageActions,
    pub allowed_origins: Vec<String>,
    /// Lead data from `data-lead-*`, keys in snake case (`data-lead-first-name` → `first_name`).
    pub lead: Fields,
    pub provider_config: ProviderConfig,
    /// Optional values that were wrong and replaced by their default.
    pub warnings: Vec<String>,
}

/// Why the widget cannot start; shown in the panel and logged to the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub attribute: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.attribute, self.message)
    }
}

impl Config {
    /// The prefix of every storage key of this widget: provider plus its flow, product or
    /// channel, so two widgets on one origin never collide (EMBED.md, "Storage keys").
    pub fn storage_prefix(&self) -> String {
        let scope = match &self.provider_config {
            ProviderConfig::Plura { flow_id } => flow_id.as_str(),
            ProviderConfig::Iraa { product_id, .. } => product_id.as_str(),
            ProviderConfig::Poly { .. } => "default",
            ProviderConfig::Plati { channel_id, .. } => channel_id.as_str(),
        };
        format!("confab:{}:{}", self.provider.name(), scope)
    }

    /// Parses the script tag's attributes (full names, e.g. `data-flow-id`), with no page to
    /// resolve relative URLs against.
    pub fn from_attributes<'a, I>(attributes: I) -> Result<Config, Vec<ConfigError>>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        Config::from_page_attributes(attributes, |_| None)
    }

    /// [`Config::from_attributes`] on a page: `resolve` makes a relative URL attribute
    /// absolute against the page's own URL (see [`resolve_url_attribute`]).
    pub fn from_page_attributes<'a, I>(
        attributes: I,
        resolve: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, Vec<ConfigError>>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut attrs: Fields = Fields::new();
        let mut lead = Fields::new();
        for (name, value) in attributes {
            let name = name.trim().to_ascii_lowercase();
            let value = resolve_url_attribute(&name, value, &resolve)
                .unwrap_or_else(|| value.trim().to_string());
            // `data-lead-url` is Iraa's lead POST target (EMBED.md), not a lead field.
            if let Some(field) = name
                .strip_prefix("data-lead-")
                .filter(|_| name != "data-lead-url")
            {
                if !field.is_empty() && !value.is_empty() {
                    lead.insert(field.replace('-', "_"), value);
                }
            } else {
                attrs.insert(name, value);
            }
        }
        let get = |name: &str| {
            attrs
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };

        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let err = |errors: &mut Vec<ConfigError>, attribute: &str, message: String| {
            errors.push(ConfigError {
                attribute: attribute.to_string(),
                message,
            })
        };

        let provider = match get("data-provider") {
            None => {
                err(
                    &mut errors,
                    "data-provider",
                    "is required: one of plura, iraa, poly, plati".into(),
                );
                return Err(errors);
            }
            Some(p) => match p.to_ascii_lowercase().as_str() {
                "plura" => Provider::Plura,
                "iraa" => Provider::Iraa,
                "poly" => Provider::Poly,
                "plati" => Provider::Plati,
                other => {
                    err(
                        &mut errors,
                        "data-provider",
                        format!(
                            "unknown provider \"{other}\": expected plura, iraa, poly or plati"
                        ),
                    );
                    return Err(errors);
                }
            },
        };

        let (default_api, default_ws) = provider.default_bases();
        let api_url = match get("data-api-url") {
            Some(url) => match normalize_base(url, &["http", "https"]) {
                Ok(u) => u,
                Err(why) => {
                    err(&mut errors, "data-api-url", why);
                    String::new()
                }
            },
            None => default_api.to_string(),
        };
        let ws_url = match get("data-ws-url") {
            Some(url) => match normalize_base(url, &["ws", "wss"]) {
                Ok(u) => u,
                Err(why) => {
                    err(&mut errors, "data-ws-url", why);
                    String::new()
                }
            },
            // The vendor's socket host is used only while the REST base is the vendor's too.
            None => match (get("data-api-url"), default_ws) {
                (None, Some(ws)) => ws.to_string(),
                _ => derive_ws(&api_url),
            },
        };

        let mut choice = |name: &str, options: &[&str], default: usize| -> usize {
            match get(name) {
                None => default,
                Some(v) => match options.iter().position(|o| o.eq_ignore_ascii_case(v)) {
                    Some(i) => i,
                    None => {
                        warnings.push(format!(
                            "{name}=\"{v}\" is not one of {}; using \"{}\"",
                            crate::text::join(options, ", "),
                            options[default]
                        ));
                        default
                    }
                },
            }
        };
        let position = [Position::BottomRight, Position::BottomLeft]
            [choice("data-position", &["bottom-right", "bottom-left"], 0)];
        let theme = [Theme::Light, Theme::Dark, Theme::Auto]
            [choice("data-theme", &["light", "dark", "auto"], 2)];
        let auto_open = choice("data-auto-open", &["false", "true"], 0) == 1;
        let sound = choice("data-sound", &["false", "true"], 0) == 1;
        let preload_eager = choice("data-preload", &["idle", "eager"], 0) == 1;
        let show_launcher = choice("data-show-launcher", &["true", "false"], 0) == 0;
        let render_mode = [RenderMode::Default, RenderMode::Fullscreen]
            [choice("data-render-mode", &["default", "fullscreen"], 0)];
        let storage = [StorageKind::Local, StorageKind::Session, StorageKind::None]
            [choice("data-storage", &["local", "session", "none"], 0)];
        let streaming = choice("data-streaming", &["true", "false"], 0) == 0;

        let accent = get("data-accent").and_then(|a| {
            if is_safe_css_color(a) {
                Some(a.to_string())
            } else {
                warnings.push(format!(
                    "data-accent=\"{a}\" is not a plain CSS color; using the built-in accent"
                ));
                None
            }
        });
        let lang = get("data-lang").and_then(|l| {
            if is_bcp47ish(l) {
                Some(l.to_string())
            } else {
                warnings.push(format!(
                    "data-lang=\"{l}\" is not a BCP-47 tag; using the browser's language"
                ));
                None
            }
        });
        let page_actions = match get("data-page-actions") {
            None => PageActions::Host,
            Some(v) if v.eq_ignore_ascii_case("off") => PageActions::Off,
            Some(v) if v.eq_ignore_ascii_case("host") => PageActions::Host,
            Some(selector) => PageActions::Frame(selector.to_string()),
        };
        let mut allowed_origins = Vec::new();
        for origin in get("data-allowed-origins").unwrap_or("").split_whitespace() {
            match normalize_origin(origin) {
                Some(o) => allowed_origins.push(o),
                None => warnings.push(format!(
                    "data-allowed-origins: \"{origin}\" is not an http(s) origin; ignored"
                )),
            }
        }

        let mut required = |name: &str, what: &str| -> String {
            match get(name) {
                Some(v) if is_path_segment(v) => v.to_string(),
                Some(v) => {
                    err(
                        &mut errors,
                        name,
                        format!("\"{v}\" is not a valid {what} (letters, digits, '.', '_' and '-' only)"),
                    );
                    String::new()
                }
                None => {
                    err(
                        &mut errors,
                        name,
                        format!("is required for data-provider=\"{}\"", provider.name()),
                    );
                    String::new()
                }
            }
        };
        // An endpoint of the host's (a token or lead URL) is used exactly as given, query
        // included; only its scheme and host are checked.
        let optional_url = |errors: &mut Vec<ConfigError>, name: &str| -> Option<String> {
            let v = get(name)?;
            match check_endpoint(v) {
                Ok(u) => Some(u),
                Err(why) => {
                    errors.push(ConfigError {
                        attribute: name.to_string(),
                        message: why,
                    });
                    None
                }
            }
        };
        let provider_config = match provider {
            Provider::Plura => ProviderConfig::Plura {
                flow_id: required("data-flow-id", "flow id"),
            },
            Provider::Iraa => {
                let public_key = required("data-public-key", "public key");
                let product_id = required("data-product-id", "product id");
                if !public_key.is_empty() && !public_key.starts_with("pk_") {
                    err(
                        &mut errors,
                        "data-public-key",
                        "must be a public key (pk_live_… or pk_test_…); never put a secret key in a page".into(),
                    );
                }
                ProviderConfig::Iraa {
                    public_key,
                    product_id,
                    lead_url: optional_url(&mut errors, "data-lead-url"),
                }
            }
            Provider::Poly => {
                let token_url = optional_url(&mut errors, "data-token-url");
                let access_token = get("data-access-token").map(str::to_string);
                if token_url.is_none() && access_token.is_none() {
                    err(
                        &mut errors,
                        "data-token-url",
                        "is required for data-provider=\"poly\" (or data-access-token in development)".into(),
                    );
                }
                ProviderConfig::Poly {
                    token_url,
                    access_token,
                }
            }
            Provider::Plati => ProviderConfig::Plati {
                channel_id: required("data-channel-id", "channel id"),
                identity_id: get("data-identity-id").map(str::to_string),
                token_url: optional_url(&mut errors, "data-token-url"),
                api_key: get("data-api-key").map(str::to_string),
                streaming,
            },
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            provider,
            api_url,
            ws_url,
            title: get("data-title").map(str::to_string),
            position,
            theme,
            accent,
            auto_open,
            sound,
            preload_eager,
            show_launcher,
            render_mode,
            lang,
            storage,
            page_actions,
            allowed_origins,
            lead,
            provider_config,
            warnings,
        })
    }
}

/// Checks a base URL's scheme and host and drops trailing slashes, so paths append exactly.
fn normalize_base(url: &str, schemes: &[&str]) -> Result<String, String> {
    let (scheme, rest) = check_url(url, schemes)?;
    if rest.contains(['?', '#']) {
        return Err(format!(
            "\"{url}\" must be a base URL without query or fragment"
        ));
    }
    Ok(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        rest.trim_end_matches('/')
    ))
}

/// An endpoint URL (`data-token-url`, `data-lead-url`): checked as a base is, but its path
/// and query are kept as written.
fn check_endpoint(url: &str) -> Result<String, String> {
    check_url(url, &["http", "https"]).map(|_| url.to_string())
}

/// An absolute URL with one of `schemes`, a host and no spaces: its scheme and the rest.
fn check_url<'a>(url: &'a str, schemes: &[&str]) -> Result<(&'a str, &'a str), String> {
    let (scheme, rest) = split_scheme(url).ok_or_else(|| not_absolute(url))?;
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err(format!(
            "\"{url}\" must use {}://",
            crate::text::join(schemes, ":// or ")
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("\"{url}\" has no valid host"));
    }
    Ok((scheme, rest))
}

fn not_absolute(url: &str) -> String {
    format!(
        "\"{url}\" is not an absolute URL (write https://…, or /… for a path on this page's host)"
    )
}

/// The attributes whose value is a URL. A relative one (`/api/token`, `//cdn.example/x`,
/// `./token`) is resolved against the page's own URL as the attributes are read, as a link
/// on the page would be (decision: the host's endpoints are most often on its own origin).
const URL_ATTRIBUTES: [&str; 4] = [
    "data-api-url",
    "data-ws-url",
    "data-token-url",
    "data-lead-url",
];

/// Whether a URL attribute's value is written relative to the page: `/path`, `//host/path`,
/// `./path` or `../path`. A bare `api.example.com/x` is not taken as a path on the page's own
/// host (more likely a forgotten `https://`): it stays as written and is refused with a hint.
fn is_relative_url(value: &str) -> bool {
    let v = value.trim();
    v.starts_with('/') || v.starts_with("./") || v.starts_with("../")
}

/// A relative URL attribute as the page's `resolve` made it absolute. A socket base resolved
/// against an http(s) page is turned into ws(s), so `data-ws-url="/socket"` means this
/// page's host. `None` when `resolve` cannot (the value is then read, and refused, as is).
pub fn resolve_url_attribute(
    name: &str,
    value: &str,
    resolve: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    if !URL_ATTRIBUTES.contains(&name) || !is_relative_url(value) {
        return None;
    }
    let absolute = resolve(value.trim())?;
    if name == "data-ws-url" {
        let ws = derive_ws(&absolute);
        if !ws.is_empty() {
            return Some(ws);
        }
    }
    Some(absolute)
}

/// `WS` derived from `API`: http→ws, https→wss (PROTOCOLS.md, introduction).
fn derive_ws(api: &str) -> String {
    if let Some(rest) = api.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = api.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        String::new()
    }
}

/// `scheme://rest` as its scheme and the rest. (A scheme holds no `:`, so the first one ends
/// it; a byte search, where `split_once("://")` would bring a substring searcher.)
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    Some((scheme, rest.strip_prefix("//")?))
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased, or None.
pub fn normalize_origin(url: &str) -> Option<String> {
    let (scheme, rest) = split_scheme(url)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() || host.contains('@') || host.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Ids go into URL paths and storage keys: keep them to unreserved characters.
fn is_path_segment(v: &str) -> bool {
    v.len() <= 200
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && v != "."
        && v != ".."
}

/// A color is set with `style.setProperty`, so it cannot escape its declaration; still only
/// accept the characters of ordinary CSS colors (`#abc`, `rebeccapurple`, `rgb(1 2 3 / .5)`).
fn is_safe_css_color(v: &str) -> bool {
    v.len() <= 64
        && v.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '#' | '(' | ')' | ',' | '.' | '%' | ' ' | '/' | '-')
        })
}

fn is_bcp47ish(v: &str) -> bool {
    v.len() <= 35
        && v.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.chars().all(|c| c.is_ascii_alphanumeric())
        })
}
