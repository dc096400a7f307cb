//! A small Markdown reader for agent text: paragraphs, headings, emphasis, lists, links,
//! inline and fenced code, block quotes, rules and pipe tables.
//!
//! It produces a tree, never HTML: the view turns the tree into DOM nodes, so markup in the
//! text stays text. Raw HTML in the source is shown as written. Links keep only `http`,
//! `https` and `mailto` targets; any other target leaves the link text as plain text.
//!
//! `streaming` is for text that is still growing: a construct that is opened but not yet
//! closed at the end (`**bold…`, `` `code…``, `[label](…`, a table header waiting for its
//! delimiter row) is shown the way it will end up, or held back, so the visitor never sees
//! markers flash and then turn into formatting.

use crate::text::join;

/// How a table column is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Em(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(String),
    Link { href: String, children: Vec<Inline> },
    Break,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Block {
    Paragraph(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    /// `open`: the closing fence has not arrived (yet).
    Code {
        lang: String,
        text: String,
        open: bool,
    },
    List {
        ordered: bool,
        start: u32,
        items: Vec<Vec<Inline>>,
    },
    Quote(Vec<Inline>),
    Table {
        align: Vec<Align>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    Rule,
}

/// A link target that may be followed: http(s) or mailto, no spaces or control characters.
pub fn safe_href(url: &str) -> Option<String> {
    let url = url.trim();
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = url.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://")) && url.len() > 8
        || lower.starts_with("mailto:") && url.len() > 7;
    ok.then(|| url.to_string())
}

/// A letter or digit for the word-boundary rules (`_` inside a word, a URL glued to a word).
/// ASCII is exact. Beyond it, every character counts as part of a word except spaces and the
/// punctuation and symbol blocks (Latin-1's «¿¡, curly quotes and dashes, arrows and shapes,
/// CJK and full-width punctuation, emoji): this keeps Rust's Unicode letter tables, about
/// 2 KB, out of the bundle, and differs from them only on rarer symbols.
fn word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !(c.is_whitespace()
        || matches!(
            c as u32,
            0x80..=0xBF
                | 0xD7
                | 0xF7
                | 0x2000..=0x2BFF
                | 0x2E00..=0x2E7F
                | 0x3000..=0x303F
                | 0xFE30..=0xFE4F
                | 0xFF00..=0xFF0F
                | 0xFF1A..=0xFF20
                | 0xFF3B..=0xFF40
                | 0xFF5B..=0xFF65
                | 0x1F000..=0x1FAFF
        ))
}

/// Reads `src` into blocks.
pub fn parse(src: &str, streaming: bool) -> Vec<Block> {
    let lines: Vec<&str> = src
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut i = 0;
    let flush = |para: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(inlines(&join(para, "\n"), streaming)));
            para.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() {
            flush(&mut para, &mut blocks);
            i += 1;
            continue;
        }
        if indent < 4 {
            if let Some((fence, lang)) = fence_open(trimmed) {
                flush(&mut para, &mut blocks);
                let mut text = Vec::new();
                let mut open = true;
                i += 1;
                while i < lines.len() {
                    let l = lines[i];
                    let t = l.trim();
                    if t.starts_with(fence)
                        && t.chars().all(|c| c == fence.chars().next().unwrap_or('`'))
                    {
                        open = false;
                        i += 1;
                        break;
                    }
                    // Up to the fence's own indentation is removed from the content.
                    let cut = l.len() - l.trim_start().len();
                    text.push(&l[cut.min(indent)..]);
                    i += 1;
                }
                blocks.push(Block::Code {
                    lang: lang.to_string(),
                    text: join(&text, "\n"),
                    open,
                });
                continue;
            }
            if let Some((level, rest)) = heading(trimmed) {
                flush(&mut para, &mut blocks);
                blocks.push(Block::Heading(level, inlines(rest, streaming)));
                i += 1;
                continue;
            }
            if para.is_empty() && is_rule(trimmed) {
                blocks.push(Block::Rule);
                i += 1;
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('>') {
                flush(&mut para, &mut blocks);
                let mut quoted = vec![rest.strip_prefix(' ').unwrap_or(rest)];
                i += 1;
                while i < lines.len() {
                    match lines[i].trim_start().strip_prefix('>') {
                        Some(r) => quoted.push(r.strip_prefix(' ').unwrap_or(r)),
                        None => break,
                    }
                    i += 1;
                }
                blocks.push(Block::Quote(inlines(&join(&quoted, "\n"), streaming)));
                continue;
            }
            if let Some((ordered, start, first)) = list_item(trimmed) {
                flush(&mut para, &mut blocks);
                let mut items = vec![vec![first]];
                i += 1;
                while i < lines.len() {
                    let l = lines[i];
                    let t = l.trim_start();
                    if t.is_empty() {
                        // A blank line ends the list unless the next line is another item.
                        match lines.get(i + 1).and_then(|n| list_item(n.trim_start())) {
                            Some((o, _, _)) if o == ordered => {
                                i += 1;
                                continue;
                            }
                            _ => break,
                        }
                    }
                    match list_item(t) {
                        Some((o, _, text)) if o == ordered => items.push(vec![text]),
                        Some(_) => break,
                        None if fence_open(t).is_some() || heading(t).is_some() => break,
                        None => {
                            if let Some(item) = items.last_mut() {
                                item.push(t);
                            }
                        }
                    }
                    i += 1;
                }
                blocks.push(Block::List {
                    ordered,
                    start,
                    items: items
                        .iter()
                        .map(|parts| inlines(&join(parts, "\n"), streaming))
                        .collect(),
                });
                continue;
            }
            if para.is_empty() && trimmed.contains('|') {
                let delimiter = lines.get(i + 1).and_then(|d| table_delimiter(d));
                let head = split_row(trimmed);
                match delimiter {
                    Some(align) if align.len() == head.len() => {
                        let mut rows = Vec::new();
                        i += 2;
                        while i < lines.len()
                            && lines[i].contains('|')
                            && !lines[i].trim().is_empty()
                        {
                            let mut cells: Vec<Vec<Inline>> = split_row(lines[i].trim())
                                .into_iter()
                                .map(|c| inlines(c, streaming))
                                .collect();
                            // As many cells as the header has (`resize` would clone).
                            cells.truncate(align.len());
                            while cells.len() < align.len() {
                                cells.push(Vec::new());
                            }
                            rows.push(cells);
                            i += 1;
                        }
                        blocks.push(Block::Table {
                            head: head.into_iter().map(|c| inlines(c, streaming)).collect(),
                            align,
                            rows,
                        });
                        continue;
                    }
                    _ if streaming
                        && trimmed.starts_with('|')
                        && (i + 1 == lines.len()
                            || (i + 2 == lines.len() && could_be_delimiter(lines[i + 1]))) =>
                    {
                        // A table header whose delimiter row has not arrived: wait for it.
                        break;
                    }
                    _ => {}
                }
            }
        }
        para.push(line.trim_start());
        i += 1;
    }
    flush(&mut para, &mut blocks);
    blocks
}

