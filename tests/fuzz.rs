//! Property tests of every decoder and of the engines behind them: arbitrary, mutated and
//! structurally plausible input, for a fixed time budget per target (`CONFAB_FUZZ_MS`, default
//! 1 500 ms), must never panic. The generator is seeded, so a failure names its seed and
//! input and can be replayed.
use confab::clock::Now;
use confab::engine::{Credential, Engine, ExchangeEngine, Input, Machine, Output, Transcript};
use confab::keyed::Fields;
use confab::protocol::iraa::Iraa;
use confab::protocol::plati::Plati;
use confab::protocol::plura::Plura;
use confab::protocol::poly::Poly;
use confab::protocol::sse::SseParser;
use confab::protocol::{Codec, ExchangeCodec};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// xorshift64*: small, seeded, good enough to explore input shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len())]
    }
}

fn budget() -> Duration {
    let ms = std::env::var("CONFAB_FUZZ_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500);
    Duration::from_millis(ms)
}

const ATOMS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e308",
    "18446744073709551616",
    "3.5",
    "\"\"",
    "\"x\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "[]",
    "{}",
    "[null]",
    "{\"a\":1}",
    "\"é🙂\"",
    "\"<script>\"",
    "\"javascript:alert(1)\"",
];

/// A random JSON value, nested at most `depth` levels, with keys a decoder might look for.
fn value(rng: &mut Rng, keys: &[&str], depth: u32) -> String {
    if depth == 0 || rng.below(3) == 0 {
        return rng.pick(ATOMS).to_string();
    }
    if rng.below(4) == 0 {
        let n = rng.below(4);
        let items: Vec<String> = (0..n).map(|_| value(rng, keys, depth - 1)).collect();
        return format!("[{}]", items.join(","));
    }
    let n = rng.below(6);
    let fields: Vec<String> = (0..n)
        .map(|_| format!("\"{}\":{}", rng.pick(keys), value(rng, keys, depth - 1)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// A frame claiming one of `types`, with random fields.
fn typed_frame(rng: &mut Rng, types: &[&str], keys: &[&str]) -> String {
    let ty = rng.pick(types);
    let mut fields = vec![format!("\"type\":\"{ty}\"")];
    for _ in 0..rng.below(5) {
        fields.push(format!("\"{}\":{}", rng.pick(keys), value(rng, keys, 4)));
    }
    format!("{{{}}}", fields.join(","))
}

/// Byte-level damage to a valid frame: flips, cuts, insertions, repeats.
fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] = (rng.next() & 0xff) as u8,
            1 => bytes.truncate(at),
            2 => bytes.insert(at, *rng.pick(b"{}[]\":,\\\x00\xff")),
            3 => {
                let piece = bytes[at..].to_vec();
                bytes.extend_from_slice(&piece);
            }
            _ => {
                bytes.remove(at);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// One input of any of the three kinds.
fn input(rng: &mut Rng, seeds: &[&str], types: &[&str], keys: &[&str]) -> String {
    match rng.below(3) {
        0 => {
            let seed = seeds[rng.below(seeds.len())];
            mutate(rng, seed)
        }
        1 => typed_frame(rng, types, keys),
        _ => value(rng, keys, 5),
    }
}

/// Runs `body` on generated inputs until the budget is spent; a panic fails the test with its
/// seed and input.
fn run(name: &str, mut body: impl FnMut(&mut Rng) -> String) -> u64 {
    let deadline = Instant::now() + budget();
    let mut cases = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ name.len() as u64;
    while Instant::now() < deadline {
        seed = seed.wrapping_add(0x9e37_79b9);
        let mut rng = Rng(seed | 1);
        let mut last = String::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            last = body(&mut rng);
        }));
        assert!(
            outcome.is_ok(),
            "{name}: panic with seed {seed:#x} on input {last:?}"
        );
        cases += 1;
    }
    eprintln!("{name}: {cases} inputs, no panic");
    assert!(cases > 100, "{name}: too few cases ran");
    cases
}

