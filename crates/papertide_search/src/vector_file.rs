//! Reading vectors computed elsewhere (`papertide embed import`): "user-provided vectors",
//! as Meilisearch calls them, for admins who embed on another machine.
//!
//! Two shapes are read, both streamed (a file of every arXiv paper does not fit in memory):
//!
//! - **JSON Lines**: one object per line, `{"id": "2401.01234", "vector": [0.1, ...]}`
//!   (`embedding` is accepted for `vector`), optionally with `"model": "NAME"`. Blank lines
//!   are skipped.
//! - **NumPy `.npy`** (format versions 1–3, little-endian `f4` or `f8`, C order, shape
//!   `(N, D)`) with the ids in a text file beside it, one per line, row by row (`--ids`).
//!
//! [`VectorFile::records`] yields one [`VectorRecord`] per line or row, or a [`BadRecord`]
//! naming the line or row and what is wrong with it, so one bad line never stops the rest.
//! Problems with the whole file (cannot be read, not `.npy`, wrong shape, id count) are
//! [`VectorFileError`]s. Checking vectors against the model (dimension, model name) and
//! storing them is [`crate::engine::SearchEngine::import_vectors`].

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A problem with a vector file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum VectorFileError {
    /// The file (or the ids file) could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The `.npy` header is missing, damaged, or describes data we do not read.
    #[error("{path}: {reason}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words.
        reason: String,
    },
    /// A `.npy` file came without its ids file.
    #[error("{0}: a .npy file holds no ids; give them with --ids FILE (one id per line, row by row)")]
    NoIds(PathBuf),
    /// The ids file has a different number of lines than the `.npy` file has rows.
    #[error("{ids}: {lines} ids for {rows} rows in the .npy file")]
    IdCount {
        /// The ids file.
        ids: PathBuf,
        /// Non-empty lines in it.
        lines: usize,
        /// Rows in the array.
        rows: usize,
    },
}

fn io_error(path: &Path, source: std::io::Error) -> VectorFileError {
    VectorFileError::Io { path: path.to_path_buf(), source }
}

/// One vector read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorRecord {
    /// Where it was: `line 12` or `row 11`.
    pub at: String,
    /// The paper id as written.
    pub id: String,
    /// The model the record says made it (JSON Lines only).
    pub model: Option<String>,
    /// The vector as stored (not yet normalised).
    pub vector: Vec<f32>,
}

/// A line or row that could not be read; the rest of the file still is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRecord {
    /// Where it was: `line 12` or `row 11`.
    pub at: String,
    /// What is wrong with it.
    pub reason: String,
}

/// An opened vector file.
pub enum VectorFile {
    /// JSON Lines.
    Lines(BufReader<File>),
    /// A `.npy` array and its ids.
    Npy {
        /// The array data after the header.
        data: BufReader<File>,
        /// Bytes per value (4 or 8).
        width: usize,
        /// Rows.
        rows: usize,
        /// Values per row.
        dim: usize,
        /// The ids, one per row.
        ids: Vec<String>,
    },
}

impl VectorFile {
    /// Opens `path`: `.npy` by its magic bytes (then `ids` is required), JSON Lines otherwise.
    pub fn open(path: &Path, ids: Option<&Path>) -> Result<VectorFile, VectorFileError> {
        let mut reader = BufReader::new(File::open(path).map_err(|source| io_error(path, source))?);
        let is_npy = reader.fill_buf().map_err(|source| io_error(path, source))?.starts_with(b"\x93NUMPY");
        if !is_npy {
            return Ok(VectorFile::Lines(reader));
        }
        let header =
            read_npy_header(&mut reader).map_err(|reason| VectorFileError::Npy { path: path.into(), reason })?;
        let ids_path = ids.ok_or_else(|| VectorFileError::NoIds(path.into()))?;
        let text = std::fs::read_to_string(ids_path).map_err(|source| io_error(ids_path, source))?;
        let ids: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
        if ids.len() != header.rows {
            return Err(VectorFileError::IdCount { ids: ids_path.into(), lines: ids.len(), rows: header.rows });
        }
        Ok(VectorFile::Npy { data: reader, width: header.width, rows: header.rows, dim: header.dim, ids })
    }

