//! arXiv API Atom feeds (`/api/query` answers), streamed with quick-xml.
//!
//! Both flavours are read: the 2016 one (opensearch and arxiv elements declaring their own
//! `xmlns`) and the 2026 one (namespaces declared on `<feed>`, `https` links). Elements are
//! matched by local name. Each `<entry>` becomes a [`Paper`](crate::Paper) with
//! [`Source::ArxivApi`](papertide_core::Source::ArxivApi), or a rejection naming its
//! entry number; an error entry (`<id>http://arxiv.org/api/errors#...</id>`) becomes one
//! rejection `arXiv API error: <message>`. [`parse_feed`] also returns the page's opensearch
//! numbers for the harvest client, as an [`AtomPage`].

mod entry;

use std::io::BufRead;

use crate::xml::{XmlEvent, XmlStream};
use crate::{reject, Emit, IngestError, Location};
use entry::{Entry, Outcome};

/// What a feed page said about itself, besides its entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtomPage {
    /// `opensearch:totalResults`: how many results the query has in all.
    pub total_results: Option<u64>,
    /// `opensearch:startIndex`: the 0-based index of this page's first entry.
    pub start_index: Option<u64>,
    /// `opensearch:itemsPerPage`: the page size asked for.
    pub items_per_page: Option<u64>,
    /// Entries read that describe papers, whether emitted as papers or rejected (error
    /// entries are not counted).
    pub entries: u64,
    /// Why this page is not a usable answer: the message of arXiv's error entry, or, when
    /// the feed itself is broken (not a feed, invalid XML, cut short), what is wrong with it.
    /// Either way a rejection was emitted too.
    pub error: Option<String>,
}

/// Parses one feed, emitting its entries; the page numbers are dropped.
pub fn parse(reader: &mut dyn BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    parse_feed(reader, origin, emit).map(|_| ())
}

/// The opensearch numbers of the feed head.
#[derive(Debug, Clone, Copy)]
enum Head {
    TotalResults,
    StartIndex,
    ItemsPerPage,
}

/// Parses one feed, emitting its entries, and returns what the feed said about the page.
///
/// Bad entries are rejected and reading goes on; when the XML cannot be read further the
/// rest of the stream is given up with one rejection (and [`AtomPage::error`]), and `Ok`
/// is returned. Errors are I/O failures and [`IngestError::Stopped`] from `emit`.
pub fn parse_feed(reader: &mut dyn BufRead, origin: &str, emit: Emit<'_>) -> Result<AtomPage, IngestError> {
    let mut xml = XmlStream::new(reader);
    let mut page = AtomPage::default();
    let mut entry: Option<Entry> = None;
    let mut records = 0u64;
    let mut seen_feed = false;
    let mut head: Option<(Head, usize, String)> = None;
    let mut stray: Option<(Location, String)> = None;
    loop {
        match xml.next_event(origin)? {
            XmlEvent::Open(element) => {
                let depth = xml.depth();
                if depth == 1 {
                    if element.name != "feed" {
                        let reason = format!("not an Atom feed: the document is <{}>, not <feed>", element.name);
                        return give_up(&xml, origin, None, page, reason, emit);
                    }
                    seen_feed = true;
                } else if let Some(entry) = entry.as_mut() {
                    entry.open(&element, depth);
                } else if element.name == "entry" {
                    records += 1;
                    entry = Some(Entry::new(records, depth));
                } else {
                    let field = match element.name.as_str() {
                        "totalResults" => Head::TotalResults,
                        "startIndex" => Head::StartIndex,
                        "itemsPerPage" => Head::ItemsPerPage,
                        _ => continue,
                    };
                    head = Some((field, depth, String::new()));
                }
            }
            XmlEvent::Text(text) => {
                if let Some(entry) = entry.as_mut() {
                    entry.text(&text);
                } else if let Some((_, _, buf)) = head.as_mut() {
                    buf.push_str(&text);
                }
            }
            XmlEvent::Close(_) => {
                let depth = xml.depth();
                if let Some(open) = entry.as_mut() {
                    open.close(depth);
                    if depth < open.depth() {
                        if let Some(done) = entry.take() {
                            match done.finish(origin, emit)? {
                                Outcome::Record => page.entries += 1,
                                Outcome::ApiError(message) => {
                                    page.error.get_or_insert(message);
                                }
                            }
                        }
                    }
                } else if let Some((field, _, text)) = head.take_if(|(_, at, _)| depth < *at) {
                    let value = text.trim().parse::<u64>().ok();
                    match field {
                        Head::TotalResults => page.total_results = value,
                        Head::StartIndex => page.start_index = value,
                        Head::ItemsPerPage => page.items_per_page = value,
                    }
                }
            }
            XmlEvent::Damage(message) => match entry.as_mut() {
                Some(entry) => entry.damage(message),
                // Outside the root nothing is used (and a missing feed is reported). Inside it,
                // the first damage is reported once the feed has ended well: when it breaks
                // off, that one rejection says enough.
                None if xml.depth() == 0 => {}
                None => {
                    if let Some((field, _, _)) = head.take() {
                        tracing::debug!(?field, "damaged opensearch element ignored");
                    }
                    stray.get_or_insert_with(|| (xml.location(origin, None), message));
                }
            },
            XmlEvent::Fatal(message) => return give_up(&xml, origin, entry, page, message, emit),
            XmlEvent::Eof => {
                let reason = if entry.is_some() {
                    "the input ends inside this entry (truncated?)".to_string()
                } else if let Some(root) = xml.root() {
                    format!("the input ends before </{root}> (truncated?)")
                } else if !seen_feed {
                    "no <feed> element: not an arXiv API Atom feed".to_string()
                } else {
                    if let Some((location, message)) = stray {
                        reject(location, None, format!("invalid XML in the feed: {message}"), emit)?;
                    }
                    return Ok(page);
                };
                return give_up(&xml, origin, entry, page, reason, emit);
            }
        }
    }
}

/// Gives up on a broken feed: one rejection (naming the entry it was in, if any) at the
/// current line, and the page's `error` set.
fn give_up(
    xml: &XmlStream<'_>,
    origin: &str,
    entry: Option<Entry>,
    mut page: AtomPage,
    reason: String,
    emit: Emit<'_>,
) -> Result<AtomPage, IngestError> {
    let record = entry.as_ref().map(|e| e.record);
    if record.is_some() {
        page.entries += 1;
    }
    let id = entry.and_then(|e| e.raw_id());
    reject(xml.location(origin, record), id, reason.clone(), emit)?;
    page.error.get_or_insert(reason);
    Ok(page)
}