const PLURA_SEEDS: &[&str] = &[
    r#"{"type":"session","id":"1","session_id":"abc"}"#,
    r#"{"type":"chatowner","id":"2","profilepic":"https://x/a.png","name":"Ada"}"#,
    r#"{"type":"message","id":"3","profilepic":"","name":"Assistant","content":"Hi **there**"}"#,
    r#"{"type":"recv","id":"4","profilepic":"","name":"Anonymous","content":"hello"}"#,
];
const PLURA_TYPES: &[&str] = &[
    "session",
    "chatowner",
    "message",
    "recv",
    "typing",
    "error",
    "x",
];
const PLURA_KEYS: &[&str] = &[
    "type",
    "id",
    "session_id",
    "content",
    "message",
    "name",
    "profilepic",
];

const POLY_SEEDS: &[&str] = &[
    r#"{"id":"b","sequence":null,"type":"EVENT_TYPE_EVENT_BATCH","payload":{"events":[{"id":"e1","sequence":1,"type":"EVENT_TYPE_SESSION_START","payload":{"capabilities":{"heartbeat_interval_seconds":20}}}]}}"#,
    r#"{"id":"e2","sequence":2,"type":"EVENT_TYPE_POLY_AGENT_MESSAGE_CHUNK","payload":{"message_id":"m","text":"Hel","chunk_index":1,"is_complete":false}}"#,
    r#"{"id":"e3","sequence":3,"type":"EVENT_TYPE_POLY_AGENT_MESSAGE","payload":{"message_id":"m2","text":"Hi","attachments":[{"title":"t","content_url":"https://x"}],"response_suggestions":[{"message_text":"ok"}]}}"#,
    r#"{"id":"e4","sequence":4,"type":"EVENT_TYPE_HANDOFF_QUEUE_STATUS","payload":{"position_in_queue":2,"queue_name":"Q","estimated_wait_seconds":90}}"#,
];
const POLY_TYPES: &[&str] = &[
    "EVENT_TYPE_EVENT_BATCH",
    "EVENT_TYPE_SESSION_START",
    "EVENT_TYPE_POLY_AGENT_MESSAGE",
    "EVENT_TYPE_POLY_AGENT_MESSAGE_CHUNK",
    "EVENT_TYPE_USER_MESSAGE",
    "EVENT_TYPE_LIVE_AGENT_JOINED",
    "EVENT_TYPE_HANDOFF_QUEUE_STATUS",
    "EVENT_TYPE_SESSION_END",
    "EVENT_TYPE_SYSTEM_MESSAGE",
    "EVENT_TYPE_LANGUAGE_CHANGED",
    "EVENT_TYPE_HEARTBEAT",
    "EVENT_TYPE_NOPE",
];
const POLY_KEYS: &[&str] = &[
    "id",
    "sequence",
    "type",
    "payload",
    "events",
    "message_id",
    "text",
    "chunk_index",
    "is_complete",
    "attachments",
    "response_suggestions",
    "capabilities",
    "metadata",
    "custom",
    "client_event_id",
    "agent",
    "name",
    "position_in_queue",
    "reason",
    "language_code",
];

const IRAA_SEEDS: &[&str] = &[
    r##"{"type":"agent_response","payload":{"text":"Hi","speech":"Hi","suggestions":["a"],"iframeCommands":[{"action":"click","selector":"#x"}]}}"##,
    r#"{"type":"lead_form","payload":{"fields":["email"],"cta":{"text":"Go","url":"https://x"}}}"#,
    r#"{"type":"error","payload":{"code":"SESSION_EXPIRED","message":"m"}}"#,
    r#"{"type":"typing_indicator","payload":{"isTyping":true}}"#,
];
const IRAA_TYPES: &[&str] = &[
    "agent_response",
    "lead_form",
    "error",
    "pong",
    "typing_indicator",
    "x",
];
const IRAA_KEYS: &[&str] = &[
    "type",
    "payload",
    "text",
    "speech",
    "suggestions",
    "iframeCommands",
    "action",
    "selector",
    "url",
    "value",
    "fields",
    "cta",
    "code",
    "message",
    "isTyping",
    "ms",
    "option",
];

