//! Native tests of the Markdown reader used for agent text.
use confab::markdown::{inlines, parse, plain, safe_href, Align, Block, Inline};

fn text(s: &str) -> Inline {
    Inline::Text(s.into())
}

#[test]
fn paragraphs_emphasis_code_and_links() {
    let blocks = parse(
        "Hello **bold** and *em* and `a < b`.\n\nSee [docs](https://example.com/a_(b)) or https://x.org/p.",
        false,
    );
    assert_eq!(
        blocks,
        vec![
            Block::Paragraph(vec![
                text("Hello "),
                Inline::Strong(vec![text("bold")]),
                text(" and "),
                Inline::Em(vec![text("em")]),
                text(" and "),
                Inline::Code("a < b".into()),
                text("."),
            ]),
            Block::Paragraph(vec![
                text("See "),
                Inline::Link {
                    href: "https://example.com/a_(b)".into(),
                    children: vec![text("docs")]
                },
                text(" or "),
                Inline::Link {
                    href: "https://x.org/p".into(),
                    children: vec![text("https://x.org/p")]
                },
                text("."),
            ]),
        ]
    );
}

#[test]
fn unsafe_link_targets_keep_only_their_text() {
    for src in [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html,<script>alert(1)</script>)",
        "[click](vbscript:x)",
        "[click]( java\tscript:alert(1))",
        "[click](//evil.example/x)",
    ] {
        let out = inlines(src, false);
        assert!(
            !out.iter().any(|i| matches!(i, Inline::Link { .. })),
            "{src} gave a link: {out:?}"
        );
        assert!(plain(&out).starts_with("click"), "{src}: {out:?}");
    }
    assert_eq!(safe_href("mailto:a@b.c").as_deref(), Some("mailto:a@b.c"));
    assert_eq!(safe_href("https://"), None);
    assert_eq!(safe_href("https://a b"), None);
    assert!(safe_href("javascript:https://x").is_none());
}

#[test]
fn raw_html_is_text() {
    let src = "<img src=x onerror=alert(1)> <script>alert(1)</script>";
    assert_eq!(parse(src, false), vec![Block::Paragraph(vec![text(src)])]);
}

#[test]
fn lists_headings_quotes_rules_and_fences() {
    let src = "# Title\n\n- one\n- two\n  continued\n\n3. three\n4. four\n\n> quoted\n> more\n\n---\n\n```rust\nfn main() {}\n  indented\n```\nafter";
    let blocks = parse(src, false);
    assert_eq!(blocks[0], Block::Heading(1, vec![text("Title")]));
    assert_eq!(
        blocks[1],
        Block::List {
            ordered: false,
            start: 1,
            items: vec![vec![text("one")], vec![text("two\ncontinued")]]
        }
    );
    assert_eq!(
        blocks[2],
        Block::List {
            ordered: true,
            start: 3,
            items: vec![vec![text("three")], vec![text("four")]]
        }
    );
    assert_eq!(blocks[3], Block::Quote(vec![text("quoted\nmore")]));
    assert_eq!(blocks[4], Block::Rule);
    assert_eq!(
        blocks[5],
        Block::Code {
            lang: "rust".into(),
            text: "fn main() {}\n  indented".into(),
            open: false
        }
    );
    assert_eq!(blocks[6], Block::Paragraph(vec![text("after")]));
}

#[test]
fn pipe_tables_with_alignment() {
    let src = "| Plan | Price |\n|:-----|------:|\n| Free | $0 |\n| Pro | $9 \\| mo |\n\nend";
    let blocks = parse(src, false);
    assert_eq!(
        blocks[0],
        Block::Table {
            align: vec![Align::Left, Align::Right],
            head: vec![vec![text("Plan")], vec![text("Price")]],
            rows: vec![
                vec![vec![text("Free")], vec![text("$0")]],
                vec![vec![text("Pro")], vec![text("$9 | mo")]],
            ],
        }
    );
    assert_eq!(blocks[1], Block::Paragraph(vec![text("end")]));
}

/// A row with fewer cells than the header is padded with empty ones; extra cells are dropped.
#[test]
fn table_rows_take_the_header_width() {
    let src = "| a | b |\n|---|---|\n| 1 |\n| 1 | 2 | 3 |";
    let blocks = parse(src, false);
    assert_eq!(
        blocks[0],
        Block::Table {
            align: vec![Align::None, Align::None],
            head: vec![vec![text("a")], vec![text("b")]],
            rows: vec![
                vec![vec![text("1")], vec![]],
                vec![vec![text("1")], vec![text("2")]],
            ],
        }
    );
}

