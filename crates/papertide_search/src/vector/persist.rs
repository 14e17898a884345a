//! The on-disk format of the vector indexes: framing, checksum, atomic writes, safe reads.
//!
//! Layout (all integers little endian):
//!
//! | offset | size | field                                              |
//! |--------|------|----------------------------------------------------|
//! | 0      | 8    | magic `PTVECIX\0`                                  |
//! | 8      | 4    | format version (`1`)                               |
//! | 12     | 4    | index kind: `1` exact, `2` HNSW ([`IndexKind`])    |
//! | 16     | 4    | element type: `0` f32, `1` f16, `2` int8 ([`Element`]) |
//! | 20     | 4    | dimension                                          |
//! | 24     | 8    | count (rows of the exact index, nodes of HNSW)     |
//! | 32     | 8    | body length in bytes                               |
//! | 40     | body | kind-specific body ([`super::exact`], [`super::hnsw::file`]) |
//! | end    | 4    | CRC-32 (IEEE) of every byte before it              |
//!
//! Saves write `<name>.tmp-<pid>` next to the target, fsync it, and rename it over the
//! target, so a crash leaves either the old or the new file. Loads check the file length
//! against the header before allocating anything, read the body in bounded chunks,
//! verify the checksum, and leave structural validation (ids in range...) to the index;
//! every failure is a [`SearchError::CorruptIndex`] naming the file, never a panic.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::compact::Element;
use crate::SearchError;

/// First bytes of every vector index file.
pub const MAGIC: [u8; 8] = *b"PTVECIX\0";
/// Current format version.
pub const VERSION: u32 = 1;
/// Header length in bytes (the body starts here).
pub const HEADER_LEN: u64 = 40;
const CHECKSUM_LEN: u64 = 4;
const CHUNK: usize = 1 << 16;

/// Which index a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// [`super::ExactIndex`].
    Exact,
    /// [`super::HnswIndex`].
    Hnsw,
}

impl IndexKind {
    fn code(self) -> u32 {
        match self {
            IndexKind::Exact => 1,
            IndexKind::Hnsw => 2,
        }
    }
}

/// The checked header of an index file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub kind: IndexKind,
    /// How the vectors are stored (always f32 for the exact index).
    pub element: Element,
    pub dim: usize,
    pub count: u64,
    pub body_len: u64,
}

