//! Splitting an `Authors:` line of an `.abs` file or listing into one name per author.
//!
//! Private for now: [`crate::authors::split_authors`], written at the same time, does not yet
//! split at `&` nor at affiliations without commas (`A (PSU) B (GSFC)`), which the astro-ph
//! listings need. Once it does, this file goes. Rules:
//!
//! - names are separated by `,`, `;`, `&` and the word `and` (so `A, B and C`, `A, B, and C`
//!   and `A & B` all give separate names);
//! - parenthesised groups are affiliations: they are dropped, nothing inside them is split,
//!   and they separate names too (`A (PSU) B (GSFC)` gives `A`, `B`);
//!   A bracket without a partner only separates names, so it cannot swallow the rest;
//! - nothing inside `{...}` (LaTeX) is split, unless the braces do not balance;
//! - pieces without a letter (`.`, `1`) are dropped;
//! - `et al.` is dropped; `Jr.`, `Sr.`, `II`, `III`, `IV` join the name before them;
//! - `LHCb collaboration: A, B` gives `LHCb collaboration`, `A`, `B`.

/// Suffixes that belong to the name before them.
const SUFFIXES: &[&str] = &["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"];

/// Splits an author list into names, in order.
pub(crate) fn split_authors(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for piece in pieces(text) {
        let piece = piece.trim_matches(|c: char| c.is_whitespace() || c == ':');
        if !piece.chars().any(char::is_alphabetic) || is_et_al(piece) {
            continue;
        }
        match names.last_mut() {
            Some(prev) if SUFFIXES.contains(&piece) => {
                prev.push(' ');
                prev.push_str(piece);
            }
            _ => names.push(piece.to_string()),
        }
    }
    names
}

/// The text between separators, untrimmed. Works on bytes: every separator is ASCII, so
/// every cut falls on a character boundary.
fn pieces(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let stray = unmatched_parens(bytes);
    let braces_balanced = braces_balanced(bytes);
    let mut out = Vec::new();
    let (mut start, mut paren, mut brace) = (0usize, 0usize, 0usize);
    let mut cut = |from: usize, to: usize| {
        if let Some(piece) = text.get(from..to) {
            out.push(piece);
        }
    };
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let mut next = i + 1;
        match b {
            b'(' | b'[' | b')' | b']' if brace == 0 && stray.binary_search(&i).is_ok() => {
                if paren == 0 {
                    cut(start, i);
                }
                start = next;
            }
            b'(' | b'[' if brace == 0 => {
                if paren == 0 {
                    cut(start, i);
                }
                paren += 1;
                start = next;
            }
            b')' | b']' if brace == 0 => {
                paren = paren.saturating_sub(1);
                start = next;
            }
            _ if paren > 0 => start = next,
            b'{' if braces_balanced => brace += 1,
            b'}' if braces_balanced => brace = brace.saturating_sub(1),
            b',' | b';' | b'&' if brace == 0 => {
                cut(start, i);
                start = next;
            }
            b':' if brace == 0 && text.get(start..i).is_some_and(is_group_name) => {
                cut(start, i);
                start = next;
            }
            b'a' if brace == 0 && is_and_word(bytes, i) => {
                cut(start, i);
                next = i + 3;
                start = next;
            }
            _ => {}
        }
        i = next;
    }
    cut(start, bytes.len());
    out
}

/// True when `and` starts at `i` as a word of its own.
fn is_and_word(bytes: &[u8], i: usize) -> bool {
    let before = i.checked_sub(1).and_then(|j| bytes.get(j)).is_none_or(u8::is_ascii_whitespace);
    let after = bytes.get(i + 3).is_none_or(u8::is_ascii_whitespace);
    before && after && bytes.get(i..i + 3) == Some(b"and")
}

/// Positions of the brackets that have no partner (in order). Matched pairs are
/// affiliations; a stray `(` or `)` only separates names, so that it cannot swallow the rest
/// of the list.
fn unmatched_parens(bytes: &[u8]) -> Vec<usize> {
    let (mut open, mut stray) = (Vec::new(), Vec::new());
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'(' | b'[') {
            open.push(i);
        } else if matches!(b, b')' | b']') && open.pop().is_none() {
            stray.push(i);
        }
    }
    stray.extend(open);
    stray.sort_unstable();
    stray
}

/// True when every `{` is closed (otherwise braces do not group).
fn braces_balanced(bytes: &[u8]) -> bool {
    let mut depth = 0i64;
    for &b in bytes {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn is_group_name(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ["collaboration", "consortium", "team", "group", "survey"].iter().any(|w| lower.contains(w))
}

fn is_et_al(s: &str) -> bool {
    if s.len() > 12 {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let t = lower.trim_end_matches('.').trim();
    matches!(t, "et al" | "et. al" | "et al." | "others" | "and others" | "and")
}

#[cfg(test)]
mod tests {
    use super::split_authors;

    fn s(text: &str) -> Vec<String> {
        split_authors(text)
    }

    #[test]
    fn commas_and_and() {
        assert_eq!(s("A. One, B. Two and C. Three"), ["A. One", "B. Two", "C. Three"]);
        assert_eq!(s("A. One, B. Two, and C. Three"), ["A. One", "B. Two", "C. Three"]);
        assert_eq!(s("Jingyao Zhu and Mary E Putman"), ["Jingyao Zhu", "Mary E Putman"]);
        assert_eq!(s("Kazuo Anderson & Brandon"), ["Kazuo Anderson", "Brandon"]);
        assert_eq!(s("Yosuke Imamura"), ["Yosuke Imamura"]);
        assert_eq!(s(""), Vec::<String>::new());
    }

    #[test]
    fn affiliations_are_dropped() {
        let got = s("B. D. Lehmer (PSU), W. N. Brandt (PSU), D. P. Schneider (PSU), & A. T. Steffen (PSU)");
        assert_eq!(got, ["B. D. Lehmer", "W. N. Brandt", "D. P. Schneider", "A. T. Steffen"]);
        let got = s("Darren S. Reed (ICC-Durham/LANL) Fabio Governato (Univ. of Washington/O. A. Brera, Milan)");
        assert_eq!(got, ["Darren S. Reed", "Fabio Governato"]);
        let got = s("A. One (1 and 2), B. Two (2) ((1) Univ. X, (2) Inst. Y, and Z)");
        assert_eq!(got, ["A. One", "B. Two"]);
    }

    #[test]
    fn odd_cases() {
        assert_eq!(s("M{\\aa}ns Holmberg, {van den Berg and Sons}"), ["M{\\aa}ns Holmberg", "{van den Berg and Sons}"]);
        assert_eq!(s("John Smith, Jr., Jane Doe, et al."), ["John Smith Jr.", "Jane Doe"]);
        assert_eq!(
            s("LHCb collaboration: R. Aaij, C. Abell\\'an Beteta"),
            ["LHCb collaboration", "R. Aaij", "C. Abell\\'an Beteta"]
        );
        assert_eq!(s("A. One (PSU, B. Two"), ["A. One", "PSU", "B. Two"]);
        assert_eq!(s("A) B), C"), ["A", "B", "C"]);
        // One `)` too many (real: 0907.0405): only the stray one is a plain separator.
        assert_eq!(s("E. Torresi (1,2), A. Nucita (4) ((1) INAF, (2) ESA))"), ["E. Torresi", "A. Nucita"]);
        assert_eq!(s("{Simon Johnston, Aris K and Kyle W"), ["{Simon Johnston", "Aris K", "Kyle W"]);
        assert_eq!(s("A. One (1), B. Two (2)."), ["A. One", "B. Two"]);
    }
}
