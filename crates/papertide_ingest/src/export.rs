//! papertide's own JSON Lines format: one [`Paper`] per line, exactly as `serde_json`
//! serializes it (see the serde attributes in `papertide_core::paper`). [`write_paper`] writes
//! a line, [`parse`] reads them back; `parse(write(p)) == p` for every normalized paper.
//!
//! This module also holds the line loop shared by every JSON Lines format ([`crate::kaggle`],
//! [`crate::daily`] and this one): lines are read as bytes with a reused buffer, blank lines
//! are skipped, and a line that is too long, not UTF-8, not JSON, or has a field of the wrong
//! type becomes a rejection naming the line and the field, while the lines around it are kept.
//! Format detection lives in [`crate::input`].

use std::borrow::Cow;
use std::io::{BufRead, Read, Write};

use papertide_core::{Links, PaperId, Source};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{emit_paper, io_err, reject, Emit, IngestError, Location, Paper};

/// The longest line any JSON Lines parser accepts (1 MiB, not counting the newline).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Writes one paper as one line of JSON, newline included.
pub fn write_paper(w: &mut impl Write, paper: &Paper) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, paper)?;
    w.write_all(b"\n")
}

/// Parses one stream of papertide JSON Lines. The `source` of each paper is kept as written.
pub fn parse(reader: &mut dyn BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    each_line(reader, origin, emit, |line, n, emit| {
        let result = serde_json::from_str::<Paper>(line).map_err(|e| explain(line, &e, diagnose));
        finish(result, origin, n, emit)
    })
}

/// Finds the field that made a papertide record fail to deserialize.
fn diagnose(obj: &Map<String, Value>) -> Option<String> {
    id_problem(obj, |s| s.parse::<PaperId>().map(drop).map_err(|e| e.to_string()))
        .or_else(|| title_problem(obj))
        .or_else(|| check::<String>(obj, "abstract"))
        .or_else(|| check::<Vec<String>>(obj, "authors"))
        .or_else(|| check::<Vec<String>>(obj, "categories"))
        .or_else(|| check_date(obj, "published"))
        .or_else(|| check_date(obj, "updated"))
        .or_else(|| check::<u32>(obj, "version"))
        .or_else(|| {
            ["comment", "journal_ref", "doi", "report_no", "license"]
                .into_iter()
                .find_map(|field| check::<Option<String>>(obj, field))
        })
        .or_else(|| check::<Links>(obj, "links"))
        .or_else(|| check::<Source>(obj, "source"))
}

/// A JSON string that borrows from the line when it has no escapes.
#[derive(Debug, Deserialize)]
pub(crate) struct Text<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

impl Text<'_> {
    /// The text, trimmed.
    pub(crate) fn trimmed(&self) -> &str {
        self.0.trim()
    }
}

/// Why one line was rejected: the id when it could be read, and the reason.
#[derive(Debug)]
pub(crate) struct Bad {
    pub(crate) id: Option<String>,
    pub(crate) reason: String,
}

impl Bad {
    pub(crate) fn new(id: Option<String>, reason: impl Into<String>) -> Bad {
        Bad { id, reason: reason.into() }
    }
}

/// Emits the paper (validated) or the rejection at line `n`.
pub(crate) fn finish(result: Result<Paper, Bad>, origin: &str, n: u64, emit: Emit<'_>) -> Result<(), IngestError> {
    match result {
        Ok(paper) => emit_paper(paper, || Location::line(origin, n), emit),
        Err(bad) => reject(Location::line(origin, n), bad.id, bad.reason, emit),
    }
}

/// Calls `handle(line, line_number, emit)` for every non-blank line, rejecting lines that are
/// longer than [`MAX_LINE_BYTES`] or not UTF-8. Stops only on I/O errors and
/// [`IngestError::Stopped`].
pub(crate) fn each_line(
    reader: &mut dyn BufRead,
    origin: &str,
    emit: Emit<'_>,
    mut handle: impl FnMut(&str, u64, Emit<'_>) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    // Room for the longest line plus its `\r\n`.
    let limit = MAX_LINE_BYTES as u64 + 2;
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut n: u64 = 0;
    loop {
        buf.clear();
        let read = (&mut *reader).take(limit).read_until(b'\n', &mut buf).map_err(io_err(origin))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        let cut_off = buf.last() != Some(&b'\n') && buf.len() as u64 >= limit;
        if cut_off {
            skip_line(reader).map_err(io_err(origin))?;
        }
        let mut bytes: &[u8] = &buf;
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if cut_off || bytes.len() > MAX_LINE_BYTES {
            let id = sniff_id(&String::from_utf8_lossy(bytes));
            let reason = format!("line too long (more than {MAX_LINE_BYTES} bytes)");
            reject(Location::line(origin, n), id, reason, emit)?;
            continue;
        }
        if n == 1 {
            bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        }
        match std::str::from_utf8(bytes) {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => handle(line, n, &mut *emit)?,
            Err(e) => {
                let id = sniff_id(&String::from_utf8_lossy(bytes));
                let reason = format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1);
                reject(Location::line(origin, n), id, reason, emit)?;
            }
        }
    }
}

/// Consumes the rest of an over-long line without keeping it.
fn skip_line(reader: &mut dyn BufRead) -> std::io::Result<()> {
    loop {
        let (done, used) = {
            let buf = match reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (true, i + 1),
                None => (buf.is_empty(), buf.len()),
            }
        };
        reader.consume(used);
        if done {
            return Ok(());
        }
    }
}

