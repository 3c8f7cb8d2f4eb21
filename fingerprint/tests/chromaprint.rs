//! Chromaprint compatibility with `fpcalc` (Debian libchromaprint-tools, installed by
//! scripts/setup.sh) on the 4 s fixture and on real-music clips (scripts/corpus/clips.py).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn fpcalc_raw(path: &Path) -> Vec<u32> {
    let out = Command::new("fpcalc")
        .arg("-raw")
        .arg(path)
        .output()
        .expect("fpcalc must be installed (scripts/setup.sh installs libchromaprint-tools)");
    // fpcalc 1.5 exits non-zero on FLAC ("Error decoding audio frame (End of file)") after
    // printing the whole fingerprint: the printed fingerprint is what counts.
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("FINGERPRINT="))
        .unwrap_or_else(|| {
            panic!(
                "fpcalc printed no fingerprint for {}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            )
        });
    line.split(',').filter_map(|v| v.parse().ok()).collect()
}

#[test]
fn matches_fpcalc_within_a_fraction_of_a_bit() {
    let mut files =
        vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/flac_s16.flac")];
    files.extend(common::corpus_clips());
    for f in files {
        let want = fpcalc_raw(&f);
        let got = quaver_fingerprint::chromaprint(f.as_path(), 120.0).unwrap();
        assert!(!got.fingerprint.is_empty() && got.fingerprint.starts_with("AQAA"));
        assert_eq!(got.raw.len(), want.len(), "{}: item count", f.display());
        let bits: u32 = got
            .raw
            .iter()
            .zip(&want)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        let mean = bits as f64 / want.len().max(1) as f64;
        eprintln!(
            "{}: {} items, mean {mean:.2} differing bits of 32",
            f.display(),
            want.len()
        );
        // AcoustID accepts a segment below ~10 differing bits per item; resampler differences
        // (ffmpeg's vs rubato) account for a fraction of a bit.
        assert!(mean < 1.0, "{}: mean bit difference {mean}", f.display());
    }
}