fn fence_open(t: &str) -> Option<(&'static str, &str)> {
    for fence in ["```", "~~~"] {
        if let Some(rest) = t.strip_prefix(fence) {
            let rest = rest.trim_start_matches(fence.chars().next().unwrap_or('`'));
            let lang = rest.trim();
            if !(fence == "```" && lang.contains('`')) {
                return Some((fence, lang.split_whitespace().next().unwrap_or("")));
            }
        }
    }
    None
}

fn heading(t: &str) -> Option<(u8, &str)> {
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) {
        let rest = &t[hashes..];
        if rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t') {
            let rest = rest.trim();
            let rest = rest.trim_end_matches('#').trim_end();
            return Some((hashes as u8, rest));
        }
    }
    None
}

fn is_rule(t: &str) -> bool {
    // Read without copying, and stop at the first other character: a paragraph's first line
    // is tested on every re-read of a growing answer.
    let mut marks = t.chars().filter(|c| !c.is_whitespace());
    let Some(mark @ ('-' | '*' | '_')) = marks.next() else {
        return false;
    };
    let mut count = 1;
    for c in marks {
        if c != mark {
            return false;
        }
        count += 1;
    }
    count >= 3
}

/// `- item`, `* item`, `+ item`, `1. item`, `1) item`.
fn list_item(t: &str) -> Option<(bool, u32, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(bullet) {
            if !is_rule(t) {
                return Some((false, 1, rest.trim_start()));
            }
        }
    }
    let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            let start = t[..digits].parse().unwrap_or(1);
            return Some((true, start, rest.trim_start()));
        }
    }
    None
}

fn split_row(row: &str) -> Vec<&str> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut cells = Vec::new();
    let mut start = 0;
    let bytes = row.as_bytes();
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 1,
            b'|' => {
                cells.push(row[start..k].trim());
                start = k + 1;
            }
            _ => {}
        }
        k += 1;
    }
    cells.push(row[start.min(row.len())..].trim());
    cells
}

