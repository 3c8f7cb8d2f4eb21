//! Shared helpers: synthetic "music", degradations, decoding of the real-music clips.
#![allow(dead_code)]

use std::path::Path;

use quaver_core::convert::{ConvertOptions, ConvertingDecoder};
use quaver_core::decode::DecodeOptions;
use quaver_core::{AudioBuffer, Quality};
use quaver_fingerprint::SAMPLE_RATE;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;
// Not every test binary that includes `common` reads the clips.
#[allow(unused_imports)]
pub use corpus::corpus_clips;

pub const SR: f32 = SAMPLE_RATE as f32;

/// Deterministic xorshift.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn gauss(&mut self) -> f32 {
        let u = self.unit().max(1e-7);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f32::consts::PI * v).cos()
    }
}

/// Synthetic music at 8 kHz: random notes (3 voices with harmonics, 0.15–0.4 s each) plus a
/// little noise; distinct per seed.
pub fn synth_music(seed: u64, secs: f32) -> Vec<f32> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let n = (secs * SR) as usize;
    let mut out = vec![0.0f32; n];
    for voice in 0..3 {
        let mut i = 0usize;
        while i < n {
            let dur = ((0.15 + 0.25 * rng.unit()) * SR) as usize;
            let semis = (rng.next() % 36) as f32 + 12.0 * voice as f32;
            let f0 = 110.0 * 2f32.powf(semis / 12.0);
            let amp = 0.1 + 0.2 * rng.unit();
            for j in 0..dur.min(n - i) {
                let t = j as f32 / SR;
                let env = (1.0 - j as f32 / dur as f32).powf(0.5) * (t * 200.0).min(1.0);
                let mut s = 0.0;
                for h in 1..4 {
                    let f = f0 * h as f32;
                    if f < 3900.0 {
                        s += (2.0 * std::f32::consts::PI * f * t).sin() / h as f32;
                    }
                }
                out[i + j] += amp * env * s;
            }
            i += dur;
        }
    }
    for x in out.iter_mut() {
        *x += 0.003 * rng.gauss();
    }
    out
}

/// Add white noise at `snr_db`.
pub fn add_noise(x: &[f32], snr_db: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed | 1);
    let p = x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32;
    let sd = (p / 10f32.powf(snr_db / 10.0)).sqrt();
    x.iter().map(|v| v + sd * rng.gauss()).collect()
}

/// Speed change by `s` (tempo and pitch, like `sox speed`): resample and reinterpret.
pub fn speed(x: &[f32], s: f32) -> Vec<f32> {
    let buf = AudioBuffer {
        sample_rate: SAMPLE_RATE,
        channels: vec![x.to_vec()],
    };
    let out_rate = (SR / s).round() as u32;
    quaver_core::resample(&buf, out_rate, Quality::Fast)
        .expect("resample")
        .channels
        .remove(0)
}

/// Decode any file to 8 kHz mono.
pub fn decode8k(path: &Path) -> Vec<f32> {
    ConvertingDecoder::open(
        path,
        &DecodeOptions::default(),
        &ConvertOptions {
            sample_rate: Some(SAMPLE_RATE),
            mono: true,
            quality: Quality::Fast,
        },
    )
    .and_then(|d| d.read_all())
    .map(|b| b.channels[0].clone())
    .unwrap_or_else(|e| panic!("decode {}: {e}", path.display()))
}

/// Pitch-shift a clip with sox (tempo kept). Panics when sox is missing or fails
/// (scripts/setup.sh installs it).
pub fn sox_pitch(x: &[f32], cents: i32, dir: &Path) -> Vec<f32> {
    let inp = dir.join(format!("pin{cents}.wav"));
    let out = dir.join(format!("pout{cents}.wav"));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&inp, spec).unwrap();
    for &v in x {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    let out_ = std::process::Command::new("sox")
        .arg(&inp)
        .arg(&out)
        .args(["pitch", &cents.to_string()])
        .output()
        .expect("sox must be installed (scripts/setup.sh installs it)");
    assert!(
        out_.status.success(),
        "sox pitch {cents} failed: {}",
        String::from_utf8_lossy(&out_.stderr)
    );
    decode8k(&out)
}
