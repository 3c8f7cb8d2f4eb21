//! A fixed-length, versioned, named feature vector for recommendation and similarity, and the
//! frame-level matrices (mel spectrogram, MFCC, chroma, spectral shape) for ML users.
//!
//! All features are computed on the shared 2048-point / 512-hop Hann STFT of the 22 050 Hz
//! mono stream — the same framing as librosa's defaults, so the frame values agree with
//! `librosa.feature.*` (see `core/tests/mir_librosa.rs`).
//!
//! ## Vector layout (version [`FEATURES_VERSION`])
//! | names | count | meaning |
//! |---|---|---|
//! | `mfcc_mean_0..19` | 20 | mean of 20 MFCCs (128 Slaney mel bands, dB, orthonormal DCT-II) |
//! | `mfcc_std_0..19` | 20 | standard deviation of each MFCC |
//! | `mfcc_cov_i_j` (1 ≤ i < j ≤ 12) | 66 | covariance between MFCCs 1–12 (timbre texture) |
//! | `centroid_mean`, `centroid_std` | 2 | spectral centroid (Hz, magnitude-weighted) |
//! | `rolloff_mean`, `rolloff_std` | 2 | 85 % spectral roll-off (Hz) |
//! | `flatness_mean`, `flatness_std` | 2 | spectral flatness (geometric / arithmetic mean of power) |
//! | `contrast_0..6` | 7 | mean spectral contrast (dB) in 6 octave bands from 200 Hz + the top band |
//! | `zcr_mean`, `zcr_std` | 2 | zero-crossing rate (crossings per sample, per 512-sample block) |
//! | `onset_rate` | 1 | onsets per second (peaks of the onset envelope) |
//! | `rhythm_strength` | 1 | pulse clarity in `[0, 1]` (tempo estimator's periodicity) |
//! | `tempo_bpm`, `tempo_confidence` | 2 | global tempo and its confidence |
//! | `chroma_0..11` | 12 | mean STFT chroma (C … B), normalised to sum 1 |
//! | `key_minor`, `key_confidence` | 2 | 1 for a minor key, 0 for major/unknown; key confidence |
//! | `rms_db_mean`, `rms_db_std`, `dynamic_range_db` | 3 | frame RMS level (dBFS): mean, spread, 95th − 10th percentile |
//!
//! Silent frames (RMS below −90 dBFS) do not enter the statistics; a silent track gives all
//! zeros (never NaN).

use serde::{Deserialize, Serialize};

use crate::dsp::mel::power_to_db;

/// Version of the feature vector layout; bumped whenever a name, order or definition changes.
///
/// 2: bumped when the pipeline briefly resampled with the Fast preset; it is back on the
/// default preset (version-1 values again), kept at 2 so no stored vector is compared across
/// that change (vectors of version 1 compare as 0).
pub const FEATURES_VERSION: u32 = 2;

/// Number of MFCCs.
pub const N_MFCC: usize = 20;
/// Number of mel bands.
pub const N_MELS: usize = 128;
const N_COV: usize = 12;
const CONTRAST_BANDS: usize = 6;

/// A named, versioned feature vector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FeatureVector {
    /// Layout version ([`FEATURES_VERSION`]).
    pub version: u32,
    /// One name per value.
    pub names: Vec<String>,
    /// The values (finite).
    pub values: Vec<f64>,
}

/// The names of every dimension, in order.
pub fn feature_names() -> Vec<String> {
    let mut n = Vec::new();
    for i in 0..N_MFCC {
        n.push(format!("mfcc_mean_{i}"));
    }
    for i in 0..N_MFCC {
        n.push(format!("mfcc_std_{i}"));
    }
    for i in 1..=N_COV {
        for j in i + 1..=N_COV {
            n.push(format!("mfcc_cov_{i}_{j}"));
        }
    }
    for s in ["centroid", "rolloff", "flatness"] {
        n.push(format!("{s}_mean"));
        n.push(format!("{s}_std"));
    }
    for i in 0..=CONTRAST_BANDS {
        n.push(format!("contrast_{i}"));
    }
    for s in [
        "zcr_mean",
        "zcr_std",
        "onset_rate",
        "rhythm_strength",
        "tempo_bpm",
        "tempo_confidence",
    ] {
        n.push(s.into());
    }
    for i in 0..12 {
        n.push(format!("chroma_{i}"));
    }
    for s in [
        "key_minor",
        "key_confidence",
        "rms_db_mean",
        "rms_db_std",
        "dynamic_range_db",
    ] {
        n.push(s.into());
    }
    n
}

