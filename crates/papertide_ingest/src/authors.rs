//! The one author-list splitter, for every format: the one-line author strings of `arXivRaw`
//! (OAI), Kaggle (when `authors_parsed` is missing), `.abs` files and listing files all go
//! through [`split_authors`].
//!
//! arXiv writes authors as `A, B and C`, `A, B, and C` or `A & B`, with LaTeX accents
//! (`Bal\'azs`, `M{\"u}ller`), affiliations (`B. D. Lehmer (PSU), W. N. Brandt (PSU)`, `A (PSU)
//! B (GSFC)`, or a numbered list at the end: `A (1), B (2) ((1) PSU, (2) MIT)`) and
//! collaborations (`the Planck Collaboration`, `LHCb collaboration: A, B`). The rules:
//!
//! - Names are separated by `,`, `;`, `&` (`\&` too) and the word `and`. `\,` separates only
//!   before a space (`J.\,Smith` is one name); `:` only after a group name (`collaboration`,
//!   `consortium`, `team`, `group`, `survey`): `LHCb collaboration: A` gives both.
//! - `(...)` and `[...]` are affiliations: dropped, never split inside, and they separate names
//!   too (`A (PSU) B (GSFC)` gives `A`, `B`). A closing bracket without a partner only
//!   separates names; an opening one drops the text up to the next separator, or to the end
//!   when a numbered list follows it (`((1) PSU, (2) MIT` cut short): neither swallows names. A
//!   piece that is only a bracket naming a group gives that group (`(The BaBar Collaboration)`).
//! - Nothing inside `{...}` is split, unless the braces do not balance. LaTeX is kept as written.
//! - Pieces without a letter (`.`, `1`), `et al.`, `others` and `N additional authors not
//!   shown` are dropped, and so is a trailing ` et al.`. `Jr.`, `Sr.`, `II`, `III` and `IV` join
//!   the name before them. `X for the Y Collaboration` is one name, also with an affiliation
//!   between (`X (CERN) for the Y Collaboration`, or `on behalf of`).
//!
//! Names come out trimmed, whitespace collapsed, never empty. No input makes it panic.

use papertide_core::paper::collapse_whitespace;

/// Name suffixes that arXiv puts after a comma (`John Smith, Jr.`): they join the name before.
const SUFFIXES: &[&str] = &["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"];

/// Words in a group name that a `:` may follow (`LHCb collaboration: A, B`).
const GROUP_WORDS: &[&str] = &["collaboration", "consortium", "team", "group", "survey"];

/// Splits an author string into names, in order; see the module docs.
pub fn split_authors(s: &str) -> Vec<String> {
    let s = collapse_whitespace(s);
    let mut names = Vec::new();
    for chunk in chunks(&s) {
        push_chunk(&mut names, &chunk);
    }
    names
}

/// The text between two separators: what lies outside brackets, cut at each bracket, and the
/// contents of its top-level brackets.
#[derive(Default)]
struct Chunk<'a> {
    pieces: Vec<&'a str>,
    groups: Vec<&'a str>,
}

