//! Musical key: tonic and mode (24 keys), Camelot and Open Key codes, confidence, runner-up,
//! tuning offset, and an explicit "unknown" outcome for atonal, unpitched or silent input.
//!
//! Method:
//!
//! 1. **Front end.** The input is decimated by a power of two with a half-band FIR cascade
//!    to an internal rate of 10–20 kHz (22 050 and 44 100 Hz → 11 025 Hz; only notes up to
//!    C7 are used), then a long STFT (about 1.35 Hz bins, half-overlapping Hann frames of
//!    0.7 s) resolves semitones down to C2. Because the estimator accepts any input rate, a
//!    key-only caller can skip general-purpose resampling altogether.
//! 2. **Note energies.** Each frame's magnitude spectrum is mapped onto the 61 equal-tempered
//!    notes C2…C7 with a triangular kernel (±½ semitone) on a tuned grid. The tuning offset
//!    is the circular mean of the averaged spectrum's peak deviations from the 440 Hz grid;
//!    since it is only known at the end, note energies are gathered for five tuning
//!    hypotheses (−40…+40 cents, 20-cent steps) and the one nearest the measured offset is
//!    used. Each frame's note vector is normalised to unit L2 norm (every passage counts,
//!    not just the loud ones), log-compressed (`ln(1 + 100·e)`, so a few loud notes do not
//!    dominate) and folded into a 12-bin pitch-class profile.
//! 3. **Two profiles.** The frame profiles are summed over the whole track, and separately
//!    with an *opening* weight `exp(−t / 2 s)` counted from the first sounding frame: a piece
//!    states its key at the start (opening chord and bass), while modulations to the
//!    dominant or the relative key later on pull a whole-track average towards those keys.
//! 4. **Key.** Each of the 24 keys is scored by the correlation of the whole-track profile
//!    with the key's expected *spectral* profile plus half the same correlation for the
//!    opening profile (the reported score is that weighted mean of the two correlations).
//!    The expected profile is Temperley's Kostka–Payne key profile with every scale degree
//!    spread over the pitch classes of its first six harmonics (decaying 0.6 per harmonic):
//!    matching the spectrum a key produces, rather than the note profile, removes the
//!    classic "a fifth above" error (third harmonics reinforce the dominant). The opening
//!    weight is a compromise: on whole tracks a heavier one helps more, on excerpts that
//!    start mid-piece it hurts (the first chord there is arbitrary).
//! 5. **Unknown.** When no key correlates with the whole-track profile above 0.5 (white
//!    noise ≈ 0.35–0.4, tonal music ≥ 0.6) the key is "unknown".

use serde::{Deserialize, Serialize};

use crate::dsp::Stft;

/// Pitch-class names used in results (sharps for C#/F#, flats for Eb/Ab/Bb).
pub const PITCH_NAMES: [&str; 12] = [
    "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
];

/// Lowest note of the pitch-class profile (MIDI 36 = C2).
const NOTE_LO: i32 = 36;
/// Highest note of the pitch-class profile (MIDI 96 = C7).
const NOTE_HI: i32 = 96;
const N_NOTES: usize = (NOTE_HI - NOTE_LO + 1) as usize;
/// Tuning hypotheses for the note map, in cents: the one nearest the measured tuning is
/// used, so the map is never more than 10 cents off.
const TUNINGS: [f64; 5] = [-40.0, -20.0, 0.0, 20.0, 40.0];
/// Log compression of the per-frame note energies (after the frame is normalised to unit
/// L2 norm): `ln(1 + LOG_GAIN · e)`.
const LOG_GAIN: f32 = 100.0;
/// Time constant (seconds from the first sounding frame) of the opening emphasis.
const OPENING_TAU_S: f64 = 2.0;
/// Weight of the opening profile's key correlation relative to the whole-track one.
const OPENING_WEIGHT: f64 = 0.5;
/// Below this whole-track correlation with every key the key is "unknown".
const TONAL_MIN: f64 = 0.5;
/// The internal analysis rate is the input rate divided by a power of two, kept at or above
/// this (22 050 and 44 100 Hz → 11 025 Hz, 48 000 Hz → 12 000 Hz).
const MIN_INTERNAL_RATE: u32 = 10_000;
/// Target STFT bin spacing (Hz): semitones resolved down to C2.
const TARGET_BIN_HZ: f64 = 1.35;
/// Range of the spectral peaks used for the tuning estimate.
const FMIN_HZ: f64 = 55.0;
const FMAX_HZ: f64 = 2_500.0;

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
    /// Key-profile correlation in `[-1, 1]` (whole-track and opening correlations, weighted
    /// 1 : 0.5).
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
    /// Whole-track pitch-class profile (C … B) the decision was made on, normalised to max 1.
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