#[test]
fn the_codecs_never_panic() {
    let plura = Plura::new("http://a.test", "ws://a.test", "f");
    run("plura decode", |rng| {
        let f = input(rng, PLURA_SEEDS, PLURA_TYPES, PLURA_KEYS);
        let _ = plura.decode(&f);
        f
    });
    let poly = Poly::new("https://p.test", "wss://p.test");
    run("poly decode", |rng| {
        let f = input(rng, POLY_SEEDS, POLY_TYPES, POLY_KEYS);
        let _ = poly.decode(&f);
        f
    });
    let iraa = Iraa::new("https://i.test", "wss://i.test", "default");
    run("iraa decode", |rng| {
        let f = input(rng, IRAA_SEEDS, IRAA_TYPES, IRAA_KEYS);
        let _ = iraa.decode(&f);
        f
    });
    let plati = Plati::new("http://api.test/plati", "ch1", true);
    let plati_seeds = [
        r#"{"type":"token","data":{"token":"Hel"}}"#,
        r#"{"type":"complete","data":{"response":"Hello"}}"#,
        r#"{"success":true,"data":{"response":"Hi"}}"#,
    ];
    let plati_keys = [
        "type", "data", "token", "response", "error", "message", "success",
    ];
    run("plati pieces and answers", |rng| {
        let f = input(
            rng,
            &plati_seeds,
            &["token", "complete", "error", "x"],
            &plati_keys,
        );
        let _ = plati.stream_piece(&f);
        let _ = plati.whole_answer(&f);
        f
    });
}

#[test]
fn the_token_event_reader_agrees_with_serde_json_on_every_input() {
    use confab::protocol::scan::string_fields;
    let seeds = [
        r#"{"type":"token","content":"Hel"}"#,
        r#"{"content":"say \"hi\"\n\u00e9\ud83d\ude00","id":[1,{"a":null}],"type":"token"}"#,
        r#" { "type" : "complete" , "content" : "-0.5e+3 \/ \t" , "n" : -0.5e+3 } "#,
        r#"{"type":"error","content":null,"x":[true,false,{},[]]}"#,
    ];
    let keys = ["type", "content", "x"];
    run("token events against serde_json", |rng| {
        let f = input(rng, &seeds, &["token", "complete", "error"], &keys);
        let ours = string_fields(&f, ["type", "content"]);
        match serde_json::from_str::<serde_json::Value>(&f) {
            Ok(v) if v.is_object() => {
                let text = |k: &str| v.get(k).and_then(|x| x.as_str());
                let got = ours.unwrap_or_else(|e| panic!("refused valid JSON: {e}"));
                assert_eq!(got[0].as_deref(), text("type"));
                assert_eq!(got[1].as_deref(), text("content"));
            }
            _ => assert!(ours.is_err(), "accepted what serde_json refuses"),
        }
        f
    });
}

/// serde_json's tree of what our reader read, each number as our reader understands it: an
/// integer when it reads as one, else its float.
fn theirs(v: &confab::protocol::value::Value) -> serde_json::Value {
    use confab::protocol::value::Value;
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u.into(),
            (_, Some(i)) => i.into(),
            _ => {
                serde_json::Number::from_f64(n.as_f64()).map_or(serde_json::Value::Null, Into::into)
            }
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(items) => items.iter().map(theirs).collect(),
        Value::Object(map) => {
            serde_json::Value::Object(map.iter().map(|(k, v)| (k.clone(), theirs(v))).collect())
        }
    }
}

/// Whether two JSON values agree: numbers by value (a float within 1e-12 of the other's, as
/// serde_json's own reading is not exact either), everything else exactly.
fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => {
                    let (p, q) = (
                        x.as_f64().unwrap_or(f64::NAN),
                        y.as_f64().unwrap_or(f64::NAN),
                    );
                    p == q || (p - q).abs() <= 1e-12 * p.abs().max(q.abs())
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, p), (l, q))| k == l && same_json(p, q))
        }
        _ => a == b,
    }
}