/// Typical spread of a dimension, used to put dimensions on one scale in [`similarity`].
fn scale_of(name: &str) -> f64 {
    if name == "mfcc_mean_0" {
        100.0
    } else if name.starts_with("mfcc_mean") {
        20.0
    } else if name.starts_with("mfcc_std") {
        10.0
    } else if name.starts_with("mfcc_cov") {
        100.0
    } else if name.starts_with("centroid") || name.starts_with("rolloff") {
        1500.0
    } else if name.starts_with("flatness") {
        0.1
    } else if name.starts_with("contrast") {
        10.0
    } else if name.starts_with("zcr") {
        0.05
    } else if name == "onset_rate" {
        2.0
    } else if name == "tempo_bpm" {
        40.0
    } else if name.starts_with("chroma") {
        0.05
    } else if name.starts_with("rms") || name == "dynamic_range_db" {
        10.0
    } else {
        0.5
    }
}

/// Similarity of two feature vectors in `[0, 1]` (1 = identical): `exp(−d² / n)` where `d` is
/// the Euclidean distance after dividing each dimension by its typical spread. Vectors of
/// different versions or lengths have similarity 0.
pub fn similarity(a: &FeatureVector, b: &FeatureVector) -> f64 {
    if a.version != b.version || a.values.len() != b.values.len() || a.values.is_empty() {
        return 0.0;
    }
    let mut d2 = 0.0;
    for ((x, y), name) in a.values.iter().zip(&b.values).zip(&a.names) {
        let d = (x - y) / scale_of(name);
        if d.is_finite() {
            d2 += d * d;
        }
    }
    (-d2 / a.values.len() as f64).exp()
}

/// Per-frame spectral shape, librosa's definitions on the magnitude spectrum `|X|`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpectralShape {
    /// Magnitude-weighted mean frequency (Hz).
    pub centroid: f32,
    /// Lowest frequency below which 85 % of the magnitude lies (Hz).
    pub rolloff: f32,
    /// Geometric over arithmetic mean of the power spectrum (power floored at 1e-10).
    pub flatness: f32,
}