/// Cuts the (whitespace-collapsed) string into chunks. Works on bytes: every separator and
/// bracket is ASCII, so every cut falls on a character boundary (and `get` checks anyway).
fn chunks(s: &str) -> Vec<Chunk<'_>> {
    let bytes = s.as_bytes();
    let braces = braces_balance(bytes);
    let stray = stray_brackets(bytes, braces);
    let mut out = Vec::new();
    let mut chunk = Chunk::default();
    let (mut start, mut depth) = (0usize, 0usize);
    // After an opening bracket without a partner: skip to the next separator (or the end).
    let (mut dropping, mut to_end) = (false, false);
    for (i, b) in structural(bytes, braces) {
        let piece = s.get(start..i).filter(|_| !dropping);
        let separator = match b {
            b'(' | b'[' | b')' | b']' if stray.binary_search(&i).is_ok() => {
                chunk.pieces.extend(piece);
                if matches!(b, b'(' | b'[') {
                    dropping = true;
                    to_end = s
                        .get(i + 1..)
                        .and_then(|rest| rest.trim_start().bytes().next())
                        .is_some_and(|c| c == b'(' || c == b'[');
                }
                start = i + 1;
                false
            }
            b'(' | b'[' => {
                if depth == 0 {
                    chunk.pieces.extend(piece);
                    start = i + 1;
                }
                depth += 1;
                false
            }
            b')' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    chunk.groups.extend(piece);
                    start = i + 1;
                }
                false
            }
            _ if depth > 0 || to_end => false,
            b',' | b';' | b'&' => true,
            b':' => piece.is_some_and(is_group_name),
            b'a' => is_and_word(bytes, i),
            _ => false,
        };
        if separator {
            chunk.pieces.extend(piece);
            out.push(std::mem::take(&mut chunk));
            dropping = false;
            start = i + if b == b'a' { 3 } else { 1 };
        }
    }
    if !dropping {
        chunk.pieces.extend(s.get(start..));
    }
    out.push(chunk);
    out
}

/// Adds the names of one chunk: its pieces, else the group its only bracket names.
fn push_chunk(names: &mut Vec<String>, chunk: &Chunk<'_>) {
    let mut named = false;
    for piece in &chunk.pieces {
        let Some(name) = clean(piece) else { continue };
        let joins = SUFFIXES.contains(&name.as_str())
            || (named && ["for ", "on behalf of "].iter().any(|w| name.starts_with(w)));
        match names.last_mut() {
            Some(last) if joins => {
                last.push(' ');
                last.push_str(&name);
            }
            _ => names.push(name),
        }
        named = true;
    }
    // A chunk that is only a bracket naming a group: `(The BaBar Collaboration)`. No bracket is
    // inside, so this recursion goes one level deep at most.
    if let (false, [group]) = (named, chunk.groups.as_slice()) {
        if is_group_name(group) && !group.contains(['(', ')', '[', ']']) {
            names.extend(split_authors(group).into_iter().filter(|name| is_group_name(name)));
        }
    }
}

/// One piece as a name: trimmed, `and` and `et al.` removed; `None` when no name is left.
fn clean(piece: &str) -> Option<String> {
    let mut name = trim(piece);
    if let Some(rest) = name.strip_prefix("and ") {
        name = trim(rest);
    }
    if let Some(rest) = name.strip_suffix(" et al.").or_else(|| name.strip_suffix(" et al")) {
        name = trim(rest);
    }
    let letters = name.chars().any(char::is_alphabetic);
    (letters && !is_et_al(name)).then(|| name.to_string())
}

/// Trims whitespace, `,;:`, LaTeX spaces (`\,`, `\ `) and a lone trailing `\\` from both ends.
fn trim(mut s: &str) -> &str {
    loop {
        let t = s.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':'));
        let t = ["\\,", "\\;", "\\:", "\\ "].iter().find_map(|p| t.strip_prefix(p)).unwrap_or(t);
        let backslashes = t.len() - t.trim_end_matches('\\').len();
        let t = if backslashes % 2 == 1 { t.get(..t.len() - 1).unwrap_or(t) } else { t };
        if t.len() == s.len() {
            return t;
        }
        s = t;
    }
}

