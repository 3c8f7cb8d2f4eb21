//! Musical key: tonic and mode (24 keys), Camelot and Open Key codes, confidence, runner-up,
//! tuning offset, and an explicit "unknown" outcome for atonal, unpitched or silent input.
//!
//! Method: a dedicated long STFT (16 384 points at 22 050 Hz, 1.35 Hz bins — semitones are
//! resolved down to the bass) is averaged over the track after each frame is normalised to
//! unit energy (so every passage counts, not just the loud ones). The tuning offset is the
//! circular mean of the spectral peaks' deviations from the equal-tempered grid; the peaks are
//! then folded into a pitch-class profile on the tuned grid, and each of the 24 keys is scored
//! by the correlation of that profile with the key's expected *spectral* profile: Temperley's
//! Kostka–Payne key profile with every scale degree spread over the pitch classes of its
//! first six harmonics. Matching against the spectrum a key produces, rather than the note
//! profile, removes the classic "a fifth above" error (third harmonics reinforce the
//! dominant).

use serde::{Deserialize, Serialize};

use crate::dsp::Stft;

/// Pitch-class names used in results (sharps for C#/F#, flats for Eb/Ab/Bb).
pub const PITCH_NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// FFT size of the key STFT at 22 050 Hz.
pub const KEY_N_FFT: usize = 16_384;
/// Hop of the key STFT.
pub const KEY_HOP: usize = 8_192;

const FMIN_HZ: f64 = 55.0;
const FMAX_HZ: f64 = 4_200.0;
const BASS_MAX_HZ: f64 = 220.0;

/// One of the 24 keys with its codes and score.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyCandidate {
    /// Tonic pitch-class name (`"C"`, `"F#"`, `"Bb"`, …).
    pub tonic: String,
    /// `"major"` or `"minor"`.
    pub mode: String,
    /// Camelot wheel code (`"8B"` = C major, `"8A"` = A minor).
    pub camelot: String,
    /// Open Key code (`"1d"` = C major, `"1m"` = A minor).
    pub open_key: String,
    /// Profile correlation in `[-1, 1]`.
    pub score: f64,
}

/// Key analysis of a track.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// Tonic name, or `None` when the key is unknown (atonal, unpitched, silent).
    pub tonic: Option<String>,
    /// `"major"`, `"minor"` or `"unknown"`.
    pub mode: String,
    /// Human label such as `"A minor"`, or `"unknown"`.
    pub label: String,
    /// Camelot code, `None` when unknown.
    pub camelot: Option<String>,
    /// Open Key code, `None` when unknown.
    pub open_key: Option<String>,
    /// Confidence in `[0, 1]`: how clearly the best key beats the runner-up and how tonal the
    /// signal is.
    pub confidence: f64,
    /// The second-best key.
    pub runner_up: Option<KeyCandidate>,
    /// Tuning offset of the reference A from 440 Hz, in cents (−50, 50].
    pub tuning_cents: f64,
    /// Pitch-class profile (C … B) the decision was made on, normalised to max 1.
    pub chroma: Vec<f64>,
}

/// Camelot code of a key (`pc` 0 = C).
pub fn camelot(pc: usize, minor: bool) -> String {
    let rel_major = if minor { (pc + 3) % 12 } else { pc % 12 };
    let n = (7 * rel_major + 8) % 12;
    let n = if n == 0 { 12 } else { n };
    format!("{n}{}", if minor { "A" } else { "B" })
}

/// Open Key code of a key (`pc` 0 = C).
pub fn open_key(pc: usize, minor: bool) -> String {
    let rel_major = if minor { (pc + 3) % 12 } else { pc % 12 };
    let n = (7 * rel_major) % 12 + 1;
    format!("{n}{}", if minor { "m" } else { "d" })
}

/// Streaming key estimator: push mono samples at 22 050 Hz, then [`KeyEstimator::finish`].
#[derive(Debug)]
pub struct KeyEstimator {
    stft: Stft,
    sample_rate: u32,
    sum: Vec<f64>,
    frames: usize,
    bin_lo: usize,
    bin_hi: usize,
}

