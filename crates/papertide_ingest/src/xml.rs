//! Streaming XML reading shared by the [`crate::atom`] and [`crate::oai`] parsers.
//!
//! [`XmlStream`] is a pull reader over quick-xml that never builds a tree: it names elements
//! by local name (so namespace prefixes and missing `xmlns` declarations do not matter),
//! decodes text (entities and CDATA), and keeps its own stack of open elements so that damage
//! inside a record (an unknown entity, invalid UTF-8, a bad attribute, a mismatched end tag)
//! is reported as [`XmlEvent::Damage`] and read past. Only damage the tokenizer cannot get
//! past ends the stream, as [`XmlEvent::Fatal`]. It also counts lines for error locations.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::{IngestError, Location};

/// Deepest nesting read; arXiv's XML is less than 10 deep, and a limit keeps the end-tag
/// search cheap on hostile input.
const MAX_DEPTH: usize = 1024;

/// One thing read from the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlEvent {
    /// An element starts; an empty element gives `Open` and then `Close`.
    Open(Element),
    /// The innermost open element ends (its local name).
    Close(String),
    /// Character data (text or CDATA) with entities decoded.
    Text(String),
    /// Damage that reading goes on past (it belongs to the innermost open record).
    Damage(String),
    /// Damage that ends the document: nothing more is read.
    Fatal(String),
    /// The input ended (elements may still be open: see [`XmlStream::depth`]).
    Eof,
}

/// A start tag: its local name and its attributes (local names, decoded values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Element {
    /// The value of the attribute with this local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A `BufRead` that counts the newlines consumed through it.
struct LineCounter<'r> {
    inner: &'r mut dyn BufRead,
    newlines: u64,
}

impl Read for LineCounter<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.inner.fill_buf()?;
            let n = available.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for LineCounter<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The bytes being consumed are still at the front of the inner buffer.
        if let Ok(buf) = self.inner.fill_buf() {
            let counted = buf.get(..amt).unwrap_or(buf);
            self.newlines += counted.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amt);
    }
}

/// An event waiting to be handed out.
enum Pending {
    Event(XmlEvent),
    /// Close the innermost open element.
    Pop,
}

/// The pull reader; see the module docs.
pub(crate) struct XmlStream<'r> {
    reader: Reader<LineCounter<'r>>,
    buf: Vec<u8>,
    /// Open elements: qualified name (to match end tags) and local name.
    stack: Vec<(Vec<u8>, String)>,
    /// Events decided but not yet handed out; closes pop the stack only when handed out,
    /// so [`XmlStream::depth`] is always right for the event just returned.
    pending: VecDeque<Pending>,
    done: bool,
}

