//! Streaming spectral-peak extraction: mono PCM at [`SAMPLE_RATE`] in, constellation peaks out.
//!
//! The spectrogram is a 1024-point Hann STFT (128 ms) with a 128-sample hop (16 ms), resampled
//! onto a log-frequency axis of [`BINS_PER_OCTAVE`] bins per octave from [`F_MIN_HZ`] to about
//! 3.7 kHz. The log axis is what makes pitch and speed changes tractable: scaling every frequency
//! by `b` shifts every peak by `BINS_PER_OCTAVE * log2(b)` bins and leaves frequency differences
//! unchanged. The band sits inside the phone band, so 8 kHz and GSM copies keep most peaks.
//!
//! A peak is a point that is the maximum of its neighbourhood (±[`PEAK_HALF_BINS`] bins,
//! ±[`PEAK_HALF_FRAMES`] frames) in the dB spectrogram; its salience is its height above the local
//! mean of that neighbourhood, which makes the choice level-invariant (a gain shifts every dB
//! value equally). In each block of [`BLOCK_FRAMES`] frames the most salient peaks are kept, a fixed
//! number per block, so the density is even over time (quiet passages keep their peaks). Time and
//! frequency are refined by parabolic interpolation, so positions are sub-frame and sub-bin.

use std::collections::VecDeque;
use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

use crate::fine::{FineAccumulator, QueryEnergies};

/// Analysis sample rate (Hz) of the fingerprinter's input.
pub const SAMPLE_RATE: u32 = 8000;
/// STFT size in samples.
pub const FFT_SIZE: usize = 1024;
/// STFT hop in samples (16 ms at [`SAMPLE_RATE`]).
pub const HOP: usize = 128;
/// Log-frequency resolution.
pub const BINS_PER_OCTAVE: f32 = 36.0;
/// Lowest analysed frequency (Hz).
pub const F_MIN_HZ: f32 = 250.0;
/// Number of log-frequency bins (250 Hz .. ~3.7 kHz).
pub const N_BINS: usize = 140;
/// Half-width in bins of the peak neighbourhood.
pub const PEAK_HALF_BINS: usize = 5;
/// Half-width in frames of the peak neighbourhood.
pub const PEAK_HALF_FRAMES: usize = 4;
/// Frames per density block (0.512 s).
pub const BLOCK_FRAMES: u32 = 32;

/// Seconds per STFT frame.
pub const FRAME_SECONDS: f64 = HOP as f64 / SAMPLE_RATE as f64;

/// One spectral peak.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Peak {
    /// Time in frames (sub-frame precision).
    pub t: f32,
    /// Log-frequency bin (sub-bin precision).
    pub f: f32,
    /// Height above the local mean, dB.
    pub salience: f32,
}

/// How many peaks to keep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtractConfig {
    /// Peaks kept per block of [`BLOCK_FRAMES`] frames.
    pub peaks_per_block: usize,
    /// Minimum salience (dB above the local mean) of a peak.
    pub min_salience_db: f32,
    /// Frames whose log-bin energies are kept for the fine-print comparison
    /// ([`crate::fine::QueryEnergies`]; 0 for catalog tracks).
    pub energy_frames: usize,
    /// Build the fine print ([`crate::fine`]; catalog tracks).
    pub fine_print: bool,
}

impl ExtractConfig {
    /// The density stored in the index (about 16 peaks/s).
    pub const INDEX: ExtractConfig = ExtractConfig {
        peaks_per_block: 8,
        min_salience_db: 3.0,
        energy_frames: 0,
        fine_print: true,
    };
    /// The denser set taken from queries, so that a reference peak lost among noise still has a
    /// good chance of being picked.
    pub const QUERY: ExtractConfig = ExtractConfig {
        peaks_per_block: 20,
        min_salience_db: 1.5,
        energy_frames: crate::fine::QUERY_ENERGY_FRAMES,
        fine_print: false,
    };
    /// [`ExtractConfig::QUERY`]'s peaks without the energies (scans, snippets: what only the
    /// peaks are wanted from).
    pub const QUERY_PEAKS: ExtractConfig = ExtractConfig {
        energy_frames: 0,
        ..ExtractConfig::QUERY
    };
}