/// Spectral shape of one power spectrum (`n_fft / 2 + 1` bins) at `sample_rate`.
pub fn spectral_shape(power: &[f32], sample_rate: u32, mag: &mut Vec<f32>) -> SpectralShape {
    let n_bins = power.len();
    let hz = f64::from(sample_rate) / (2 * (n_bins - 1)) as f64;
    mag.clear();
    mag.extend(power.iter().map(|p| p.sqrt()));
    // Sums in f64 over blocks of LANES bins with one accumulator per lane: independent adds
    // the compiler can vectorise, instead of one long chain of dependent f64 additions. The
    // block sums also let the roll-off search skip whole blocks.
    let mut block_sums = [0f64; MAX_BLOCKS];
    let mut total_l = [0f64; LANES];
    let mut weighted_l = [0f64; LANES];
    for (b, block) in mag.chunks(LANES).enumerate() {
        let mut s = [0f64; LANES];
        for (j, &m) in block.iter().enumerate() {
            let m = f64::from(m);
            s[j] = m;
            weighted_l[j] += ((b * LANES + j) as f64) * m;
        }
        for (t, v) in total_l.iter_mut().zip(s) {
            *t += v;
        }
        if let Some(bs) = block_sums.get_mut(b) {
            *bs = s.iter().sum();
        }
    }
    let total: f64 = total_l.iter().sum();
    let weighted = hz * weighted_l.iter().sum::<f64>();
    let centroid = if total > 0.0 { weighted / total } else { 0.0 };
    let mut rolloff = 0.0;
    if total > 0.0 {
        let thresh = 0.85 * total;
        let mut c = 0.0;
        let mut first = 0;
        if mag.len() <= MAX_BLOCKS * LANES {
            // Skip the blocks that end below the threshold, then search bin by bin.
            for &bs in block_sums.iter().take(mag.len().div_ceil(LANES)) {
                if c + bs >= thresh {
                    break;
                }
                c += bs;
                first += LANES;
            }
        }
        for (k, &m) in mag.iter().enumerate().skip(first) {
            c += f64::from(m);
            if c >= thresh {
                rolloff = k as f64 * hz;
                break;
            }
        }
    }
    // Σ ln p as the logarithm of products of PRODUCT_RUN values: one `ln` per run instead of
    // one per bin (the `ln` calls were most of this function's time). Powers are floored at
    // 1e-10, so a run's product stays far above f64's underflow; a run that overflows (only
    // with non-audio magnitudes) takes the logarithms one by one.
    let mut log_sum = 0.0;
    let mut sum_l = [0f64; LANES];
    for run in power.chunks(PRODUCT_RUN) {
        // Four interleaved partial products: four short multiply chains instead of one long
        // one (the chain's latency, not the multiplies, was this loop's cost).
        let mut prod_l = [1.0f64; 4];
        for (j, &p) in run.iter().enumerate() {
            let p = f64::from(p.max(1e-10));
            prod_l[j % 4] *= p;
            sum_l[j % LANES] += p;
        }
        let prod = (prod_l[0] * prod_l[1]) * (prod_l[2] * prod_l[3]);
        if prod.is_finite() && prod > 0.0 {
            log_sum += prod.ln();
        } else {
            log_sum += run
                .iter()
                .map(|&p| f64::from(p.max(1e-10)).ln())
                .sum::<f64>();
        }
    }
    let sum: f64 = sum_l.iter().sum();
    let flatness = (log_sum / n_bins as f64).exp() / (sum / n_bins as f64);
    SpectralShape {
        centroid: centroid as f32,
        rolloff: rolloff as f32,
        flatness: flatness as f32,
    }
}

/// Accumulator lanes of the spectral sums.
const LANES: usize = 8;
/// Block sums kept for the roll-off search (covers 4096-point spectra; larger ones search
/// bin by bin).
const MAX_BLOCKS: usize = 2048 / LANES + 1;
/// Powers multiplied together per logarithm in the flatness (16 values ≥ 1e-10 cannot
/// underflow).
const PRODUCT_RUN: usize = 16;

/// Running mean / variance (Welford) that never yields NaN.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stat {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Stat {
    pub(crate) fn add(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }
    pub(crate) fn mean(&self) -> f64 {
        self.mean
    }
    pub(crate) fn std(&self) -> f64 {
        if self.n > 1.0 {
            (self.m2 / self.n).max(0.0).sqrt()
        } else {
            0.0
        }
    }
}

/// Spectral contrast of one magnitude spectrum: peak minus valley (dB) per octave band,
/// with the top/bottom 2 % of each band's bins as peak/valley (librosa's definition).
pub fn spectral_contrast(mag: &[f32], sample_rate: u32, out: &mut [f32; 7], buf: &mut Vec<f32>) {
    let n_bins = mag.len();
    let hz = f64::from(sample_rate) / (2 * (n_bins - 1)) as f64;
    let mut edges = [0f64; CONTRAST_BANDS + 2];
    edges[1] = 200.0;
    for i in 2..CONTRAST_BANDS + 2 {
        edges[i] = edges[i - 1] * 2.0;
    }
    edges[CONTRAST_BANDS + 1] = edges[CONTRAST_BANDS + 1].min(f64::from(sample_rate) / 2.0);
    for b in 0..=CONTRAST_BANDS {
        let lo = (edges[b] / hz).round() as usize;
        let hi = if b == CONTRAST_BANDS {
            n_bins
        } else {
            ((edges[b + 1] / hz).round() as usize + 1).min(n_bins)
        };
        buf.clear();
        buf.extend_from_slice(&mag[lo.min(hi)..hi]);
        if buf.is_empty() {
            out[b] = 0.0;
            continue;
        }
        let q = ((buf.len() as f64 * 0.02).round() as usize).max(1);
        let len = buf.len();
        buf.select_nth_unstable_by(q - 1, f32::total_cmp);
        let valley: f32 = buf[..q].iter().sum::<f32>() / q as f32;
        buf.select_nth_unstable_by(len - q, f32::total_cmp);
        let peak: f32 = buf[len - q..].iter().sum::<f32>() / q as f32;
        out[b] = power_to_db(peak * peak) - power_to_db(valley * valley);
    }
}