/// Turns a failed typed parse of `line` into a rejection: malformed JSON, not an object, or
/// (via `diagnose`) the first field of the wrong type.
pub(crate) fn explain(line: &str, err: &serde_json::Error, diagnose: fn(&Map<String, Value>) -> Option<String>) -> Bad {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(obj)) => {
            let id = obj.get("id").and_then(Value::as_str).and_then(readable_id);
            Bad::new(id, diagnose(&obj).unwrap_or_else(|| err.to_string()))
        }
        Ok(other) => Bad::new(None, format!("expected a JSON object, found {}", kind(&other))),
        Err(e) => Bad::new(sniff_id(line), format!("malformed JSON: {e}")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `Some(reason)` when `field` is present but does not deserialize as `T`.
pub(crate) fn check<T: DeserializeOwned>(obj: &Map<String, Value>, field: &str) -> Option<String> {
    let err = T::deserialize(obj.get(field)?).err()?;
    Some(format!("bad {field}: {err}"))
}

/// Like [`check`] for every element of an array field, naming the element (`versions[2]`).
pub(crate) fn check_items<T: DeserializeOwned>(obj: &Map<String, Value>, field: &str) -> Option<String> {
    match obj.get(field)? {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| T::deserialize(item).err().map(|e| format!("bad {field}[{i}]: {e}"))),
        Value::Null => None,
        other => Some(format!("bad {field}: expected an array, found {}", kind(other))),
    }
}

/// `Some(reason)` when an RFC 3339 timestamp field holds something else.
fn check_date(obj: &Map<String, Value>, field: &str) -> Option<String> {
    let value = obj.get(field)?;
    if serde_json::from_value::<Option<chrono::DateTime<chrono::Utc>>>(value.clone()).is_ok() {
        return None;
    }
    match value {
        Value::String(s) => Some(format!("bad date in {field}: {}", quoted(s))),
        other => Some(format!("bad date in {field}: expected a string, found {}", kind(other))),
    }
}

/// The reason when the `id` field is missing, not a string, or invalid by `valid`.
pub(crate) fn id_problem(obj: &Map<String, Value>, valid: impl Fn(&str) -> Result<(), String>) -> Option<String> {
    match obj.get("id") {
        None | Some(Value::Null) => Some("missing id".into()),
        Some(Value::String(s)) if s.trim().is_empty() => Some("missing id".into()),
        Some(Value::String(s)) => valid(s).err().map(|e| invalid_id(s, &e)),
        Some(other) => Some(format!("bad id: expected a string, found {}", kind(other))),
    }
}

/// The reason for an invalid id.
pub(crate) fn invalid_id(raw: &str, err: &str) -> String {
    format!("invalid id {}: {err}", quoted(raw))
}

/// The reason when the `title` field is missing, empty or not a string.
pub(crate) fn title_problem(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("title") {
        None | Some(Value::Null) => Some("missing title".into()),
        Some(Value::String(s)) if s.trim().is_empty() => Some("missing title".into()),
        Some(Value::String(_)) => None,
        Some(other) => Some(format!("bad title: expected a string, found {}", kind(other))),
    }
}

/// The id as the store would key it, when `raw` is a valid id.
pub(crate) fn readable_id(raw: &str) -> Option<String> {
    raw.parse::<PaperId>().ok().map(|id| id.to_string())
}

/// Finds `"id": "..."` in text that is not valid JSON, for the rejection report.
fn sniff_id(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(at) = rest.find("\"id\"") {
        rest = rest.get(at + 4..)?;
        let after = rest.trim_start();
        if let Some(value) = after.strip_prefix(':').map(str::trim_start).and_then(|v| v.strip_prefix('"')) {
            return value.split('"').next().and_then(readable_id);
        }
    }
    None
}

/// `s` in double quotes with escapes, cut to 80 characters.
pub(crate) fn quoted(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((cut, _)) => format!("{:?}…", s.get(..cut).unwrap_or(s)),
        None => format!("{s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_ids_in_broken_json() {
        assert_eq!(sniff_id(r#"{"id": "2401.01234v2", "title": "x"#).as_deref(), Some("2401.01234"));
        assert_eq!(sniff_id(r#"{"x": "\"id\" no", "id":"doi:10.1/2""#).as_deref(), Some("doi:10.1/2"));
        assert_eq!(sniff_id(r#"{"id": 5}"#), None);
        assert_eq!(sniff_id(r#"{"id": "bogus"}"#), None);
    }

    #[test]
    fn quotes_and_cuts() {
        assert_eq!(quoted("a\"b"), r#""a\"b""#);
        assert_eq!(quoted(&"é".repeat(100)).chars().count(), 83);
    }

    #[test]
    fn diagnoses_the_field() {
        let reason = |json: &str| {
            let err = serde_json::from_str::<Paper>(json).unwrap_err();
            explain(json, &err, diagnose).reason
        };
        assert_eq!(reason(r#"{"id":"2401.01234"}"#), "missing title");
        assert!(reason(r#"{"id":"abc","title":"t"}"#).starts_with("invalid id \"abc\": "));
        assert!(reason(r#"{"id":"2401.01234","title":"t","version":"2"}"#).starts_with("bad version: "));
        assert_eq!(
            reason(r#"{"id":"2401.01234","title":"t","published":"yesterday"}"#),
            "bad date in published: \"yesterday\""
        );
        assert!(reason(r#"{"id":"2401.01234","title":"t","source":"nowhere"}"#).starts_with("bad source: "));
        assert!(reason(r#"[1]"#).starts_with("expected a JSON object"));
        assert!(reason(r#"{"id":"2401.01234","#).starts_with("malformed JSON: "));
    }
}
