//! The stylesheet minifier that `build.rs` runs on `styles/widget.css`.

include!("../styles/minify.rs");

/// Everything but comments and whitespace, outside strings: what minifying may not change.
fn tokens(css: &str) -> String {
    let no_comments = css
        .split("/*")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once("*/").map_or("", |(_, rest)| rest)
            }
        })
        .collect::<String>();
    no_comments.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn the_shipped_stylesheet_loses_only_comments_whitespace_and_last_semicolons() {
    let css =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/styles/widget.css")).unwrap();
    let min = minify_css(&css);
    assert!(
        min.len() < css.len() * 9 / 10,
        "{} of {} bytes",
        min.len(),
        css.len()
    );
    assert!(!min.contains("/*") && !min.contains('\n') && !min.contains("  "));
    assert_eq!(tokens(&min), tokens(&css).replace(";}", "}"));
}

#[test]
fn space_that_css_reads_is_kept() {
    let cases = [
        (
            "a  >  b { width : calc(100%  -  4px) ; }",
            "a > b{width :calc(100% - 4px)}",
        ),
        (
            ".x :focus,\n.y:hover { color: red !important; }",
            ".x :focus,.y:hover{color:red!important}",
        ),
        (
            "@media (max-width: 480px) and (hover: none) { a { b: c } }",
            "@media (max-width:480px) and (hover:none){a{b:c}}",
        ),
        ("a/* x */b{c:d}", "a b{c:d}"),
    ];
    for (css, want) in cases {
        assert_eq!(minify_css(css), want, "{css}");
    }
}

#[test]
fn strings_are_kept_whole() {
    assert_eq!(
        minify_css(".q::before { content: \"a  /* b */  ;\\\"  }\"; }"),
        ".q::before{content:\"a  /* b */  ;\\\"  }\"}"
    );
    assert_eq!(minify_css("[dir='r  l'] { }"), "[dir='r  l']{}");
    // An unterminated string or comment ends the sheet without a panic.
    assert_eq!(minify_css("a{content:\"x"), "a{content:\"x");
    assert_eq!(minify_css("a{b:c}/* open"), "a{b:c}");
}