    /// The number of vectors, when the file says (`.npy`); JSON Lines are counted as read.
    pub fn len_hint(&self) -> Option<u64> {
        match self {
            VectorFile::Lines(_) => None,
            VectorFile::Npy { rows, .. } => Some(*rows as u64),
        }
    }

    /// The dimension of every vector, when the file says (`.npy`).
    pub fn dim(&self) -> Option<usize> {
        match self {
            VectorFile::Lines(_) => None,
            VectorFile::Npy { dim, .. } => Some(*dim),
        }
    }

    /// The vectors, in file order. A read error of the file ends the iteration with it.
    pub fn records(self) -> Box<dyn Iterator<Item = Result<Result<VectorRecord, BadRecord>, std::io::Error>>> {
        match self {
            VectorFile::Lines(reader) => Box::new(reader.lines().enumerate().filter_map(|(i, line)| match line {
                Err(e) => Some(Err(e)),
                Ok(l) if l.trim().is_empty() => None,
                Ok(l) => Some(Ok(parse_line(&l, i + 1))),
            })),
            VectorFile::Npy { mut data, width, dim, ids, rows } => {
                let mut buf = vec![0u8; width * dim];
                Box::new(ids.into_iter().enumerate().map(move |(row, id)| {
                    data.read_exact(&mut buf).map_err(|e| match e.kind() {
                        std::io::ErrorKind::UnexpectedEof => std::io::Error::new(
                            e.kind(),
                            format!("the array data ends in row {row}, before the {rows} rows its header promises"),
                        ),
                        _ => e,
                    })?;
                    let vector = match width {
                        4 => buf.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
                        _ => buf
                            .chunks_exact(8)
                            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32)
                            .collect(),
                    };
                    Ok(Ok(VectorRecord { at: format!("row {row}"), id, model: None, vector }))
                }))
            }
        }
    }
}

/// The fields of a JSON Lines record.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: String,
    #[serde(alias = "embedding")]
    vector: Vec<f64>,
    #[serde(default)]
    model: Option<String>,
}

/// One JSON Lines record (`number` counts from 1).
pub fn parse_line(text: &str, number: usize) -> Result<VectorRecord, BadRecord> {
    let at = format!("line {number}");
    match serde_json::from_str::<Line>(text) {
        Ok(l) => {
            Ok(VectorRecord { at, id: l.id, model: l.model, vector: l.vector.into_iter().map(|v| v as f32).collect() })
        }
        Err(e) => Err(BadRecord {
            at,
            reason: format!("not a vector record ({e}); expected {{\"id\": ..., \"vector\": [...]}}"),
        }),
    }
}

/// What a `.npy` header says.
#[derive(Debug, PartialEq, Eq)]
struct NpyHeader {
    width: usize,
    rows: usize,
    dim: usize,
}

/// Reads the magic, version, and header dictionary of a `.npy` file, leaving `r` at the data.
fn read_npy_header(r: &mut impl Read) -> Result<NpyHeader, String> {
    let mut start = [0u8; 8];
    r.read_exact(&mut start).map_err(|_| "truncated .npy header".to_string())?;
    let len = match start[6] {
        1 => {
            let mut b = [0u8; 2];
            r.read_exact(&mut b).map_err(|_| "truncated .npy header".to_string())?;
            u16::from_le_bytes(b) as usize
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            r.read_exact(&mut b).map_err(|_| "truncated .npy header".to_string())?;
            u32::from_le_bytes(b) as usize
        }
        v => return Err(format!("unknown .npy format version {v}")),
    };
    if len > 1 << 20 {
        return Err(format!(".npy header of {len} bytes is not plausible"));
    }
    let mut header = vec![0u8; len];
    r.read_exact(&mut header).map_err(|_| "truncated .npy header".to_string())?;
    parse_npy_dict(&String::from_utf8_lossy(&header))
}

/// The value of `key` in a Python dict literal as NumPy writes it (`'key': value,`).
fn dict_value<'a>(dict: &'a str, key: &str) -> Option<&'a str> {
    let rest = &dict[dict.find(&format!("'{key}'"))? + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}'])? };
    Some(rest[..end].trim())
}