/// Streaming peak extractor: push mono chunks at [`SAMPLE_RATE`], then [`PeakExtractor::finish`].
///
/// Memory is bounded by the STFT frame, a ring of `2 * PEAK_HALF_FRAMES + 1` spectra and the
/// peaks themselves.
pub struct PeakExtractor {
    config: ExtractConfig,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// For each log bin: the fractional FFT bin it reads.
    log_pos: Vec<(usize, f32)>,
    /// For each log bin: the FFT bins of its band (edges half a log bin either side), whose
    /// maximum it also takes (see [`PeakExtractor::frame`]).
    log_band: Vec<(usize, usize)>,
    pending: Vec<f32>,
    /// Start in `pending` of the next frame: consumed samples are dropped only once they are
    /// many, not after every push (each drain moves the ~1000-sample remainder).
    head: usize,
    frame_in: Vec<f32>,
    scratch: Vec<realfft::num_complex::Complex<f32>>,
    /// realfft's own scratch, kept so a frame costs no allocation (`process` makes one per call).
    fft_scratch: Vec<realfft::num_complex::Complex<f32>>,
    power: Vec<f32>,
    /// Per frame: the `N_BINS` dB values, then their maximum over ±[`PEAK_HALF_BINS`] bins (see
    /// [`PeakExtractor::advance`]).
    ring: VecDeque<Vec<f32>>,
    /// Rows dropped from `ring`, reused for the next frames.
    spare: Vec<Vec<f32>>,
    /// Per bin of the centre frame: the neighbourhood maximum (scratch of `advance`).
    nmax: Vec<f32>,
    /// Index of the first frame in `ring`.
    ring_start: u32,
    frames: u32,
    block: Vec<Peak>,
    block_index: u32,
    peaks: Vec<Peak>,
    /// This frame's log-bin energies (linear power summed over each bin's band).
    energy: Vec<f32>,
    fine: FineAccumulator,
    /// The first `config.energy_frames` frames' `energy` rows.
    energies: Vec<f32>,
}

/// Everything one extraction produced (see [`PeakExtractor::finish_all`]).
#[derive(Clone, Debug, Default)]
pub struct Extracted {
    /// Peaks in time order.
    pub peaks: Vec<Peak>,
    /// STFT frames analysed.
    pub frames: u32,
    /// The fine print (one code per [`crate::fine::FINE_FRAMES`] frames).
    pub fine: Vec<u16>,
    /// Log-bin energies of the first [`ExtractConfig::energy_frames`] frames.
    pub energies: QueryEnergies,
}

impl std::fmt::Debug for PeakExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeakExtractor")
            .field("config", &self.config)
            .field("frames", &self.frames)
            .field("peaks", &self.peaks.len())
            .finish()
    }
}

