//! Splitting arXiv's one-line author strings (`arXivRaw`, Kaggle, `.abs` files) into names.
//!
//! arXiv writes authors as `A, B and C` (or `A, B, and C`), with LaTeX accents (`Bal\'azs`,
//! `{\"o}`), affiliations in parentheses (`B. D. Lehmer (PSU), W. N. Brandt (PSU)`, or a
//! numbered list at the end: `A (1), B (2) ((1) PSU, (2) MIT)`) and collaborations
//! (`the Planck Collaboration`). [`split_authors`] keeps the names, drops the affiliations,
//! and never splits inside parentheses or braces.

use papertide_core::paper::collapse_whitespace;

/// Name suffixes that arXiv puts after a comma (`John Smith, Jr.`): they join the name before.
const SUFFIXES: &[&str] = &["Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"];

/// Splits an author string into names, in order; see the module docs.
pub fn split_authors(s: &str) -> Vec<String> {
    let s = collapse_whitespace(s);
    let chunks = split_top_level(&s, true).unwrap_or_else(|| {
        // Unbalanced parentheses or braces: split everywhere rather than lose names.
        split_top_level(&s, false).unwrap_or_default()
    });
    let mut names: Vec<String> = Vec::new();
    for chunk in chunks {
        let name = clean_name(chunk);
        if name.is_empty() {
            continue;
        }
        match names.last_mut() {
            Some(last) if SUFFIXES.contains(&name.as_str()) => {
                last.push(' ');
                last.push_str(&name);
            }
            _ => names.push(name),
        }
    }
    names
}

/// Splits at commas and at ` and ` outside parentheses and braces (when `grouping` is on);
/// `None` when grouping is on and the brackets do not balance.
fn split_top_level(s: &str, grouping: bool) -> Option<Vec<&str>> {
    let bytes = s.as_bytes();
    let mut chunks = Vec::new();
    let (mut parens, mut braces) = (0usize, 0usize);
    let mut start = 0;
    let mut i = 0;
    let mut escaped = false;
    while let Some(&b) = bytes.get(i) {
        let was_escaped = escaped;
        escaped = b == b'\\' && !was_escaped;
        if grouping && !was_escaped {
            match b {
                b'(' => parens += 1,
                b')' => parens = parens.checked_sub(1)?,
                b'{' => braces += 1,
                b'}' => braces = braces.checked_sub(1)?,
                _ => {}
            }
        }
        let top = parens == 0 && braces == 0;
        if top && b == b',' && !was_escaped {
            chunks.push(s.get(start..i)?);
            start = i + 1;
        } else if top && b == b' ' && bytes.get(i..i + 5) == Some(b" and ") {
            chunks.push(s.get(start..i)?);
            start = i + 5;
            i += 5;
            continue;
        }
        i += 1;
    }
    if parens != 0 || braces != 0 {
        return None;
    }
    chunks.push(s.get(start..)?);
    Some(chunks)
}

/// One name: parenthesised parts dropped, a leading `and` and a trailing `et al.` removed.
fn clean_name(chunk: &str) -> String {
    let mut chunk = chunk.trim();
    if let Some(rest) = chunk.strip_prefix("and ") {
        chunk = rest;
    }
    if chunk == "and" {
        return String::new();
    }
    let mut kept = String::with_capacity(chunk.len());
    let mut depth = 0usize;
    for c in chunk.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    let mut name = collapse_whitespace(&kept);
    if name.is_empty() {
        // Only a parenthesised part, e.g. "(The BaBar Collaboration)": keep what it says.
        name = collapse_whitespace(&chunk.replace(['(', ')'], " "));
    }
    for tail in [" et al.", " et al", "et al.", "et al"] {
        if let Some(rest) = name.strip_suffix(tail) {
            name = rest.trim_end().to_string();
            break;
        }
    }
    name.trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace()).to_string()
}

#[cfg(test)]
mod tests {
    use super::split_authors;

    fn split(s: &str) -> Vec<String> {
        split_authors(s)
    }

    #[test]
    fn commas_and_and() {
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
    }

    #[test]
    fn latex_accents_survive() {
        assert_eq!(split("C. Bal\\'azs and D. Kahawala"), ["C. Bal\\'azs", "D. Kahawala"]);
        assert_eq!(split("J. M{\\\"u}ller, {\\O}. Gr{\\o}n"), ["J. M{\\\"u}ller", "{\\O}. Gr{\\o}n"]);
        assert_eq!(split("{Smith, and Sons} and B"), ["{Smith, and Sons}", "B"]);
        assert_eq!(split("J.\\,Smith, K. Lee"), ["J.\\,Smith", "K. Lee"]);
    }

    #[test]
    fn affiliations_are_dropped() {
        assert_eq!(split("B. D. Lehmer (PSU), W. N. Brandt (PSU)"), ["B. D. Lehmer", "W. N. Brandt"]);
        assert_eq!(split("A. Smith (MIT, Cambridge), B. Jones (Oxford and Cambridge)"), ["A. Smith", "B. Jones"]);
        assert_eq!(
            split("A. Gould (1), S. Dorsher (1) and B. S. Gaudi (2) ((1) Ohio State, (2) CfA)"),
            ["A. Gould", "S. Dorsher", "B. S. Gaudi"]
        );
        assert_eq!(split("(The BaBar Collaboration)"), ["The BaBar Collaboration"]);
    }

    #[test]
    fn collaborations_suffixes_and_et_al() {
        assert_eq!(split("the Planck Collaboration"), ["the Planck Collaboration"]);
        assert_eq!(split("P. Ade, the Planck Collaboration"), ["P. Ade", "the Planck Collaboration"]);
        assert_eq!(split("John Smith, Jr., and Jane Doe"), ["John Smith Jr.", "Jane Doe"]);
        assert_eq!(split("A. Smith, B. Jones, et al."), ["A. Smith", "B. Jones"]);
        assert_eq!(split("A. Smith et al"), ["A. Smith"]);
    }

    #[test]
    fn degenerate_input() {
        assert!(split("").is_empty());
        assert!(split(" , and ,").is_empty());
        assert_eq!(split("A, B, and"), ["A", "B"]);
        assert_eq!(split("A (PSU, B"), ["A", "B"]);
        assert_eq!(split("A) and B"), ["A)", "B"]);
        assert_eq!(split("Ünal Ö. Çelik and 李 小龙"), ["Ünal Ö. Çelik", "李 小龙"]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_names_are_trimmed(s in "\\PC{0,60}") {
            for name in split_authors(&s) {
                proptest::prop_assert!(!name.is_empty());
                proptest::prop_assert_eq!(name.trim(), name.as_str());
            }
        }
    }
}