impl<'r> XmlStream<'r> {
    /// Reads from `reader`.
    pub fn new(reader: &'r mut dyn BufRead) -> XmlStream<'r> {
        let mut reader = Reader::from_reader(LineCounter { inner: reader, newlines: 0 });
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        XmlStream { reader, buf: Vec::new(), stack: Vec::new(), pending: VecDeque::new(), done: false }
    }

    /// How many elements are open (1 inside the root element).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// The local name of the outermost open element, if any.
    pub fn root(&self) -> Option<&str> {
        self.stack.first().map(|(_, local)| local.as_str())
    }

    /// The 1-based line the reader has got to.
    pub fn line(&self) -> u64 {
        self.reader.get_ref().newlines + 1
    }

    /// Where the reader is, for stream-level rejections: the line and, inside a record, its number.
    pub fn location(&self, origin: &str, record: Option<u64>) -> Location {
        Location { origin: origin.to_string(), line: Some(self.line()), record }
    }

    /// The next event. I/O errors of the underlying reader are returned as errors; everything
    /// wrong with the XML itself is an event.
    pub fn next_event(&mut self, origin: &str) -> Result<XmlEvent, IngestError> {
        if let Some(event) = self.pop_pending() {
            return Ok(event);
        }
        if self.done {
            return Ok(XmlEvent::Eof);
        }
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(quick_xml::Error::Io(e)) => {
                    self.done = true;
                    let source = io::Error::new(e.kind(), e.to_string());
                    return Err(IngestError::Io { origin: origin.to_string(), source });
                }
                Err(e) => {
                    self.done = true;
                    return Ok(XmlEvent::Fatal(format!("invalid XML at byte {}: {e}", self.reader.error_position())));
                }
            };
            if matches!(event, Event::Start(_) | Event::Empty(_)) && self.stack.len() >= MAX_DEPTH {
                self.done = true;
                return Ok(XmlEvent::Fatal(format!(
                    "elements nested more than {MAX_DEPTH} deep at byte {}",
                    self.reader.buffer_position()
                )));
            }
            match event {
                Event::Start(start) => {
                    let (element, damage) = element(&start);
                    self.stack.push((start.name().as_ref().to_vec(), element.name.clone()));
                    self.pending.extend(damage.map(|d| Pending::Event(XmlEvent::Damage(d))));
                    return Ok(XmlEvent::Open(element));
                }
                Event::Empty(start) => {
                    let (element, damage) = element(&start);
                    self.stack.push((start.name().as_ref().to_vec(), element.name.clone()));
                    self.pending.extend(damage.map(|d| Pending::Event(XmlEvent::Damage(d))));
                    self.pending.push_back(Pending::Pop);
                    return Ok(XmlEvent::Open(element));
                }
                Event::End(end) => {
                    let qname = end.name().as_ref().to_vec();
                    match self.stack.iter().rposition(|(q, _)| *q == qname) {
                        Some(pos) => {
                            if pos + 1 != self.stack.len() {
                                let expected = self.stack.last().map(|(_, l)| l.as_str()).unwrap_or_default();
                                self.pending.push_back(Pending::Event(XmlEvent::Damage(format!(
                                    "mismatched end tag </{}>, expected </{expected}>",
                                    String::from_utf8_lossy(&qname)
                                ))));
                            }
                            self.pending.extend((pos..self.stack.len()).map(|_| Pending::Pop));
                        }
                        None => {
                            self.pending.push_back(Pending::Event(XmlEvent::Damage(format!(
                                "unexpected end tag </{}>",
                                String::from_utf8_lossy(&qname)
                            ))));
                        }
                    }
                    if let Some(event) = self.pop_pending() {
                        return Ok(event);
                    }
                }
                Event::Text(text) => {
                    return Ok(match std::str::from_utf8(&text) {
                        Ok(s) => match quick_xml::escape::unescape(s) {
                            Ok(s) => XmlEvent::Text(repair_mojibake(s.into_owned())),
                            Err(e) => XmlEvent::Damage(format!("bad character or entity reference: {e}")),
                        },
                        Err(_) => XmlEvent::Damage("invalid UTF-8 in text".to_string()),
                    });
                }
                Event::CData(data) => {
                    return Ok(match std::str::from_utf8(&data) {
                        Ok(s) => XmlEvent::Text(repair_mojibake(s.to_string())),
                        Err(_) => XmlEvent::Damage("invalid UTF-8 in CDATA".to_string()),
                    });
                }
                Event::Eof => {
                    self.done = true;
                    return Ok(XmlEvent::Eof);
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            }
        }
    }
}

impl XmlStream<'_> {
    /// Hands out the next pending event, popping the stack for closes.
    fn pop_pending(&mut self) -> Option<XmlEvent> {
        loop {
            match self.pending.pop_front()? {
                Pending::Event(event) => return Some(event),
                Pending::Pop => {
                    if let Some((_, local)) = self.stack.pop() {
                        return Some(XmlEvent::Close(local));
                    }
                }
            }
        }
    }
}

/// Undoes UTF-8 that was once decoded as Latin-1 and encoded again (`WeiÃ\u{9f}l` for
/// `Weißl`), as tools that save arXiv API answers without a charset do: when every character
/// is at most U+00FF, some are not ASCII, and those characters taken as bytes are valid
/// UTF-8. Real text almost never passes that test (it needs pairs such as `Ã` followed by
/// a C1 control or a symbol from `¡` to `¿`); anything else is returned unchanged.
pub(crate) fn repair_mojibake(text: String) -> String {
    if text.is_ascii() {
        return text;
    }
    let bytes: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    match bytes.map(String::from_utf8) {
        Some(Ok(fixed)) => fixed,
        _ => text,
    }
}

