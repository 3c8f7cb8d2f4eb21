//! Tempo and key accuracy on a small committed subset of the labelled corpus
//! (`tests/data/mir/subset/`, ten 15 s Opus excerpts; see its README). These are the cases
//! where the metrical level is hard (double-time, half-time, one-drop, drumless), so the test
//! guards the half/double choice, not just the periodicity.

use quaver_core::mir::{analyze_mono, MusicOptions, ANALYSIS_RATE};
use quaver_core::{ConvertOptions, ConvertingDecoder, DecodeOptions, Quality};

fn analyze(path: &str) -> quaver_core::mir::MusicAnalysis {
    let pcm = ConvertingDecoder::open(
        path,
        &DecodeOptions::default(),
        &ConvertOptions {
            sample_rate: Some(ANALYSIS_RATE),
            mono: true,
            quality: Quality::Fast,
        },
    )
    .and_then(|d| d.read_all())
    .unwrap();
    let options = MusicOptions {
        features: false,
        ..Default::default()
    };
    analyze_mono(&pcm.channels[0], &options)
}

#[test]
fn subset_tempo_and_key() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mir/subset");
    let labels = std::fs::read_to_string(format!("{dir}/labels.csv")).unwrap();
    let (mut n, mut tempo_ok, mut key_ok) = (0, 0, 0);
    let mut report = Vec::new();
    for line in labels.lines().skip(1) {
        let f: Vec<&str> = line.splitn(4, ',').collect();
        let (id, bpm, key) = (f[0], f[1].parse::<f64>().unwrap(), f[2]);
        let a = analyze(&format!("{dir}/{id}.opus"));
        let t = a.tempo.unwrap();
        let k = a.key.unwrap();
        assert!(t.bpm.is_finite() && (0.0..=1.0).contains(&t.confidence));
        let t_ok = (t.bpm - bpm).abs() <= 0.04 * bpm;
        let k_ok = k.label == key;
        n += 1;
        tempo_ok += usize::from(t_ok);
        key_ok += usize::from(k_ok);
        report.push(format!(
            "{id}: {} (want {bpm}) alt {} ({:.2}); {} (want {key})",
            t.bpm, t.alternative.bpm, t.alternative.confidence, k.label
        ));
    }
    let report = report.join("\n");
    // All ten at the labelled metrical level (an octave error is the failure this guards).
    assert!(tempo_ok >= 10, "tempo {tempo_ok}/{n}:\n{report}");
    assert!(key_ok >= 9, "key {key_ok}/{n}:\n{report}");
}
