//! Native tests of the Plati codec and the exchange engine (PROTOCOLS.md §4).
use confab::clock::Now;
use confab::engine::*;
use confab::keyed::Fields;
use confab::protocol::plati::{percent_encode, Plati};
use confab::protocol::{ExchangeCodec, HttpRequest, Read, StreamPiece};
use std::collections::BTreeMap;

const PREFIX: &str = "confab:plati:ch1";

#[test]
fn stream_and_chat_requests() {
    let c = Plati::new("https://api.plati.ai", "ch1", true);
    let r = c.message_request("id 1", "Olá & bye?", true);
    assert_eq!(r.method, "GET");
    assert_eq!(r.url, "https://api.plati.ai/conversation/id%201/streaming?channel_id=ch1&message=Ol%C3%A1%20%26%20bye%3F");
    assert_eq!(r.read, Read::FetchStream);
    assert_eq!(c.message_request("v", "x", false).read, Read::EventSource);

    let c = Plati::new("https://api.plati.ai", "ch1", false);
    let r = c.message_request("v", "hi", true);
    assert_eq!(
        (r.method, r.url.as_str(), r.read),
        (
            "POST",
            "https://api.plati.ai/conversation/v/chat/ch1",
            Read::Whole
        )
    );
    let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["text"], "hi");
    assert_eq!(percent_encode("a-_.!~*'()z é/"), "a-_.!~*'()z%20%C3%A9%2F");
}

