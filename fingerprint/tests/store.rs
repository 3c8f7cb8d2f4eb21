//! Index persistence: reopen, remove, compact, crash safety (kill mid-add), corruption detection.

mod common;

use std::time::{Duration, Instant};

use common::*;
use quaver_core::Error;
use quaver_fingerprint::{
    query_peaks_from_pcm, track_print_from_pcm, FingerprintIndex, IndexOptions, QueryOptions,
};

const CHILD_ENV: &str = "QUAVER_FP_CRASH_CHILD_DIR";
const PER_BATCH: u64 = 3;

fn track(k: u64) -> Vec<f32> {
    synth_music(5000 + k, 12.0)
}

fn identify(idx: &FingerprintIndex, k: u64) -> Option<String> {
    let x = track(k);
    let q = &x[(4.0 * SR) as usize..(9.0 * SR) as usize];
    idx.query_peaks(&query_peaks_from_pcm(q), &QueryOptions::default())
        .first()
        .filter(|m| (m.offset_s - 4.0).abs() < 0.05)
        .map(|m| m.track.clone())
}

/// Child half of the crash test: adds batches forever (until killed).
#[test]
fn crash_child_entry() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // run normally: nothing to do
    };
    let mut idx = FingerprintIndex::open(&dir, &IndexOptions { shards: 2 }).unwrap();
    for b in 0..10_000u64 {
        let batch = (0..PER_BATCH)
            .map(|i| {
                let k = b * PER_BATCH + i;
                (format!("track-{k}"), track_print_from_pcm(&track(k)))
            })
            .collect();
        idx.add(batch).unwrap();
        println!("committed batch {b}");
    }
}

#[test]
fn killed_mid_add_leaves_a_consistent_index() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args([
            "--exact",
            "crash_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a few batches are committed, then kill at an arbitrary point.
    let t = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(20));
        let n = FingerprintIndex::open(dir.path(), &IndexOptions::default())
            .map(|i| i.stats().tracks)
            .unwrap_or(0);
        if n >= 3 * PER_BATCH || t.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(37));
    child.kill().unwrap();
    child.wait().unwrap();

    let mut idx = FingerprintIndex::open(dir.path(), &IndexOptions::default()).unwrap();
    let n = idx.stats().tracks;
    assert!(n >= 3 * PER_BATCH, "only {n} tracks committed");
    assert_eq!(n % PER_BATCH, 0, "a batch was half-committed: {n} tracks");
    for k in 0..n {
        assert!(idx.contains(&format!("track-{k}")), "track-{k} missing");
        assert_eq!(
            identify(&idx, k).as_deref(),
            Some(format!("track-{k}").as_str())
        );
    }
    // The index is still writable; orphans of the killed add are cleaned up.
    idx.add(vec![("extra".into(), track_print_from_pcm(&track(999)))])
        .unwrap();
    assert_eq!(idx.stats().tracks, n + 1);
    let orphans: usize = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .count();
    assert_eq!(orphans, 0);
}

#[test]
fn add_remove_replace_compact_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut idx = FingerprintIndex::open(dir.path(), &IndexOptions { shards: 3 }).unwrap();
        idx.add(
            (0..4)
                .map(|k| (format!("t{k}"), track_print_from_pcm(&track(k))))
                .collect(),
        )
        .unwrap();
        idx.add(vec![("t4".into(), track_print_from_pcm(&track(4)))])
            .unwrap();
        assert_eq!(idx.remove(&["t1", "nope"]).unwrap(), 1);
        assert_eq!(identify(&idx, 1), None, "removed track still matches");
        // Re-adding an id replaces it: "t0" now holds track 7's audio.
        idx.add(vec![("t0".into(), track_print_from_pcm(&track(7)))])
            .unwrap();
        assert_eq!(identify(&idx, 0), None);
        assert_eq!(identify(&idx, 7).as_deref(), Some("t0"));
    }
    let mut idx = FingerprintIndex::open(dir.path(), &IndexOptions::default()).unwrap();
    assert_eq!(idx.stats().shards, 3, "shard count is fixed at creation");
    assert_eq!(idx.stats().tracks, 4);
    let before = idx.stats();
    let fine: Vec<Vec<u16>> = ["t0", "t2", "t3", "t4"]
        .iter()
        .map(|id| idx.fine_print(id).unwrap())
        .collect();
    // a 12 s track: one code per 64 ms
    assert!(
        fine.iter().all(|f| f.len() >= 180),
        "{:?}",
        fine.iter().map(Vec::len).collect::<Vec<_>>()
    );
    assert_eq!(fine[1], track_print_from_pcm(&track(2)).fine);
    idx.compact().unwrap();
    let after = idx.stats();
    for (id, f) in ["t0", "t2", "t3", "t4"].iter().zip(&fine) {
        assert_eq!(
            idx.fine_print(id).as_ref(),
            Some(f),
            "{id}: fine print lost in compaction"
        );
    }
    assert_eq!(idx.fine_print("t1"), None);
    assert!(after.segments <= 3 && after.postings < before.postings);
    for (k, id) in [(2, "t2"), (3, "t3"), (4, "t4"), (7, "t0")] {
        assert_eq!(identify(&idx, k).as_deref(), Some(id));
    }
    assert_eq!(identify(&idx, 1), None);
}

#[test]
fn corrupted_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let mut idx = FingerprintIndex::open(dir.path(), &IndexOptions { shards: 1 }).unwrap();
    idx.add(vec![("a".into(), track_print_from_pcm(&track(1)))])
        .unwrap();
    drop(idx);
    let seg = std::fs::read_dir(dir.path().join("shard-000"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "qfp"))
        .unwrap();
    let good = std::fs::read(&seg).unwrap();
    let corrupt = |bytes: &[u8]| {
        std::fs::write(&seg, bytes).unwrap();
        FingerprintIndex::open(dir.path(), &IndexOptions::default())
    };
    // A flipped bit in the postings, a truncation, a bad magic: all typed Corrupt errors.
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    for (what, bytes) in [
        ("bit flip", flipped),
        ("truncated", good[..good.len() - 7].to_vec()),
        ("bad magic", [b"XXXX".as_slice(), &good[4..]].concat()),
        ("empty", Vec::new()),
    ] {
        match corrupt(&bytes) {
            Err(Error::Corrupt { reason, .. }) => eprintln!("{what}: {reason}"),
            other => panic!("{what}: expected Corrupt, got {other:?}"),
        }
    }
    std::fs::write(&seg, &good).unwrap();
    assert!(FingerprintIndex::open(dir.path(), &IndexOptions::default()).is_ok());
    // A damaged manifest.
    let m = dir.path().join("MANIFEST.json");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, &text[..text.len() / 2]).unwrap();
    assert!(matches!(
        FingerprintIndex::open(dir.path(), &IndexOptions::default()),
        Err(Error::Corrupt { .. })
    ));
    std::fs::write(&m, text.replace(".qfp", ".qfx")).unwrap();
    assert!(matches!(
        FingerprintIndex::open(dir.path(), &IndexOptions::default()),
        Err(Error::Io { .. })
    ));
}
