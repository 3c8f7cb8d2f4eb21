//! Fine prints: a 16-bit band-energy code per 64 ms of every catalog track, stored next to its
//! landmarks, that tells the copies of a repeated passage apart.
//!
//! Landmarks are built from the strongest peaks, and those are what the copies of a repeated
//! passage share (the melody, the bass line); the copies differ in the weaker parts (another
//! accompaniment, a drum fill), and under noise the peaks of those parts are the first to go. On
//! the fingerprint bench most misses were the right track at another copy, with the two copies'
//! landmark counts within a few percent of each other. The fine print looks at the energy of
//! the whole spectrum instead: per 64 ms, the energy of [`FINE_BANDS`] bands of [`BAND_BINS`]
//! log bins (1/4.5 octave, 250 Hz – 3.6 kHz), and one bit per pair of adjacent bands — whether
//! their log-energy difference rose or fell since the previous 64 ms (the sub-fingerprint of
//! Haitsma & Kalker, "A Highly Robust Audio Fingerprinting System", 2002, on a log axis so that
//! it is level- and EQ-invariant: a fixed gain per band cancels in both differences). A query
//! is compared with each copy at its own alignment, scale and pitch (the query side keeps its
//! log-bin energies, so a pitch shift moves the band edges, not the content); the copy with the
//! fewest differing bits is the one the query came from. 16 bits per 64 ms is 110 KiB per hour
//! of audio in the index.
//!
//! (Hand-written: the code is a few lines over the extractor's own spectrum; a crate such as
//! `rusty-chromaprint` computes a different, chroma-based code from its own STFT.)

use crate::extract::{BINS_PER_OCTAVE, N_BINS};

/// STFT frames (16 ms) per fine-print frame.
pub const FINE_FRAMES: u32 = 4;
/// Bands per fine-print frame (one bit per adjacent pair: 16 bits).
pub const FINE_BANDS: usize = 17;
/// Log bins per band.
pub const BAND_BINS: usize = 8;
/// Query frames whose log-bin energies are kept for the comparison (60 s).
pub const QUERY_ENERGY_FRAMES: usize = 3750;

/// Per-frame log-bin energies (linear power, [`N_BINS`] per frame) of a query's first
/// [`QUERY_ENERGY_FRAMES`] frames, for the comparison with fine prints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryEnergies {
    /// `frames × N_BINS` values, frame-major.
    pub bins: Vec<f32>,
}

impl QueryEnergies {
    /// Frames held.
    pub fn frames(&self) -> usize {
        self.bins.len() / N_BINS
    }
}

/// Band energies of one frame's log-bin energies, with the band edges moved by `shift` log bins
/// (a query pitched up by `b` has its content `BINS_PER_OCTAVE * log2(b)` bins higher).
pub(crate) fn band_energies(bins: &[f32], shift: f32, out: &mut [f32; FINE_BANDS]) {
    if shift == 0.0 && bins.len() >= FINE_BANDS * BAND_BINS {
        // whole bins (every catalog frame): plain sums
        for (o, band) in out.iter_mut().zip(bins.chunks_exact(BAND_BINS)) {
            *o = band.iter().sum();
        }
        return;
    }
    let n = bins.len().min(N_BINS);
    for (b, o) in out.iter_mut().enumerate() {
        let lo = (b * BAND_BINS) as f32 + shift;
        let hi = lo + BAND_BINS as f32;
        let mut e = 0.0f32;
        let first = lo.floor().max(0.0) as usize;
        let last = (hi.ceil() as usize).min(n);
        for (k, &x) in bins.iter().enumerate().take(last).skip(first) {
            // the part of bin k (the interval [k, k + 1)) inside [lo, hi)
            let w = ((k + 1) as f32).min(hi) - (k as f32).max(lo);
            if w > 0.0 {
                e += w * x;
            }
        }
        *o = e;
    }
}

/// Adjacent-band log-energy differences of a fine frame's band energies.
fn band_slopes(e: &[f32; FINE_BANDS]) -> [f32; FINE_BANDS - 1] {
    let mut ln = [0.0f32; FINE_BANDS];
    for (l, &x) in ln.iter_mut().zip(e) {
        *l = (x + 1e-9).ln();
    }
    let mut d = [0.0f32; FINE_BANDS - 1];
    for (b, o) in d.iter_mut().enumerate() {
        *o = ln[b] - ln[b + 1];
    }
    d
}

/// The code of a fine frame from its band slopes and the previous frame's: bit `b` is set when
/// the log-energy difference of bands `b` and `b + 1` rose.
fn code_of(prev: &[f32; FINE_BANDS - 1], cur: &[f32; FINE_BANDS - 1]) -> u16 {
    let mut c = 0u16;
    for b in 0..FINE_BANDS - 1 {
        if cur[b] - prev[b] > 0.0 {
            c |= 1 << b;
        }
    }
    c
}

/// The code of a fine frame from its band energies and the previous frame's.
pub(crate) fn code(prev: &[f32; FINE_BANDS], cur: &[f32; FINE_BANDS]) -> u16 {
    code_of(&band_slopes(prev), &band_slopes(cur))
}

/// Builds a track's fine print from its frames' log-bin energies, streaming.
#[derive(Debug, Default)]
pub(crate) struct FineAccumulator {
    acc: [f32; FINE_BANDS],
    n: u32,
    prev: Option<[f32; FINE_BANDS]>,
    out: Vec<u16>,
}