#[test]
fn snake_case_and_lone_stars_stay_text() {
    assert_eq!(
        inlines("my_var_name and 2 * 3", false),
        vec![text("my_var_name and 2 * 3")]
    );
    assert_eq!(inlines("**not closed", false), vec![text("**not closed")]);
    assert_eq!(inlines("\\*escaped\\*", false), vec![text("*escaped*")]);
}

/// Word boundaries beyond ASCII: letters of any script keep `_` literal and a URL glued to a
/// word unlinked; quotes, dashes, CJK punctuation and emoji are boundaries.
#[test]
fn word_boundaries_hold_for_letters_and_punctuation_of_other_scripts() {
    for glued in ["été_x_", "日本_x_", "ключ_x_"] {
        assert_eq!(inlines(glued, false), vec![text(glued)], "{glued}");
    }
    for (open, close) in [
        ("“", "”"),
        ("«", "»"),
        ("—", "—"),
        ("「", "」"),
        ("😀", "😀"),
    ] {
        let src = format!("{open}_x_{close}");
        assert_eq!(
            inlines(&src, false),
            vec![text(open), Inline::Em(vec![text("x")]), text(close)]
                .into_iter()
                .filter(|i| *i != text(""))
                .collect::<Vec<_>>(),
            "{src}"
        );
    }
    let linked = |src: &str| {
        inlines(src, false)
            .iter()
            .any(|i| matches!(i, Inline::Link { .. }))
    };
    assert!(linked("“https://example.com/a”"));
    assert!(!linked("見てhttps://example.com/a"));
    assert!(!linked("éhttps://example.com/a"));
}

/// While an answer streams in, markers never flash before turning into formatting: every
/// prefix of the text renders without a stray marker that the full text does not show.
#[test]
fn streaming_prefixes_show_no_half_open_markers() {
    let full = "Use **bold** and `code` and [the docs](https://example.com/x) here.\n\n| a | b |\n|---|---|\n| 1 | 2 |";
    let final_blocks = parse(full, false);
    for end in 1..=full.len() {
        if !full.is_char_boundary(end) {
            continue;
        }
        let blocks = parse(&full[..end], true);
        let shown: String = blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph(i) => plain(i),
                Block::Table { .. } => String::from("<table>"),
                other => format!("{other:?}"),
            })
            .collect();
        for marker in ["**", "`", "[", "](", "|"] {
            assert!(
                !shown.contains(marker),
                "prefix {end} shows {marker:?}: {shown:?}"
            );
        }
    }
    assert_eq!(
        parse(full, true),
        final_blocks,
        "the whole text reads the same either way"
    );
}

#[test]
fn an_unclosed_fence_is_code_while_it_streams() {
    let blocks = parse("Here:\n```js\nlet a = 1;", true);
    assert_eq!(
        blocks[1],
        Block::Code {
            lang: "js".into(),
            text: "let a = 1;".into(),
            open: true
        }
    );
}

#[test]
fn deep_nesting_and_odd_input_do_not_panic() {
    let deep = "*".repeat(5000) + &"[".repeat(5000) + &"`".repeat(3000);
    let _ = parse(&deep, false);
    let _ = parse(&deep, true);
    let odd = "é**ü*`ß`[ñ](https://ü.example/é)\u{0}|\n|-|\n|\u{202e}|";
    for end in 0..=odd.len() {
        if odd.is_char_boundary(end) {
            let _ = parse(&odd[..end], true);
            let _ = parse(&odd[..end], false);
        }
    }
}

#[test]
fn plain_text_is_what_a_screen_reader_hears() {
    assert_eq!(
        confab::markdown::plain_text(
            "Say **hi** to [Ada](https://x.org)\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
        ),
        "Say hi to Ada\none\ntwo\na, b\n1, 2"
    );
}

#[test]
fn a_rule_is_three_or_more_of_one_mark_and_nothing_else() {
    for rule in ["---", "***", "___", "- - -", "*  *  *  *", "_\t_ _"] {
        assert_eq!(parse(rule, false), vec![Block::Rule], "{rule:?}");
    }
    for not_rule in ["--", "-*-", "--- x", "t0 t1 t2"] {
        assert!(
            !parse(not_rule, false).contains(&Block::Rule),
            "{not_rule:?}"
        );
    }
    // A bullet followed by marks is a rule, not a list item.
    assert_eq!(parse("* * *", false), vec![Block::Rule]);
}
