//! Iraa live demos (PROTOCOLS.md §2): `{type, payload}` frames, page actions in agent
//! responses, lead forms, error codes, and a heartbeat the server answers with `pong`.

use super::plati::percent_encode;
use super::write::{json, object};
use super::{
    parse_typed, AgentText, ClosePolicy, Codec, Command, DecodeError, Envelope, Event, HttpRequest,
    LinkParams, PageAction, Problem, Read, Session,
};
use crate::keyed::Fields;
use crate::protocol::value::{object_or_empty, Map, Value};

pub const HEARTBEAT_MS: u64 = 30_000;

pub struct Iraa {
    api: String,
    ws: String,
    product_id: String,
}

impl Iraa {
    pub fn new(api: &str, ws: &str, product_id: &str) -> Iraa {
        Iraa {
            api: api.to_string(),
            ws: ws.to_string(),
            product_id: product_id.to_string(),
        }
    }
}

fn text(map: &Map, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `iframeCommands`: each `{action, …}`; entries that are not objects with a string `action`
/// are kept as an action named `""`, so the runner refuses and reports them instead of
/// silently dropping a step.
fn page_actions(value: Option<&Value>) -> Vec<PageAction> {
    let Some(list) = value.and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .map(|c| {
            let m = object_or_empty(Some(c));
            PageAction {
                action: text(m, "action").unwrap_or_default(),
                selector: text(m, "selector"),
                url: text(m, "url"),
                text: text(m, "text"),
                value: text(m, "value").or_else(|| {
                    m.get("value")
                        .and_then(Value::as_number)
                        .map(|n| n.as_str().to_string())
                }),
                timeout: m.get("timeout").and_then(Value::as_u64),
            }
        })
        .collect()
}

/// The greeting and agent of a session answer, as events.
fn greeting_events(body: &Value) -> Vec<Event> {
    let mut events = Vec::new();
    if let Some(name) = body
        .get("agent")
        .and_then(|a| a.get("name"))
        .and_then(Value::as_str)
    {
        events.push(Event::Agent {
            name: Some(name.to_string()),
            avatar: None,
            joined: true,
        });
    }
    if let Some(g) = body.get("greeting").and_then(Value::as_object) {
        if let Some(t) = text(g, "text").filter(|t| !t.is_empty()) {
            events.push(Event::AgentMessage(AgentText {
                id: None,
                text: t,
                name: None,
                attachments: Vec::new(),
                suggestions: strings(g.get("suggestions")),
            }));
        }
        if let Some(s) = text(g, "speech").filter(|s| !s.is_empty()) {
            events.push(Event::Speech(s));
        }
    }
    events
}

impl Codec for Iraa {
    fn provider(&self) -> &'static str {
        "iraa"
    }

    fn socket_url(&self, session: Option<&Session>, _link: &LinkParams) -> String {
        let (id, token) = session.map_or(("", ""), |s| {
            (s.id.as_str(), s.token.as_deref().unwrap_or(""))
        });
        format!(
            "{}/ws/session/{}?token={}",
            self.ws,
            percent_encode(id),
            percent_encode(token)
        )
    }

    fn anonymous_allowed(&self) -> bool {
        false
    }

    fn session_request(&self, lead: &Fields) -> Result<Option<HttpRequest>, String> {
        let mut body = Map::new();
        body.insert("productId".into(), self.product_id.as_str().into());
        // visitorMeta from lead data: name (or first + last), email, company, needs, persona.
        let mut meta = Map::new();
        let name = super::lead_name(lead);
        if let Some(n) = name {
            meta.insert("name".into(), n.into());
        }
        for k in ["email", "company", "persona"] {
            if let Some(v) = lead.get(k) {
                meta.insert(k.into(), v.clone().into());
            }
        }
        if let Some(needs) = lead.get("needs") {
            let list: Vec<Value> = needs
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::from(s.to_string()))
                .collect();
            meta.insert("needs".into(), Value::Array(list));
        }
        if !meta.is_empty() {
            body.insert("visitorMeta".into(), Value::Object(meta));
        }
        Ok(Some(HttpRequest {
            method: "POST",
            url: format!("{}/api/v1/session", self.api),
            body: Some(json(&body)),
            read: Read::Whole,
        }))
    }

    fn session_response(&self, status: u16, body: &str) -> Result<Session, String> {
        if !(200..300).contains(&status) {
            let why = super::scan::parse(body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .or_else(|| v.get("error"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "no reason given".into());
            return Err(format!(
                "starting the demo session answered HTTP {status}: {why}"
            ));
        }
        let v: Value =
            super::scan::parse(body).map_err(|e| format!("session answer is not JSON: {e}"))?;
        match (
            v.get("sessionId").and_then(Value::as_str),
            v.get("token").and_then(Value::as_str),
        ) {
            (Some(id), Some(token)) if !id.is_empty() && !token.is_empty() => Ok(Session {
                id: id.to_string(),
                route: String::new(),
                token: Some(token.to_string()),
            }),
            _ => Err("session answer lacks sessionId or token".into()),
        }
    }

    fn session_events(&self, body: &str) -> Vec<Event> {
        super::scan::parse(body)
            .map(|v| greeting_events(&v))
            .unwrap_or_default()
    }

    fn decode(&self, frame: &str) -> Result<Vec<Envelope>, DecodeError> {
        let (kind, map) = parse_typed(frame)?;
        let p = object_or_empty(map.get("payload"));
        let mut events = Vec::new();
        match kind.as_str() {
            "agent_response" => {
                let t = text(p, "text").unwrap_or_default();
                let suggestions = strings(p.get("suggestions"));
                if !t.is_empty() || !suggestions.is_empty() {
                    events.push(Event::AgentMessage(AgentText {
                        id: None,
                        text: t,
                        name: None,
                        attachments: Vec::new(),
                        suggestions,
                    }));
                }
                if let Some(s) = text(p, "speech").filter(|s| !s.is_empty()) {
                    events.push(Event::Speech(s));
                }
                let actions = page_actions(p.get("iframeCommands"));
                if !actions.is_empty() {
                    events.push(Event::PageActions(actions));
                }
                if events.is_empty() {
                    // Nothing to show, say or do: a frame missing its content.
                    return Err(DecodeError::MissingField {
                        kind,
                        field: "payload.text",
                    });
                }
            }
            "typing_indicator" => events.push(Event::Typing(
                p.get("isTyping").and_then(Value::as_bool).unwrap_or(false),
            )),
            "lead_form" => {
                let cta = object_or_empty(p.get("cta"));
                events.push(Event::LeadForm {
                    fields: strings(p.get("fields")),
                    cta_text: text(cta, "text"),
                    cta_url: text(cta, "url"),
                });
            }
            "error" => events.push(Event::ServerError {
                code: text(p, "code").unwrap_or_else(|| "UNKNOWN".into()),
                message: text(p, "message").unwrap_or_default(),
            }),
            "pong" => events.push(Event::Pong),
            _ => events.push(Event::Unknown { kind }),
        }
        Ok(vec![Envelope {
            id: None,
            seq: None,
            events,
        }])
    }

    fn encode(&self, command: &Command) -> String {
        let (kind, payload) = match command {
            Command::UserMessage { text, .. } => {
                ("visitor_message", object([("text", (*text).into())]))
            }
            Command::Heartbeat(_) => ("heartbeat", object([])),
            Command::PageEvent {
                event,
                selector,
                url,
            } => (
                "iframe_event",
                object([
                    ("event", (*event).into()),
                    ("selector", (*selector).into()),
                    ("url", (*url).into()),
                ]),
            ),
            // Iraa has no client typing or join frames, and ends sessions over HTTP.
            Command::Typing(_) | Command::Join | Command::EndSession => return String::new(),
        };
        json(&object([("type", kind.into()), ("payload", payload)]))
    }

    fn heartbeat_interval_ms(&self) -> u64 {
        HEARTBEAT_MS
    }

    fn close_policy(&self, code: u16, _opened: bool) -> ClosePolicy {
        match code {
            1000 => ClosePolicy::Stop,
            4001 => ClosePolicy::Auth,
            4004 => ClosePolicy::NewSession,
            _ => ClosePolicy::Reconnect,
        }
    }

    fn can_end(&self) -> bool {
        true
    }

    fn end_request(&self, session: &Session) -> Option<HttpRequest> {
        Some(HttpRequest {
            method: "POST",
            url: format!(
                "{}/api/v1/session/{}/end",
                self.api,
                percent_encode(&session.id)
            ),
            body: Some("{}".into()),
            read: Read::Whole,
        })
    }

    fn expects_pong(&self) -> bool {
        true
    }

    /// Iraa confirms nothing: a message written to an open socket is sent, never resent
    /// (PROTOCOLS.md §2 has no receipt; resending could repeat a command to the agent).
    fn acknowledges(&self) -> bool {
        false
    }

    fn problem(&self, code: &str) -> Problem {
        match code {
            "AUTH_REQUIRED" | "INVALID_TOKEN" => Problem::Auth,
            "SESSION_NOT_FOUND" | "SESSION_EXPIRED" => Problem::SessionGone,
            "PDP_NOT_FOUND" => Problem::Config,
            _ => Problem::Notice, // INVALID_JSON, EMPTY_MESSAGE, UNKNOWN_TYPE: our own bug
        }
    }
}
