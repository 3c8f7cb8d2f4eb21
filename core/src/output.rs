//! Outputs appear atomically: written to a temporary sibling, synced, then renamed into place,
//! so a crash never leaves a half-written file under the final name.
//!
//! A target that already exists and is not a regular file — `/dev/null`, `/dev/stdout`, a FIFO
//! — is never renamed over (that would replace the device node with a plain file): the output
//! is built in a temporary file in the system temp directory (writers seek back to patch
//! headers, which a pipe cannot) and copied into the target on commit.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written under a temporary name; [`AtomicFile::commit`] renames it into place.
/// Dropped without commit, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: Option<tempfile::NamedTempFile>,
    target: PathBuf,
    /// The target exists and is a device, FIFO or socket: copy into it, never rename over it.
    special: bool,
}

/// Does `path` exist as something other than a regular file or a directory?
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

impl AtomicFile {
    /// Start writing `target` (its directory must exist).
    pub fn create(target: impl AsRef<Path>) -> Result<Self> {
        let target = target.as_ref().to_path_buf();
        let special = is_special(&target);
        let dir = match target.parent() {
            _ if special => std::env::temp_dir(),
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".part")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        // The temporary file is created private (0600); a finished output is an ordinary file
        // (0644), readable by the web server that serves it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| Error::io(&target, e))?;
        }
        Ok(AtomicFile {
            tmp: Some(tmp),
            target,
            special,
        })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_mut().expect("not committed").as_file_mut()
    }

    /// A buffered writer over the temporary file.
    pub fn writer(&mut self) -> BufWriter<&mut File> {
        BufWriter::with_capacity(1 << 16, self.file())
    }

    /// Sync and rename into place (or, for a device / FIFO target, copy into it).
    pub fn commit(mut self) -> Result<PathBuf> {
        let mut tmp = self.tmp.take().expect("not committed");
        if self.special {
            use std::io::{Seek, SeekFrom};
            let src = tmp.as_file_mut();
            src.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io(&self.target, e))?;
            let mut dst = std::fs::OpenOptions::new()
                .write(true)
                .open(&self.target)
                .map_err(|e| Error::io(&self.target, e))?;
            std::io::copy(src, &mut dst).map_err(|e| Error::io(&self.target, e))?;
            dst.flush().map_err(|e| Error::io(&self.target, e))?;
            return Ok(self.target.clone());
        }
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(&self.target, e))?;
        tmp.persist(&self.target)
            .map_err(|e| Error::io(&self.target, e.error))?;
        Ok(self.target.clone())
    }
}

/// Write `bytes` to `path` atomically.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path.as_ref())?;
    f.file()
        .write_all(bytes)
        .map_err(|e| Error::io(path.as_ref(), e))?;
    f.commit()?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    // The same path as `-o /dev/null` (a device is tested through a FIFO: a regression here
    // must not be able to replace the test machine's /dev/null).
    #[test]
    fn a_fifo_target_receives_the_bytes_and_stays_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo unavailable: skipped");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = AtomicFile::create(&fifo).unwrap();
        f.file().write_all(&payload).unwrap();
        f.commit().unwrap();
        assert_eq!(reader.join().unwrap(), payload);
        let meta = std::fs::symlink_metadata(&fifo).unwrap();
        assert!(
            meta.file_type().is_fifo(),
            "the FIFO was replaced: {meta:?}"
        );
        // Nothing was left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_regular_target_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        std::fs::write(&path, b"old contents, longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
