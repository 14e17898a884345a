//! OAI-PMH responses from arXiv (`ListRecords` and `GetRecord`), streamed with quick-xml.
//!
//! Metadata in the `arXiv` format (`<authors><author><keyname>/<forenames>/<suffix>`,
//! `<created>`/`<updated>` dates; the `record` submodule) and the `arXivRaw` format (an
//! author string, a `<version>` list; the `arxiv_raw` submodule) becomes
//! [`Paper`](crate::Paper)s with [`Source::Oai`](papertide_core::Source::Oai).
//! Elements are matched by local name, so
//! records that lack `xmlns` on `<arXiv>` read the same. Deleted records are skipped;
//! an `<error code="...">` answer becomes one rejection `OAI-PMH error CODE: message`.
//! [`parse_response`] also returns the resumption token and list size, as an [`OaiPage`].

mod arxiv_raw;
mod record;

use std::io::BufRead;

use papertide_core::paper::collapse_whitespace;

use crate::xml::{XmlEvent, XmlStream};
use crate::{reject, Emit, IngestError, Location};
use record::Record;

/// The [`OaiError::code`] used when the response itself is broken (not OAI-PMH, invalid
/// XML, cut short) rather than an error the server reported.
pub const INVALID_RESPONSE: &str = "invalidResponse";

/// An OAI-PMH error the server answered with, e.g. `badArgument`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaiError {
    /// The `code` attribute (`badArgument`, `badResumptionToken`, `noRecordsMatch`, ...),
    /// or [`INVALID_RESPONSE`].
    pub code: String,
    /// The message, whitespace collapsed.
    pub message: String,
}

/// What a response said besides its records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OaiPage {
    /// The token for the next page; `None` when the list is complete (an empty
    /// `<resumptionToken/>`, or none at all).
    pub resumption_token: Option<String>,
    /// The `completeListSize` attribute of `<resumptionToken>`.
    pub complete_list_size: Option<u64>,
    /// The `cursor` attribute of `<resumptionToken>`.
    pub cursor: Option<u64>,
    /// Records read, emitted as papers or rejected (deleted records are not counted).
    pub records: u64,
    /// The first `<error>` of the response, or, when the response itself is broken, an
    /// error with code [`INVALID_RESPONSE`]. Either way a rejection was emitted too.
    pub error: Option<OaiError>,
}

/// Parses one response, emitting its records; the page information is dropped.
pub fn parse(reader: &mut dyn BufRead, origin: &str, emit: Emit<'_>) -> Result<(), IngestError> {
    parse_response(reader, origin, emit).map(|_| ())
}

/// An element outside records whose text is wanted.
enum Wanted {
    Error { code: String },
    Token,
}

