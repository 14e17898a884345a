//! arXiv listing files: many `.abs`-style entries per file, one paper each.
//!
//! - Daily `new`/`new.XX` mailings: a `Date:`/`Subject: ... daily ...` mail header, then
//!   entries `\\`, `arXiv:ID` (maybe ` (*cross-listing*)`, or a `replaced with revised
//!   version <date>` note), the header, `\\`, the abstract, `\\ ( https://arxiv.org/abs/ID , 14kb)`.
//!   Replacements have no abstract.
//! - Daily `pastweek`/`pastweek.XX`: `/* <date> */` blocks and entries with no abstract.
//! - Monthly `YYMM` files: `Papers received as of ...`, then entries (`Paper: ID`,
//!   `Paper (*cross-listing*): ID` or `arXiv:ID`) with no abstract, between `\\` and dashed lines.
//!
//! Every entry gives a paper ([`Source::Listing`], empty abstract when there is none, version
//! from the dates and `replaced` notes, else 1), cross-listings included. A malformed entry
//! (bad id, no title, invalid field) gives a rejection at the line of its id, with the id when
//! it could be read; the other entries are kept. The header is read by
//! [`abs_header`](crate::abs_header), shared with [`abs`](crate::abs).

use papertide_core::Source;

use crate::abs_header::{self, count_entry_starts, head_lines, is_marker};
use crate::{Emit, IngestError};

/// Parses one listing stream.
pub fn parse(reader: &mut dyn std::io::BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    abs_header::parse_stream(reader, origin, Source::Listing, emit).map(|_| ())
}