/// Parses the header dictionary: `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }`.
fn parse_npy_dict(dict: &str) -> Result<NpyHeader, String> {
    let descr = dict_value(dict, "descr").ok_or("the .npy header has no 'descr'")?;
    let width = match descr.trim_matches(['\'', '"']) {
        "<f4" | "=f4" | "float32" => 4,
        "<f8" | "=f8" | "float64" => 8,
        other => {
            return Err(format!("values of type {other}; expected little-endian float32 or float64 ('<f4', '<f8')"))
        }
    };
    match dict_value(dict, "fortran_order") {
        Some("False") => {}
        Some(_) => return Err("Fortran-ordered array; save it in C order (np.ascontiguousarray)".into()),
        None => return Err("the .npy header has no 'fortran_order'".into()),
    }
    let shape = dict_value(dict, "shape").ok_or("the .npy header has no 'shape'")?;
    let dims: Vec<usize> = shape
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!("bad shape {shape}")))
        .collect::<Result<_, _>>()?;
    match dims[..] {
        [rows, dim] if dim > 0 => Ok(NpyHeader { width, rows, dim }),
        _ => Err(format!("shape {shape}; expected a two-dimensional array (papers, dimensions)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `.npy` file (version 1) of float32 rows.
    fn npy_f32(rows: &[Vec<f32>]) -> Vec<u8> {
        let dim = rows.first().map_or(0, Vec::len);
        let mut dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {dim}), }}", rows.len());
        while !(10 + dict.len() + 1).is_multiple_of(64) {
            dict.push(' ');
        }
        dict.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend((dict.len() as u16).to_le_bytes());
        out.extend(dict.as_bytes());
        for v in rows.iter().flatten() {
            out.extend(v.to_le_bytes());
        }
        out
    }

    #[test]
    fn json_lines_records_and_bad_lines_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.jsonl");
        std::fs::write(
            &path,
            "{\"id\": \"2401.00001\", \"vector\": [1, 0.5]}\n\n{\"id\": 7}\n{\"id\": \"x\", \"embedding\": [2.0], \"model\": \"m\"}\n",
        )
        .unwrap();
        let records: Vec<_> = VectorFile::open(&path, None).unwrap().records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 3);
        let first = records[0].as_ref().unwrap();
        assert_eq!(
            (first.at.as_str(), first.id.as_str(), &first.vector[..]),
            ("line 1", "2401.00001", &[1.0, 0.5][..])
        );
        let bad = records[1].as_ref().unwrap_err();
        assert_eq!(bad.at, "line 3");
        assert!(bad.reason.contains("expected {\"id\""), "{}", bad.reason);
        assert_eq!(records[2].as_ref().unwrap().model.as_deref(), Some("m"));
    }

    #[test]
    fn npy_rows_come_with_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        let (path, ids) = (dir.path().join("v.npy"), dir.path().join("ids.txt"));
        std::fs::write(&path, npy_f32(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]])).unwrap();
        std::fs::write(&ids, "a\nb\n").unwrap();
        let file = VectorFile::open(&path, Some(&ids)).unwrap();
        assert_eq!(file.len_hint(), Some(2));
        let records: Vec<VectorRecord> = file.records().map(|r| r.unwrap().unwrap()).collect();
        assert_eq!(
            records[1],
            VectorRecord { at: "row 1".into(), id: "b".into(), model: None, vector: vec![4.0, 5.0, 6.0] }
        );
        assert!(matches!(VectorFile::open(&path, None), Err(VectorFileError::NoIds(_))));
        std::fs::write(&ids, "a\n").unwrap();
        let err = VectorFile::open(&path, Some(&ids)).err().unwrap().to_string();
        assert!(err.ends_with("1 ids for 2 rows in the .npy file"), "{err}");
    }

    #[test]
    fn npy_headers_we_cannot_read_are_explained() {
        let header = |d: &str| parse_npy_dict(d).unwrap_err();
        assert!(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }").contains("little-endian"));
        assert!(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }").contains("Fortran"));
        assert!(header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }").contains("two-dimensional"));
        let ok = parse_npy_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (5, 384), }").unwrap();
        assert_eq!(ok, NpyHeader { width: 8, rows: 5, dim: 384 });
    }

    proptest! {
        #[test]
        fn any_header_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut input = b"\x93NUMPY".to_vec();
            input.extend(bytes);
            let _ = read_npy_header(&mut &input[..]);
        }

        #[test]
        fn any_line_is_read_or_refused(line in ".{0,80}") {
            let _ = parse_line(&line, 1);
        }
    }
}