impl PeakExtractor {
    /// A new extractor.
    pub fn new(config: ExtractConfig) -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let fft = planner.plan_fft_forward(FFT_SIZE);
        let window = (0..FFT_SIZE)
            .map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / FFT_SIZE as f32).cos())
            .collect();
        let bin_hz = SAMPLE_RATE as f32 / FFT_SIZE as f32;
        let log_pos: Vec<(usize, f32)> = (0..N_BINS)
            .map(|k| {
                let hz = F_MIN_HZ * 2f32.powf(k as f32 / BINS_PER_OCTAVE);
                let x = hz / bin_hz;
                (x.floor() as usize, x.fract())
            })
            .collect();
        let log_band: Vec<(usize, usize)> = (0..N_BINS)
            .map(|k| {
                let edge = |e: f32| F_MIN_HZ * 2f32.powf(e / BINS_PER_OCTAVE) / bin_hz;
                let lo = edge(k as f32 - 0.5).ceil() as usize;
                let hi = edge(k as f32 + 0.5).floor() as usize;
                (lo, hi)
            })
            .collect();
        let scratch = fft.make_output_vec();
        // Only the FFT bins the log axis reads are turned into power (plus one either side of
        // a band, for the frequency refinement of a peak).
        let used_bins = log_pos
            .iter()
            .map(|&(i, _)| i + 2)
            .chain(log_band.iter().map(|&(_, hi)| hi + 2))
            .max()
            .unwrap_or(0)
            .min(FFT_SIZE / 2 + 1);
        PeakExtractor {
            config,
            frame_in: fft.make_input_vec(),
            fft_scratch: fft.make_scratch_vec(),
            fft,
            window,
            log_pos,
            log_band,
            pending: Vec::with_capacity(FFT_SIZE * 2),
            head: 0,
            scratch,
            power: vec![0.0; used_bins],
            ring: VecDeque::with_capacity(2 * PEAK_HALF_FRAMES + 2),
            spare: Vec::new(),
            nmax: vec![0.0; N_BINS],
            ring_start: 0,
            frames: 0,
            block: Vec::new(),
            block_index: 0,
            peaks: Vec::new(),
            energy: vec![0.0; N_BINS],
            fine: FineAccumulator::default(),
            energies: Vec::new(),
        }
    }

    /// Feed mono samples at [`SAMPLE_RATE`].
    pub fn push(&mut self, samples: &[f32]) {
        self.pending.extend_from_slice(samples);
        let mut start = self.head;
        while self.pending.len() - start >= FFT_SIZE {
            self.frame(start);
            start += HOP;
        }
        if start >= 8 * FFT_SIZE {
            self.pending.drain(..start);
            start = 0;
        }
        self.head = start;
    }

    /// Number of STFT frames analysed so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Flush and return every peak, in time order, and the number of frames.
    pub fn finish(self) -> (Vec<Peak>, u32) {
        let e = self.finish_all();
        (e.peaks, e.frames)
    }

    /// Flush and return the peaks, the fine print and the kept energies.
    pub fn finish_all(mut self) -> Extracted {
        // Pad with silence so the tail is analysed and every frame has its right neighbours.
        let pad = vec![0.0; FFT_SIZE];
        self.push(&pad);
        for _ in 0..PEAK_HALF_FRAMES {
            // Both halves (values and their band maximum) are -inf.
            let mut row = vec![f32::NEG_INFINITY; self.row_len()];
            row[2 * N_BINS..].fill(0.0);
            self.ring.push_back(row);
            self.advance();
        }
        self.flush_block();
        let mut peaks = self.peaks;
        peaks.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.f.total_cmp(&b.f)));
        Extracted {
            peaks,
            frames: self.frames,
            fine: self.fine.finish(),
            energies: QueryEnergies {
                bins: self.energies,
            },
        }
    }

    fn frame(&mut self, start: usize) {
        let src = &self.pending[start..start + FFT_SIZE];
        for ((o, &x), &w) in self.frame_in.iter_mut().zip(src).zip(&self.window) {
            *o = x * w;
        }
        // The sizes are fixed by construction, so the transform cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut self.frame_in, &mut self.scratch, &mut self.fft_scratch)
            .ok();
        for (p, c) in self.power.iter_mut().zip(&self.scratch) {
            *p = c.norm_sqr();
        }
        let len = self.row_len();
        let mut row = self.spare.pop().unwrap_or_else(|| vec![0.0f32; len]);
        let (spec, rest) = row.split_at_mut(N_BINS);
        let (band_max, power) = rest.split_at_mut(N_BINS);
        // A log bin reads the FFT power at its centre (interpolated) and the maximum over its
        // band: above ~400 Hz the log bins are wider than the FFT bins, and a point sample
        // would miss a partial between two centres (or move it by up to a quarter bin,
        // depending on where it falls) — a speed change by half a log bin then changed which
        // peaks were seen. The band maximum keeps every partial in its bin.
        // The energy of a log bin (for the fine print) sums its band, or reads the centre
        // where the bin is narrower than an FFT bin.
        for (((s, e), &(i, fr)), &(lo, hi)) in spec
            .iter_mut()
            .zip(self.energy.iter_mut())
            .zip(&self.log_pos)
            .zip(&self.log_band)
        {
            let mut p = self.power[i] * (1.0 - fr) + self.power[i + 1] * fr;
            *e = p;
            if lo <= hi {
                // one pass for both (the same maximum and the same sum, in the same order)
                let mut sum = -0.0f32;
                for &x in &self.power[lo..=hi] {
                    p = p.max(x);
                    sum += x;
                }
                *e = sum;
            }
            *s = p + 1e-9;
        }
        // (a pass of its own, so that it vectorises)
        for s in spec.iter_mut() {
            *s = power_db(*s);
        }
        if self.config.fine_print {
            self.fine.push(&self.energy);
        }
        if self.energies.len() < self.config.energy_frames * N_BINS {
            self.energies.extend_from_slice(&self.energy);
        }
        band_max_into(spec, band_max);
        power.copy_from_slice(&self.power);
        self.ring.push_back(row);
        self.frames += 1;
        self.advance();
    }

    /// With the ring holding frames up to `c + PEAK_HALF_FRAMES`, examine frame `c`.
    fn advance(&mut self) {
        let w = PEAK_HALF_FRAMES;
        if self.ring.len() < 2 * w + 1 {
            return;
        }
        if self.ring.len() > 2 * w + 1 {
            if let Some(row) = self.ring.pop_front() {
                self.spare.push(row);
            }
            self.ring_start += 1;
        }
        let c = self.ring_start + w as u32;
        let b = c / BLOCK_FRAMES;
        if b != self.block_index {
            self.flush_block();
            self.block_index = b;
        }
        // The neighbourhood maximum of every bin, from the rows' band maxima: a bin whose
        // neighbourhood holds a larger value cannot be a peak, and that rules out nearly every
        // bin for ~2·9 comparisons instead of the full scan below. The scan still decides every
        // remaining bin, exactly as before (tie order, mean of the finite values, summed in the
        // same order), so the peaks are bit for bit those of the plain scan. Hand-written: the
        // window is tiny and the exact semantics (NaN never wins, ties resolved by the scan)
        // matter more than asymptotics.
        self.nmax.fill(f32::NEG_INFINITY);
        for fr in &self.ring {
            for (m, &x) in self.nmax.iter_mut().zip(&fr[N_BINS..]) {
                // A select, not a conditional store, so that it vectorises (maxps). `m` only
                // ever takes a non-NaN value, so a NaN neither wins nor hides a larger value.
                *m = if x > *m { x } else { *m };
            }
        }
        let centre = &self.ring[w];
        for k in 0..N_BINS {
            let v = centre[k];
            if v < -60.0 {
                continue; // digital silence
            }
            if self.nmax[k] > v {
                continue; // a larger value nearby (the scan would find it and reject too)
            }
            let lo = k.saturating_sub(PEAK_HALF_BINS);
            let hi = (k + PEAK_HALF_BINS).min(N_BINS - 1);
            let mut is_max = true;
            let mut sum = 0.0f32;
            let mut n = 0u32;
            'outer: for (dt, fr) in self.ring.iter().enumerate() {
                for (j, &x) in fr[lo..=hi].iter().enumerate() {
                    if x > v || (x == v && (dt < w || (dt == w && lo + j < k))) {
                        is_max = false;
                        break 'outer;
                    }
                    if x.is_finite() {
                        sum += x;
                        n += 1;
                    }
                }
            }
            if !is_max {
                continue;
            }
            let salience = v - sum / n.max(1) as f32;
            if salience < self.config.min_salience_db {
                continue;
            }
            let f = self
                .refined_bin(k, &centre[2 * N_BINS..])
                .unwrap_or_else(|| {
                    if k > 0 && k + 1 < N_BINS {
                        k as f32 + parabolic(centre[k - 1], v, centre[k + 1])
                    } else {
                        k as f32
                    }
                });
            let (p, n2) = (self.ring[w - 1][k], self.ring[w + 1][k]);
            let dtt = if p.is_finite() && n2.is_finite() {
                parabolic(p, v, n2)
            } else {
                0.0
            };
            let peak = Peak {
                t: c as f32 + dtt,
                f,
                salience,
            };
            self.block.push(peak);
        }
    }

    /// Ring row: the log-bin dB values, their ±[`PEAK_HALF_BINS`] band maxima, the FFT power.
    fn row_len(&self) -> usize {
        2 * N_BINS + self.power.len()
    }

    /// The frequency of the partial behind a peak at log bin `k`, in log-bin units, from the
    /// FFT power of its frame: the strongest FFT bin in the log bin's band (or at its centre),
    /// refined by a parabola through the dB values of that bin and its neighbours (a Hann
    /// window's main lobe is close to a parabola in dB: ~0.01 FFT bin of bias). Exact to a few
    /// hundredths of a log bin wherever the partial falls, where a parabola through three log
    /// bins was off by up to a quarter bin. `None` when the refinement leaves the bin's
    /// neighbourhood.
    fn refined_bin(&self, k: usize, power: &[f32]) -> Option<f32> {
        let (i, fr) = self.log_pos[k];
        let (lo, hi) = self.log_band[k];
        let centre = if fr < 0.5 { i } else { i + 1 };
        let (a, b) = if lo <= hi {
            (lo.min(centre), hi.max(centre))
        } else {
            (centre, centre)
        };
        let m = (a..=b).max_by(|&x, &y| power[x].total_cmp(&power[y]).then(y.cmp(&x)))?;
        if m == 0 || m + 1 >= power.len() {
            return None;
        }
        let db = |j: usize| 10.0 * (power[j] + 1e-12).log10();
        let off = parabolic(db(m - 1), db(m), db(m + 1));
        let hz = (m as f32 + off) * SAMPLE_RATE as f32 / FFT_SIZE as f32;
        let f = BINS_PER_OCTAVE * (hz / F_MIN_HZ).log2();
        // (kept on the analysed axis: the snippet format and the hashes expect 0..N_BINS - 1)
        ((f - k as f32).abs() <= 1.0).then_some(f.clamp(0.0, (N_BINS - 1) as f32))
    }

    fn flush_block(&mut self) {
        let k = self.config.peaks_per_block;
        if self.block.len() > k {
            self.block
                .select_nth_unstable_by(k, |a, b| b.salience.total_cmp(&a.salience));
            self.block.truncate(k);
        }
        self.peaks.append(&mut self.block);
    }
}

