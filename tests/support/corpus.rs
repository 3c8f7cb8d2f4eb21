//! The real-music clips every crate's test suites share, included by path
//! (`#[path = "…/tests/support/corpus.rs"] mod corpus;`) so the rule lives in one place.

use std::path::{Path, PathBuf};

/// The 30 s real-music clips (FLAC) that `scripts/corpus/clips.py` cuts from Debian packages:
/// `$QUAVER_CORPUS_CLIPS` if set, else `<workspace>/target/corpus/clips`. Panics when missing
/// or empty: the real-music checks never skip.
pub fn corpus_clips() -> Vec<PathBuf> {
    let dir = std::env::var_os("QUAVER_CORPUS_CLIPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/corpus/clips"));
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "flac"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    assert!(
        !v.is_empty(),
        "real-music clips missing at {}: run ./scripts/setup.sh (or scripts/corpus/clips.py)",
        dir.display()
    );
    v
}

/// The workspace root: the nearest directory above the crate that holds `Cargo.lock`.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(manifest)
        .to_path_buf()
}