#[test]
fn stream_pieces() {
    let c = Plati::new("a", "c", true);
    assert_eq!(
        c.stream_piece(r#"{"type":"token","content":"Hi"}"#),
        StreamPiece::Token("Hi".into())
    );
    assert_eq!(
        c.stream_piece(r#"{"type":"complete","content":"Hi there"}"#),
        StreamPiece::Complete("Hi there".into())
    );
    assert_eq!(
        c.stream_piece(r#"{"type":"error","content":"quota"}"#),
        StreamPiece::Error("quota".into())
    );
    assert!(matches!(
        c.stream_piece(r#"{"type":"ping"}"#),
        StreamPiece::Unknown(_)
    ));
    assert!(matches!(c.stream_piece("nope"), StreamPiece::Malformed(_)));
    assert!(matches!(
        c.stream_piece(r#"{"type":"token"}"#),
        StreamPiece::Malformed(_)
    ));
}

#[test]
fn stream_pieces_read_escapes_and_skip_what_is_not_text() {
    let c = Plati::new("a", "c", true);
    // Escaped text is decoded; field order and extra fields do not matter.
    assert_eq!(
        c.stream_piece(r#"{"content":"say \"hi\"\n\u00e9","id":[1,{"a":null}],"type":"token"}"#),
        StreamPiece::Token("say \"hi\"\né".into())
    );
    assert_eq!(
        c.stream_piece(r#"{"type":"tok\u0065n","content":"x"}"#),
        StreamPiece::Token("x".into())
    );
    // Content that is not a string, of any JSON kind, is no token.
    for content in ["3", "true", "null", "[\"a\"]", "{\"text\":\"a\"}"] {
        let data = format!(r#"{{"type":"token","content":{content}}}"#);
        assert!(
            matches!(c.stream_piece(&data), StreamPiece::Malformed(_)),
            "{data}"
        );
    }
    // A type that is not a string is no type.
    assert_eq!(
        c.stream_piece(r#"{"type":{"name":"token"},"content":"x"}"#),
        StreamPiece::Malformed("event data has no \"type\"".into())
    );
    assert!(matches!(
        c.stream_piece(r#"{"type":"token","content":"x""#),
        StreamPiece::Malformed(_)
    ));
}

#[test]
fn whole_answers_take_the_first_known_text_field() {
    let c = Plati::new("a", "c", false);
    assert_eq!(
        c.whole_answer(r#"{"message":"ok","data":{"text":"t","content":"c"}}"#),
        Ok("t".into())
    );
    assert_eq!(
        c.whole_answer(r#"{"message":"ok","data":{"response":"r","text":"t"}}"#),
        Ok("r".into())
    );
    assert_eq!(
        c.whole_answer(r#"{"data":{"message":"m"}}"#),
        Ok("m".into())
    );
    assert!(c.whole_answer(r#"{"message":"ok","data":{}}"#).is_err());
    assert!(c.whole_answer("<html>").is_err());
}

#[test]
fn identify_puts_name_phone_email_and_metadata() {
    let c = Plati::new("https://x", "c", true);
    let lead: Fields = [
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("phone", "+1555"),
        ("plan", "pro"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let r = c.identify_request("v1", &lead).unwrap();
    assert_eq!((r.method, r.url.as_str()), ("PUT", "https://x/identity/v1"));
    let body: serde_json::Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "Ada Lovelace", "phone": "+1555", "metadata": {"plan": "pro"}})
    );
    assert!(c.identify_request("v1", &Fields::new()).is_none());
}

struct Rig {
    engine: ExchangeEngine,
    now: i64,
    requests: Vec<(u32, HttpRequest, Option<String>)>,
    aborted: Vec<u32>,
    storage: BTreeMap<String, String>,
    ui: Vec<UiEvent>,
}

impl Rig {
    fn new(streaming: bool, credential: Credential) -> Rig {
        Rig::with_lead(streaming, credential, Fields::new())
    }

    fn with_lead(streaming: bool, credential: Credential, lead: Fields) -> Rig {
        let codec = Plati::new("http://api.test/plati", "ch1", streaming);
        Rig {
            engine: ExchangeEngine::new(Box::new(codec), PREFIX, lead, credential, None),
            now: 1_800_000_000_000,
            requests: Vec::new(),
            aborted: Vec::new(),
            storage: BTreeMap::new(),
            ui: Vec::new(),
        }
    }

    fn feed(&mut self, input: Input) {
        self.now += 10;
        for o in self.engine.handle(Now::utc(self.now), input) {
            match o {
                Output::Http {
                    id,
                    request,
                    bearer,
                } => self.requests.push((id, request, bearer)),
                Output::Abort(id) => self.aborted.push(id),
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

    fn start(&mut self) {
        let stored = self.storage.clone().into_iter().collect();
        self.feed(Input::Start { stored, seed: 7 });
    }

    fn last_id(&self) -> u32 {
        self.requests.last().map(|r| r.0).unwrap_or(0)
    }

    fn texts(&self) -> Vec<(Direction, String, Delivery)> {
        self.engine
            .transcript()
            .iter()
            .map(|e| (e.direction, e.text.clone(), e.status))
            .collect()
    }

    fn sse(&mut self, body: &str) {
        let id = self.last_id();
        self.feed(Input::StreamChunk {
            id,
            bytes: body.as_bytes().to_vec(),
        });
    }

    fn errors(&self) -> Vec<&'static str> {
        self.ui
            .iter()
            .filter_map(|e| {
                if let UiEvent::Error { code, .. } = e {
                    Some(*code)
                } else {
                    None
                }
            })
            .collect()
    }
}

#[test]
fn a_streamed_answer_is_built_from_tokens_and_replaced_by_complete() {
    let mut rig = Rig::new(true, Credential::Fixed("dev-key".into()));
    rig.start();
    assert_eq!(rig.engine.state(), ConnState::Open);
    let visitor = rig.engine.visitor().to_string();
    assert!(rig.storage[&format!("{PREFIX}:identity")] == visitor && visitor.len() > 16);
    rig.feed(Input::UserSend("hello".into()));
    let (id, req, bearer) = rig.requests[0].clone();
    assert_eq!(req.read, Read::FetchStream);
    assert!(req.url.ends_with(&format!(
        "/conversation/{visitor}/streaming?channel_id=ch1&message=hello"
    )));
    assert_eq!(bearer.as_deref(), Some("dev-key"));
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.sse("data: {\"type\":\"token\",\"content\":\"Hel\"}\n\ndata: {\"type\":\"tok");
    rig.sse("en\",\"content\":\"lo!\"}\n\n");
    assert_eq!(
        rig.texts()[1],
        (Direction::In, "Hello!".into(), Delivery::Streaming)
    );
    rig.sse("data: {\"type\":\"complete\",\"content\":\"Hello, world!\"}\n\n");
    assert_eq!(
        rig.texts(),
        vec![
            (Direction::Out, "hello".into(), Delivery::Delivered),
            (Direction::In, "Hello, world!".into(), Delivery::Received)
        ]
    );
    assert_eq!(rig.aborted, vec![id], "the stream is closed once complete");
    let appends = rig
        .ui
        .iter()
        .filter(|e| matches!(e, UiEvent::Append { .. }))
        .count();
    assert_eq!(appends, 2);
}

#[test]
fn what_follows_complete_in_a_chunk_never_reaches_the_next_answer() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    rig.feed(Input::UserSend("one".into()));
    rig.feed(Input::UserSend("two".into()));
    let first = rig.last_id();
    rig.feed(Input::StreamOpened {
        id: first,
        status: 200,
    });
    // One chunk: a token, the complete answer, then a stray token and half an event.
    rig.sse(concat!(
        "data: {\"type\":\"token\",\"content\":\"Hi\"}\n\n",
        "data: {\"type\":\"complete\",\"content\":\"Hi there\"}\n\n",
        "data: {\"type\":\"token\",\"content\":\"STRAY\"}\n\n",
        "data: {\"type\":\"tok"
    ));
    // The second message went out on its own stream, with a parser of its own.
    let second = rig.last_id();
    assert_ne!(second, first);
    rig.feed(Input::StreamOpened {
        id: second,
        status: 200,
    });
    rig.sse("data: {\"type\":\"complete\",\"content\":\"Bye\"}\n\n");
    let texts: Vec<String> = rig.texts().into_iter().map(|(_, t, _)| t).collect();
    // (Both messages were shown when typed, so they come first.)
    assert_eq!(texts, ["one", "two", "Hi there", "Bye"]);
    let stray = rig.ui.iter().any(|e| match e {
        UiEvent::Append { text, .. } | UiEvent::Replace { text, .. } => text.contains("STRAY"),
        _ => false,
    });
    assert!(!stray, "nothing after complete reaches the view");
}

#[test]
fn messages_go_one_exchange_at_a_time_in_order() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    rig.feed(Input::UserSend("one".into()));
    rig.feed(Input::UserSend("two".into()));
    assert_eq!(rig.requests.len(), 1);
    assert_eq!(
        rig.requests[0].1.read,
        Read::EventSource,
        "no bearer: EventSource"
    );
    let id = rig.last_id();
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.feed(Input::StreamEvent {
        id,
        data: r#"{"type":"complete","content":"A1"}"#.into(),
    });
    assert_eq!(rig.requests.len(), 2);
    assert!(rig.requests[1].1.url.ends_with("message=two"));
}

#[test]
fn a_cut_stream_keeps_the_partial_text_marks_it_and_retry_asks_again() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    rig.feed(Input::UserSend("tell me".into()));
    let id = rig.last_id();
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.feed(Input::StreamEvent {
        id,
        data: r#"{"type":"token","content":"Once upon"}"#.into(),
    });
    rig.feed(Input::StreamEnded {
        id,
        error: Some("network".into()),
    });
    assert_eq!(
        rig.texts()[1],
        (Direction::In, "Once upon".into(), Delivery::Interrupted)
    );
    assert_eq!(rig.errors(), vec!["stream_cut"]);
    assert_eq!(rig.requests.len(), 1, "nothing is resent on its own");
    let answer = rig.engine.transcript()[1].id.clone();
    assert!(rig.storage[&format!("{PREFIX}:transcript")].contains("interrupted"));

    rig.feed(Input::Retry(answer.clone()));
    assert!(rig.ui.contains(&UiEvent::Removed { id: answer }));
    assert_eq!(rig.requests.len(), 2);
    assert!(rig.requests[1].1.url.ends_with("message=tell%20me"));
    let id = rig.last_id();
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.feed(Input::StreamEvent {
        id,
        data: r#"{"type":"complete","content":"Once upon a time."}"#.into(),
    });
    assert_eq!(
        rig.texts(),
        vec![
            (Direction::Out, "tell me".into(), Delivery::Delivered),
            (
                Direction::In,
                "Once upon a time.".into(),
                Delivery::Received
            )
        ]
    );
}

#[test]
fn an_error_event_shows_its_message() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    rig.feed(Input::UserSend("x".into()));
    let id = rig.last_id();
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.feed(Input::StreamEvent {
        id,
        data: r#"{"type":"error","content":"The assistant is busy"}"#.into(),
    });
    assert!(rig.ui.iter().any(|e| matches!(e, UiEvent::Error { code: "stream_error", message } if message == "The assistant is busy")));
    assert_eq!(rig.texts()[1].2, Delivery::Interrupted);
}

#[test]
fn a_401_fetches_a_new_token_once_and_retries_once() {
    let mut rig = Rig::new(
        true,
        Credential::Endpoint {
            url: "https://host.test/token".into(),
            token: None,
        },
    );
    rig.start();
    rig.feed(Input::UserSend("hi".into()));
    let (tid, treq, _) = rig.requests[0].clone();
    assert_eq!(
        (treq.method, treq.url.as_str()),
        ("POST", "https://host.test/token")
    );
    assert_eq!(rig.engine.state(), ConnState::Connecting);
    rig.feed(Input::HttpDone {
        id: tid,
        status: 200,
        body: r#"{"access_token":"t1","expires_in":3600}"#.into(),
    });
    let (sid, _, bearer) = rig.requests[1].clone();
    assert_eq!(bearer.as_deref(), Some("t1"));
    rig.feed(Input::StreamOpened {
        id: sid,
        status: 401,
    });
    let (tid2, treq2, _) = rig.requests[2].clone();
    assert_eq!(
        treq2.url, "https://host.test/token",
        "a fresh token is fetched"
    );
    rig.feed(Input::HttpDone {
        id: tid2,
        status: 200,
        body: r#"{"access_token":"t2"}"#.into(),
    });
    let (sid2, req2, bearer2) = rig.requests[3].clone();
    assert_eq!(bearer2.as_deref(), Some("t2"));
    assert!(req2.url.ends_with("message=hi"));
    // A second 401: a clear error, no loop.
    rig.feed(Input::StreamOpened {
        id: sid2,
        status: 401,
    });
    assert_eq!(rig.requests.len(), 4);
    assert_eq!(rig.errors(), vec!["auth_failed"]);
    assert_eq!(rig.texts()[0].2, Delivery::Failed);
}

#[test]
fn http_errors_have_clear_messages_and_404_stops() {
    let mut rig = Rig::new(false, Credential::None);
    rig.start();
    rig.feed(Input::UserSend("a".into()));
    rig.feed(Input::HttpDone {
        id: rig.last_id(),
        status: 500,
        body: "oops".into(),
    });
    assert_eq!(rig.errors(), vec!["http_error"]);
    assert_eq!(rig.texts()[0].2, Delivery::Failed);
    let out = rig.engine.transcript()[0].id.clone();
    rig.feed(Input::Retry(out));
    rig.feed(Input::HttpDone {
        id: rig.last_id(),
        status: 200,
        body: r#"{"message":"ok","data":{"response":"fine"}}"#.into(),
    });
    assert_eq!(
        rig.texts()[1],
        (Direction::In, "fine".into(), Delivery::Received)
    );
    rig.feed(Input::UserSend("b".into()));
    rig.feed(Input::HttpDone {
        id: rig.last_id(),
        status: 404,
        body: "".into(),
    });
    assert_eq!(rig.engine.state(), ConnState::Failed);
    assert!(rig.ui.iter().any(|e| matches!(e, UiEvent::Error { code: "not_found", message } if message.contains("not set up correctly"))));
}

#[test]
fn the_transcript_and_identity_survive_a_reload_and_a_cut_answer_stays_marked() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    rig.feed(Input::UserSend("q".into()));
    let id = rig.last_id();
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.feed(Input::StreamEvent {
        id,
        data: r#"{"type":"token","content":"par"}"#.into(),
    });
    // The page goes away mid-stream.
    let mut reload = Rig::new(true, Credential::None);
    reload.storage = rig.storage.clone();
    reload.start();
    assert_eq!(reload.engine.visitor(), rig.engine.visitor());
    assert_eq!(
        reload.texts()[0],
        (Direction::Out, "q".into(), Delivery::Delivered)
    );
    assert_eq!(
        reload.texts()[1].2,
        Delivery::Interrupted,
        "the unfinished answer offers Retry"
    );
    assert!(reload.requests.is_empty(), "nothing is resent on its own");
}

#[test]
fn offline_holds_messages_and_online_sends_them() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    rig.feed(Input::Offline);
    assert_eq!(rig.engine.state(), ConnState::Offline);
    rig.feed(Input::UserSend("later".into()));
    assert!(rig.requests.is_empty());
    assert!(rig.storage[&format!("{PREFIX}:outbox")].contains("later"));
    rig.feed(Input::Online);
    assert_eq!(rig.requests.len(), 1);
    assert!(!rig.storage.contains_key(&format!("{PREFIX}:outbox")));
}

#[test]
fn reset_forgets_the_transcript_and_takes_a_new_identity() {
    let mut rig = Rig::new(true, Credential::None);
    rig.start();
    let before = rig.engine.visitor().to_string();
    rig.feed(Input::UserSend("x".into()));
    rig.feed(Input::Reset);
    assert!(rig.engine.transcript().is_empty());
    assert_ne!(rig.engine.visitor(), before);
    assert_eq!(rig.aborted.len(), 1);
}

#[test]
fn identify_puts_the_lead_to_the_identity() {
    let mut rig = Rig::new(true, Credential::Fixed("k".into()));
    rig.start();
    let mut lead = Fields::new();
    lead.insert("email".to_string(), "ada@example.com".to_string());
    rig.feed(Input::Identify(lead));
    let (_, req, bearer) = rig.requests[0].clone();
    assert_eq!(req.method, "PUT");
    assert!(req
        .url
        .ends_with(&format!("/identity/{}", rig.engine.visitor())));
    assert_eq!(bearer.as_deref(), Some("k"));
}

#[test]
fn the_tags_lead_data_goes_to_the_identity_before_the_first_message() {
    let mut lead = Fields::new();
    lead.insert("email".to_string(), "ada@example.com".to_string());
    lead.insert("first_name".to_string(), "Ada".to_string());
    let mut rig = Rig::with_lead(true, Credential::Fixed("k".into()), lead);
    rig.start();
    assert!(
        rig.requests.is_empty(),
        "nothing is sent for a visitor who does not write"
    );
    rig.feed(Input::UserSend("hello".into()));
    assert_eq!(rig.requests.len(), 1, "the message waits for the identity");
    let (id, put, _) = rig.requests[0].clone();
    assert_eq!(put.method, "PUT");
    assert!(put
        .url
        .ends_with(&format!("/identity/{}", rig.engine.visitor())));
    assert_eq!(
        put.body.as_deref(),
        Some(r#"{"email":"ada@example.com","name":"Ada"}"#)
    );
    // Even a failed PUT does not keep the message back.
    rig.feed(Input::HttpDone {
        id,
        status: 500,
        body: String::new(),
    });
    assert_eq!(rig.requests.len(), 2);
    assert!(rig.requests[1]
        .1
        .url
        .contains("/streaming?channel_id=ch1&message=hello"));
    let id = rig.last_id();
    rig.feed(Input::StreamOpened { id, status: 200 });
    rig.sse("data: {\"type\":\"complete\",\"content\":\"Hi\"}\n\n");
    rig.feed(Input::UserSend("again".into()));
    assert_eq!(
        rig.requests.len(),
        3,
        "once a page, not before every message"
    );
    assert!(rig.requests[2].1.url.contains("message=again"));
    // A new conversation is a new identity: it hears the lead data too.
    rig.feed(Input::Reset);
    rig.feed(Input::UserSend("new".into()));
    let (_, put, _) = rig.requests[3].clone();
    assert_eq!(put.method, "PUT");
    assert!(put
        .url
        .ends_with(&format!("/identity/{}", rig.engine.visitor())));
}

#[test]
fn a_token_endpoint_that_refuses_post_is_asked_with_get() {
    let mut rig = Rig::new(
        true,
        Credential::Endpoint {
            url: "https://host.test/token".into(),
            token: None,
        },
    );
    rig.start();
    rig.feed(Input::UserSend("hi".into()));
    rig.feed(Input::HttpDone {
        id: rig.last_id(),
        status: 405,
        body: "".into(),
    });
    assert_eq!(rig.requests[1].1.method, "GET");
    rig.feed(Input::HttpDone {
        id: rig.last_id(),
        status: 200,
        body: r#"{"token":"t"}"#.into(),
    });
    assert_eq!(rig.requests[2].2.as_deref(), Some("t"));
}