impl KeyEstimator {
    /// A key estimator for mono input at `sample_rate` (22 050 Hz in the pipeline).
    pub fn new(sample_rate: u32) -> Self {
        let hz = f64::from(sample_rate) / KEY_N_FFT as f64;
        let bin_lo = (FMIN_HZ * 0.9 / hz).floor() as usize;
        let bin_hi = ((FMAX_HZ * 1.1 / hz).ceil() as usize).min(KEY_N_FFT / 2);
        KeyEstimator {
            stft: Stft::new(KEY_N_FFT, KEY_HOP),
            sample_rate,
            sum: vec![0.0; KEY_N_FFT / 2 + 1],
            frames: 0,
            bin_lo,
            bin_hi,
        }
    }

    /// Feed mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        let (sum, frames, lo, hi) = (&mut self.sum, &mut self.frames, self.bin_lo, self.bin_hi);
        self.stft
            .push(samples, |p| accumulate(sum, frames, p, lo, hi));
    }

    /// Flush and decide.
    pub fn finish(mut self) -> Key {
        let (sum, frames, lo, hi) = (&mut self.sum, &mut self.frames, self.bin_lo, self.bin_hi);
        self.stft.finish(|p| accumulate(sum, frames, p, lo, hi));
        decide(&self.sum, self.sample_rate)
    }
}

fn accumulate(sum: &mut [f64], frames: &mut usize, power: &[f32], lo: usize, hi: usize) {
    let total: f64 = power[lo..hi].iter().map(|&p| f64::from(p)).sum();
    // Below about −90 dBFS per frame: silence, skip.
    if total.is_nan() || total <= 1e-3 {
        return;
    }
    let norm = 1.0 / total.sqrt();
    for k in lo..hi {
        sum[k] += f64::from(power[k]).sqrt() * norm;
    }
    *frames += 1;
}

/// Spectral peaks `(frequency Hz, amplitude)` of an averaged magnitude spectrum.
fn peaks(spec: &[f64], hz_per_bin: f64) -> Vec<(f64, f64)> {
    let lo = ((FMIN_HZ / hz_per_bin).floor() as usize).max(1);
    let hi = ((FMAX_HZ / hz_per_bin).ceil() as usize).min(spec.len() - 2);
    let mut out = Vec::new();
    for k in lo..=hi {
        let (a, b, c) = (spec[k - 1], spec[k], spec[k + 1]);
        if b > a && b >= c && b > 0.0 {
            let (la, lb, lc) = (a.max(1e-12).ln(), b.ln(), c.max(1e-12).ln());
            let den = la - 2.0 * lb + lc;
            let d = if den.abs() > 1e-12 {
                (0.5 * (la - lc) / den).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            out.push(((k as f64 + d) * hz_per_bin, b));
        }
    }
    out
}

/// Circular mean of peak deviations from the 440 Hz equal-tempered grid, in cents.
fn tuning_cents(peaks: &[(f64, f64)]) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for &(f, a) in peaks {
        if f < 110.0 {
            continue; // low peaks are too coarse (1.35 Hz bins) for cents
        }
        let cents = 1200.0 * (f / 440.0).log2();
        let ang = std::f64::consts::TAU * cents / 100.0;
        let w = a * a;
        s += w * ang.sin();
        c += w * ang.cos();
    }
    if s == 0.0 && c == 0.0 {
        return 0.0;
    }
    let t = s.atan2(c) / std::f64::consts::TAU * 100.0;
    if t <= -50.0 {
        t + 100.0
    } else {
        t
    }
}

// Key profiles (C major / C minor), Temperley's Kostka–Payne corpus profiles.
const MAJOR: [f64; 12] = [
    0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400,
];
const MINOR: [f64; 12] = [
    0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330,
];

/// Amplitude ratio between successive harmonics assumed by [`harmonic_profile`].
const HARMONIC_DECAY: f64 = 0.6;

/// The pitch-class profile a key produces in a spectrum: each scale degree's weight spread
/// over the pitch classes of its first six harmonics (octaves, the fifth at harmonics 3 and
/// 6, the major third at 5), amplitudes falling by `decay` per harmonic. Without this the
/// third harmonics make every key look like its dominant.
fn harmonic_profile(p: &[f64; 12], decay: f64) -> [f64; 12] {
    if decay <= 0.0 {
        return *p;
    }
    const SHIFT: [usize; 6] = [0, 0, 7, 0, 4, 7];
    let mut out = [0f64; 12];
    for (i, &v) in p.iter().enumerate() {
        let mut w = 1.0;
        for s in SHIFT {
            out[(i + s) % 12] += v * w;
            w *= decay;
        }
    }
    out
}

