//! Shared helpers: where the shared data lives, and collecting a parser's items.

use std::path::PathBuf;

use papertide_ingest::{Item, Paper, RecordError};

/// `../shared/data` beside the repository (override with `PAPERTIDE_SHARED_DATA`).
pub fn data_dir() -> PathBuf {
    match std::env::var_os("PAPERTIDE_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    }
}

/// Papers and rejections, in order.
#[derive(Debug, Default)]
#[allow(dead_code)]
pub struct Collected {
    pub papers: Vec<Paper>,
    pub rejected: Vec<RecordError>,
}

impl Collected {
    #[allow(dead_code)]
    pub fn push(&mut self, item: Item) -> Result<(), papertide_ingest::IngestError> {
        match item {
            Item::Paper(p) => self.papers.push(*p),
            Item::Rejected(e) => self.rejected.push(e),
        }
        Ok(())
    }

    /// The paper with this id; panics if absent.
    #[allow(dead_code)]
    pub fn get(&self, id: &str) -> &Paper {
        self.papers.iter().find(|p| p.id.as_str() == id).unwrap_or_else(|| panic!("no paper {id}"))
    }
}

/// Runs a format's parser over bytes.
#[allow(dead_code)]
pub fn parse_bytes(format: papertide_ingest::Format, bytes: &[u8], origin: &str) -> Collected {
    let mut out = Collected::default();
    let mut reader = std::io::BufReader::new(bytes);
    format.parse(&mut reader, origin, &mut |item| out.push(item)).expect("parser failed");
    out
}

/// Runs a format's parser over a file under the data dir.
#[allow(dead_code)]
pub fn parse_file(format: papertide_ingest::Format, rel: &str) -> Collected {
    let path = data_dir().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_bytes(format, &bytes, rel)
}
