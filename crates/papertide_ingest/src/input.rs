//! Opening inputs for `papertide import FILE... | -`: counts the bytes read from the file
//! (for progress bars), undoes gzip and xz by their magic bytes (multi-member and
//! multi-stream, any nesting), walks tar archives member by member (ustar magic, or a
//! `.tar`/`.tgz`/`.tar.gz`/`.tar.xz` name), detects the [`Format`] of each stream
//! ([`detect`]) and hands it to that format's parser.
//!
//! Each archive member is a stream of its own, named `archive.tar.gz:member/path`; a member
//! whose format cannot be detected (a LICENSE, an empty file) is skipped and counted in the
//! [`StreamSummary`], while a plain file whose format cannot be detected is an
//! [`IngestError::UnknownFormat`]. A `--format` override applies to every stream.
//! The parsers themselves live in one module per format (see the crate docs).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::{io_err, Emit, Format, IngestError};

mod threaded;

/// How much of each stream [`detect`] sees.
pub const HEAD_BYTES: usize = 64 * 1024;
/// How many compression layers are undone at most (`.gz` of `.xz` of ...).
const MAX_LAYERS: usize = 4;
/// How many skipped member names a [`StreamSummary`] keeps.
const KEPT_SKIPPED_NAMES: usize = 100;
const UNKNOWN: u64 = u64::MAX;
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// Bytes read from the underlying (compressed) files, and their total size when known.
/// Clones share the counters, so a UI thread can watch a parser thread.
#[derive(Debug, Clone)]
pub struct Progress {
    read: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress { read: Arc::new(AtomicU64::new(0)), total: Arc::new(AtomicU64::new(UNKNOWN)) }
    }
}

impl Progress {
    /// Zero bytes read, total unknown.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Bytes read so far, over every file read with this `Progress`.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The summed size of the files opened so far ([`read_path`] adds each file's size when
    /// it opens it); `None` until one is known (standard input has no size).
    pub fn total_bytes(&self) -> Option<u64> {
        Some(self.total.load(Ordering::Relaxed)).filter(|&t| t != UNKNOWN)
    }

    /// `bytes_read / total_bytes`, between 0 and 1, when the total is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total_bytes()?;
        Some(if total == 0 { 1.0 } else { (self.bytes_read() as f64 / total as f64).min(1.0) })
    }

    fn add_total(&self, bytes: u64) {
        let _ = self.total.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
            Some(if t == UNKNOWN { bytes } else { t.saturating_add(bytes).min(UNKNOWN - 1) })
        });
    }
}

/// What one input held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// Streams handed to a parser (1 for a plain file, one per parsed archive member).
    pub streams: u64,
    /// Streams skipped because their format could not be detected, or because they are empty.
    pub skipped: u64,
    /// The origins of the first 100 skipped streams.
    pub skipped_names: Vec<String>,
}

impl StreamSummary {
    /// Adds another input's counts to these.
    pub fn add(&mut self, other: StreamSummary) {
        self.streams += other.streams;
        self.skipped += other.skipped;
        let room = KEPT_SKIPPED_NAMES.saturating_sub(self.skipped_names.len());
        self.skipped_names.extend(other.skipped_names.into_iter().take(room));
    }

    fn skip(&mut self, origin: &str, why: &str) {
        tracing::info!("skipping {origin}: {why}");
        self.skipped += 1;
        if self.skipped_names.len() < KEPT_SKIPPED_NAMES {
            self.skipped_names.push(origin.to_string());
        }
    }
}

/// Reads a file (plain, gzip, xz, or a tar archive of any of these) and parses every stream
/// in it with `format`, or with the detected format when `format` is `None`.
pub fn read_path(
    path: &Path,
    format: Option<Format>,
    progress: &Progress,
    emit: Emit<'_>,
) -> Result<StreamSummary, IngestError> {
    let origin = path.display().to_string();
    let file = File::open(path).map_err(io_err(&origin))?;
    if let Ok(meta) = file.metadata() {
        if meta.is_file() {
            progress.add_total(meta.len());
        }
    }
    match threaded::inflate_in_background(file, progress).map_err(io_err(&origin))? {
        // Compressed: inflate on another core; the compressed bytes are counted there.
        Ok(inflated) => read_counted(inflated, None, &origin, format, emit),
        Err(file) => read_reader(file, &origin, format, progress, emit),
    }
}