/// Decodes a start tag; the second value is the first problem with its attributes, if any.
fn element(start: &BytesStart<'_>) -> (Element, Option<String>) {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    let mut damage = None;
    for attr in start.attributes() {
        let attr = match attr {
            Ok(attr) => attr,
            Err(e) => {
                damage = Some(format!("bad attribute in <{name}>: {e}"));
                break;
            }
        };
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = std::str::from_utf8(&attr.value)
            .map_err(|_| "invalid UTF-8".to_string())
            .and_then(|s| quick_xml::escape::unescape(s).map_err(|e| e.to_string()));
        match value {
            Ok(value) => attrs.push((key, value.into_owned())),
            Err(e) => damage = damage.or(Some(format!("bad value of attribute {key} in <{name}>: {e}"))),
        }
    }
    (Element { name, attrs }, damage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(xml: &str) -> Vec<XmlEvent> {
        let mut bytes = xml.as_bytes();
        let mut stream = XmlStream::new(&mut bytes);
        let mut out = Vec::new();
        loop {
            let event = stream.next_event("t").unwrap();
            let last = matches!(event, XmlEvent::Eof);
            out.push(event);
            if last {
                return out;
            }
        }
    }

    fn open(name: &str) -> XmlEvent {
        XmlEvent::Open(Element { name: name.into(), attrs: vec![] })
    }

    #[test]
    fn local_names_text_entities_and_cdata() {
        let got = events("<?xml version='1.0'?><a:x xmlns:a='u'><y k='1 &amp; 2'/>&lt;<![CDATA[<b>]]></a:x>");
        assert_eq!(
            got,
            vec![
                XmlEvent::Open(Element { name: "x".into(), attrs: vec![("a".into(), "u".into())] }),
                XmlEvent::Open(Element { name: "y".into(), attrs: vec![("k".into(), "1 & 2".into())] }),
                XmlEvent::Close("y".into()),
                XmlEvent::Text("<".into()),
                XmlEvent::Text("<b>".into()),
                XmlEvent::Close("x".into()),
                XmlEvent::Eof,
            ]
        );
    }

    #[test]
    fn damage_is_reported_and_read_past() {
        let got = events("<r><a>&nope;</a><b></c></b><d></r>");
        let damage = |m: &str| XmlEvent::Damage(m.to_string());
        let close = |n: &str| XmlEvent::Close(n.to_string());
        assert!(matches!(&got[2], XmlEvent::Damage(m) if m.contains("nope")), "{got:?}");
        assert_eq!(
            got[3..],
            [
                close("a"),
                open("b"),
                damage("unexpected end tag </c>"),
                close("b"),
                open("d"),
                damage("mismatched end tag </r>, expected </d>"),
                close("d"),
                close("r"),
                XmlEvent::Eof,
            ]
        );
    }

    #[test]
    fn mojibake_is_repaired_and_real_text_is_not() {
        let fix = |s: &str| repair_mojibake(s.to_string());
        assert_eq!(fix("Dirk W\u{c3}\u{bc}bben"), "Dirk Wübben");
        assert_eq!(fix("$(\u{cf}\u{80}, 1-\u{cf}\u{80})$"), "$(π, 1-π)$");
        assert_eq!(fix("Oliver Wei\u{c3}\u{9f}l"), "Oliver Weißl");
        for real in ["Müller", "café", "Günter", "Straße Ångström", "π and ü", "plain", "Ã is a letter", "¿Qué?"]
        {
            assert_eq!(fix(real), real);
        }
    }

    #[test]
    fn deep_nesting_is_fatal() {
        let got = events(&"<a>".repeat(MAX_DEPTH + 5));
        assert_eq!(got.len(), MAX_DEPTH + 2);
        assert!(matches!(&got[MAX_DEPTH], XmlEvent::Fatal(m) if m.contains("nested")));
    }

    #[test]
    fn fatal_damage_stops() {
        let got = events("<r>\n<a x='1></r>");
        assert!(matches!(&got[got.len() - 2], XmlEvent::Fatal(m) if m.contains("byte")), "{got:?}");
        let mut bytes = "<r>\n\n<a".as_bytes();
        let mut stream = XmlStream::new(&mut bytes);
        while !matches!(stream.next_event("t").unwrap(), XmlEvent::Eof) {}
        assert_eq!(stream.line(), 3);
    }
}
