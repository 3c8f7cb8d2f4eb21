//! Frame-level features against librosa as the oracle, at identical framing (2048-point Hann,
//! hop 512, centred). The references in `tests/data/mir/librosa_ref.json` were computed with
//! librosa (`tests/data/mir/gen_librosa_ref.py` regenerates them; committed because installing
//! librosa takes minutes and these tests must stay offline and fast).

use quaver_core::mir::frame_matrices;

const SR: u32 = 22_050;

/// The same signal as `signal()` in gen_librosa_ref.py.
fn test_signal() -> Vec<f32> {
    let n = 2 * SR as usize;
    let sr = f64::from(SR);
    let mut seed: u64 = 12345;
    (0..n)
        .map(|i| {
            let t = i as f64 / sr;
            seed = (seed * 1_664_525 + 1_013_904_223) % (1 << 32);
            let noise = (seed >> 8) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0;
            let glide = 300.0 + 400.0 * t;
            let tau = std::f64::consts::TAU;
            (0.3 * (tau * 220.0 * t).sin()
                + 0.2 * (tau * 330.5 * t).sin() * (i as f64 / n as f64)
                + 0.1 * (tau * (glide * t)).sin()
                + 0.05 * noise) as f32
        })
        .collect()
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/mir/librosa_ref.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn vec1(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn vec2(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(vec1).collect()
}

/// ‖a − b‖ / ‖b‖.
fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}

#[test]
fn spectral_shape_and_mfcc_match_librosa_within_1_percent() {
    let r = reference();
    let m = frame_matrices(&test_signal(), SR);
    let c = vec1(&r["centroid"]);
    assert_eq!(m.centroid.len(), c.len(), "frame count");
    let f64s = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
    let e = rel_l2(&f64s(&m.centroid), &c);
    assert!(e < 0.01, "centroid rel L2 {e}");
    let e = rel_l2(&f64s(&m.rolloff), &vec1(&r["rolloff"]));
    assert!(e < 0.01, "rolloff rel L2 {e}");
    let e = rel_l2(&f64s(&m.flatness), &vec1(&r["flatness"]));
    assert!(e < 0.01, "flatness rel L2 {e}");
    let ours: Vec<f64> = m.mfcc.iter().flatten().map(|&x| f64::from(x)).collect();
    let theirs: Vec<f64> = vec2(&r["mfcc"]).into_iter().flatten().collect();
    let e = rel_l2(&ours, &theirs);
    assert!(e < 0.01, "MFCC rel L2 {e}");
}

#[test]
fn chroma_matches_librosa_chroma_stft() {
    let r = reference();
    let m = frame_matrices(&test_signal(), SR);
    let theirs = vec2(&r["chroma"]);
    assert_eq!(m.chroma.len(), theirs.len());
    let mut worst: f64 = 1.0;
    for (a, b) in m.chroma.iter().zip(&theirs) {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * y).sum();
        let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
        worst = worst.min(dot / (na * nb));
    }
    assert!(worst >= 0.99, "worst frame chroma cosine {worst}");
}
