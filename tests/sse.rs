//! Native tests of the SSE parser: spec cases, and every split point of recorded streams.
use confab::protocol::sse::{SseEvent, SseParser};

fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    chunks.iter().flat_map(|c| p.feed(c)).collect()
}

fn ev(data: &str) -> SseEvent {
    SseEvent {
        event: "message".into(),
        data: data.into(),
        id: None,
    }
}

/// A Plati answer as the server writes it, with a multi-byte character in every token.
const RECORDED: &str = "data: {\"type\":\"token\",\"content\":\"Olá\"}\n\n\
data: {\"type\":\"token\",\"content\":\" 世界\"}\n\n\
: keep-alive comment\n\n\
data: {\"type\":\"token\",\"content\":\" 🙂\"}\n\n\
data: {\"type\":\"complete\",\"content\":\"Olá 世界 🙂\"}\n\n";

#[test]
fn a_recorded_stream_gives_its_events() {
    let events = parse_all(&[RECORDED.as_bytes()]);
    assert_eq!(events.len(), 4);
    assert_eq!(events[1], ev("{\"type\":\"token\",\"content\":\" 世界\"}"));
    assert_eq!(
        events[3].data,
        "{\"type\":\"complete\",\"content\":\"Olá 世界 🙂\"}"
    );
}

#[test]
fn every_split_point_and_every_pair_of_split_points_gives_the_same_events() {
    for stream in [
        RECORDED.to_string(),
        RECORDED.replace('\n', "\r\n"),
        RECORDED.replace('\n', "\r"),
    ] {
        let bytes = stream.as_bytes();
        let whole = parse_all(&[bytes]);
        assert_eq!(whole.len(), 4, "{stream:?}");
        for i in 0..=bytes.len() {
            assert_eq!(
                parse_all(&[&bytes[..i], &bytes[i..]]),
                whole,
                "split at {i}"
            );
        }
        for i in (0..=bytes.len()).step_by(3) {
            for j in i..=bytes.len() {
                assert_eq!(
                    parse_all(&[&bytes[..i], &bytes[i..j], &bytes[j..]]),
                    whole,
                    "split at {i},{j}"
                );
            }
        }
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_all(&bytewise), whole);
    }
}

#[test]
fn a_line_end_is_found_at_every_offset_past_look_alike_bytes() {
    // The line end is searched eight bytes at a time: put it at every offset of a word, after
    // bytes one bit away from `\n` and `\r` (`\u{b}`, `\u{c}`) and UTF-8 bytes 0x8A and 0x8D
    // (in `Ċ` and `č`), which a careless word test would take for line ends.
    let fill = "\u{b}\u{c}Ċč\tx";
    for len in 0..24 {
        let value: String = fill.chars().cycle().take(len).collect();
        for end in ["\n\n", "\r\r", "\r\n\r\n"] {
            let stream = format!("data: {value}{end}data:{value}{end}");
            let bytes = stream.as_bytes();
            let whole = parse_all(&[bytes]);
            assert_eq!(whole, vec![ev(&value), ev(&value)], "{stream:?}");
            let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(parse_all(&bytewise), whole, "{stream:?} a byte at a time");
        }
    }
}

#[test]
fn line_ends_lf_crlf_cr_and_mixed() {
    assert_eq!(parse_all(&[b"data: a\n\n"]), vec![ev("a")]);
    assert_eq!(parse_all(&[b"data: a\r\n\r\n"]), vec![ev("a")]);
    assert_eq!(parse_all(&[b"data: a\r\r"]), vec![ev("a")]);
    assert_eq!(
        parse_all(&[b"data: a\r\ndata: b\rdata: c\n\n"]),
        vec![ev("a\nb\nc")]
    );
    // \r at a chunk end followed by \n: one line end, not two.
    assert_eq!(
        parse_all(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]),
        vec![ev("a\nb")]
    );
}

#[test]
fn multi_line_data_comments_and_fields() {
    let events =
        parse_all(&[b": hello\nevent: update\nid: 7\nretry: 2500\ndata: one\ndata:two\ndata\n\n"]);
    assert_eq!(
        events,
        vec![SseEvent {
            event: "update".into(),
            data: "one\ntwo\n".into(),
            id: Some("7".into())
        }]
    );
    let mut p = SseParser::new();
    p.feed(b"retry: 2500\n\nretry: x\n\n");
    assert_eq!(p.retry_ms, Some(2500));
    // The id persists to later events; an event name does not.
    assert_eq!(
        parse_all(&[b"id: 1\nevent: e\ndata: a\n\ndata: b\n\n"]),
        vec![
            SseEvent {
                event: "e".into(),
                data: "a".into(),
                id: Some("1".into())
            },
            SseEvent {
                event: "message".into(),
                data: "b".into(),
                id: Some("1".into())
            }
        ]
    );
}

#[test]
fn edge_cases_from_the_spec() {
    assert_eq!(
        parse_all(&[b"\n\n\n"]),
        vec![],
        "blank lines alone dispatch nothing"
    );
    assert_eq!(
        parse_all(&[b"event: x\n\ndata: y\n\n"]),
        vec![ev("y")],
        "an event without data is dropped"
    );
    assert_eq!(
        parse_all(&[b"data:\n\n"]),
        vec![ev("")],
        "empty data is still an event"
    );
    assert_eq!(
        parse_all(&[b"data:  two spaces\n\n"]),
        vec![ev(" two spaces")],
        "only one space is stripped"
    );
    assert_eq!(
        parse_all(&[b"\xEF\xBB\xBFdata: bom\n\n"]),
        vec![ev("bom")],
        "a leading BOM is ignored"
    );
    assert_eq!(
        parse_all(&[b"data: unterminated"]),
        vec![],
        "no blank line, no event"
    );
    assert_eq!(parse_all(&[b"unknown: x\ndata: y\n\n"]), vec![ev("y")]);
    let bad = parse_all(&[b"data: \xFF\xFE ok\n\n"]);
    assert_eq!(bad.len(), 1, "invalid UTF-8 is replaced, not fatal");
    assert!(bad[0].data.ends_with(" ok"));
}