/// `out[k]` = the largest non-NaN value of `spec[k - PEAK_HALF_BINS ..= k + PEAK_HALF_BINS]`
/// (clipped to the axis; -inf if there is none).
///
/// A sliding maximum by doubling (windows of 2, 4, 8, then 8 + 4 overlapping = 11) over the
/// axis padded with -inf, so each step is one vectorisable pass instead of 11 comparisons per
/// bin. `f32::max` ignores NaN, so the result is exactly the maximum of the non-NaN values
/// whatever the grouping, which is all [`PeakExtractor::advance`] relies on.
fn band_max_into(spec: &[f32], out: &mut [f32]) {
    const P: usize = PEAK_HALF_BINS;
    const W: usize = N_BINS + 2 * P;
    // The doubling below covers exactly 2 * P + 1 = 11 bins.
    const _: () = assert!(PEAK_HALF_BINS == 5);
    let mut x = [f32::NEG_INFINITY; W];
    x[P..P + N_BINS].copy_from_slice(&spec[..N_BINS]);
    let mut m2 = [f32::NEG_INFINITY; W];
    for i in 0..W - 1 {
        m2[i] = x[i].max(x[i + 1]);
    }
    let mut m4 = [f32::NEG_INFINITY; W];
    for i in 0..W - 3 {
        m4[i] = m2[i].max(m2[i + 2]);
    }
    let mut m8 = [f32::NEG_INFINITY; W];
    for i in 0..W - 7 {
        m8[i] = m4[i].max(m4[i + 4]);
    }
    // x[k..k + 8] and x[k + 7..k + 11]: x[k..=k + 10], i.e. spec[k - 5..=k + 5].
    for (k, o) in out[..N_BINS].iter_mut().enumerate() {
        *o = m8[k].max(m4[k + 7]);
    }
}