/// Streaming key estimator: push mono samples at the rate given to [`KeyEstimator::new`]
/// (22 050 Hz in the pipeline; any rate from 8 kHz up works), then [`KeyEstimator::finish`].
#[derive(Debug)]
pub struct KeyEstimator {
    decimator: Decimator,
    decimated: Vec<f32>,
    stft: Stft,
    state: FrameState,
}

/// Everything the per-frame callback updates (split from the STFT for the borrow checker).
#[derive(Debug)]
struct FrameState {
    /// Internal (decimated) sample rate.
    rate: f64,
    n_fft: usize,
    hop: usize,
    /// Sum of the per-frame magnitude spectra, each normalised to unit energy (for tuning).
    sum: Vec<f64>,
    /// STFT bins feeding the note map.
    bin_lo: usize,
    bin_hi: usize,
    /// Per tuning hypothesis, per bin in `bin_lo..bin_hi`: (note index, kernel weight);
    /// note index `u8::MAX` = bin between the notes' kernels or outside the range.
    note_map: Vec<Vec<(u8, f32)>>,
    /// Whole-track and opening-weighted pitch-class profiles, per tuning hypothesis.
    global: Vec<[f64; 12]>,
    opening: Vec<[f64; 12]>,
    /// Frames seen and index of the first sounding one.
    frame: usize,
    first_sounding: Option<usize>,
    /// Per-frame power below which a frame counts as silence.
    silence: f64,
    mag: Vec<f32>,
    notes: [f32; N_NOTES],
}

impl KeyEstimator {
    /// A key estimator for mono input at `sample_rate` (22 050 Hz in the pipeline).
    pub fn new(sample_rate: u32) -> Self {
        let sample_rate = sample_rate.max(1);
        let mut factor = 1u32;
        while factor < 64 && sample_rate / (factor * 2) >= MIN_INTERNAL_RATE {
            factor *= 2;
        }
        let rate = f64::from(sample_rate) / f64::from(factor);
        let n_fft = (2f64.powf((rate / TARGET_BIN_HZ).log2().round()) as usize).clamp(256, 1 << 16);
        let hop = n_fft / 2;
        let hz = rate / n_fft as f64;
        let note_hz = |m: f64, cents: f64| 440.0 * 2f64.powf((m - 69.0 + cents / 100.0) / 12.0);
        let nyquist_bin = n_fft / 2;
        let bin_lo = ((note_hz(f64::from(NOTE_LO) - 0.5, TUNINGS[0]) / hz).floor() as usize)
            .clamp(1, nyquist_bin);
        let bin_hi = ((note_hz(f64::from(NOTE_HI) + 0.5, TUNINGS[TUNINGS.len() - 1]) / hz).ceil()
            as usize
            + 1)
        .clamp(bin_lo, nyquist_bin + 1);
        let note_map = TUNINGS
            .iter()
            .map(|&cents| {
                (bin_lo..bin_hi)
                    .map(|k| {
                        let f = k as f64 * hz;
                        let p = 12.0 * (f / note_hz(69.0, cents)).log2() + 69.0;
                        let m = p.round();
                        let w = 1.0 - (p - m).abs() / 0.5;
                        let i = m as i32 - NOTE_LO;
                        if f > 0.0 && w > 0.0 && (0..N_NOTES as i32).contains(&i) {
                            (i as u8, w as f32)
                        } else {
                            (u8::MAX, 0.0)
                        }
                    })
                    .collect()
            })
            .collect();
        // About −100 dB relative to a full-scale sine's peak bin (|X| = n/4 for a Hann
        // window): silence, skipped.
        let silence = 1e-10 * (n_fft as f64 / 4.0).powi(2);
        KeyEstimator {
            decimator: Decimator::new(factor),
            decimated: Vec::new(),
            stft: Stft::new(n_fft, hop),
            state: FrameState {
                rate,
                n_fft,
                hop,
                sum: vec![0.0; n_fft / 2 + 1],
                bin_lo,
                bin_hi,
                note_map,
                global: vec![[0.0; 12]; TUNINGS.len()],
                opening: vec![[0.0; 12]; TUNINGS.len()],
                frame: 0,
                first_sounding: None,
                silence,
                mag: vec![0.0; bin_hi - bin_lo],
                notes: [0.0; N_NOTES],
            },
        }
    }

