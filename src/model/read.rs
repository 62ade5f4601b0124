//! Reading a file the user supplies or may have replaced, with a size limit.
//!
//! Every file cargo-operator reads (`PROJECT.toml`, a CRD passed with `--external-api-crd`, the
//! project's own files it inserts into, crdgen's output) could be anything: a 40 GiB log, a
//! folder, a named pipe that blocks forever, `/dev/zero`. So only regular files are read, and no
//! more than a generous limit for their kind; anything else is refused with one line.

use std::fs::{self, File, FileType};
use std::io::{ErrorKind, Read};
use std::path::Path;

use anyhow::{Result, bail};

/// What a kind of file is, for messages, with the most cargo-operator reads of it.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimit {
    /// The file's kind, after "reads at most 8 MiB from": "a CRD file".
    pub what: &'static str,
    pub max_bytes: u64,
    /// What the user can do instead, ending every refusal.
    pub advice: &'static str,
}

const MIB: u64 = 1024 * 1024;

/// `PROJECT.toml`: a few hundred lines even for a large project.
pub const PROJECT_FILE: ReadLimit = ReadLimit {
    what: "`PROJECT.toml`",
    max_bytes: MIB,
    advice: "restore the file `cargo operator init` wrote (from version control)",
};

/// A CRD passed with `--external-api-crd`: real ones reach 1 to 3 MiB.
pub const CRD_FILE: ReadLimit = ReadLimit {
    what: "a CRD file",
    max_bytes: 8 * MIB,
    advice: "pass the CRD's own YAML file",
};

/// What the project's crdgen prints with `--json`: every CRD, role and webhook configuration,
/// with the chart's copies.
pub const CRDGEN_OUTPUT: ReadLimit = ReadLimit {
    what: "crdgen's file list",
    max_bytes: 64 * MIB,
    advice: "check what `src/bin/crdgen.rs` prints",
};

/// A file in the project that a command reads to change or compare it (kustomizations,
/// `mod.rs`, the chart's values, the grafana config), or crdgen's list of generated files.
pub const PROJECT_SOURCE: ReadLimit = ReadLimit {
    what: "a file it generates or edits",
    max_bytes: 16 * MIB,
    advice: "move it out of the project, or restore the generated file",
};

/// Reads `path` as UTF-8 text within `limit`; `shown` names it in messages. `None` when there
/// is nothing at `path` (or a file stands where a folder of it should be: writing reports that).
pub fn read_text(path: &Path, shown: &str, limit: ReadLimit) -> Result<Option<String>> {
    // `metadata` follows links, like the read would; checked first because opening a named
    // pipe would block until someone writes to it.
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(None);
        }
        Err(err) => bail!("cannot read `{shown}`: {err}; {}", limit.advice),
    };
    if !metadata.is_file() {
        bail!(
            "`{shown}` is {}, not a file; {}",
            describe(metadata.file_type()),
            limit.advice
        );
    }
    if metadata.len() > limit.max_bytes {
        bail!("`{shown}` is {}; {}", size(metadata.len()), too_much(limit));
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) => bail!("cannot read `{shown}`: {err}; {}", limit.advice),
    };
    // The size above can be stale (a growing file) or zero (files under /proc), so the read
    // itself stops one byte past the limit.
    let mut bytes = Vec::new();
    if let Err(err) = file.take(limit.max_bytes + 1).read_to_end(&mut bytes) {
        bail!("cannot read `{shown}`: {err}; {}", limit.advice);
    }
    if bytes.len() as u64 > limit.max_bytes {
        bail!(
            "`{shown}` holds more than {}; {}",
            size(limit.max_bytes),
            too_much(limit)
        );
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(_) => bail!("`{shown}` is not UTF-8 text; {}", limit.advice),
    }
}

/// Reads at most `limit` from `output`, what the program `shown` prints.
pub fn read_output(output: impl Read, shown: &str, limit: ReadLimit) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Err(err) = output.take(limit.max_bytes + 1).read_to_end(&mut bytes) {
        bail!("cannot read what {shown} printed: {err}");
    }
    if bytes.len() as u64 > limit.max_bytes {
        bail!(
            "{shown} printed more than {}; {}",
            size(limit.max_bytes),
            too_much(limit)
        );
    }
    Ok(bytes)
}

fn too_much(limit: ReadLimit) -> String {
    format!(
        "cargo-operator reads at most {} from {}: {}",
        size(limit.max_bytes),
        limit.what,
        limit.advice
    )
}

/// What stands at a path that is not a regular file, as a user would say it.
fn describe(file_type: FileType) -> &'static str {
    if file_type.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// A size in the unit a person reads best: `40 MiB`, `512 KiB`, `12 bytes`.
fn size(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{} MiB", bytes.div_ceil(MIB))
    } else if bytes >= 1024 {
        format!("{} KiB", bytes.div_ceil(1024))
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: ReadLimit = ReadLimit {
        what: "a test file",
        max_bytes: 1024,
        advice: "pass a smaller one",
    };

    #[test]
    fn reads_a_small_file_and_nothing_for_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, "hello").unwrap();
        assert_eq!(
            read_text(&path, "a.txt", SMALL).unwrap().as_deref(),
            Some("hello")
        );
        assert!(
            read_text(&dir.path().join("none"), "none", SMALL)
                .unwrap()
                .is_none()
        );
        // A file where a folder should be: nothing there to read.
        assert!(
            read_text(&path.join("below"), "a.txt/below", SMALL)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn refuses_what_is_too_large_or_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.txt");
        fs::write(&big, vec![b'x'; 3000]).unwrap();
        let err = read_text(&big, "big.txt", SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`big.txt` is 3 KiB; cargo-operator reads at most 1 KiB from a test file: pass a smaller one"
        );
        let err = read_text(dir.path(), "dir", SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`dir` is a folder, not a file; pass a smaller one"
        );
        let binary = dir.path().join("binary");
        fs::write(&binary, [0xff, 0xfe]).unwrap();
        let err = read_text(&binary, "binary", SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`binary` is not UTF-8 text; pass a smaller one"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_pipes_without_reading_them() {
        let err = read_text(Path::new("/dev/zero"), "/dev/zero", SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`/dev/zero` is a device, not a file; pass a smaller one"
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_text(&fifo, "fifo", SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`fifo` is a named pipe, not a file; pass a smaller one"
        );
    }

    #[test]
    fn endless_output_is_cut_off() {
        let endless = std::io::repeat(b'x');
        let err = read_output(endless, "`yes`", SMALL).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`yes` printed more than 1 KiB; cargo-operator reads at most 1 KiB from a test file: pass a smaller one"
        );
        let bytes = read_output(&b"short"[..], "`echo`", SMALL).unwrap();
        assert_eq!(bytes, b"short");
    }

    #[test]
    fn sizes_read_like_a_person_says_them() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(1536), "2 KiB");
        assert_eq!(size(40 * MIB), "40 MiB");
    }
}