/// Like [`read_path`] for standard input, with origin `-`.
pub fn read_stdin(format: Option<Format>, progress: &Progress, emit: Emit<'_>) -> Result<StreamSummary, IngestError> {
    read_reader(io::stdin().lock(), "-", format, progress, emit)
}

/// Like [`read_path`] for any reader; `origin` names it in locations and serves as the
/// name hint for detection.
pub fn read_reader(
    reader: impl Read,
    origin: &str,
    format: Option<Format>,
    progress: &Progress,
    emit: Emit<'_>,
) -> Result<StreamSummary, IngestError> {
    read_counted(reader, Some(progress), origin, format, emit)
}

/// [`read_reader`], counting the bytes read into `progress` when given.
fn read_counted(
    reader: impl Read,
    progress: Option<&Progress>,
    origin: &str,
    format: Option<Format>,
    emit: Emit<'_>,
) -> Result<StreamSummary, IngestError> {
    let reader: Box<dyn BufRead + '_> = match progress {
        Some(p) => Box::new(BufReader::with_capacity(HEAD_BYTES, Counting { inner: reader, read: p.read.clone() })),
        None => Box::new(BufReader::with_capacity(HEAD_BYTES, reader)),
    };
    let peeked = decompress(reader, origin)?;
    let mut summary = StreamSummary::default();
    let mut rest = if is_tar(origin, &peeked.head) {
        walk_tar(peeked.into_reader(), origin, format, &mut summary, emit)?
    } else {
        match format.or_else(|| detect(origin, &peeked.head)) {
            Some(f) => {
                let mut reader = peeked.into_reader();
                f.parse(&mut reader, origin, emit)?;
                summary.streams += 1;
                reader
            }
            None if peeked.head.is_empty() => {
                summary.skip(origin, "empty");
                peeked.into_reader()
            }
            None => return Err(IngestError::UnknownFormat(origin.to_string())),
        }
    };
    // Read what the parser left (a tar's padding, a gzip trailer) so the byte count reaches
    // the file size and trailing corruption is noticed.
    io::copy(&mut rest, &mut io::sink()).map_err(io_err(origin))?;
    Ok(summary)
}

/// Parses every regular file member of a tar archive; returns the reader after the archive.
fn walk_tar<'a>(
    reader: Box<dyn BufRead + 'a>,
    archive_origin: &str,
    format: Option<Format>,
    summary: &mut StreamSummary,
    emit: Emit<'_>,
) -> Result<Box<dyn BufRead + 'a>, IngestError> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(io_err(archive_origin))? {
        let entry = entry.map_err(io_err(archive_origin))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let origin = format!("{archive_origin}:{member}");
        let peeked = decompress(Box::new(BufReader::with_capacity(HEAD_BYTES, entry)), &origin)?;
        if is_tar(&member, &peeked.head) {
            summary.skip(&origin, "archive inside an archive");
            continue;
        }
        match format.or_else(|| detect(&member, &peeked.head)) {
            Some(f) => {
                f.parse(&mut peeked.into_reader(), &origin, emit)?;
                summary.streams += 1;
            }
            None if peeked.head.is_empty() => summary.skip(&origin, "empty"),
            None => summary.skip(&origin, "unknown format"),
        }
    }
    Ok(archive.into_inner())
}

/// A stream whose first bytes were read ahead for sniffing.
struct Peeked<'a> {
    head: Vec<u8>,
    rest: Box<dyn BufRead + 'a>,
}

impl<'a> Peeked<'a> {
    fn new(mut rest: Box<dyn BufRead + 'a>, origin: &str) -> Result<Peeked<'a>, IngestError> {
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut rest).take(HEAD_BYTES as u64).read_to_end(&mut head).map_err(io_err(origin))?;
        Ok(Peeked { head, rest })
    }

    /// The whole stream again, head included.
    fn into_reader(self) -> Box<dyn BufRead + 'a> {
        Box::new(Cursor::new(self.head).chain(self.rest))
    }
}

/// Undoes gzip and xz layers, recognised by their magic bytes.
fn decompress<'a>(reader: Box<dyn BufRead + 'a>, origin: &str) -> Result<Peeked<'a>, IngestError> {
    let mut peeked = Peeked::new(reader, origin)?;
    for _ in 0..MAX_LAYERS {
        let inner: Box<dyn BufRead + 'a> = if peeked.head.starts_with(GZIP_MAGIC) {
            let decoder = flate2::bufread::MultiGzDecoder::new(peeked.into_reader());
            Box::new(BufReader::with_capacity(HEAD_BYTES, decoder))
        } else if peeked.head.starts_with(XZ_MAGIC) {
            let decoder = xz2::bufread::XzDecoder::new_multi_decoder(peeked.into_reader());
            Box::new(BufReader::with_capacity(HEAD_BYTES, decoder))
        } else {
            return Ok(peeked);
        };
        peeked = Peeked::new(inner, origin)?;
    }
    Ok(peeked)
}

