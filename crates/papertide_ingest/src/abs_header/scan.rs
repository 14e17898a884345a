//! Cutting a stream of `.abs`-style text (`.abs` files, daily and monthly listings) into raw
//! entries: the header lines of each paper and the lines of its abstract, as bytes.
//!
//! The rules, shared by every flavour:
//!
//! - An entry starts at an id line (`arXiv:ID`, `Paper: ID`, `Paper (*cross-listing*): ID`)
//!   that follows a `\\` line, or that is the first non-blank line of the stream.
//! - Its header runs to the next `\\` line. A `\\ ( https://arxiv.org/abs/ID , 14kb)` trailer
//!   ends the entry there (daily listings); so do a separator line (dashes, `%-%-`) or EOF.
//! - After the header's `\\`, an abstract follows unless the next non-blank line is a
//!   separator, a `\\` line or EOF (monthly and `pastweek` listings have none).
//! - The abstract runs to a trailer, or to a `\\` line whose next non-blank line is EOF, a
//!   separator, another `\\` or an id line. Other `\\` lines are LaTeX line breaks and are
//!   kept (arXiv abstracts do start lines with `\\`). Trailing blank and separator lines are
//!   dropped.
//!
//! Everything outside entries (mail headers, `Papers received as of ...`, `/* date */`
//! blocks, footers) is skipped.

use std::collections::VecDeque;
use std::io::BufRead;

use crate::{io_err, IngestError};

/// Most header bytes kept for one entry (the largest collaborations list ~3,000 authors).
const MAX_HEADER_BYTES: usize = 4 * 1024 * 1024;
/// Most abstract bytes kept for one entry (well above `MAX_ABSTRACT_BYTES`).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One entry, undecoded.
#[derive(Debug, Default)]
pub(crate) struct RawEntry {
    /// 1-based line number of the id line.
    pub line: u64,
    /// The header lines, the id line first.
    pub header: Vec<Vec<u8>>,
    /// The abstract lines (empty when the entry has none).
    pub body: Vec<Vec<u8>>,
    /// True when the entry was larger than any real one and lines were dropped.
    pub oversized: bool,
}

/// Reads lines with lookahead, numbering them from 1 and dropping line endings.
struct Lines<'r> {
    reader: &'r mut dyn BufRead,
    origin: String,
    read: u64,
    ahead: VecDeque<(u64, Vec<u8>)>,
    eof: bool,
}

impl Lines<'_> {
    fn fill(&mut self, n: usize) -> Result<(), IngestError> {
        while self.ahead.len() < n && !self.eof {
            let mut buf = Vec::new();
            let got = self.reader.read_until(b'\n', &mut buf).map_err(io_err(&self.origin))?;
            if got == 0 {
                self.eof = true;
                break;
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            self.read += 1;
            self.ahead.push_back((self.read, buf));
        }
        Ok(())
    }

    fn peek(&mut self, i: usize) -> Result<Option<&[u8]>, IngestError> {
        self.fill(i + 1)?;
        Ok(self.ahead.get(i).map(|(_, l)| l.as_slice()))
    }

    fn next(&mut self) -> Result<Option<(u64, Vec<u8>)>, IngestError> {
        self.fill(1)?;
        Ok(self.ahead.pop_front())
    }

    /// The first non-blank line at or after lookahead position `i`.
    fn peek_non_blank(&mut self, mut i: usize) -> Result<Option<&[u8]>, IngestError> {
        loop {
            match self.peek(i)? {
                Some(l) if is_blank(l) => i += 1,
                _ => break,
            }
        }
        self.peek(i)
    }
}

/// A blank line.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.trim_ascii().is_empty()
}

/// The `\\` line that separates header, abstract and entries.
pub(crate) fn is_marker(line: &[u8]) -> bool {
    line.trim_ascii() == b"\\\\"
}

/// The `\\ ( https://arxiv.org/abs/ID ,  14kb)` line that ends a daily-listing entry.
pub(crate) fn is_trailer(line: &[u8]) -> bool {
    let Some(rest) = line.trim_ascii().strip_prefix(b"\\\\") else { return false };
    let rest = rest.trim_ascii_start();
    rest.starts_with(b"(") && (contains(rest, b"http") || contains(rest, b"abs/") || rest.ends_with(b"kb)"))
}

/// A line of dashes (or `%-%-`, `%%--` patterns) between entries.
pub(crate) fn is_separator(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.len() >= 10 && t.contains(&b'-') && t.iter().all(|b| matches!(b, b'-' | b'%' | b'='))
}