fn table_delimiter(line: &str) -> Option<Vec<Align>> {
    let t = line.trim();
    if !t.contains('-') || !t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t')) {
        return None;
    }
    let cells = split_row(t);
    let mut align = Vec::new();
    for c in cells {
        let dashes = c.trim_matches(':');
        if dashes.is_empty() || !dashes.chars().all(|ch| ch == '-') {
            return None;
        }
        align.push(match (c.starts_with(':'), c.ends_with(':')) {
            (true, true) => Align::Center,
            (true, false) => Align::Left,
            (false, true) => Align::Right,
            (false, false) => Align::None,
        });
    }
    Some(align)
}

fn could_be_delimiter(line: &str) -> bool {
    line.trim()
        .chars()
        .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

/// Reads inline formatting.
pub fn inlines(src: &str, streaming: bool) -> Vec<Inline> {
    let mut out = Vec::new();
    Reader {
        src,
        streaming,
        depth: 0,
    }
    .run(&mut out);
    merge_text(out)
}

struct Reader<'a> {
    src: &'a str,
    streaming: bool,
    depth: u8,
}

fn push_text(out: &mut Vec<Inline>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Inline::Text(t)) = out.last_mut() {
        t.push_str(s);
    } else {
        out.push(Inline::Text(s.to_string()));
    }
}

fn merge_text(list: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(list.len());
    for item in list {
        match item {
            Inline::Text(s) => push_text(&mut out, &s),
            other => out.push(other),
        }
    }
    out
}

const ESCAPABLE: &str = "\\`*_{}[]()#+-.!|~<>";