/// Parses one response, emitting its records, and returns what it said about the list.
///
/// Bad records are rejected and reading goes on; when the XML cannot be read further the
/// rest of the stream is given up with one rejection (and [`OaiPage::error`]), and `Ok` is
/// returned. Errors are I/O failures and [`IngestError::Stopped`] from `emit`.
pub fn parse_response(reader: &mut dyn BufRead, origin: &str, emit: Emit<'_>) -> Result<OaiPage, IngestError> {
    let mut xml = XmlStream::new(reader);
    let mut page = OaiPage::default();
    let mut record: Option<Record> = None;
    let mut numbers = 0u64;
    let mut seen_root = false;
    let mut wanted: Option<(Wanted, usize, String)> = None;
    let mut stray: Option<(Location, String)> = None;
    loop {
        match xml.next_event(origin)? {
            XmlEvent::Open(element) => {
                let depth = xml.depth();
                if depth == 1 {
                    if element.name != "OAI-PMH" {
                        let reason =
                            format!("not an OAI-PMH response: the document is <{}>, not <OAI-PMH>", element.name);
                        return give_up(&xml, origin, None, page, reason, emit);
                    }
                    seen_root = true;
                } else if let Some(record) = record.as_mut() {
                    record.open(&element);
                } else if element.name == "record" {
                    numbers += 1;
                    record = Some(Record::new(numbers, depth));
                } else if element.name == "error" {
                    let code = element.attr("code").map(str::trim).filter(|c| !c.is_empty()).unwrap_or("unknown");
                    wanted = Some((Wanted::Error { code: code.to_string() }, depth, String::new()));
                } else if element.name == "resumptionToken" {
                    page.cursor = element.attr("cursor").and_then(|v| v.trim().parse().ok());
                    page.complete_list_size = element.attr("completeListSize").and_then(|v| v.trim().parse().ok());
                    wanted = Some((Wanted::Token, depth, String::new()));
                }
            }
            XmlEvent::Text(text) => {
                if let Some(record) = record.as_mut() {
                    record.text(&text);
                } else if let Some((_, _, buf)) = wanted.as_mut() {
                    buf.push_str(&text);
                }
            }
            XmlEvent::Close(_) => {
                let depth = xml.depth();
                if let Some(open) = record.as_mut() {
                    if depth >= open.depth() {
                        open.close();
                    } else if let Some(done) = record.take() {
                        if done.finish(origin, emit)? {
                            page.records += 1;
                        }
                    }
                } else if let Some((kind, _, text)) = wanted.take_if(|(_, at, _)| depth < *at) {
                    match kind {
                        Wanted::Error { code } => {
                            let message = collapse_whitespace(&text);
                            let reason = if message.is_empty() {
                                format!("OAI-PMH error {code}")
                            } else {
                                format!("OAI-PMH error {code}: {message}")
                            };
                            reject(Location::stream(origin), None, reason, emit)?;
                            page.error.get_or_insert(OaiError { code, message });
                        }
                        Wanted::Token => {
                            let token = text.trim();
                            page.resumption_token = (!token.is_empty()).then(|| token.to_string());
                        }
                    }
                }
            }
            XmlEvent::Damage(message) => match record.as_mut() {
                Some(record) => record.damage(message),
                // Outside the root nothing is used (and a missing root is reported). Inside it,
                // the first damage is reported once the response has ended well: when it
                // breaks off, that one rejection says enough. A damaged resumption token
                // cannot be followed, so it makes the page an error.
                None if xml.depth() == 0 => {}
                None => {
                    if let Some((Wanted::Token, _, _)) = wanted {
                        wanted = None;
                        let reason = format!("damaged resumptionToken: {message}");
                        page.error.get_or_insert(OaiError { code: INVALID_RESPONSE.to_string(), message: reason });
                    }
                    stray.get_or_insert_with(|| (xml.location(origin, None), message));
                }
            },
            XmlEvent::Fatal(message) => return give_up(&xml, origin, record, page, message, emit),
            XmlEvent::Eof => {
                let reason = if record.is_some() {
                    "the input ends inside this record (truncated?)".to_string()
                } else if let Some(root) = xml.root() {
                    format!("the input ends before </{root}> (truncated?)")
                } else if !seen_root {
                    "no <OAI-PMH> element: not an OAI-PMH response".to_string()
                } else {
                    if let Some((location, message)) = stray {
                        reject(location, None, format!("invalid XML in the response: {message}"), emit)?;
                    }
                    return Ok(page);
                };
                return give_up(&xml, origin, record, page, reason, emit);
            }
        }
    }
}

/// Gives up on a broken response: one rejection (naming the record it was in, if any) at
/// the current line, and the page's `error` set to [`INVALID_RESPONSE`]. The resumption
/// token is dropped: nothing after the damage can be trusted.
fn give_up(
    xml: &XmlStream<'_>,
    origin: &str,
    record: Option<Record>,
    mut page: OaiPage,
    reason: String,
    emit: Emit<'_>,
) -> Result<OaiPage, IngestError> {
    let number = record.as_ref().map(|r| r.number);
    if number.is_some() {
        page.records += 1;
    }
    let id = record.and_then(|r| r.raw_id());
    reject(xml.location(origin, number), id, reason.clone(), emit)?;
    page.resumption_token = None;
    page.error.get_or_insert(OaiError { code: INVALID_RESPONSE.to_string(), message: reason });
    Ok(page)
}