impl FineAccumulator {
    /// Add one STFT frame's log-bin energies.
    pub fn push(&mut self, bins: &[f32]) {
        let mut e = [0.0; FINE_BANDS];
        band_energies(bins, 0.0, &mut e);
        for (a, x) in self.acc.iter_mut().zip(e) {
            *a += x;
        }
        self.n += 1;
        if self.n == FINE_FRAMES {
            let cur = self.acc;
            // The first frame has no predecessor: its code carries nothing (0, never compared).
            self.out.push(self.prev.map_or(0, |p| code(&p, &cur)));
            self.prev = Some(cur);
            self.acc = [0.0; FINE_BANDS];
            self.n = 0;
        }
    }

    /// The codes of every complete fine frame.
    pub fn finish(self) -> Vec<u16> {
        self.out
    }
}

/// A query's band energies per frame under one pitch hypothesis.
pub(crate) struct QueryBands(Vec<[f32; FINE_BANDS]>);

impl QueryBands {
    /// The band energies of `q`'s frames when its frequencies are `freq_factor` times the
    /// track's.
    pub fn new(q: &QueryEnergies, freq_factor: f64) -> QueryBands {
        let shift = (BINS_PER_OCTAVE as f64 * freq_factor.max(1e-3).log2()) as f32;
        QueryBands(
            q.bins
                .chunks_exact(N_BINS)
                .map(|f| {
                    let mut b = [0.0; FINE_BANDS];
                    band_energies(f, shift, &mut b);
                    b
                })
                .collect(),
        )
    }
}

/// Differing bits and bits compared between a track's fine print (`code_at(j)` of fine frame
/// `j`, `None` past its end) and a query aligned on it by track frame = `alpha` × query frame
/// + `beta`. `None` when fewer than `min_frames` fine frames overlap.
pub(crate) fn mismatch(
    code_at: impl Fn(usize) -> Option<u16>,
    bands: &QueryBands,
    alpha: f64,
    beta: f64,
    min_frames: usize,
) -> Option<(u32, u32)> {
    let bands = &bands.0;
    let nq = bands.len();
    if nq == 0 || alpha <= 0.0 {
        return None;
    }
    // Fine frames whose track frames all map into the query.
    let frame_of = |r: f64| -> Option<usize> {
        let t = ((r - beta) / alpha).round();
        (t >= 0.0 && t < nq as f64).then_some(t as usize)
    };
    let fine_energy = |j: usize| -> Option<[f32; FINE_BANDS]> {
        let mut e = [0.0f32; FINE_BANDS];
        for r in 0..FINE_FRAMES as usize {
            let f = frame_of((j * FINE_FRAMES as usize + r) as f64)?;
            for (a, x) in e.iter_mut().zip(&bands[f]) {
                *a += x;
            }
        }
        Some(e)
    };
    let first = ((beta / FINE_FRAMES as f64).floor().max(0.0)) as usize;
    let last = ((alpha * nq as f64 + beta) / FINE_FRAMES as f64)
        .ceil()
        .max(0.0) as usize;
    let (mut diff, mut bits, mut frames) = (0u32, 0u32, 0usize);
    let mut prev: Option<[f32; FINE_BANDS - 1]> = None;
    for j in first..=last {
        let cur = fine_energy(j).map(|e| band_slopes(&e));
        if let (Some(p), Some(c), Some(t)) = (prev, cur, code_at(j)) {
            if j > 0 {
                diff += (code_of(&p, &c) ^ t).count_ones();
                bits += (FINE_BANDS - 1) as u32;
                frames += 1;
            }
        }
        prev = cur;
    }
    (frames >= min_frames).then_some((diff, bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seed: u32) -> Vec<f32> {
        (0..N_BINS as u32)
            .map(|k| {
                let h = (k.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503)) >> 8;
                1.0 + (h % 1000) as f32
            })
            .collect()
    }

    #[test]
    fn band_energies_sum_the_bins_and_shift_fractionally() {
        let bins: Vec<f32> = (0..N_BINS).map(|k| k as f32).collect();
        let mut e = [0.0; FINE_BANDS];
        band_energies(&bins, 0.0, &mut e);
        assert_eq!(e[0], (0..8).sum::<usize>() as f32);
        assert_eq!(e[16], (128..136).sum::<usize>() as f32);
        band_energies(&bins, 0.5, &mut e);
        // [0.5, 8.5): half of bin 0 and of bin 8
        assert!((e[0] - (0.5 * 0.0 + (1..8).sum::<usize>() as f32 + 0.5 * 8.0)).abs() < 1e-4);
    }

    #[test]
    fn a_query_matches_its_own_alignment_best_and_is_level_invariant() {
        let frames: Vec<Vec<f32>> = (0..400).map(frame).collect();
        let mut acc = FineAccumulator::default();
        for f in &frames {
            acc.push(f);
        }
        let fine = acc.finish();
        assert_eq!(fine.len(), 100);
        // A query: frames 80..280 at a different level.
        let q = QueryEnergies {
            bins: frames[80..280]
                .iter()
                .flat_map(|f| f.iter().map(|x| 0.01 * x))
                .collect(),
        };
        let bands = QueryBands::new(&q, 1.0);
        let at = |beta: f64| {
            let (d, n) = mismatch(|j| fine.get(j).copied(), &bands, 1.0, beta, 10).unwrap();
            d as f64 / n as f64
        };
        assert!(at(80.0) < 1e-9, "{}", at(80.0));
        assert!(at(40.0) > 0.3, "{}", at(40.0));
        assert!(at(160.0) > 0.3);
        assert!(mismatch(|j| fine.get(j).copied(), &bands, 1.0, 80.0, 60).is_none());
    }
}