/// Reads the kind of index stored in `path` (checks magic, version and length only).
pub fn peek_kind(path: &Path) -> Result<IndexKind, SearchError> {
    Ok(open(path)?.0.kind)
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> SearchError {
    SearchError::Io { path: path.to_path_buf(), source }
}

pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> SearchError {
    SearchError::CorruptIndex { path: path.to_path_buf(), reason: reason.into() }
}

/// Streams a body into the temp file, hashing as it goes.
pub(crate) struct BodyWriter {
    out: BufWriter<File>,
    hasher: crc32fast::Hasher,
    written: u64,
    buf: Vec<u8>,
}

impl BodyWriter {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    pub fn u8s(&mut self, v: &[u8]) -> std::io::Result<()> {
        self.raw(v)
    }

    pub fn u32(&mut self, v: u32) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    pub fn u64(&mut self, v: u64) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    pub fn u64s(&mut self, v: &[u64]) -> std::io::Result<()> {
        self.slice(v, |x, b| b.extend_from_slice(&x.to_le_bytes()))
    }

    pub fn f32s(&mut self, v: &[f32]) -> std::io::Result<()> {
        self.slice(v, |x, b| b.extend_from_slice(&x.to_le_bytes()))
    }

    pub fn u16s(&mut self, v: &[u16]) -> std::io::Result<()> {
        self.slice(v, |x, b| b.extend_from_slice(&x.to_le_bytes()))
    }

    pub fn i8s(&mut self, v: &[i8]) -> std::io::Result<()> {
        self.slice(v, |x, b| b.push(x as u8))
    }

    /// Writes every `u32` of an iterator (for data not stored as a plain slice).
    pub fn u32_iter(&mut self, it: impl Iterator<Item = u32>) -> std::io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut result = Ok(());
        for x in it {
            buf.extend_from_slice(&x.to_le_bytes());
            if buf.len() >= CHUNK {
                result = self.raw(&buf);
                buf.clear();
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_ok() && !buf.is_empty() {
            result = self.raw(&buf);
        }
        self.buf = buf;
        result
    }

    fn slice<T: Copy>(&mut self, v: &[T], put: impl Fn(T, &mut Vec<u8>)) -> std::io::Result<()> {
        let per = (CHUNK / std::mem::size_of::<T>().max(1)).max(1);
        let mut buf = std::mem::take(&mut self.buf);
        for chunk in v.chunks(per) {
            buf.clear();
            for &x in chunk {
                put(x, &mut buf);
            }
            self.raw(&buf)?;
        }
        self.buf = buf;
        Ok(())
    }
}

/// Writes an index file atomically: header, the body written by `body` (exactly `body_len`
/// bytes), checksum; then fsync and rename over `path`.
pub(crate) fn write_file(
    path: &Path,
    kind: IndexKind,
    element: Element,
    dim: usize,
    count: u64,
    body_len: u64,
    body: impl FnOnce(&mut BodyWriter) -> std::io::Result<()>,
) -> Result<(), SearchError> {
    let tmp = temp_path(path);
    let result = write_tmp(&tmp, kind, element, dim, count, body_len, body).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    // Make the rename durable; not all platforms can fsync a directory, so best effort.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "index".into());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

fn write_tmp(
    tmp: &Path,
    kind: IndexKind,
    element: Element,
    dim: usize,
    count: u64,
    body_len: u64,
    body: impl FnOnce(&mut BodyWriter) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = File::create(tmp)?;
    let mut w = BodyWriter {
        out: BufWriter::with_capacity(1 << 20, file),
        hasher: crc32fast::Hasher::new(),
        written: 0,
        buf: Vec::with_capacity(CHUNK),
    };
    w.raw(&MAGIC)?;
    w.u32(VERSION)?;
    w.u32(kind.code())?;
    w.u32(element.code())?;
    w.u32(u32::try_from(dim).map_err(|_| std::io::Error::other("dimension exceeds u32"))?)?;
    w.u64(count)?;
    w.u64(body_len)?;
    body(&mut w)?;
    if w.written != HEADER_LEN + body_len {
        return Err(std::io::Error::other(format!(
            "internal error: index body is {} bytes, header says {body_len}",
            w.written - HEADER_LEN
        )));
    }
    let crc = w.hasher.clone().finalize();
    w.out.write_all(&crc.to_le_bytes())?;
    let file = w.out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// Reads a body in bounded chunks, hashing as it goes; never reads past the body.
pub(crate) struct BodyReader {
    input: BufReader<File>,
    hasher: crc32fast::Hasher,
    remaining: u64,
    path: PathBuf,
}

impl BodyReader {
    fn raw(&mut self, out: &mut [u8]) -> Result<(), SearchError> {
        if out.len() as u64 > self.remaining {
            return Err(corrupt(&self.path, "body shorter than its contents require"));
        }
        self.input.read_exact(out).map_err(|e| self.read_err(e))?;
        self.hasher.update(out);
        self.remaining -= out.len() as u64;
        Ok(())
    }

    fn read_err(&self, e: std::io::Error) -> SearchError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            corrupt(&self.path, "file is truncated")
        } else {
            io_err(&self.path, e)
        }
    }

    /// The file being read, for error messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn u32(&mut self) -> Result<u32, SearchError> {
        let mut b = [0u8; 4];
        self.raw(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn u64(&mut self) -> Result<u64, SearchError> {
        let mut b = [0u8; 8];
        self.raw(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn u8s(&mut self, n: u64) -> Result<Vec<u8>, SearchError> {
        self.vec(n, 1, |b| b[0])
    }

    pub fn u32s(&mut self, n: u64) -> Result<Vec<u32>, SearchError> {
        self.vec(n, 4, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64s(&mut self, n: u64) -> Result<Vec<u64>, SearchError> {
        self.vec(n, 8, |b| {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        })
    }

    pub fn f32s(&mut self, n: u64) -> Result<Vec<f32>, SearchError> {
        self.vec(n, 4, |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u16s(&mut self, n: u64) -> Result<Vec<u16>, SearchError> {
        self.vec(n, 2, |b| u16::from_le_bytes([b[0], b[1]]))
    }

    pub fn i8s(&mut self, n: u64) -> Result<Vec<i8>, SearchError> {
        self.vec(n, 1, |b| b[0] as i8)
    }

    /// Reads `n` items of `size` bytes; the length is checked against the remaining body
    /// before allocating, so a corrupt count cannot cause a huge allocation.
    fn vec<T>(&mut self, n: u64, size: usize, get: impl Fn(&[u8]) -> T) -> Result<Vec<T>, SearchError> {
        let bytes = n.checked_mul(size as u64).filter(|b| *b <= self.remaining);
        let Some(bytes) = bytes else {
            return Err(corrupt(&self.path, format!("section of {n} items does not fit in the file")));
        };
        let mut out = Vec::with_capacity(n as usize);
        let mut buf = vec![0u8; CHUNK - CHUNK % size];
        let mut left = bytes as usize;
        while left > 0 {
            let take = left.min(buf.len());
            self.raw(&mut buf[..take])?;
            out.extend(buf[..take].chunks_exact(size).map(&get));
            left -= take;
        }
        Ok(out)
    }

    /// Checks that the body was read entirely and that the checksum matches.
    pub fn finish(mut self) -> Result<(), SearchError> {
        if self.remaining != 0 {
            return Err(corrupt(&self.path, format!("{} unexpected bytes at the end of the body", self.remaining)));
        }
        let mut b = [0u8; 4];
        self.input.read_exact(&mut b).map_err(|e| self.read_err(e))?;
        let want = u32::from_le_bytes(b);
        let got = self.hasher.finalize();
        if want != got {
            return Err(corrupt(&self.path, format!("checksum mismatch (stored {want:08x}, computed {got:08x})")));
        }
        Ok(())
    }
}

/// Opens an index file and checks its header and length.
pub(crate) fn open(path: &Path) -> Result<(Header, BodyReader), SearchError> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    if len < HEADER_LEN + CHECKSUM_LEN {
        return Err(corrupt(path, format!("file is truncated: {len} bytes, shorter than the header")));
    }
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut head = [0u8; HEADER_LEN as usize];
    input.read_exact(&mut head).map_err(|e| io_err(path, e))?;
    let u32_at = |o: usize| u32::from_le_bytes([head[o], head[o + 1], head[o + 2], head[o + 3]]);
    let u64_at = |o: usize| u64::from(u32_at(o)) | (u64::from(u32_at(o + 4)) << 32);
    if head[..8] != MAGIC {
        return Err(corrupt(path, "not a papertide vector index (bad magic bytes)"));
    }
    let version = u32_at(8);
    if version != VERSION {
        return Err(corrupt(path, format!("unsupported format version {version} (this build reads {VERSION})")));
    }
    let kind = match u32_at(12) {
        1 => IndexKind::Exact,
        2 => IndexKind::Hnsw,
        k => return Err(corrupt(path, format!("unknown index kind {k}"))),
    };
    let elem = u32_at(16);
    let Some(element) = Element::from_code(elem) else {
        return Err(corrupt(path, format!("unknown element type {elem} (0 f32, 1 f16, 2 int8)")));
    };
    let dim = u32_at(20) as usize;
    super::check_dim(dim).map_err(|_| corrupt(path, format!("invalid dimension {dim}")))?;
    let (count, body_len) = (u64_at(24), u64_at(32));
    let want = HEADER_LEN.checked_add(body_len).and_then(|l| l.checked_add(CHECKSUM_LEN));
    if want != Some(len) {
        let what = if want.is_some_and(|w| w > len) { "truncated" } else { "of the wrong length" };
        return Err(corrupt(
            path,
            format!("file is {what}: {len} bytes, header says {}", body_len.saturating_add(HEADER_LEN + CHECKSUM_LEN)),
        ));
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&head);
    let reader = BodyReader { input, hasher, remaining: body_len, path: path.to_path_buf() };
    Ok((Header { kind, element, dim, count, body_len }, reader))
}
