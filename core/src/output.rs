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

/// The suffix of a replaced output tree set aside by [`replace_dir`]'s fallback path.
const ASIDE_SUFFIX: &str = ".old";

/// Replace the directory `dst` by the directory `staged`, a sibling of `dst` whose name is
/// unique to this process (it is deleted or set aside under `staged` + `.old`).
///
/// On Linux and Android the two are swapped by one `renameat2(RENAME_EXCHANGE)`: at every
/// instant `dst` is the complete old tree or the complete new one, never missing. The old tree,
/// now under `staged`'s name, is deleted afterwards; a process killed before that leaves it
/// there for [`clear_stale_staging`]. Elsewhere (or on a filesystem without the exchange) the
/// old tree is renamed aside first, then `staged` in; a process killed between the two leaves
/// `dst` missing and the old tree aside, and [`clear_stale_staging`] puts it back.
pub fn replace_dir(staged: &Path, dst: &Path) -> Result<()> {
    if !dst.exists() {
        std::fs::rename(staged, dst).map_err(|e| Error::io(dst, e))?;
    } else if exchange(staged, dst) {
        // `staged` now names the previous tree.
        let _ = std::fs::remove_dir_all(staged);
    } else {
        let aside = aside_path(staged);
        std::fs::rename(dst, &aside).map_err(|e| Error::io(dst, e))?;
        std::fs::rename(staged, dst).map_err(|e| Error::io(dst, e))?;
        let _ = std::fs::remove_dir_all(&aside);
    }
    if let Ok(f) = File::open(dst.parent().unwrap_or(Path::new("."))) {
        let _ = f.sync_all();
    }
    Ok(())
}

fn aside_path(staged: &Path) -> PathBuf {
    let mut name = staged.as_os_str().to_owned();
    name.push(ASIDE_SUFFIX);
    PathBuf::from(name)
}

/// Atomically swap two existing paths; false when the platform or filesystem cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> bool {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).is_ok()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
}

/// Clean up after processes killed mid-write: in `parent`, entries named `{prefix}{pid}…` whose
/// process no longer runs are deleted — except a previous output set aside by
/// [`replace_dir`]'s fallback while `dst` is missing, which is moved back to `dst`.
pub fn clear_stale_staging(parent: &Path, prefix: &str, dst: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut stale: Vec<PathBuf> = Vec::new();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(prefix) else {
            continue;
        };
        let pid = rest.split(['-', '.']).next().unwrap_or("");
        if pid.parse::<u32>().is_ok_and(|p| !process_alive(p)) {
            stale.push(e.path());
        }
    }
    for path in stale {
        let aside = path.to_string_lossy().ends_with(ASIDE_SUFFIX);
        if aside && !dst.exists() && std::fs::rename(&path, dst).is_ok() {
            continue;
        }
        let _ = std::fs::remove_dir_all(&path);
    }
}

fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(any(target_os = "linux", target_os = "android")) {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true // without a portable check, keep it (only costs disk space)
    }
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

    fn tree(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// No process has this pid (Linux caps pids at 2^22).
    const DEAD_PID: u32 = 4_000_000_000;

    #[test]
    fn replace_dir_swaps_in_the_new_tree_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("out");
        for (round, text) in ["first", "second"].into_iter().enumerate() {
            let staged = dir
                .path()
                .join(format!(".out.tmp-{}-{round}", std::process::id()));
            std::fs::create_dir(&staged).unwrap();
            std::fs::write(staged.join("a.txt"), text).unwrap();
            replace_dir(&staged, &dst).unwrap();
            assert_eq!(std::fs::read_to_string(dst.join("a.txt")).unwrap(), text);
            assert_eq!(tree(dir.path()), ["out"]);
        }
    }

    #[test]
    fn a_tree_set_aside_by_a_killed_process_goes_back_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("out");
        // Killed between the fallback's two renames: `out` is missing, the old tree aside,
        // and the half-written staging directory beside it.
        let aside = dir.path().join(format!(".out.tmp-{DEAD_PID}-0.old"));
        std::fs::create_dir(&aside).unwrap();
        std::fs::write(aside.join("a.txt"), "previous").unwrap();
        let partial = dir.path().join(format!(".out.tmp-{DEAD_PID}-0"));
        std::fs::create_dir(&partial).unwrap();
        // Another live writer's staging directory is left alone.
        let live = dir
            .path()
            .join(format!(".out.tmp-{}-7", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        clear_stale_staging(dir.path(), ".out.tmp-", &dst);
        assert_eq!(
            std::fs::read_to_string(dst.join("a.txt")).unwrap(),
            "previous"
        );
        let mut want = vec![live.file_name().unwrap().to_string_lossy().into_owned()];
        want.push("out".into());
        assert_eq!(tree(dir.path()), want);
    }

    #[test]
    fn stale_leftovers_are_deleted_when_the_output_is_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("out");
        std::fs::create_dir(&dst).unwrap();
        std::fs::write(dst.join("a.txt"), "current").unwrap();
        // The exchange path killed before deleting the previous tree, and a fallback aside.
        for name in [
            format!(".out.tmp-{DEAD_PID}-3"),
            format!(".out.tmp-{DEAD_PID}-4.old"),
        ] {
            std::fs::create_dir(dir.path().join(&name)).unwrap();
            std::fs::write(dir.path().join(name).join("a.txt"), "old").unwrap();
        }
        clear_stale_staging(dir.path(), ".out.tmp-", &dst);
        assert_eq!(
            std::fs::read_to_string(dst.join("a.txt")).unwrap(),
            "current"
        );
        assert_eq!(tree(dir.path()), ["out"]);
    }
}
