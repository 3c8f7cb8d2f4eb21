//! Chromaprint compatibility with `fpcalc` (Debian libchromaprint-tools), when installed.

use std::path::PathBuf;
use std::process::Command;

fn fpcalc_raw(path: &PathBuf) -> Option<Vec<u32>> {
    let out = Command::new("fpcalc").arg("-raw").arg(path).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("FINGERPRINT="))?;
    Some(line.split(',').filter_map(|v| v.parse().ok()).collect())
}

#[test]
fn matches_fpcalc_within_a_fraction_of_a_bit() {
    let mut files =
        vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/flac_s16.flac")];
    let clip = PathBuf::from("/work/shared/corpus/clips/supertux__shallow_green_30s.flac");
    if clip.exists() {
        files.push(clip);
    }
    for f in files {
        let Some(want) = fpcalc_raw(&f) else {
            eprintln!("note: fpcalc not installed; skipping the comparison");
            return;
        };
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