impl Reader<'_> {
    fn nested(&self, src: &str) -> Vec<Inline> {
        let mut out = Vec::new();
        if self.depth >= 8 {
            push_text(&mut out, src);
            return out;
        }
        Reader {
            src,
            streaming: self.streaming,
            depth: self.depth + 1,
        }
        .run(&mut out);
        merge_text(out)
    }

    fn run(&self, out: &mut Vec<Inline>) {
        let s = self.src;
        let b = s.as_bytes();
        let mut i = 0;
        let mut text_start = 0;
        while i < b.len() {
            let c = b[i];
            let consumed = match c {
                b'\\' => {
                    let next = s[i + 1..].chars().next();
                    match next {
                        Some(n) if n.is_ascii() && ESCAPABLE.as_bytes().contains(&(n as u8)) => {
                            push_text(out, &s[text_start..i]);
                            push_text(out, &s[i + 1..i + 2]);
                            Some(i + 2)
                        }
                        Some('\n') => {
                            push_text(out, &s[text_start..i]);
                            out.push(Inline::Break);
                            Some(i + 2)
                        }
                        _ => None,
                    }
                }
                b'`' => self.code(i).map(|(node, end)| {
                    push_text(out, &s[text_start..i]);
                    out.push(node);
                    end
                }),
                b'*' | b'_' | b'~' => self.emphasis(i).map(|(node, end)| {
                    push_text(out, &s[text_start..i]);
                    out.extend(node);
                    end
                }),
                b'[' => self.link(i, false).map(|(node, end)| {
                    push_text(out, &s[text_start..i]);
                    out.extend(node);
                    end
                }),
                b'!' if b.get(i + 1) == Some(&b'[') => self.link(i + 1, true).map(|(node, end)| {
                    push_text(out, &s[text_start..i]);
                    out.extend(node);
                    end
                }),
                b'<' => self.autolink(i).map(|(node, end)| {
                    push_text(out, &s[text_start..i]);
                    out.push(node);
                    end
                }),
                b'h' | b'H' => self.bare_url(i).map(|(node, end)| {
                    push_text(out, &s[text_start..i]);
                    out.push(node);
                    end
                }),
                b'\n' => {
                    // Two trailing spaces make a hard break; other newlines stay in the text
                    // (the view keeps them as line breaks, as chat users expect).
                    let before = &s[text_start..i];
                    if before.ends_with("  ") {
                        push_text(out, before.trim_end_matches(' '));
                        out.push(Inline::Break);
                        Some(i + 1)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            match consumed {
                Some(end) => {
                    i = end;
                    text_start = end;
                }
                None => i += s[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        push_text(out, &s[text_start..]);
    }

    /// `` `code` `` with a backtick run of any length.
    fn code(&self, i: usize) -> Option<(Inline, usize)> {
        let s = self.src;
        let run = s[i..].bytes().take_while(|&b| b == b'`').count();
        let body_start = i + run;
        let mut k = body_start;
        while k < s.len() {
            let here = s[k..].bytes().take_while(|&b| b == b'`').count();
            if here == run {
                let body = &s[body_start..k];
                return Some((Inline::Code(trim_code(body)), k + run));
            }
            k += here.max(1);
            while k < s.len() && !s.is_char_boundary(k) {
                k += 1;
            }
        }
        // Unclosed while streaming: it is code, shown as such already (or held back while
        // only the backticks have arrived).
        self.streaming.then(|| {
            let rest = &s[body_start..];
            let node = if rest.is_empty() {
                Inline::Text(String::new())
            } else {
                Inline::Code(rest.to_string())
            };
            (node, s.len())
        })
    }

    /// `*em*`, `_em_`, `**strong**`, `__strong__`, `~~strike~~`.
    fn emphasis(&self, i: usize) -> Option<(Vec<Inline>, usize)> {
        let s = self.src;
        let b = s.as_bytes();
        let marker = b[i];
        let run = s[i..].bytes().take_while(|&x| x == marker).count();
        let width = match (marker, run) {
            (b'~', n) if n >= 2 => 2,
            (b'~', _) => return None,
            (_, 1) => 1,
            (_, _) => 2,
        };
        let Some(after) = s[i + width..].chars().next() else {
            // A marker at the very end of a growing text: hold it back until we know.
            return self.streaming.then(|| (Vec::new(), s.len()));
        };
        if after.is_whitespace() {
            return None;
        }
        // `_` inside a word (snake_case) is not emphasis.
        if marker == b'_' && s[..i].chars().next_back().is_some_and(word_char) {
            return None;
        }
        let body_start = i + width;
        let mut k = body_start;
        // The next run of `width` markers (ASCII, so always at a character boundary).
        let next_delim = |from: usize| {
            s.as_bytes()[from..]
                .windows(width)
                .position(|w| w.iter().all(|&b| b == marker))
        };
        while let Some(off) = next_delim(k) {
            let at = k + off;
            let before = s[..at].chars().next_back();
            let run_here = s[at..].bytes().take_while(|&x| x == marker).count();
            let closes = at > body_start
                && before.is_some_and(|c| !c.is_whitespace())
                && (width == 2 || run_here == 1 || run_here == 3)
                && !(marker == b'_' && s[at + width..].chars().next().is_some_and(word_char));
            if closes {
                let inner = self.nested(&s[body_start..at]);
                let node = match (marker, width) {
                    (b'~', _) => Inline::Strike(inner),
                    (_, 2) => Inline::Strong(inner),
                    _ => Inline::Em(inner),
                };
                return Some((vec![node], at + width));
            }
            k = at + run_here.max(1);
        }
        if self.streaming {
            // Still open at the end of a growing text: show it formatted already.
            let inner = self.nested(&s[body_start..]);
            let node = match (marker, width) {
                (b'~', _) => Inline::Strike(inner),
                (_, 2) => Inline::Strong(inner),
                _ => Inline::Em(inner),
            };
            return Some((vec![node], s.len()));
        }
        None
    }

    /// `[label](url)` and `![alt](url)` (an image is shown as a link to it).
    fn link(&self, i: usize, image: bool) -> Option<(Vec<Inline>, usize)> {
        let s = self.src;
        let b = s.as_bytes();
        let mut depth = 0usize;
        let mut k = i + 1;
        let mut close = None;
        while k < b.len() {
            match b[k] {
                b'\\' => k += 1,
                b'[' => depth += 1,
                b']' if depth == 0 => {
                    close = Some(k);
                    break;
                }
                b']' => depth -= 1,
                _ => {}
            }
            k += 1;
        }
        let label_end = match close {
            Some(c) => c,
            None if self.streaming => {
                // `[label…` still arriving: show the label as text without the bracket.
                return Some((self.nested(&s[i + 1..]), s.len()));
            }
            None => return None,
        };
        let label = &s[i + 1..label_end];
        if b.get(label_end + 1) != Some(&b'(') {
            if self.streaming && label_end + 1 == b.len() {
                return Some((self.nested(label), s.len()));
            }
            return None;
        }
        let target_start = label_end + 2;
        let mut depth = 0usize;
        let mut k = target_start;
        let mut end = None;
        while k < b.len() {
            match b[k] {
                b'(' => depth += 1,
                b')' if depth == 0 => {
                    end = Some(k);
                    break;
                }
                b')' => depth -= 1,
                b'\n' => break,
                _ => {}
            }
            k += 1;
        }
        let children = if label.is_empty() && image {
            Vec::new()
        } else {
            self.nested(label)
        };
        let Some(end) = end else {
            if self.streaming && !s[target_start..].contains('\n') {
                return Some((children, s.len()));
            }
            return None;
        };
        // `(url "title")`: the title is dropped.
        let target = s[target_start..end].trim();
        let url = target.split_whitespace().next().unwrap_or("");
        let url = url
            .strip_prefix('<')
            .and_then(|u| u.strip_suffix('>'))
            .unwrap_or(url);
        let children = if children.is_empty() {
            vec![Inline::Text(url.to_string())]
        } else {
            children
        };
        Some(match safe_href(url) {
            Some(href) => (vec![Inline::Link { href, children }], end + 1),
            // Not a safe target: the label stays, as text.
            None => (children, end + 1),
        })
    }

    /// `<https://…>` or `<mailto:…>`.
    fn autolink(&self, i: usize) -> Option<(Inline, usize)> {
        let s = self.src;
        let close = s[i + 1..].find('>')? + i + 1;
        let url = &s[i + 1..close];
        let href = safe_href(url)?;
        Some((
            Inline::Link {
                href,
                children: vec![Inline::Text(url.to_string())],
            },
            close + 1,
        ))
    }

    /// A bare `http://` or `https://` URL starting a word.
    fn bare_url(&self, i: usize) -> Option<(Inline, usize)> {
        let s = self.src;
        if s[..i]
            .chars()
            .next_back()
            .is_some_and(|c| word_char(c) || c == '/')
        {
            return None;
        }
        let lower = s[i..s.len().min(i + 8)].to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return None;
        }
        let len = s[i..]
            .find(|c: char| c.is_whitespace() || c == '<' || c == '"')
            .unwrap_or(s.len() - i);
        let mut url = &s[i..i + len];
        while let Some(last) = url.chars().next_back() {
            let unbalanced_paren =
                last == ')' && url.matches('(').count() < url.matches(')').count();
            if matches!(
                last,
                '.' | ',' | ';' | ':' | '!' | '?' | '*' | '_' | '~' | '\''
            ) || unbalanced_paren
            {
                url = &url[..url.len() - last.len_utf8()];
            } else {
                break;
            }
        }
        let href = safe_href(url)?;
        Some((
            Inline::Link {
                href,
                children: vec![Inline::Text(url.to_string())],
            },
            i + url.len(),
        ))
    }
}

fn trim_code(body: &str) -> String {
    let body = body.replace('\n', " ");
    if body.len() >= 2 && body.starts_with(' ') && body.ends_with(' ') && !body.trim().is_empty() {
        body[1..body.len() - 1].to_string()
    } else {
        body
    }
}

/// The text of inlines, without formatting (for labels and announcements).
pub fn plain(list: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(&mut out, list);
    out
}

fn push_plain(out: &mut String, list: &[Inline]) {
    for i in list {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Em(c) | Inline::Strike(c) => push_plain(out, c),
            Inline::Link { children, .. } => push_plain(out, children),
            Inline::Break => out.push('\n'),
        }
    }
}

/// The words of a whole Markdown text, without formatting: what a screen reader announces.
/// Blocks go on lines of their own; table cells are separated by commas.
pub fn plain_text(src: &str) -> String {
    // `sep` before every piece but the first of its run.
    fn put(out: &mut String, first: bool, sep: &str) {
        if !first {
            out.push_str(sep)
        }
    }
    let mut out = String::new();
    for (n, block) in parse(src, false).iter().enumerate() {
        put(&mut out, n == 0, "\n");
        match block {
            Block::Paragraph(i) | Block::Heading(_, i) | Block::Quote(i) => push_plain(&mut out, i),
            Block::Code { text, .. } => out.push_str(text),
            Block::List { items, .. } => {
                for (k, item) in items.iter().enumerate() {
                    put(&mut out, k == 0, "\n");
                    push_plain(&mut out, item);
                }
            }
            Block::Table { head, rows, .. } => {
                for (k, row) in std::iter::once(head).chain(rows.iter()).enumerate() {
                    put(&mut out, k == 0, "\n");
                    for (c, cell) in row.iter().enumerate() {
                        put(&mut out, c == 0, ", ");
                        push_plain(&mut out, cell);
                    }
                }
            }
            Block::Rule => {}
        }
    }
    out
}