/// Streaming accumulator of everything the feature vector summarises.
#[derive(Clone, Debug)]
pub(crate) struct FeatureAccumulator {
    sample_rate: u32,
    mfcc_mean: [Stat; N_MFCC],
    cov_sum: Vec<f64>,
    cov_mean: [f64; N_COV],
    cov_n: f64,
    centroid: Stat,
    rolloff: Stat,
    flatness: Stat,
    contrast: [Stat; 7],
    zcr: Stat,
    chroma: [f64; 12],
    rms_db: Stat,
    rms_hist: Vec<f32>,
    frame: usize,
    mag: Vec<f32>,
    buf: Vec<f32>,
    zc_prev: f32,
    zc_count: u32,
    zc_len: u32,
}

impl FeatureAccumulator {
    pub(crate) fn new(sample_rate: u32) -> Self {
        FeatureAccumulator {
            sample_rate,
            mfcc_mean: [Stat::default(); N_MFCC],
            cov_sum: vec![0.0; N_COV * N_COV],
            cov_mean: [0.0; N_COV],
            cov_n: 0.0,
            centroid: Stat::default(),
            rolloff: Stat::default(),
            flatness: Stat::default(),
            contrast: [Stat::default(); 7],
            zcr: Stat::default(),
            chroma: [0.0; 12],
            rms_db: Stat::default(),
            rms_hist: Vec::new(),
            frame: 0,
            mag: Vec::new(),
            buf: Vec::new(),
            zc_prev: 0.0,
            zc_count: 0,
            zc_len: 0,
        }
    }

    /// Time-domain part: zero crossings per 512-sample block.
    pub(crate) fn push_samples(&mut self, mut x: &[f32]) {
        while !x.is_empty() {
            let take = (512 - self.zc_len as usize).min(x.len());
            let (block, rest) = x.split_at(take);
            // Branch-free count (a sign change per sample is a coin flip for noisy audio,
            // which a branch mispredicts).
            let first = u32::from((block[0] >= 0.0) != (self.zc_prev >= 0.0));
            let inner: u32 = block
                .windows(2)
                .map(|w| u32::from((w[0] >= 0.0) != (w[1] >= 0.0)))
                .sum();
            self.zc_count += first + inner;
            self.zc_prev = block[take - 1];
            self.zc_len += take as u32;
            if self.zc_len == 512 {
                self.zcr.add(f64::from(self.zc_count) / 512.0);
                self.zc_count = 0;
                self.zc_len = 0;
            }
            x = rest;
        }
    }

