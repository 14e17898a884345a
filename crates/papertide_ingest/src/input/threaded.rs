//! Decompression on its own thread: a compressed file is inflated by a background thread and
//! handed over in chunks through a bounded channel, so that decompressing, parsing and
//! writing to the store run on different cores. Memory stays bounded by the channel.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::sync::mpsc::{sync_channel, Receiver};

use super::{Counting, Progress, GZIP_MAGIC, XZ_MAGIC};

/// Size of the chunks handed from the decompressing thread to the reader.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks in flight between the threads.
const CHUNKS_IN_FLIGHT: usize = 8;

/// If `file` starts with gzip or xz magic, returns a reader of its inflated bytes fed by a
/// background thread (counting the compressed bytes read into `progress`); otherwise `None`,
/// with the file rewound.
pub(super) fn inflate_in_background(mut file: File, progress: &Progress) -> io::Result<Result<ChannelReader, File>> {
    let mut magic = [0u8; 6];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    let head = &magic[..got];
    let gzip = head.starts_with(GZIP_MAGIC);
    if !gzip && !head.starts_with(XZ_MAGIC) {
        return Ok(Err(file));
    }
    let counting = BufReader::with_capacity(CHUNK_BYTES, Counting { inner: file, read: progress.read.clone() });
    let mut decoder: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(counting))
    } else {
        Box::new(xz2::bufread::XzDecoder::new_multi_decoder(counting))
    };
    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
    std::thread::Builder::new().name("papertide-inflate".into()).spawn(move || loop {
        let mut chunk = vec![0u8; CHUNK_BYTES];
        match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                chunk.truncate(n);
                if tx.send(Ok(chunk)).is_err() {
                    break; // the reader was dropped
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Err(e));
                break;
            }
        }
    })?;
    Ok(Ok(ChannelReader { rx, chunk: Vec::new(), pos: 0 }))
}

/// Reads the chunks the background thread sends, in order.
pub(super) struct ChannelReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0), // the thread finished: end of stream
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
