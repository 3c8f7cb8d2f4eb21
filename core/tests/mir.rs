//! Behaviour of the tempo, key and feature analysers on synthetic signals with known answers.

use quaver_core::mir::{analyze_mono, similarity, MusicAnalysis, MusicOptions, ANALYSIS_RATE};

const SR: f64 = ANALYSIS_RATE as f64;

/// A drum-like click: 1.5 kHz + noise burst with a 15 ms exponential decay.
fn click_track(bpm: f64, seconds: f64, first: f64) -> (Vec<f32>, Vec<f64>) {
    let n = (seconds * SR) as usize;
    let mut x = vec![0f32; n];
    let mut beats = Vec::new();
    let mut t = first;
    let mut seed = 12345u32;
    while t < seconds - 0.1 {
        beats.push(t);
        let start = (t * SR).round() as usize;
        for i in 0..(0.08 * SR) as usize {
            if start + i >= n {
                break;
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
            let tt = i as f64 / SR;
            let env = (-tt / 0.015).exp() as f32;
            let tone = (std::f64::consts::TAU * 1500.0 * tt).sin() as f32;
            x[start + i] += 0.5 * env * (0.6 * tone + 0.4 * noise);
        }
        t += 60.0 / bpm;
    }
    (x, beats)
}

/// Additive "piano": each note has 6 harmonics with 1/h amplitudes and a decay.
fn chord_progression(
    tonic_midi: f64,
    minor: bool,
    seconds_per_chord: f64,
    detune_cents: f64,
) -> Vec<f32> {
    // I IV V I (major) / i iv V i (minor), with the bass on the root.
    let third = if minor { 3.0 } else { 4.0 };
    let chords: [[f64; 4]; 4] = [
        [0.0, third, 7.0, -12.0],
        [5.0, 5.0 + if minor { 3.0 } else { 4.0 }, 12.0, -7.0],
        [7.0, 11.0, 14.0, -5.0],
        [0.0, third, 7.0, -12.0],
    ];
    let n_chord = (seconds_per_chord * SR) as usize;
    let mut x = Vec::with_capacity(n_chord * 8);
    for rep in 0..2 {
        for (ci, chord) in chords.iter().enumerate() {
            let _ = (rep, ci);
            for i in 0..n_chord {
                let t = i as f64 / SR;
                let mut v = 0.0;
                for &iv in chord {
                    let midi = tonic_midi + iv + detune_cents / 100.0;
                    let f0 = 440.0 * 2f64.powf((midi - 69.0) / 12.0);
                    for h in 1..=6 {
                        let f = f0 * h as f64;
                        if f < SR / 2.0 {
                            v += (std::f64::consts::TAU * f * t).sin() / h as f64;
                        }
                    }
                }
                let env = (-t / 1.5).exp() * (1.0 - (-t / 0.005).exp());
                x.push((0.08 * v * env) as f32);
            }
        }
    }
    x
}

fn assert_finite(a: &MusicAnalysis) {
    let json = serde_json::to_string(a).unwrap();
    assert!(
        !json.contains("NaN") && !json.contains("inf") && !json.contains("null,\"bpm\""),
        "{json}"
    );
    if let Some(f) = &a.features {
        assert!(f.values.iter().all(|v| v.is_finite()));
        assert_eq!(f.names.len(), f.values.len());
    }
    if let Some(t) = &a.tempo {
        assert!(t.bpm.is_finite() && (0.0..=1.0).contains(&t.confidence));
        assert!((0.0..=1.0).contains(&t.alternative.confidence));
        assert!(t.beats.iter().all(|b| b.is_finite()));
    }
    if let Some(k) = &a.key {
        assert!((0.0..=1.0).contains(&k.confidence) && k.tuning_cents.is_finite());
    }
}

#[test]
fn click_track_120_bpm_is_exact() {
    let (x, truth) = click_track(120.0, 30.0, 0.5);
    let a = analyze_mono(&x, &MusicOptions::default());
    assert_finite(&a);
    let t = a.tempo.unwrap();
    assert!((t.bpm - 120.0).abs() <= 0.05, "bpm {}", t.bpm);
    assert!(t.steady);
    // The alternative is the other octave.
    assert!(
        (t.alternative.bpm - 60.0).abs() < 1.0
            || (t.alternative.bpm - 240.0).abs() < 2.0
            || t.alternative.bpm == 0.0
    );
    assert!(t.beats.len() >= truth.len() - 2, "{} beats", t.beats.len());
    let mut worst: f64 = 0.0;
    let mut signed = Vec::new();
    for b in &t.beats {
        let r = truth
            .iter()
            .min_by(|x, y| (*x - b).abs().total_cmp(&(*y - b).abs()))
            .unwrap();
        signed.push(((b - r) * 1e4).round() / 1e4);
        worst = worst.max((b - r).abs());
    }
    assert!(worst <= 0.005, "worst beat error {worst:.4} s: {signed:?}");
}

#[test]
fn click_tracks_at_other_tempi() {
    for bpm in [72.0, 96.5, 140.0, 174.0] {
        let (x, _) = click_track(bpm, 20.0, 0.3);
        let t = analyze_mono(&x, &MusicOptions::default()).tempo.unwrap();
        let ok = [1.0, 0.5, 2.0]
            .iter()
            .any(|f| (t.bpm * f - bpm).abs() <= 0.02 * bpm);
        assert!(ok, "{bpm}: got {}", t.bpm);
    }
}

#[test]
fn bpm_range_prior_is_respected() {
    let (x, _) = click_track(120.0, 20.0, 0.3);
    let options = MusicOptions {
        tempo_range: quaver_core::mir::TempoOptions {
            min_bpm: 150.0,
            max_bpm: 300.0,
        },
        ..Default::default()
    };
    let t = analyze_mono(&x, &options).tempo.unwrap();
    assert!((t.bpm - 240.0).abs() < 1.0, "got {}", t.bpm);
}

#[test]
fn key_follows_transposition() {
    let base = chord_progression(60.0, false, 1.5, 0.0);
    let k0 = analyze_mono(&base, &MusicOptions::default()).key.unwrap();
    assert_eq!(k0.label, "C major");
    assert_eq!(k0.camelot.as_deref(), Some("8B"));
    for shift in [2i32, 5, 7, 9] {
        let x = chord_progression(60.0 + f64::from(shift), false, 1.5, 0.0);
        let k = analyze_mono(&x, &MusicOptions::default()).key.unwrap();
        let want = quaver_core::mir::key::PITCH_NAMES[shift as usize % 12];
        assert_eq!(k.tonic.as_deref(), Some(want), "shift {shift}: {}", k.label);
        assert_eq!(k.mode, "major");
    }
    for (tonic, name) in [(57.0, "A minor"), (62.0, "D minor"), (64.0, "E minor")] {
        let x = chord_progression(tonic, true, 1.5, 0.0);
        let k = analyze_mono(&x, &MusicOptions::default()).key.unwrap();
        assert_eq!(k.label, name);
    }
}

#[test]
fn tuning_offset_is_measured_and_ignored() {
    let x = chord_progression(62.0, false, 1.5, 30.0);
    let k = analyze_mono(&x, &MusicOptions::default()).key.unwrap();
    assert!(
        (k.tuning_cents - 30.0).abs() <= 3.0,
        "tuning {}",
        k.tuning_cents
    );
    assert_eq!(k.label, "D major");
    let x = chord_progression(62.0, false, 1.5, -20.0);
    let k = analyze_mono(&x, &MusicOptions::default()).key.unwrap();
    assert!(
        (k.tuning_cents + 20.0).abs() <= 3.0,
        "tuning {}",
        k.tuning_cents
    );
    assert_eq!(k.label, "D major");
}

#[test]
fn silence_gives_unknown_key_and_no_tempo() {
    let a = analyze_mono(
        &vec![0f32; 10 * ANALYSIS_RATE as usize],
        &MusicOptions::default(),
    );
    assert_finite(&a);
    let k = a.key.unwrap();
    assert_eq!(k.mode, "unknown");
    assert!(k.tonic.is_none());
    let t = a.tempo.unwrap();
    assert_eq!(t.bpm, 0.0);
    assert!(t.beats.is_empty());
    assert!(a.features.unwrap().values.iter().all(|v| *v == 0.0));
}

#[test]
fn noise_has_no_key() {
    let mut seed = 7u32;
    let x: Vec<f32> = (0..10 * ANALYSIS_RATE as usize)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0) * 0.3
        })
        .collect();
    let a = analyze_mono(&x, &MusicOptions::default());
    assert_finite(&a);
    let k = a.key.unwrap();
    assert!(
        k.mode == "unknown" || k.confidence < 0.3,
        "{} {}",
        k.label,
        k.confidence
    );
}