    /// Feed mono samples.
    pub fn push(&mut self, samples: &[f32]) {
        let state = &mut self.state;
        if self.decimator.factor() == 1 {
            self.stft.push(samples, |p| state.on_frame(p));
        } else {
            self.decimated.clear();
            self.decimator.process(samples, &mut self.decimated);
            self.stft.push(&self.decimated, |p| state.on_frame(p));
        }
    }

    /// Flush and decide.
    pub fn finish(mut self) -> Key {
        let state = &mut self.state;
        self.stft.finish(|p| state.on_frame(p));
        self.state.decide()
    }
}

impl FrameState {
    fn on_frame(&mut self, power: &[f32]) {
        let frame = self.frame;
        self.frame += 1;
        let (lo, hi) = (self.bin_lo, self.bin_hi);
        let total: f64 = power[lo..hi].iter().map(|&p| f64::from(p)).sum();
        if !total.is_finite() || total <= self.silence {
            return;
        }
        for (m, &p) in self.mag.iter_mut().zip(&power[lo..hi]) {
            *m = p.sqrt();
        }
        let norm = 1.0 / total.sqrt();
        for (s, &m) in self.sum[lo..hi].iter_mut().zip(&self.mag) {
            *s += f64::from(m) * norm;
        }
        let first = *self.first_sounding.get_or_insert(frame);
        let t = (frame - first) as f64 * self.hop as f64 / self.rate;
        let w_open = (-t / OPENING_TAU_S).exp();
        for (h, map) in self.note_map.iter().enumerate() {
            self.notes = [0.0; N_NOTES];
            for (&(i, w), &m) in map.iter().zip(&self.mag) {
                if let Some(n) = self.notes.get_mut(usize::from(i)) {
                    *n += w * m;
                }
            }
            let l2 = self.notes.iter().map(|&e| e * e).sum::<f32>().sqrt();
            if l2.is_nan() || l2 <= 0.0 {
                continue;
            }
            let mut pcp = [0f64; 12];
            for (i, &e) in self.notes.iter().enumerate() {
                let pc = (i + NOTE_LO as usize) % 12;
                pcp[pc] += f64::from((LOG_GAIN * e / l2).ln_1p());
            }
            for ((g, o), &p) in self.global[h]
                .iter_mut()
                .zip(&mut self.opening[h])
                .zip(&pcp)
            {
                *g += p;
                if w_open > 1e-6 {
                    *o += w_open * p;
                }
            }
        }
    }

    /// Decide the key from the accumulated profiles.
    fn decide(&self) -> Key {
        let hz = self.rate / self.n_fft as f64;
        let pk = peaks(&self.sum, hz);
        let tuning = tuning_cents(&pk);
        let h = TUNINGS
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1 - tuning).abs().total_cmp(&(b.1 - tuning).abs()))
            .map_or(0, |(i, _)| i);
        let (global, opening) = (&self.global[h], &self.opening[h]);
        let cmax = global.iter().cloned().fold(0.0, f64::max);
        let chroma_out: Vec<f64> = global
            .iter()
            .map(|c| if cmax > 0.0 { round4(c / cmax) } else { 0.0 })
            .collect();
        if cmax.is_nan() || cmax <= 1e-9 {
            return unknown(round2(tuning), chroma_out);
        }
        let major = harmonic_profile(&MAJOR, HARMONIC_DECAY);
        let minor = harmonic_profile(&MINOR, HARMONIC_DECAY);
        // (combined score, whole-track correlation, tonic, minor)
        let mut scores = Vec::with_capacity(24);
        for is_minor in [false, true] {
            let prof = if is_minor { &minor } else { &major };
            for pc in 0..12 {
                let mut rot = [0f64; 12];
                for i in 0..12 {
                    rot[(i + pc) % 12] = prof[i];
                }
                let g = correlation(global, &rot);
                let o = correlation(opening, &rot);
                let s = (g + OPENING_WEIGHT * o) / (1.0 + OPENING_WEIGHT);
                scores.push((s, g, pc, is_minor));
            }
        }
        let g_best = scores.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
        scores.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (s1, _, pc, minor) = scores[0];
        let (s2, _, pc2, minor2) = scores[1];
        // Flat or noise-like profiles correlate weakly with every key: call them unknown.
        if !g_best.is_finite() || !s1.is_finite() || g_best <= TONAL_MIN {
            return unknown(round2(tuning), chroma_out);
        }
        let margin = ((s1 - s2) / 0.1).clamp(0.0, 1.0);
        let tonal = ((g_best - TONAL_MIN) / 0.35).clamp(0.0, 1.0);
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
}

