//! A corrupted fingerprint index must be detected, not trusted: open a small valid index whose
//! manifest or segment file has been overwritten by fuzz bytes, then query it. Ok or a typed
//! error; never a panic, an out-of-bounds read or a huge allocation.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quaver_fingerprint::{FingerprintIndex, IndexOptions, QueryOptions};

/// A valid two-track index, built once; each run copies it and corrupts one file.
fn template() -> &'static (tempfile::TempDir, Vec<quaver_fingerprint::Peak>) {
    static T: OnceLock<(tempfile::TempDir, Vec<quaver_fingerprint::Peak>)> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = FingerprintIndex::open(dir.path(), &IndexOptions { shards: 2 }).unwrap();
        let tone = |f: f32| -> Vec<f32> {
            (0..8000 * 6)
                .map(|i| {
                    let t = i as f32 / 8000.0;
                    (t * f * std::f32::consts::TAU * (1.0 + (t * 3.0).sin() * 0.2)).sin() * 0.5
                })
                .collect()
        };
        let a = tone(440.0);
        let b = tone(700.0);
        idx.add(vec![
            ("a".into(), quaver_fingerprint::track_print_from_pcm(&a)),
            ("b".into(), quaver_fingerprint::track_print_from_pcm(&b)),
        ])
        .unwrap();
        let q = quaver_fingerprint::query_peaks_from_pcm(&a[8000..8000 * 4]);
        (dir, q)
    })
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let (tpl, query) = template();
    let dir = tempfile::tempdir().unwrap();
    let mut list = Vec::new();
    files(tpl.path(), &mut list);
    list.sort();
    for src in &list {
        let rel = src.strip_prefix(tpl.path()).unwrap();
        let dst = dir.path().join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(src, &dst).unwrap();
    }
    let victim = dir.path().join(list[pick as usize % list.len()].strip_prefix(tpl.path()).unwrap());
    // Half the time splice the bytes into the file (keeps most structure), else replace it.
    let mut bytes = std::fs::read(&victim).unwrap();
    if pick & 0x80 != 0 && !bytes.is_empty() {
        let at = (body.len() * 7919) % bytes.len();
        let end = (at + body.len()).min(bytes.len());
        bytes[at..end].copy_from_slice(&body[..end - at]);
    } else {
        bytes = body.to_vec();
    }
    std::fs::write(&victim, &bytes).unwrap();
    if let Ok(idx) = FingerprintIndex::open(dir.path(), &IndexOptions { shards: 2 }) {
        let _ = idx.query_peaks(query, &QueryOptions::default());
        let _ = idx.stats();
    }
});
