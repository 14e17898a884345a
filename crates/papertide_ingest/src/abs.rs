//! arXiv `.abs` files: one paper per file, a `\\`-separated header followed by the abstract.
//!
//! ```text
//! ------------------------------------------------------------------------------
//! \\
//! arXiv:hep-th/9901001
//! From: ...
//! Date: Fri, 1 Jan 1999 01:01:10 GMT   (15kb)
//! Date (revised v2): ...
//!
//! Title: ...
//! Authors: ...
//! Categories: hep-th
//! \\
//!   The abstract ...
//! \\
//! ```
//!
//! The header is read by [`abs_header`](crate::abs_header), which this module shares with
//! [`listing`](crate::listing). A stream of several `.abs` files run together gives one paper
//! each. A stream with no entry at all (an empty file) gives one rejection for the stream.
//! Papers carry [`Source::Abs`].

use papertide_core::Source;

use crate::abs_header::{self, count_entry_starts, head_lines, is_blank, is_id_line, is_marker, is_separator};
use crate::{reject, Emit, IngestError, Location};

/// Parses one `.abs` stream (or several `.abs` files run together).
pub fn parse(reader: &mut dyn std::io::BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    let summary = abs_header::parse_stream(reader, origin, Source::Abs, &mut *emit)?;
    if summary.entries == 0 {
        let reason = if summary.had_content {
            "no .abs entry found (expected a `\\\\` line followed by `arXiv:ID` or `Paper: ID`)"
        } else {
            "empty .abs file"
        };
        reject(Location::stream(origin), None, reason, emit)?;
    }
    Ok(())
}

/// True when `head` (the first few KiB of a stream) looks like an `.abs` file.
///
/// Rule: after leading blank lines comes a line of dashes, then a `\\` line, then an id line
/// (`arXiv:ID` or `Paper: ID`); or the `\\` line and the id line without the dashes. And the
/// head holds no second entry (a `\\` line followed by an id line): streams with several are
/// listings (see [`listing::looks_like`](crate::listing::looks_like)), which the listing parser
/// reads just as well. The abstract is not required, since a long author list can push it
/// past the head.
pub fn looks_like(head: &[u8]) -> bool {
    let lines = head_lines(head);
    let start: Vec<&[u8]> = lines.iter().copied().skip_while(|l| is_blank(l)).take(3).collect();
    let preamble = match start.as_slice() {
        [dashes, marker, id] if is_separator(dashes) => is_marker(marker) && is_id_line(id),
        [marker, id, ..] => is_marker(marker) && is_id_line(id),
        _ => false,
    };
    preamble && count_entry_starts(&lines) == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Item;

    const HEP_TH: &str = "------------------------------------------------------------------------------\n\\\\\n\
arXiv:hep-th/9901001\nFrom: Yosuke Imamura <x@y.z>\nDate: Fri, 1 Jan 1999 01:01:10 GMT   (15kb)\n\
Date (revised v2): Tue, 5 Jan 1999 21:36:42 GMT   (15kb)\n\nTitle: String Junctions and Their Duals\n\
Authors: Yosuke Imamura\nComments: 13 pages\n\\\\\n  We explicitly give the correspondence.\n\\\\\n  v = 1\n\\\\\n";

    fn run(input: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        parse(&mut &input[..], "t.abs", &mut |i| {
            items.push(i);
            Ok(())
        })
        .unwrap();
        items
    }

    fn paper(item: &Item) -> &papertide_core::Paper {
        match item {
            Item::Paper(p) => p,
            Item::Rejected(e) => panic!("rejected: {e}"),
        }
    }

    #[test]
    fn one_file() {
        let items = run(HEP_TH.as_bytes());
        assert_eq!(items.len(), 1);
        let p = paper(&items[0]);
        assert_eq!(p.id.as_str(), "hep-th/9901001");
        assert_eq!(p.version, 2);
        assert_eq!(p.categories, ["hep-th"]);
        assert_eq!(
            p.abstract_text, "We explicitly give the correspondence. \\\\ v = 1",
            "inner `\\\\` lines are LaTeX"
        );
        assert_eq!(p.source, Source::Abs);
        assert_eq!(p.comment.as_deref(), Some("13 pages"));
    }

    #[test]
    fn crlf_and_concatenated_files() {
        let two = format!("{HEP_TH}{}", HEP_TH.replace("hep-th/9901001", "hep-th/9901002")).replace('\n', "\r\n");
        let items = run(two.as_bytes());
        assert_eq!(items.len(), 2);
        assert_eq!(paper(&items[1]).id.as_str(), "hep-th/9901002");
        assert_eq!(paper(&items[1]).abstract_text, "We explicitly give the correspondence. \\\\ v = 1");
    }

    #[test]
    fn empty_and_junk_are_rejected_once() {
        for (input, reason) in [("", "empty .abs file"), ("\n \n", "empty .abs file"), ("hello\n", "no .abs entry")] {
            let items = run(input.as_bytes());
            let [Item::Rejected(e)] = items.as_slice() else { panic!("{items:?}") };
            assert!(e.reason.starts_with(reason), "{}", e.reason);
            assert_eq!(e.location, Location::stream("t.abs"));
        }
    }

    #[test]
    fn bad_entry_is_rejected_at_its_line() {
        let items = run(HEP_TH.replace("Title: String Junctions and Their Duals\n", "").as_bytes());
        let [Item::Rejected(e)] = items.as_slice() else { panic!("{items:?}") };
        assert_eq!(
            (e.location.line, e.id.as_deref(), e.reason.as_str()),
            (Some(3), Some("hep-th/9901001"), "missing title")
        );
    }

    #[test]
    fn oversized_entry_is_rejected_not_truncated() {
        let huge = HEP_TH.replace("  v = 1\n", &"word ".repeat(250_000));
        let items = run(huge.as_bytes());
        let [Item::Rejected(e)] = items.as_slice() else { panic!("{items:?}") };
        assert_eq!(e.id.as_deref(), Some("hep-th/9901001"));
        assert!(e.reason.starts_with("entry too large"), "{}", e.reason);
    }

    #[test]
    fn sniffing() {
        assert!(looks_like(HEP_TH.as_bytes()));
        assert!(looks_like(&HEP_TH.as_bytes()[..120]), "a cut head");
        assert!(!looks_like(format!("{HEP_TH}{HEP_TH}").as_bytes()), "two entries are a listing");
        assert!(!looks_like(b"{\"id\": \"2401.01234\"}\n"));
        assert!(!looks_like(b"<?xml version=\"1.0\"?>\n<feed>"));
        assert!(!looks_like(b"------\n------\n\nPapers received as of Tue 31 Jan 06\n"));
        assert!(!looks_like(b""));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_text(s in "(?s).{0,400}") {
            let _ = run(s.as_bytes());
            let _ = looks_like(s.as_bytes());
        }

        #[test]
        fn never_panics_on_bytes(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = run(&b);
            let _ = looks_like(&b);
        }
    }
}