/// Decimation by a power of two: a cascade of half-band low-pass FIR stages, each halving
/// the rate. Keeps everything below about 0.2 × the output rate (C7's harmonics and all the
/// notes the key profile uses) and rejects what would alias onto it.
///
/// Hand-written rather than `crate::resample` (rubato): key only needs a power-of-two rate
/// drop with a loose passband, and the sinc resampler was about 60 % of the key-only CPU
/// (issue 6 bar: key ≤ 0.05 s per minute of audio); a half-band stage costs a few taps per
/// output sample.
#[derive(Debug)]
struct Decimator {
    stages: Vec<HalfBand>,
    buf: Vec<f32>,
    next: Vec<f32>,
}

impl Decimator {
    fn new(factor: u32) -> Self {
        let n = factor.max(1).trailing_zeros() as usize;
        Decimator {
            stages: (0..n).map(|_| HalfBand::new()).collect(),
            buf: Vec::new(),
            next: Vec::new(),
        }
    }

    fn factor(&self) -> usize {
        1 << self.stages.len()
    }

    fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let (mut cur, mut next) = (
            std::mem::take(&mut self.buf),
            std::mem::take(&mut self.next),
        );
        cur.clear();
        cur.extend_from_slice(input);
        for stage in &mut self.stages {
            next.clear();
            stage.process(&cur, &mut next);
            std::mem::swap(&mut cur, &mut next);
        }
        out.extend_from_slice(&cur);
        (self.buf, self.next) = (cur, next);
    }
}

/// Half-band taps on either side of the centre: odd offsets 1, 3, …, 2·HB_SIDE − 1.
const HB_SIDE: usize = 6;

/// One ÷2 stage: a Blackman-windowed half-band sinc (23 taps, 13 non-zero), polyphase.
#[derive(Debug)]
struct HalfBand {
    /// Centre tap (≈ 0.5).
    centre: f32,
    /// Non-zero odd-offset taps `h[±(2j+1)]`, j = 0..HB_SIDE (symmetric).
    odd: [f32; HB_SIDE],
    /// History of the last `4·HB_SIDE − 2` input samples plus the new block.
    hist: Vec<f32>,
    /// Parity of the next input sample relative to the output grid.
    phase: usize,
    /// Scratch: the samples of the other parity (see `process`).
    other: Vec<f32>,
}

impl HalfBand {
    fn new() -> Self {
        let len = 4 * HB_SIDE - 1; // 23 taps, centre at 2·HB_SIDE − 1
        let half = (len / 2) as f64;
        let tap = |n: f64| {
            let x = std::f64::consts::PI * n / 2.0;
            let sinc = if n == 0.0 { 1.0 } else { x.sin() / x };
            let a = std::f64::consts::PI * (n + half + 1.0) / (len as f64 + 1.0);
            let win = 0.42 - 0.5 * (2.0 * a).cos() + 0.08 * (4.0 * a).cos();
            0.5 * sinc * win
        };
        let mut odd = [0f64; HB_SIDE];
        for (j, o) in odd.iter_mut().enumerate() {
            *o = tap((2 * j + 1) as f64);
        }
        // Unit gain at DC: centre 0.5 plus both sides.
        let dc = tap(0.0) + 2.0 * odd.iter().sum::<f64>();
        HalfBand {
            centre: (tap(0.0) / dc) as f32,
            odd: odd.map(|o| (o / dc) as f32),
            hist: vec![0.0; 4 * HB_SIDE - 2],
            phase: 0,
            other: Vec::new(),
        }
    }

    fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let keep = 4 * HB_SIDE - 2;
        self.hist.extend_from_slice(input);
        out.reserve(input.len() / 2 + 1);
        // Output sample at history index c (the filter centre) needs c − keep/2 ..= c + keep/2;
        // c runs over the positions whose parity matches the output grid.
        let c_half = keep / 2;
        let c0 = c_half + self.phase;
        let len = self.hist.len();
        let n_out = if len > c0 + c_half {
            (len - 1 - c0 - c_half) / 2 + 1
        } else {
            0
        };
        // Tap-outer loops over all outputs of the block: no dependency chain between taps,
        // so the additions pipeline (the same operations in the same order per output).
        if n_out > 0 {
            let x = &self.hist;
            let start = out.len();
            out.extend(
                x[c0..]
                    .iter()
                    .step_by(2)
                    .take(n_out)
                    .map(|&v| self.centre * v),
            );
            // The odd-offset taps read the other parity's samples: gather them once into a
            // contiguous buffer so the tap loops below run over plain slices (vectorised).
            // other[i] = x[c0 − c_half + 2i]; x[c0 ∓ d + 2m] = other[m + (c_half ∓ d) / 2].
            self.other.clear();
            self.other
                .extend(x[c0 - c_half..].iter().step_by(2).take(n_out + c_half));
            let o = &mut out[start..];
            for (j, &h) in self.odd.iter().enumerate() {
                let lo = &self.other[HB_SIDE - 1 - j..][..n_out];
                let hi = &self.other[HB_SIDE + j..][..n_out];
                for ((y, &p), &q) in o.iter_mut().zip(lo).zip(hi) {
                    *y += h * (p + q);
                }
            }
        }
        let c = c0 + 2 * n_out;
        // Keep the last `keep` samples; the next output centre is c − (len − keep).
        let drop = self.hist.len() - keep;
        self.phase = c - c_half - drop;
        self.hist.drain(..drop);
    }
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

    fn tone(rate: u32, hz: f64, seconds: f64) -> Vec<f32> {
        (0..(seconds * f64::from(rate)) as usize)
            .map(|i| (0.5 * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
    }

    fn decimate(factor: u32, x: &[f32], chunk: usize) -> Vec<f32> {
        let mut d = Decimator::new(factor);
        let mut out = Vec::new();
        for c in x.chunks(chunk) {
            d.process(c, &mut out);
        }
        out
    }

    #[test]
    fn decimator_keeps_the_note_band_and_rejects_aliases() {
        // 44 100 → 11 025 Hz. A 1 kHz tone (inside the note band) passes at unit gain;
        // 9 kHz and 12 kHz tones, which would fold onto 2 025 and 975 Hz, are suppressed.
        let pass = decimate(4, &tone(44_100, 1_000.0, 1.0), 4_096);
        assert_eq!(pass.len(), 11_025);
        let r = rms(&pass[200..]) / (0.5 / 2f64.sqrt());
        assert!((r - 1.0).abs() < 0.01, "passband gain {r}");
        for hz in [9_000.0, 12_000.0] {
            let stop = decimate(4, &tone(44_100, hz, 1.0), 4_096);
            let r = rms(&stop[200..]) / (0.5 / 2f64.sqrt());
            assert!(r < 0.01, "{hz} Hz leaks at {r}");
        }
    }

    #[test]
    fn decimator_output_does_not_depend_on_chunking() {
        let x: Vec<f32> = tone(22_050, 440.0, 0.5)
            .iter()
            .zip(tone(22_050, 3_000.0, 0.5))
            .map(|(a, b)| a + b)
            .collect();
        let whole = decimate(2, &x, x.len());
        for chunk in [1, 7, 100, 4_096] {
            assert_eq!(decimate(2, &x, chunk), whole, "chunk {chunk}");
        }
    }

    /// I–IV–V–I in `tonic` major with 1/h harmonics, at `rate`.
    fn cadence(rate: u32, tonic_midi: f64) -> Vec<f32> {
        let chords = [
            [0.0, 4.0, 7.0, -12.0],
            [5.0, 9.0, 12.0, -7.0],
            [7.0, 11.0, 14.0, -5.0],
            [0.0, 4.0, 7.0, -12.0],
        ];
        let n = rate as usize;
        let mut x = Vec::new();
        for chord in chords.iter().cycle().take(8) {
            for i in 0..n {
                let t = i as f64 / f64::from(rate);
                let mut v = 0.0;
                for iv in chord {
                    let f0 = 440.0 * 2f64.powf((tonic_midi + iv - 69.0) / 12.0);
                    for h in 1..=6 {
                        let f = f0 * f64::from(h);
                        if f < f64::from(rate) / 2.0 {
                            v += (std::f64::consts::TAU * f * t).sin() / f64::from(h);
                        }
                    }
                }
                x.push((0.05 * v * (-t / 1.5).exp()) as f32);
            }
        }
        x
    }

    #[test]
    fn any_input_rate_gives_the_same_key() {
        for rate in [8_000, 16_000, 22_050, 44_100, 48_000, 96_000] {
            let mut k = KeyEstimator::new(rate);
            for c in cadence(rate, 62.0).chunks(3_000) {
                k.push(c);
            }
            let key = k.finish();
            assert_eq!(key.label, "D major", "at {rate} Hz");
            assert!(
                key.tuning_cents.abs() < 3.0,
                "at {rate} Hz: {}",
                key.tuning_cents
            );
            assert!(key.confidence > 0.3, "at {rate} Hz: {}", key.confidence);
        }
    }

    #[test]
    fn empty_input_is_unknown() {
        let key = KeyEstimator::new(22_050).finish();
        assert_eq!(key.mode, "unknown");
        assert!(key.tonic.is_none() && key.runner_up.is_none());
        assert_eq!(key.chroma.len(), 12);
    }
}