fn correlation(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let ma = a.iter().sum::<f64>() / 12.0;
    let mb = b.iter().sum::<f64>() / 12.0;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..12 {
        let (x, y) = (a[i] - ma, b[i] - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

fn unknown(tuning: f64, chroma: Vec<f64>) -> Key {
    Key {
        tonic: None,
        mode: "unknown".into(),
        label: "unknown".into(),
        camelot: None,
        open_key: None,
        confidence: 0.0,
        runner_up: None,
        tuning_cents: tuning,
        chroma,
    }
}

fn candidate(pc: usize, minor: bool, score: f64) -> KeyCandidate {
    KeyCandidate {
        tonic: PITCH_NAMES[pc].into(),
        mode: if minor { "minor" } else { "major" }.into(),
        camelot: camelot(pc, minor),
        open_key: open_key(pc, minor),
        score,
    }
}

/// Decide the key from an averaged magnitude spectrum of the key STFT.
fn decide(spec: &[f64], sample_rate: u32) -> Key {
    let hz = f64::from(sample_rate) / KEY_N_FFT as f64;
    let pk = peaks(spec, hz);
    let tuning = tuning_cents(&pk);
    let a_ref = 440.0 * 2f64.powf(tuning / 1200.0);
    let mut treble = [0f64; 12];
    let mut bass = [0f64; 12];
    for &(f, a) in &pk {
        let p = 12.0 * (f / a_ref).log2() + 69.0;
        let m = p.round();
        let d = (p - m).abs();
        if d > 0.35 {
            continue; // between semitones: noise or leakage
        }
        let w = a * (1.0 - d / 0.35);
        let pc = (m as i64).rem_euclid(12) as usize;
        if f < BASS_MAX_HZ {
            bass[pc] += w;
        } else {
            treble[pc] += w;
        }
    }
    let mut chroma = [0f64; 12];
    for i in 0..12 {
        chroma[i] = treble[i] + bass[i];
    }
    let cmax = chroma.iter().cloned().fold(0.0, f64::max);
    let chroma_out: Vec<f64> = chroma
        .iter()
        .map(|c| if cmax > 0.0 { round4(c / cmax) } else { 0.0 })
        .collect();
    if cmax.is_nan() || cmax <= 1e-9 {
        return unknown(round2(tuning), chroma_out);
    }
    let mut scores = Vec::with_capacity(24);
    for minor in [false, true] {
        let prof = harmonic_profile(if minor { &MINOR } else { &MAJOR }, HARMONIC_DECAY);
        for pc in 0..12 {
            let mut rot = [0f64; 12];
            for i in 0..12 {
                rot[(i + pc) % 12] = prof[i];
            }
            scores.push((correlation(&chroma, &rot), pc, minor));
        }
    }
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (s1, pc, minor) = scores[0];
    let (s2, pc2, minor2) = scores[1];
    // Flat or noise-like profiles correlate weakly with every key: call them unknown.
    if s1.is_nan() || s1 <= 0.45 {
        return unknown(round2(tuning), chroma_out);
    }
    let margin = ((s1 - s2) / 0.15).clamp(0.0, 1.0);
    let tonal = ((s1 - 0.45) / 0.4).clamp(0.0, 1.0);
    let confidence = (0.5 * margin + 0.5 * tonal) * tonal.sqrt();
    let c = candidate(pc, minor, round4(s1));
    Key {
        tonic: Some(c.tonic.clone()),
        label: format!("{} {}", c.tonic, c.mode),
        mode: c.mode,
        camelot: Some(c.camelot),
        open_key: Some(c.open_key),
        confidence: round4(confidence),
        runner_up: Some(candidate(pc2, minor2, round4(s2))),
        tuning_cents: round2(tuning),
        chroma: chroma_out,
    }
}

fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}

fn round4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e4).round() / 1e4
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camelot_and_open_key_codes() {
        assert_eq!(camelot(0, false), "8B");
        assert_eq!(camelot(9, true), "8A");
        assert_eq!(camelot(7, false), "9B");
        assert_eq!(camelot(11, false), "1B");
        assert_eq!(camelot(8, true), "1A");
        assert_eq!(open_key(0, false), "1d");
        assert_eq!(open_key(9, true), "1m");
        assert_eq!(open_key(7, false), "2d");
        assert_eq!(open_key(5, false), "12d");
    }
}