/// A line naming an entry's id: `arXiv:ID`, `Paper: ID` or `Paper (*cross-listing*): ID`.
pub(crate) fn is_id_line(line: &[u8]) -> bool {
    let starts = |p: &[u8]| line.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    starts(b"arXiv:") || starts(b"Paper:") || (starts(b"Paper (") && line.contains(&b':'))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Splits the first bytes of a stream into lines (the last one may be cut short).
pub(crate) fn head_lines(head: &[u8]) -> Vec<&[u8]> {
    head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect()
}

/// How many entry starts (a `\\` line followed by an id line) the lines hold.
pub(crate) fn count_entry_starts(lines: &[&[u8]]) -> usize {
    lines.windows(2).filter(|w| matches!(w, [marker, id] if is_marker(marker) && is_id_line(id))).count()
}

/// Yields the raw entries of a stream, one at a time.
pub(crate) struct Scanner<'r> {
    lines: Lines<'r>,
    /// Whether a non-blank line has been seen (an id line only starts an entry without a
    /// `\\` before it when it is the first one).
    seen_content: bool,
}

impl<'r> Scanner<'r> {
    /// A scanner over `reader`; `origin` names it in I/O errors.
    pub(crate) fn new(reader: &'r mut dyn BufRead, origin: &str) -> Scanner<'r> {
        let lines = Lines { reader, origin: origin.to_string(), read: 0, ahead: VecDeque::new(), eof: false };
        Scanner { lines, seen_content: false }
    }

    /// True once a non-blank line was read.
    pub(crate) fn seen_content(&self) -> bool {
        self.seen_content
    }

    /// The next entry, or `None` at the end of the stream.
    pub(crate) fn next_entry(&mut self) -> Result<Option<RawEntry>, IngestError> {
        if !self.skip_to_entry()? {
            return Ok(None);
        }
        let Some((line, id_line)) = self.lines.next()? else { return Ok(None) };
        self.seen_content = true;
        let mut entry = RawEntry { line, header: vec![id_line], ..RawEntry::default() };
        if self.read_header(&mut entry)? {
            self.read_body(&mut entry)?;
        }
        Ok(Some(entry))
    }

    /// Skips to the next id line; false at EOF.
    fn skip_to_entry(&mut self) -> Result<bool, IngestError> {
        loop {
            let Some(l) = self.lines.peek(0)? else { return Ok(false) };
            let (id, marker, blank) = (is_id_line(l), is_marker(l), is_blank(l));
            if id && !self.seen_content {
                return Ok(true);
            }
            if marker && self.lines.peek(1)?.is_some_and(is_id_line) {
                self.lines.next()?;
                return Ok(true);
            }
            self.seen_content |= !blank;
            self.lines.next()?;
        }
    }

    /// Reads header lines; true when a `\\` line ended the header and an abstract may follow.
    fn read_header(&mut self, entry: &mut RawEntry) -> Result<bool, IngestError> {
        let mut bytes = entry.header.iter().map(Vec::len).sum::<usize>();
        loop {
            let Some(l) = self.lines.peek(0)? else { return Ok(false) };
            if is_trailer(l) {
                self.lines.next()?;
                return Ok(false);
            }
            if is_marker(l) {
                if self.lines.peek(1)?.is_some_and(is_id_line) {
                    return Ok(false);
                }
                self.lines.next()?;
                return Ok(true);
            }
            if is_separator(l) && !l.starts_with(b" ") {
                return Ok(false);
            }
            if let Some((_, l)) = self.lines.next()? {
                bytes += l.len();
                if bytes > MAX_HEADER_BYTES {
                    entry.oversized = true;
                } else {
                    entry.header.push(l);
                }
            }
        }
    }

    /// Reads the abstract, if there is one.
    fn read_body(&mut self, entry: &mut RawEntry) -> Result<(), IngestError> {
        match self.lines.peek_non_blank(0)? {
            Some(l) if is_separator(l) || is_marker(l) => return Ok(()),
            Some(l) if is_trailer(l) => {
                while self.lines.next()?.is_some_and(|(_, l)| !is_trailer(&l)) {}
                return Ok(());
            }
            None => return Ok(()),
            Some(_) => {}
        }
        let mut bytes = 0usize;
        while let Some(l) = self.lines.peek(0)? {
            if is_trailer(l) {
                self.lines.next()?;
                break;
            }
            if is_marker(l) {
                let ends = match self.lines.peek_non_blank(1)? {
                    None => true,
                    Some(next) => is_separator(next) || is_marker(next) || is_id_line(next) || is_trailer(next),
                };
                if ends {
                    break;
                }
            }
            if let Some((_, l)) = self.lines.next()? {
                bytes += l.len() + 1;
                if bytes > MAX_BODY_BYTES {
                    entry.oversized = true;
                } else {
                    entry.body.push(l);
                }
            }
        }
        while entry.body.last().is_some_and(|l| is_blank(l) || is_separator(l)) {
            entry.body.pop();
        }
        Ok(())
    }
}
