//! Helpers shared by the encoder tests: fixtures, ffmpeg/ffprobe oracles, alignment and SNR.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use quaver_core::AudioBuffer;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;
// Not every test binary that includes `common` reads the clips.
#[allow(unused_imports)]
pub use corpus::corpus_clips as corpus;

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

/// Decode with ffmpeg to planar f32 at the file's own rate and channel count.
pub fn ffmpeg_decode(path: &Path, channels: usize) -> Vec<Vec<f32>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg must be installed (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "ffmpeg failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    AudioBuffer::from_interleaved(1, channels, &samples)
        .unwrap()
        .channels
}

/// ffprobe's view of the tags (format and stream level merged, keys upper-cased).
pub fn ffprobe_tags(path: &Path) -> std::collections::BTreeMap<String, String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format_tags:stream_tags",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe must be installed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut m = std::collections::BTreeMap::new();
    let mut take = |t: &serde_json::Value| {
        if let Some(o) = t.as_object() {
            for (k, v) in o {
                m.insert(k.to_ascii_uppercase(), v.as_str().unwrap_or("").to_string());
            }
        }
    };
    take(&v["format"]["tags"]);
    if let Some(s) = v["streams"].as_array() {
        for s in s {
            take(&s["tags"]);
        }
    }
    m
}

pub fn mono(ch: &[Vec<f32>]) -> Vec<f32> {
    quaver_core::buffer::mix_to_mono(ch)
}

/// Lag (in samples, positive = `b` late) that maximises the normalised cross-correlation of
/// a 16 384-sample window from the middle of `a` against `b`, searched over ±`max_lag`.
pub fn best_lag(a: &[f32], b: &[f32], max_lag: usize) -> i64 {
    let n = 16_384.min(a.len() / 2);
    let start = a.len() / 2 - n / 2;
    let win = &a[start..start + n];
    let mut best = (f64::MIN, 0i64);
    for lag in -(max_lag as i64)..=max_lag as i64 {
        let s = start as i64 + lag;
        if s < 0 || (s as usize + n) > b.len() {
            continue;
        }
        let seg = &b[s as usize..s as usize + n];
        let mut dot = 0.0f64;
        let mut e = 0.0f64;
        for (x, y) in win.iter().zip(seg) {
            dot += f64::from(*x) * f64::from(*y);
            e += f64::from(*y) * f64::from(*y);
        }
        let c = dot / e.sqrt().max(1e-12);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best.1
}

/// SNR in dB of `test` against `reference` (same length) after the least-squares gain — a
/// perceptual codec may scale a band slightly; the gain is reported by the caller's tolerance
/// (it stays within ±0.5 dB in practice). Computed over every channel.
pub fn snr_db(reference: &[Vec<f32>], test: &[Vec<f32>]) -> f64 {
    let (mut rt, mut tt) = (0.0f64, 0.0f64);
    for (r, t) in reference.iter().zip(test) {
        for (x, y) in r.iter().zip(t) {
            rt += f64::from(*x) * f64::from(*y);
            tt += f64::from(*y) * f64::from(*y);
        }
    }
    let g = if tt > 0.0 { rt / tt } else { 1.0 };
    let (mut sig, mut noise) = (0.0f64, 0.0f64);
    for (r, t) in reference.iter().zip(test) {
        for (x, y) in r.iter().zip(t) {
            let x = f64::from(*x);
            sig += x * x;
            noise += (x - g * f64::from(*y)).powi(2);
        }
    }
    10.0 * (sig / noise.max(1e-30)).log10()
}

/// Energy (dB relative to the whole spectrum) above `hz`, from an averaged 4096-point DFT
/// power spectrum computed with a Goertzel-free naive real DFT on a few frames.
pub fn energy_above_db(x: &[f32], rate: u32, hz: f64) -> f64 {
    const N: usize = 2048;
    let frames = 8.min(x.len() / N);
    let step = (x.len() - N) / frames.max(1);
    let k0 = (hz / f64::from(rate) * N as f64) as usize;
    let (mut hi, mut all) = (0.0f64, 0.0f64);
    let tw: Vec<(f64, f64)> = (0..N)
        .map(|i| {
            let a = -2.0 * std::f64::consts::PI * i as f64 / N as f64;
            (a.cos(), a.sin())
        })
        .collect();
    for f in 0..frames {
        let seg = &x[f * step..f * step + N];
        let w: Vec<f64> = seg
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let h = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N as f64).cos();
                f64::from(*s) * h
            })
            .collect();
        for k in 1..N / 2 {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, v) in w.iter().enumerate() {
                let (c, s) = tw[(i * k) % N];
                re += v * c;
                im += v * s;
            }
            let p = re * re + im * im;
            all += p;
            if k >= k0 {
                hi += p;
            }
        }
    }
    10.0 * (hi / all.max(1e-30)).log10()
}
