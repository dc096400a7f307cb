// The stylesheet as shipped: `styles/widget.css` without its comments and the whitespace
// CSS does not need. Shared by `build.rs` (which writes it for `include_str!`) and
// `tests/css.rs`. It knows only what the stylesheet uses: strings are kept whole, and space
// is dropped only next to `{`, `}`, `;` and `,`, after `:` and before `!`; everywhere else a
// run of whitespace becomes one space (`calc(100% - 4px)` and `a :focus` keep theirs).

/// `css` minified, as described above.
pub fn minify_css(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            flush_space(&mut out, &mut space, c);
            out.push(c);
            while let Some(d) = chars.next() {
                out.push(d);
                if d == '\\' {
                    if let Some(e) = chars.next() {
                        out.push(e);
                    }
                } else if d == c {
                    break;
                }
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut last = ' ';
            for d in chars.by_ref() {
                if last == '*' && d == '/' {
                    break;
                }
                last = d;
            }
            space = true;
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        flush_space(&mut out, &mut space, c);
        if c == '}' && out.ends_with(';') {
            out.pop();
        }
        out.push(c);
    }
    out
}

/// Writes the pending space before `next`, unless either side makes it needless.
fn flush_space(out: &mut String, space: &mut bool, next: char) {
    if std::mem::take(space)
        && !out.is_empty()
        && !out.ends_with(['{', '}', ';', ',', ':'])
        && !matches!(next, '{' | '}' | ';' | ',' | '!')
    {
        out.push(' ');
    }
}