#[test]
fn short_and_empty_inputs_are_graceful() {
    for secs in [0.0f64, 0.05, 1.0, 3.0, 7.5] {
        let (x, _) = click_track(120.0, secs.max(0.0), 0.1);
        let a = analyze_mono(&x, &MusicOptions::default());
        assert_finite(&a);
        let t = a.tempo.unwrap();
        if secs < 8.0 {
            assert!(t.confidence < 1.0);
        }
    }
    let a = analyze_mono(&[], &MusicOptions::default());
    assert_finite(&a);
    // Non-finite samples are treated as silence.
    let a = analyze_mono(&[f32::NAN; 30_000], &MusicOptions::default());
    assert_finite(&a);
}

#[test]
fn features_are_named_versioned_and_comparable() {
    let (clicks, _) = click_track(120.0, 10.0, 0.2);
    let chords = chord_progression(60.0, false, 1.0, 0.0);
    let fa = analyze_mono(&clicks, &MusicOptions::default())
        .features
        .unwrap();
    let fb = analyze_mono(&chords, &MusicOptions::default())
        .features
        .unwrap();
    assert_eq!(fa.version, quaver_core::mir::FEATURES_VERSION);
    assert_eq!(fa.names, fb.names);
    assert_eq!(
        fa.values.len(),
        quaver_core::mir::features::feature_names().len()
    );
    assert!((similarity(&fa, &fa) - 1.0).abs() < 1e-12);
    let sab = similarity(&fa, &fb);
    assert!((0.0..0.9).contains(&sab), "{sab}");
    // Streaming in odd chunk sizes gives the same vector.
    let mut m = quaver_core::mir::MusicAnalyzer::new(&MusicOptions::default());
    for c in chords.chunks(777) {
        m.push(c);
    }
    assert_eq!(m.finish().features.unwrap(), fb);
}