/// `10·log10(x)`: the dB value of a spectrum bin's power (`x` is a power plus 1e-9, so a
/// normal positive float, or NaN or +inf from a hostile input, which it returns as they are).
///
/// Hand-written instead of `f32::log10` (or `quaver_core::dsp::mel::power_to_db`, which calls
/// it): libm's is a scalar call per value (through `logf` in glibc), 140 per frame; this one is
/// branch-free arithmetic that the frame loop vectorises, and gives the same value on every
/// platform (`benches/fingerprint.rs` prints the extraction's CPU time: 2.5–2.7 ms per 5 s query
/// with libm, 2.0 ms with this, on the 2026-12-02 machine).
/// Within 3 f32 steps of the exact value (libm's `log10`: 1.6; test `power_db_matches_log10`):
/// `x = 2^e·m` with `m` in [√½, √2), and `ln m = 2·atanh(s)`, `s = (m − 1)/(m + 1)`,
/// `|s| ≤ 0.172`, by five odd terms (the next is below 4e-10).
#[inline(always)]
fn power_db(x: f32) -> f32 {
    const SQRT_HALF_BITS: i32 = 0x3f35_04f3;
    let bits = x.to_bits() as i32;
    // floor(log2(x / √½)) for a normal positive x, from the exponent field
    let e = (bits - SQRT_HALF_BITS) >> 23;
    let m = f32::from_bits((bits - (e << 23)) as u32);
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let atanh = s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 / 9.0))));
    // 10·log10(2) = DB_OCTAVE_HI + DB_OCTAVE_LO, the first with 13 significant bits so that
    // e·DB_OCTAVE_HI is exact: a level change by whole octaves moves every value by the same
    // amount, as it does through log10 (peak choices between equal saliences stay the same)
    const DB_OCTAVE_HI: f32 = 12330.0 / 4096.0;
    const DB_OCTAVE_LO: f32 = 4.605_039e-5;
    let e = e as f32;
    let db = e * DB_OCTAVE_HI + (e * DB_OCTAVE_LO + atanh * (20.0 / std::f32::consts::LN_10));
    if x.is_nan() || x == f32::INFINITY {
        x
    } else {
        db
    }
}