#[test]
fn the_json_reader_agrees_with_serde_json_on_every_input() {
    use confab::protocol::scan::parse;
    let seeds = [
        r#"{"type":"message","text":"say \"hi\"\n\u00e9\ud83d\ude00","n":[1,-2,3.5,{"a":null}]}"#,
        r#" [ -0 , 0.1 , 1E+2 , -12.5e-3 , 123456789012345678901234567890 , 1e-400 , 0.0000001 ] "#,
        r#"{"a":{"b":{"c":[true,false,null,"",{}]}},"a":"last wins","x":18446744073709551615}"#,
        r#"[9007199254740993, -9223372036854775808, -9223372036854775809, 1.7976931348623157e308]"#,
        r#""\/\b\f\r\t\u0041\uD834\uDD1E""#,
    ];
    let keys = ["type", "text", "a", "x"];
    run("json against serde_json", |rng| {
        let f = input(rng, &seeds, &["message", "x"], &keys);
        let ours = parse(&f);
        match serde_json::from_str::<serde_json::Value>(&f) {
            Ok(v) => {
                let got = theirs(&ours.unwrap_or_else(|e| panic!("refused valid JSON: {e}")));
                assert!(same_json(&got, &v), "read {got} where serde_json reads {v}");
            }
            Err(_) => assert!(ours.is_err(), "accepted what serde_json refuses: {ours:?}"),
        }
        f
    });
}

#[test]
fn the_json_writer_writes_what_serde_json_writes() {
    use confab::protocol::scan::parse;
    use confab::protocol::write::json;
    // Every control character, the two that are always escaped, DEL, and wider characters.
    let every: String = (0u8..0x20)
        .map(char::from)
        .chain("\"\\\u{7f}/é🙂\u{2028}".chars())
        .collect();
    assert_eq!(
        json(&confab::protocol::value::Value::from(every.as_str())),
        serde_json::to_string(&serde_json::Value::from(every)).unwrap_or_default()
    );
    let seeds = [
        r#"{"type":"message","text":"say \"hi\"\n\u00e9\ud83d\ude00\u001f","n":[1,-2,3.5,{"a":null}]}"#,
        r#"[-0,0.1,1E+2,-12.5e-3,123456789012345678901234567890,1e-400,0.0000001,1e21,5e-324]"#,
        r#"[9007199254740993,-9223372036854775808,18446744073709551615,1.7976931348623157e308]"#,
        r#"{"z":1,"a":{"y":[],"b":{}},"é":"\b\f\r\t\u0000\u007f"}"#,
    ];
    let keys = ["type", "text", "a", "x", "Z", "é"];
    run("json writer against serde_json", |rng| {
        let f = input(rng, &seeds, &["message", "x"], &keys);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&f) {
            // What we write of what we read, serde_json reads as the same value; and for a text
            // serde_json wrote (its numbers in its own form), we write the same text: the same
            // escapes and key order.
            let ours = parse(&f).unwrap_or_else(|e| panic!("refused valid JSON: {e}"));
            let back = serde_json::from_str::<serde_json::Value>(&json(&ours));
            assert!(
                back.is_ok_and(|b| same_json(&b, &v)),
                "written as another value"
            );
            let written = serde_json::to_string(&v).unwrap_or_default();
            let again = parse(&written).map(|w| json(&w));
            assert_eq!(
                again.as_deref(),
                Ok(written.as_str()),
                "written differently from serde_json"
            );
        }
        f
    });
}

