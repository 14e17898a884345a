//! (being written)
use crate::{Emit, IngestError};

/// Parses one stream.
pub fn parse(_reader: &mut dyn std::io::BufRead, _origin: &str, _emit: Emit<'_>) -> Result<(), IngestError> {
    todo!()
}