/// Offset of the vertex of the parabola through (-1, a), (0, b), (1, c), clamped to ±0.5.
fn parabolic(a: f32, b: f32, c: f32) -> f32 {
    let d = a - 2.0 * b + c;
    if d.abs() < 1e-9 {
        0.0
    } else {
        (0.5 * (a - c) / d).clamp(-0.5, 0.5)
    }
}

/// Extract peaks from a whole mono signal at [`SAMPLE_RATE`]; returns the peaks and the number of
/// frames.
pub fn extract_peaks(samples: &[f32], config: ExtractConfig) -> (Vec<Peak>, u32) {
    let e = extract_all(samples, config);
    (e.peaks, e.frames)
}

/// [`extract_peaks`] with the fine print and energies ([`PeakExtractor::finish_all`]).
pub fn extract_all(samples: &[f32], config: ExtractConfig) -> Extracted {
    let mut ex = PeakExtractor::new(config);
    for chunk in samples.chunks(1 << 16) {
        ex.push(chunk);
    }
    ex.finish_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(secs: f32, gain: f32) -> Vec<f32> {
        let n = (secs * SAMPLE_RATE as f32) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / SAMPLE_RATE as f32;
                let f = if (t * 4.0) as u32 % 2 == 0 {
                    440.0
                } else {
                    1000.0
                };
                // A little deterministic broadband noise, scaled with the gain like real audio.
                let noise =
                    ((i as u32).wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32;
                gain * ((2.0 * std::f32::consts::PI * f * t).sin() + 0.01 * (noise - 0.5))
            })
            .collect()
    }

    #[test]
    fn level_invariant_and_deterministic() {
        let (a, fa) = extract_peaks(&tones(3.0, 0.5), ExtractConfig::INDEX);
        let (b, fb) = extract_peaks(&tones(3.0, 0.05), ExtractConfig::INDEX);
        let (c, _) = extract_peaks(&tones(3.0, 0.5), ExtractConfig::INDEX);
        assert_eq!(fa, fb);
        assert_eq!(a, c, "not deterministic");
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x.t - y.t).abs() < 0.02 && (x.f - y.f).abs() < 0.02,
                "{x:?} {y:?}"
            );
        }
        // 440 Hz is bin 36*log2(440/250) = 29.36
        assert!(a.iter().any(|p| (p.f - 29.36).abs() < 0.6), "{a:?}");
    }

    /// A tone's peak frequency is exact to a few hundredths of a log bin wherever it falls
    /// between bin centres, and no tone is lost between two centres: before the band maximum
    /// and the FFT-bin refinement, tones near 1.5 kHz were off by up to 0.27 bins and some near
    /// 2.5 kHz produced no peak at their frequency (a speed change by half a bin, e.g. 5 %,
    /// then broke most landmarks).
    #[test]
    fn tone_frequency_is_exact_at_every_sub_bin_position() {
        let mut worst = 0.0f32;
        for base in [30.0f32, 60.0, 90.0, 120.0] {
            for step in 0..10 {
                let bin = base + step as f32 / 10.0;
                let hz = F_MIN_HZ * 2f32.powf(bin / BINS_PER_OCTAVE);
                // Tone bursts (a steady tone has no peak in time).
                let x: Vec<f32> = (0..2 * SAMPLE_RATE as usize)
                    .map(|i| {
                        let t = i as f32 / SAMPLE_RATE as f32;
                        let on = (t * 4.0) as u32 % 2 == 0;
                        f32::from(u8::from(on)) * (2.0 * std::f32::consts::PI * hz * t).sin()
                    })
                    .collect();
                let (peaks, _) = extract_peaks(&x, ExtractConfig::QUERY);
                let err = peaks
                    .iter()
                    .map(|p| (p.f - bin).abs())
                    .fold(f32::INFINITY, f32::min);
                assert!(
                    err < 0.1,
                    "{hz} Hz (bin {bin}): nearest peak {err} bins off"
                );
                worst = worst.max(err);
            }
        }
        assert!(worst < 0.05, "worst error {worst} bins");
    }

    #[test]
    fn power_db_matches_log10() {
        // against log10 in f64, in units of the f32 spacing at the value (libm's f32 log10:
        // up to 1.6 of them), over every binade a spectrum holds, 4001 mantissas in each
        let (mut worst, mut worst_libm) = (0.0f64, 0.0f64);
        for e in -40..=40 {
            for i in 0..=4000 {
                let x = (2f64.powi(e) * (1.0 + i as f64 / 4000.0)) as f32;
                let want = 10.0 * (x as f64).log10();
                let ulp = (want.abs().max(1.0) as f32).to_bits();
                let ulp = (f32::from_bits(ulp + 1) - f32::from_bits(ulp)) as f64;
                worst = worst.max((power_db(x) as f64 - want).abs() / ulp);
                worst_libm = worst_libm.max((10.0 * x.log10() as f64 - want).abs() / ulp);
            }
        }
        assert!(worst <= 3.0, "worst error {worst} ulp (libm {worst_libm})");
        assert_eq!(power_db(1.0), 0.0);
        assert!(power_db(f32::NAN).is_nan());
        assert_eq!(power_db(f32::INFINITY), f32::INFINITY);
        assert!((power_db(1e-9) - -90.0).abs() < 1e-4);
    }

    #[test]
    fn band_max_is_the_window_maximum() {
        let mut spec: Vec<f32> = (0..N_BINS)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 20) as f32 - 2000.0)
            .collect();
        spec[7] = f32::NAN;
        spec[N_BINS - 1] = f32::NEG_INFINITY;
        let mut out = vec![0.0; N_BINS];
        band_max_into(&spec, &mut out);
        for (k, &got) in out.iter().enumerate() {
            let lo = k.saturating_sub(PEAK_HALF_BINS);
            let hi = (k + PEAK_HALF_BINS).min(N_BINS - 1);
            let want = spec[lo..=hi]
                .iter()
                .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
            assert_eq!(got, want, "bin {k}");
        }
    }

    #[test]
    fn chunking_does_not_matter() {
        let x = tones(2.0, 0.3);
        let (a, _) = extract_peaks(&x, ExtractConfig::QUERY);
        let mut ex = PeakExtractor::new(ExtractConfig::QUERY);
        for c in x.chunks(777) {
            ex.push(c);
        }
        assert_eq!(ex.finish().0, a);
    }

    /// Queries keep their log-bin energies (and only queries), catalog tracks their fine print
    /// (one code per 4 frames), neither changes the peaks, and chunking changes neither.
    #[test]
    fn energies_and_fine_prints_go_where_they_are_used() {
        let x = tones(3.0, 0.3);
        let q = extract_all(&x, ExtractConfig::QUERY);
        let p = extract_all(&x, ExtractConfig::QUERY_PEAKS);
        let i = extract_all(&x, ExtractConfig::INDEX);
        assert_eq!(q.peaks, p.peaks);
        assert_eq!(q.energies.frames(), q.frames as usize);
        assert!(p.energies.bins.is_empty() && q.fine.is_empty());
        assert!(i.energies.bins.is_empty());
        assert_eq!(i.fine.len(), (i.frames / crate::fine::FINE_FRAMES) as usize);
        // the tone alternates every 250 ms: the codes change
        assert!(i.fine.iter().skip(1).any(|&c| c != i.fine[1]));
        let mut ex = PeakExtractor::new(ExtractConfig::INDEX);
        for c in x.chunks(333) {
            ex.push(c);
        }
        assert_eq!(ex.finish_all().fine, i.fine);
        let mut ex = PeakExtractor::new(ExtractConfig::QUERY);
        for c in x.chunks(333) {
            ex.push(c);
        }
        assert_eq!(ex.finish_all().energies, q.energies);
    }
}