/// A tar archive: the ustar magic at offset 257, or a tar name and a whole header block.
fn is_tar(name: &str, head: &[u8]) -> bool {
    let named = [".tar", ".tgz", ".tar.gz", ".tar.xz", ".txz"].iter().any(|ext| name.ends_with(ext));
    head.get(257..262) == Some(b"ustar".as_slice()) || (named && head.len() >= 512)
}

/// Counts the bytes read from the underlying file.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The format of a stream from its first bytes (up to [`HEAD_BYTES`], decompressed), with
/// its file name as a hint:
/// - XML whose root element is `feed` → [`Format::Atom`], `OAI-PMH` → [`Format::Oai`];
/// - JSON Lines, by the keys of the first object: `listing_date` → [`Format::Daily`];
///   `versions`, `authors_parsed`, `update_date` or `submitter` → [`Format::Kaggle`];
///   otherwise `id` and `title` → [`Format::Export`]. Anything else (such as the
///   `{url, status_code, body}` wrappers of recorded API responses) is `None`;
/// - text: [`crate::abs::looks_like`] and [`crate::listing::looks_like`], with a `.abs`
///   name or a listing name (`new*`, `pastweek*`, `listings/YYMM`) breaking ties.
pub fn detect(name: &str, head: &[u8]) -> Option<Format> {
    let text = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let text = text.trim_ascii_start();
    match text.first()? {
        b'<' => match xml_root(text)? {
            "feed" => Some(Format::Atom),
            "OAI-PMH" => Some(Format::Oai),
            _ => None,
        },
        b'{' => json_format(text),
        _ => text_format(name, head),
    }
}

/// The local name of the first element.
fn xml_root(mut text: &[u8]) -> Option<&str> {
    loop {
        let at = text.iter().position(|&b| b == b'<')?;
        text = text.get(at + 1..)?;
        if let Some(comment) = text.strip_prefix(b"!--") {
            let end = comment.windows(3).position(|w| w == b"-->")?;
            text = comment.get(end + 3..)?;
            continue;
        }
        if text.starts_with(b"?") || text.starts_with(b"!") {
            continue;
        }
        let end = text.iter().position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/').unwrap_or(text.len());
        let name = std::str::from_utf8(text.get(..end)?).ok()?;
        return name.rsplit(':').next();
    }
}

/// The JSON Lines format, from the keys of the first object (even if the head cuts it off).
fn json_format(text: &[u8]) -> Option<Format> {
    let mut keys = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(text);
    let _ = serde::Deserializer::deserialize_map(&mut de, KeySink(&mut keys));
    let has = |k: &str| keys.iter().any(|key| key == k);
    if has("listing_date") {
        Some(Format::Daily)
    } else if ["versions", "authors_parsed", "update_date", "submitter"].into_iter().any(has) {
        Some(Format::Kaggle)
    } else if has("id") && has("title") {
        Some(Format::Export)
    } else {
        None
    }
}

/// Collects the top-level keys of a JSON object, keeping those read before any error.
struct KeySink<'k>(&'k mut Vec<String>);

impl<'de> Visitor<'de> for KeySink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            self.0.push(key);
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// `.abs` files and listing files.
fn text_format(name: &str, head: &[u8]) -> Option<Format> {
    if head.contains(&0) {
        return None;
    }
    let file_name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let abs_name = file_name.ends_with(".abs");
    let listing_name = ["new", "pastweek"].iter().any(|p| file_name == *p || file_name.starts_with(&format!("{p}.")))
        || (file_name.len() == 4 && file_name.bytes().all(|b| b.is_ascii_digit()) && name.contains("listings"));
    match (crate::abs::looks_like(head), crate::listing::looks_like(head)) {
        (true, false) => Some(Format::Abs),
        (false, true) => Some(Format::Listing),
        (true, true) if abs_name => Some(Format::Abs),
        (true, true) => Some(Format::Listing),
        (false, false) if abs_name => Some(Format::Abs),
        (false, false) if listing_name => Some(Format::Listing),
        (false, false) => None,
    }
}