/// The bytes that can separate names or open and close brackets, with their positions:
/// unescaped (not after a lone `\`) and outside `{...}` when `braces` (the braces balance).
fn structural(bytes: &[u8], braces: bool) -> impl Iterator<Item = (usize, u8)> + '_ {
    let (mut escaped, mut depth) = (false, 0usize);
    bytes.iter().enumerate().filter_map(move |(i, &b)| {
        let was_escaped = escaped;
        escaped = b == b'\\' && !was_escaped;
        match b {
            // `\&` is still an `&`; `\,` before a space is a comma (`Mesa\, P. Delorme`), not a
            // thin space (`J.\,Smith`).
            b'&' | b',' if was_escaped && depth == 0 => {
                (b == b'&' || bytes.get(i + 1).is_none_or(|&c| c == b' ')).then_some((i, b))
            }
            _ if was_escaped => None,
            b'{' if braces => {
                depth += 1;
                None
            }
            b'}' if braces => {
                depth = depth.saturating_sub(1);
                None
            }
            _ if depth > 0 => None,
            _ => Some((i, b)),
        }
    })
}

/// True when every unescaped `{` is closed (otherwise braces group nothing).
fn braces_balance(bytes: &[u8]) -> bool {
    let depth = structural(bytes, false).try_fold(0usize, |depth, (_, b)| match b {
        b'{' => Some(depth + 1),
        b'}' => depth.checked_sub(1),
        _ => Some(depth),
    });
    depth == Some(0)
}

/// Positions of the brackets without a partner, in order. Matched pairs are affiliations.
fn stray_brackets(bytes: &[u8], braces: bool) -> Vec<usize> {
    let (mut open, mut stray) = (Vec::new(), Vec::new());
    for (i, b) in structural(bytes, braces) {
        match b {
            b'(' | b'[' => open.push(i),
            b')' | b']' if open.pop().is_none() => stray.push(i),
            _ => {}
        }
    }
    stray.extend(open);
    stray.sort_unstable();
    stray
}

/// True when `and` starts at `i` as a word of its own.
fn is_and_word(bytes: &[u8], i: usize) -> bool {
    let before = i.checked_sub(1).and_then(|j| bytes.get(j)).is_none_or(u8::is_ascii_whitespace);
    let after = bytes.get(i + 3).is_none_or(u8::is_ascii_whitespace);
    before && after && bytes.get(i..i + 3) == Some(b"and")
}

fn is_group_name(s: &str) -> bool {
    let lower = s.to_lowercase();
    GROUP_WORDS.iter().any(|w| lower.contains(w))
}

fn is_et_al(s: &str) -> bool {
    let lower = s.to_lowercase();
    matches!(lower.trim_end_matches('.'), "et al" | "et. al" | "others" | "and others" | "and")
        || lower.ends_with("additional authors not shown")
}

#[cfg(test)]
mod tests {
    use super::split_authors;

    fn split(s: &str) -> Vec<String> {
        split_authors(s)
    }