/// True when `head` (the first few KiB of a stream) looks like a listing file.
///
/// Any one of these is enough:
/// - a daily mailing: the first line starts with `Date:` and one of the next two with `Subject:`;
/// - a monthly listing: a `Papers received as of` line among the first ten lines;
/// - a `pastweek` listing: a `\\` line followed by a `/* ... */` date line;
/// - two or more entries (a `\\` line followed by an `arXiv:`/`Paper:` id line).
///
/// None of these holds for a real [`abs`](crate::abs) file (dashes, `\\`, one entry), so the
/// two sniffers do not both say yes on real data (checked on every file of both archives).
pub fn looks_like(head: &[u8]) -> bool {
    let lines = head_lines(head);
    let starts = |line: &[u8], prefix: &[u8]| line.trim_ascii_start().starts_with(prefix);
    let daily = lines.first().is_some_and(|l| starts(l, b"Date:"))
        && lines.iter().skip(1).take(2).any(|l| starts(l, b"Subject:"));
    let monthly = lines.iter().take(10).any(|l| starts(l, b"Papers received as of"));
    let pastweek = lines.windows(2).any(|w| match w {
        [marker, date] => {
            is_marker(marker) && date.trim_ascii().starts_with(b"/*") && date.trim_ascii().ends_with(b"*/")
        }
        _ => false,
    });
    daily || monthly || pastweek || count_entry_starts(&lines) >= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Item, Location};
    use proptest::prelude::*;

    const DAILY: &str = "Date: Fri,  9 Jun 23 00:44:20 GMT\nSubject: math.AG daily Subj-class mailing\n\n\
------------------------------------------------------------------------------\n\\\\\n\
arXiv:2306.77777 (*cross-listing*)\nDate: Wed, 7 Jun 2023 18:23:40 GMT   (14kb)\n\nTitle: Fake Paper\n\
Authors: Ben Hayes and Srivatsav Kunnawalkam Elayavalli\nCategories: math.GR math.DS math.AG\n\\\\\n\
  An abstract\nover two lines.\n\\\\ ( https://arxiv.org/abs/2306.77777 ,  14kb)\n\
------------------------------------------------------------------------------\n\\\\\n\
arXiv:2204.88888\nreplaced with revised version Thu, 8 Jun 2023 08:03:26 GMT   (25kb,D)\n\n\
Title: Paper on improving ArXiv operations\nAuthors: Mystery Person\nCategories: math.PR math.AG\n\
\\\\ ( https://arxiv.org/abs/2204.88888 ,  25kb)\n%%%---%%%---%%%---%%%---%%%---\nFor general information\n";

    const MONTHLY: &str = "----------------------------------------\n----------------------------------------\n\n\
Papers received as of Tue 31 Jan 06 21:00:09 GMT.\n\n----------------------------------------\n\\\\\n\
Paper: astro-ph/0602001\nFrom: Bret Lehmer <x@y.z>\nDate: Tue, 31 Jan 2006 21:00:59 GMT   (516kb)\n\n\
Title: The Properties\n  of Sources\nAuthors: B. D. Lehmer (PSU), W. N. Brandt (PSU), & A. T. Steffen (PSU)\n\
Categories: astro-ph\n\\\\\n----------------------------------------\n\\\\\nPaper: 12345\nTitle: Bad id\n\\\\\n\
----------------------------------------\n\\\\\nPaper (*cross-listing*): q-alg/9701031\nDate: Tue, 28 Jan 1997 08:19:19 GMT\n\n\
Title: Representation Theory\nAuthors: C. Quesne, N. Vansteenkiste\nCategories: q-alg hep-th math-ph\n\\\\\n";

    const PASTWEEK: &str = "----------------------------------------\n\\\\\n/* Fri, 3 Mar 2023 */\n\\\\\n\
----------------------------------------\n\\\\\narXiv:2204.88888\nDate: Thu, 2 Mar 2023 12:28:09 GMT   (8824kb,D)\n\n\
Title: Fake paper\nAuthors: Nobody\nCategories: math.AG\n\\\\\n\n";

    fn run(input: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        parse(&mut &input[..], "l", &mut |i| {
            items.push(i);
            Ok(())
        })
        .unwrap();
        items
    }

    fn papers(items: &[Item]) -> Vec<&papertide_core::Paper> {
        items.iter().filter_map(|i| if let Item::Paper(p) = i { Some(&**p) } else { None }).collect()
    }

    #[test]
    fn daily_entries() {
        let items = run(DAILY.as_bytes());
        let p = papers(&items);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].id.as_str(), "2306.77777");
        assert_eq!(p[0].abstract_text, "An abstract over two lines.");
        assert_eq!(p[0].authors, ["Ben Hayes", "Srivatsav Kunnawalkam Elayavalli"]);
        assert_eq!((p[0].version, p[0].source), (1, Source::Listing));
        assert_eq!((p[1].version, p[1].abstract_text.as_str(), p[1].published), (2, "", None));
    }

    #[test]
    fn monthly_entries_and_a_bad_one() {
        let items = run(MONTHLY.as_bytes());
        let p = papers(&items);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].title, "The Properties of Sources");
        assert_eq!(p[0].authors, ["B. D. Lehmer", "W. N. Brandt", "A. T. Steffen"]);
        assert_eq!(p[0].abstract_text, "");
        assert_eq!(p[1].id.as_str(), "q-alg/9701031");
        let rejected: Vec<_> =
            items.iter().filter_map(|i| if let Item::Rejected(e) = i { Some(e) } else { None }).collect();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].location, Location::line("l", 19));
        assert_eq!(rejected[0].id.as_deref(), Some("12345"));
    }

    #[test]
    fn pastweek_date_blocks_are_no_entries() {
        let items = run(PASTWEEK.as_bytes());
        let p = papers(&items);
        assert_eq!(items.len(), 1);
        assert_eq!((p[0].id.as_str(), p[0].abstract_text.as_str()), ("2204.88888", ""));
    }

    #[test]
    fn empty_listing_gives_nothing() {
        assert!(run(b"").is_empty());
        assert!(run(b"Date: x\nSubject: y daily\n\nnothing new today\n").is_empty());
    }

    #[test]
    fn sniffing() {
        assert!(looks_like(DAILY.as_bytes()));
        assert!(looks_like(MONTHLY.as_bytes()));
        assert!(looks_like(PASTWEEK.as_bytes()));
        let abs = "----------\n\\\\\narXiv:2303.00001\nTitle: T\n\\\\\n  Abstract\n\\\\\n";
        assert!(!looks_like(abs.as_bytes()), "one .abs entry");
        assert!(looks_like(format!("{abs}{abs}").as_bytes()), ".abs files run together");
        assert!(!looks_like(b"{\"id\": \"2401.01234\"}\n"));
        assert!(!looks_like(b""));
    }

    /// Lines that steer the scanner into every state.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\\\\".to_string()),
            Just("------------------------------".to_string()),
            Just("\\\\ ( https://arxiv.org/abs/2303.00001 ,  14kb)".to_string()),
            Just("arXiv:2303.00001".to_string()),
            Just("Paper (*cross-listing*): hep-th/9901001".to_string()),
            Just("Title: T".to_string()),
            Just("Date (revised v99999999999): Fri, 1 Jan 1999 01:01:10 GMT".to_string()),
            Just("replaced with revised version".to_string()),
            Just(String::new()),
            "[ -~]{0,30}",
            "(?s).{0,20}",
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_text(s in "(?s).{0,400}") {
            let _ = run(s.as_bytes());
            let _ = looks_like(s.as_bytes());
        }

        #[test]
        fn never_panics_on_structured_lines(lines in proptest::collection::vec(line(), 0..40)) {
            let text = lines.join("\n");
            let _ = run(text.as_bytes());
            let _ = looks_like(text.as_bytes());
            let _ = crate::abs::looks_like(text.as_bytes());
        }

        #[test]
        fn never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = run(&b);
            let _ = looks_like(&b);
        }
    }
}