    /// One STFT frame: its power spectrum, MFCCs and (unnormalised) chroma.
    pub(crate) fn push_frame(&mut self, power: &[f32], mfcc: &[f32], chroma: &[f32; 12]) {
        self.frame += 1;
        // Frame RMS from Parseval over the Hann-windowed frame (window energy 3/8 · n).
        let n_fft = 2 * (power.len() - 1);
        let mut e_l = [0f64; LANES];
        for block in power.chunks(LANES) {
            for (a, &p) in e_l.iter_mut().zip(block) {
                *a += f64::from(p);
            }
        }
        let e: f64 = e_l.iter().sum::<f64>() * 2.0;
        let rms2 = e / (n_fft as f64 * n_fft as f64 * 0.375);
        let rms_db = 10.0 * rms2.max(1e-20).log10();
        if rms_db < -90.0 {
            return;
        }
        self.rms_db.add(rms_db);
        self.rms_hist.push(rms_db as f32);
        for (s, &m) in self.mfcc_mean.iter_mut().zip(mfcc) {
            s.add(f64::from(m));
        }
        // Covariance of MFCC 1..=12 (Welford, co-moment form).
        self.cov_n += 1.0;
        let mut d = [0f64; N_COV];
        for i in 0..N_COV {
            d[i] = f64::from(mfcc[i + 1]) - self.cov_mean[i];
            self.cov_mean[i] += d[i] / self.cov_n;
        }
        for i in 0..N_COV {
            let e_i = f64::from(mfcc[i + 1]) - self.cov_mean[i];
            for (c, dj) in self.cov_sum[i * N_COV..(i + 1) * N_COV].iter_mut().zip(&d) {
                *c += dj * e_i;
            }
        }
        let shape = spectral_shape(power, self.sample_rate, &mut self.mag);
        self.centroid.add(f64::from(shape.centroid));
        self.rolloff.add(f64::from(shape.rolloff));
        self.flatness.add(f64::from(shape.flatness));
        if self.frame % 4 == 0 {
            let mut c = [0f32; 7];
            spectral_contrast(&self.mag, self.sample_rate, &mut c, &mut self.buf);
            for (s, v) in self.contrast.iter_mut().zip(c) {
                s.add(f64::from(v));
            }
        }
        let cmax = chroma.iter().cloned().fold(0.0f32, f32::max);
        if cmax > 0.0 {
            for (a, &c) in self.chroma.iter_mut().zip(chroma) {
                *a += f64::from(c / cmax);
            }
        }
    }

    pub(crate) fn finish(
        mut self,
        onset_rate: f64,
        rhythm_strength: f64,
        tempo: (f64, f64),
        key: (bool, f64),
    ) -> FeatureVector {
        if self.zc_len > 0 {
            self.zcr
                .add(f64::from(self.zc_count) / f64::from(self.zc_len));
        }
        let mut v = Vec::new();
        v.extend(self.mfcc_mean.iter().map(Stat::mean));
        v.extend(self.mfcc_mean.iter().map(Stat::std));
        for i in 0..N_COV {
            for j in i + 1..N_COV {
                v.push(if self.cov_n > 1.0 {
                    self.cov_sum[i * N_COV + j] / self.cov_n
                } else {
                    0.0
                });
            }
        }
        for s in [&self.centroid, &self.rolloff, &self.flatness] {
            v.push(s.mean());
            v.push(s.std());
        }
        v.extend(self.contrast.iter().map(Stat::mean));
        v.push(self.zcr.mean());
        v.push(self.zcr.std());
        v.push(onset_rate);
        v.push(rhythm_strength);
        v.push(tempo.0);
        v.push(tempo.1);
        let csum: f64 = self.chroma.iter().sum();
        v.extend(
            self.chroma
                .iter()
                .map(|c| if csum > 0.0 { c / csum } else { 0.0 }),
        );
        v.push(if key.0 { 1.0 } else { 0.0 });
        v.push(key.1);
        v.push(self.rms_db.mean());
        v.push(self.rms_db.std());
        let dr = if self.rms_hist.len() >= 2 {
            self.rms_hist.sort_by(f32::total_cmp);
            let q = |p: f64| self.rms_hist[((self.rms_hist.len() - 1) as f64 * p) as usize];
            f64::from(q(0.95) - q(0.10))
        } else {
            0.0
        };
        v.push(dr);
        let values: Vec<f64> = v
            .into_iter()
            .map(|x| {
                if x.is_finite() {
                    (x * 1e6).round() / 1e6
                } else {
                    0.0
                }
            })
            .collect();
        let names = feature_names();
        debug_assert_eq!(names.len(), values.len());
        FeatureVector {
            version: FEATURES_VERSION,
            names,
            values,
        }
    }
}