#[test]
fn the_json_reader_reads_numbers_as_written() {
    use confab::protocol::scan::parse;
    let read = |s: &str| parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let float = |s: &str| read(s).as_number().map(|n| n.as_f64());
    assert_eq!(float("3.5"), Some(3.5));
    assert_eq!(float("0.1"), Some(0.1));
    assert_eq!(float("0.3"), Some(0.3), "3 / 10, not 3 × 0.1");
    assert_eq!(float("-12.5e-3"), Some(-0.0125));
    assert_eq!(float("1e22"), Some(1e22));
    assert_eq!(read("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(read("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(float("18446744073709551616"), Some(18446744073709551616.0));
    // A number keeps its text: written and shown as it came.
    assert_eq!(read("1.50").as_number().map(|n| n.as_str()), Some("1.50"));
    assert_eq!(read("18446744073709551616").as_u64(), None);
    assert_eq!(float("1e-400"), Some(0.0));
    for bad in [
        "1e400",
        "-1e99999999999",
        "01",
        "1.",
        ".5",
        "+1",
        "1e",
        "NaN",
        "Infinity",
    ] {
        assert!(parse(bad).is_err(), "{bad} was read");
    }
    assert!(parse(&"[".repeat(70)).is_err(), "nesting is bounded");
}

#[test]
fn the_sse_parser_never_panics_on_any_bytes() {
    let seed = b"event: token\ndata: {\"a\":1}\r\n\r\n: comment\rid: 7\nretry: x\ndata:\n\n";
    run("sse", |rng| {
        let mut p = SseParser::new();
        let mut bytes = seed.to_vec();
        for _ in 0..rng.below(6) {
            let at = rng.below(bytes.len() + 1);
            bytes.insert(at.min(bytes.len()), (rng.next() & 0xff) as u8);
        }
        let mut at = 0;
        while at < bytes.len() {
            let n = 1 + rng.below(7);
            let end = (at + n).min(bytes.len());
            let _ = p.feed(&bytes[at..end]);
            at = end;
        }
        p.finish();
        String::from_utf8_lossy(&bytes).into_owned()
    });
}

#[test]
fn the_stored_state_readers_never_panic() {
    let transcript = r#"[{"id":"a","dir":"in","text":"hi","status":"received","at":1},{"id":"b","dir":"out","text":"yo","status":"pending","at":2}]"#;
    let keys = [
        "id",
        "dir",
        "text",
        "status",
        "at",
        "name",
        "attachments",
        "suggestions",
        "notice",
        "k",
    ];
    run("transcript", |rng| {
        let raw = input(rng, &[transcript], &["x"], &keys);
        let _ = Transcript::from_json(&raw);
        raw
    });
    let prefix = "confab:plura:f";
    run("engine start with stored values", |rng| {
        let mut engine = Engine::new(
            Box::new(Plura::new("http://a.test", "ws://a.test", "f")),
            prefix,
            Fields::new(),
        );
        let mut stored = Fields::new();
        let mut shown = String::new();
        for k in engine.keys_to_load() {
            if rng.below(2) == 0 {
                let v = input(
                    rng,
                    &[transcript, r#"{"id":"s","route":"","cursor":3}"#],
                    &["x"],
                    &keys,
                );
                shown.push_str(&v);
                stored.insert(k, v);
            }
        }
        let _ = engine.handle(
            Now::utc(1_800_000_000_000),
            Input::Start {
                stored,
                seed: rng.next(),
            },
        );
        shown
    });
}

/// Drives an engine through its HTTP steps until its socket is open.
fn open(engine: &mut Engine, session_body: &str) {
    let now = Now::utc(1_800_000_000_000);
    let mut pending = engine.handle(
        now,
        Input::Start {
            stored: Fields::new(),
            seed: 5,
        },
    );
    pending.extend(engine.handle(now, Input::Panel(true)));
    for _ in 0..6 {
        let mut next = Vec::new();
        for o in pending {
            match o {
                Output::Http { id, request, .. } => {
                    let body = if request.url.contains("token") {
                        r#"{"access_token":"t","expires_in":3600}"#
                    } else {
                        session_body
                    };
                    next.extend(engine.handle(
                        now,
                        Input::HttpDone {
                            id,
                            status: 200,
                            body: body.into(),
                        },
                    ));
                }
                Output::Connect(_) => next.extend(engine.handle(now, Input::SocketOpened)),
                _ => {}
            }
        }
        pending = next;
    }
}

#[test]
fn the_socket_engines_never_panic_on_what_their_servers_send() {
    type Make = fn() -> Engine;
    /// Name, engine, session answer, seed frames, frame types, field names.
    type Target = (
        &'static str,
        Make,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );
    let targets: [Target; 3] = [
        (
            "plura engine",
            || {
                Engine::new(
                    Box::new(Plura::new("http://a.test", "ws://a.test", "f")),
                    "confab:plura:f",
                    Fields::new(),
                )
            },
            "{}",
            PLURA_SEEDS,
            PLURA_TYPES,
            PLURA_KEYS,
        ),
        (
            "poly engine",
            || {
                Engine::new(
                    Box::new(Poly::new("https://p.test", "wss://p.test")),
                    "confab:poly:default",
                    Fields::new(),
                )
                .with_credential(Credential::Fixed("tok".into()))
            },
            r#"{"session_id":"s1"}"#,
            POLY_SEEDS,
            POLY_TYPES,
            POLY_KEYS,
        ),
        (
            "iraa engine",
            || {
                Engine::new(
                    Box::new(Iraa::new("https://i.test", "wss://i.test", "default")),
                    "confab:iraa:default",
                    Fields::new(),
                )
                .with_credential(Credential::Fixed("pk_test_1".into()))
            },
            r#"{"sessionId":"s1","token":"jwt1","greeting":{"text":"Hi"}}"#,
            IRAA_SEEDS,
            IRAA_TYPES,
            IRAA_KEYS,
        ),
    ];
    for (name, make, session, seeds, types, keys) in targets {
        let mut engine = make();
        open(&mut engine, session);
        let mut t = 1_800_000_000_000i64;
        run(name, |rng| {
            // A conversation's worth of frames, with time passing and the visitor typing.
            let mut shown = String::new();
            for _ in 0..8 {
                t += rng.below(20_000) as i64;
                let f = input(rng, seeds, types, keys);
                shown.push_str(&f);
                shown.push('\n');
                let _ = engine.handle(Now::utc(t), Input::Frame(f));
                if rng.below(6) == 0 {
                    let _ = engine.handle(Now::utc(t), Input::UserSend("hello".into()));
                }
            }
            if rng.below(30) == 0 {
                // Now and then the link drops and comes back, so reconnect paths run too.
                let _ = engine.handle(Now::utc(t), Input::SocketClosed { code: 1006 });
                open(&mut engine, session);
            }
            shown
        });
    }
}

#[test]
fn the_exchange_engine_never_panics_on_any_stream() {
    let mut t = 1_800_000_000_000i64;
    let mut engine = ExchangeEngine::new(
        Box::new(Plati::new("http://api.test/plati", "ch1", true)),
        "confab:plati:ch1",
        Fields::new(),
        Credential::Fixed("key".into()),
        None,
    );
    let _ = engine.handle(
        Now::utc(t),
        Input::Start {
            stored: Fields::new(),
            seed: 1,
        },
    );
    run("plati engine", |rng| {
        t += 1000;
        let outs = engine.handle(Now::utc(t), Input::UserSend("hi".into()));
        let id = outs
            .iter()
            .find_map(|o| match o {
                Output::Http { id, .. } => Some(*id),
                _ => None,
            })
            .unwrap_or(1);
        let _ = engine.handle(
            Now::utc(t),
            Input::StreamOpened {
                id,
                status: [200, 401, 500][rng.below(3)],
            },
        );
        let mut shown = String::new();
        for _ in 0..4 {
            let piece = input(
                rng,
                &[r#"{"type":"token","data":{"token":"a"}}"#],
                &["token", "complete", "error"],
                &["type", "data", "token", "response"],
            );
            let bytes = format!("data: {piece}\n\n").into_bytes();
            shown.push_str(&piece);
            let _ = engine.handle(Now::utc(t), Input::StreamChunk { id, bytes });
        }
        let error = (rng.below(2) == 0).then(|| "cut".to_string());
        let _ = engine.handle(Now::utc(t), Input::StreamEnded { id, error });
        shown
    });
}

#[test]
fn an_object_read_in_any_key_order_keeps_its_keys_sorted_and_the_last_of_a_repeated_key() {
    use confab::protocol::scan::parse;
    // 20 000 keys, last to first, each given twice: the reader sorts them without moving every
    // field once per key.
    let n = 20_000;
    let fields: Vec<String> = (0..n)
        .rev()
        .flat_map(|i| {
            [
                format!("\"k{i:05}\":{i}"),
                format!("\"k{i:05}\":\"last {i}\""),
            ]
        })
        .collect();
    let read = parse(&format!("{{{}}}", fields.join(","))).expect("a well-formed object");
    let map = read.as_object().expect("an object");
    assert_eq!(map.len(), n);
    let keys: Vec<&String> = map.iter().map(|(k, _)| k).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys in order");
    assert_eq!(map.get("k00042").and_then(|v| v.as_str()), Some("last 42"));
}