    #[test]
    fn commas_and_ampersands_semicolons() {
        assert_eq!(
            split("Joshua Berger, Maxim Perelstein, Michael Saelim and Philip Tanedo"),
            ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]
        );
        assert_eq!(
            split("D.V. Shetty, S.J. Yennello, and G.A. Souliotis"),
            ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
        );
        assert_eq!(split("N.C. Summers and F.M. Nunes"), ["N.C. Summers", "F.M. Nunes"]);
        assert_eq!(split("Christoph Richard"), ["Christoph Richard"]);
        assert_eq!(split("A. Andersen and B. Anderson"), ["A. Andersen", "B. Anderson"]);
        assert_eq!(split("A. Smith,\n  B. Jones and\n  C. Brown"), ["A. Smith", "B. Jones", "C. Brown"]);
        assert_eq!(split("Kazuo Anderson & Brandon"), ["Kazuo Anderson", "Brandon"]);
        assert_eq!(split("A. One; B. Two;C. Three"), ["A. One", "B. Two", "C. Three"]);
        assert_eq!(split("A. One,and B. Two"), ["A. One", "B. Two"]);
        assert_eq!(split("Alexandra Sandberg, Dan Andersson"), ["Alexandra Sandberg", "Dan Andersson"]);
    }

    #[test]
    fn latex_survives() {
        assert_eq!(split("C. Bal\\'azs and D. Kahawala"), ["C. Bal\\'azs", "D. Kahawala"]);
        assert_eq!(split("J. M{\\\"u}ller, {\\O}. Gr{\\o}n"), ["J. M{\\\"u}ller", "{\\O}. Gr{\\o}n"]);
        assert_eq!(split("{Smith, and Sons} and B"), ["{Smith, and Sons}", "B"]);
        assert_eq!(
            split("M{\\aa}ns Holmberg, {van den Berg and Sons}"),
            ["M{\\aa}ns Holmberg", "{van den Berg and Sons}"]
        );
        assert_eq!(split("J.\\,Smith, K. Lee"), ["J.\\,Smith", "K. Lee"]);
        // `\,` before a space and `\&` separate names (both real, in the astro-ph listings).
        assert_eq!(split("D. Mesa\\, P. Delorme"), ["D. Mesa", "P. Delorme"]);
        assert_eq!(split("H\\'ector Cuevas \\& Amelia Ram\\'irez"), ["H\\'ector Cuevas", "Amelia Ram\\'irez"]);
        assert_eq!(split("M. Finger, M. Finger,\\, Jr., F. Fleuret"), ["M. Finger", "M. Finger Jr.", "F. Fleuret"]);
    }

    #[test]
    fn affiliations_are_dropped() {
        assert_eq!(split("A. Smith (MIT, Cambridge), B. Jones (Oxford and Cambridge)"), ["A. Smith", "B. Jones"]);
        assert_eq!(
            split("A. Gould (1), S. Dorsher (1) and B. S. Gaudi (2) ((1) Ohio State, (2) CfA)"),
            ["A. Gould", "S. Dorsher", "B. S. Gaudi"]
        );
        assert_eq!(split("A. One (1 and 2), B. Two (2) ((1) Univ. X, (2) Inst. Y, and Z)"), ["A. One", "B. Two"]);
        assert_eq!(split("A. One [MIT], B. Two [CERN; Geneva]"), ["A. One", "B. Two"]);
        assert_eq!(split("A. One (1), B. Two (2)."), ["A. One", "B. Two"]);
        // astro-ph/0602001: `&` after the last comma.
        let got = split(
            "B. D. Lehmer (PSU), W. N. Brandt (PSU), A. E. Hornschemeier (GSFC), D. M. Alexander (IoA), \
             F. E. Bauer (Columbia), A. M. Koekemoer (STScI), D. P. Schneider (PSU), & A. T. Steffen (PSU)",
        );
        let want = ["B. D. Lehmer", "W. N. Brandt", "A. E. Hornschemeier", "D. M. Alexander", "F. E. Bauer"];
        assert_eq!(got[..5], want);
        assert_eq!(got[5..], ["A. M. Koekemoer", "D. P. Schneider", "A. T. Steffen"]);
        // astro-ph/0602003: the affiliations are the only separators.
        let got = split("Darren S. Reed (ICC-Durham/LANL) Fabio Governato (Univ. of Washington/O. A. Brera, Milan)");
        assert_eq!(got, ["Darren S. Reed", "Fabio Governato"]);
    }

    #[test]
    fn unbalanced_brackets() {
        assert_eq!(split("A (PSU, B"), ["A", "B"]);
        assert_eq!(split("A. One (PSU, B. Two"), ["A. One", "B. Two"]);
        assert_eq!(split("A) and B"), ["A", "B"]);
        assert_eq!(split("A) B), C"), ["A", "B", "C"]);
        assert_eq!(split("J. E. Dale, I.A. Bonnell]"), ["J. E. Dale", "I.A. Bonnell"]);
        // One `)` too many (real: 0907.0405): only the stray one is a plain separator.
        assert_eq!(split("E. Torresi (1,2), A. Nucita (4) ((1) INAF, (2) ESA))"), ["E. Torresi", "A. Nucita"]);
        // A numbered list cut short (real, in the astro-ph listings): dropped to the end.
        assert_eq!(
            split("F. Schuller (1, 2), A. Omont (1) ((1) IAP, France, (2) MPIfR, Germany"),
            ["F. Schuller", "A. Omont"]
        );
        assert_eq!(split("{Simon Johnston, Aris K and Kyle W"), ["{Simon Johnston", "Aris K", "Kyle W"]);
    }

    #[test]
    fn collaborations() {
        assert_eq!(split("the Planck Collaboration"), ["the Planck Collaboration"]);
        assert_eq!(split("P. Ade, the Planck Collaboration"), ["P. Ade", "the Planck Collaboration"]);
        assert_eq!(split("(The BaBar Collaboration)"), ["The BaBar Collaboration"]);
        assert_eq!(
            split("LHCb collaboration: R. Aaij, C. Abell\\'an Beteta"),
            ["LHCb collaboration", "R. Aaij", "C. Abell\\'an Beteta"]
        );
        assert_eq!(split("Time: A. One"), ["Time: A. One"], "`:` after no group name");
        assert_eq!(
            split("Felicia Krau{\\ss} for the Fermi-LAT collaboration"),
            ["Felicia Krau{\\ss} for the Fermi-LAT collaboration"]
        );
        assert_eq!(
            split("A. One (ICRR) for the CANGAROO collaboration, B. Two"),
            ["A. One for the CANGAROO collaboration", "B. Two"]
        );
        assert_eq!(
            split("A. One (INFN) on behalf of the ARGO-YBJ Collaboration"),
            ["A. One on behalf of the ARGO-YBJ Collaboration"]
        );
        assert_eq!(split("A. One, (SEAMBH collaboration)"), ["A. One", "SEAMBH collaboration"]);
        assert_eq!(split("A. One, (Saha Institute, India)"), ["A. One"], "a bracket naming no group");
        assert_eq!(
            split("A. One, et al. (MAGIC collaboration: 136 additional authors not shown)"),
            ["A. One", "MAGIC collaboration"]
        );
    }

    #[test]
    fn suffixes_and_et_al() {
        assert_eq!(split("John Smith, Jr., and Jane Doe"), ["John Smith Jr.", "Jane Doe"]);
        assert_eq!(split("John Smith, Jr., Jane Doe, et al."), ["John Smith Jr.", "Jane Doe"]);
        assert_eq!(split("A. Smith, B. Jones, et al."), ["A. Smith", "B. Jones"]);
        assert_eq!(split("A. Smith et al"), ["A. Smith"]);
        assert_eq!(split("A. Smith, B. Jones and others"), ["A. Smith", "B. Jones"]);
        assert_eq!(split("A. Smith, B. Jones, et al. (84 additional authors not shown)"), ["A. Smith", "B. Jones"]);
    }

    #[test]
    fn degenerate_input() {
        assert!(split("").is_empty());
        assert!(split(" , and ,").is_empty());
        assert!(split("(1), 2. ; & ()").is_empty());
        assert_eq!(split("A, B, and"), ["A", "B"]);
        assert_eq!(split("Ünal Ö. Çelik and 李 小龙"), ["Ünal Ö. Çelik", "李 小龙"]);
        assert_eq!(split("P. Wilkinson\\"), ["P. Wilkinson"]);
        assert_eq!(split("\\(A\\), B"), ["\\(A\\)", "B"], "escaped brackets are text");
    }

    fn check(s: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        for name in split_authors(s) {
            proptest::prop_assert!(name.chars().any(char::is_alphabetic), "{:?} from {:?}", name, s);
            proptest::prop_assert_eq!(name.trim(), name.as_str());
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn never_panics_nor_gives_empty_names(s in "\\PC{0,60}") {
            check(&s)?;
        }

        #[test]
        fn never_panics_on_separators_and_brackets(s in "[aAndé ,;:&(){}\\[\\]\\\\.1-]{0,40}") {
            check(&s)?;
        }
    }
}
