//! Mel filterbank (Slaney scale and area normalisation, librosa's defaults), decibels, and
//! the DCT-II behind MFCCs.
//!
//! The Slaney mel scale is linear below 1 kHz (`mel = f / (200/3)`) and logarithmic above
//! (`mel = 15 + ln(f / 1000) / (ln 6.4 / 27)`). Filter `i` is a triangle from mel point `i` to
//! `i + 2`, scaled by `2 / (f[i+2] - f[i])` so every filter has the same area.

/// Hz to Slaney mel.
pub fn hz_to_mel(f: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let logstep = 6.4f64.ln() / 27.0;
    if f < 1000.0 {
        f / f_sp
    } else {
        15.0 + (f / 1000.0).ln() / logstep
    }
}

/// Slaney mel to Hz.
pub fn mel_to_hz(m: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let logstep = 6.4f64.ln() / 27.0;
    if m < 15.0 {
        m * f_sp
    } else {
        1000.0 * (logstep * (m - 15.0)).exp()
    }
}

/// A sparse mel filterbank: each filter is a contiguous run of FFT-bin weights.
#[derive(Clone, Debug)]
pub struct MelFilterbank {
    /// `(first_bin, weights)` per mel band.
    bands: Vec<(usize, Vec<f32>)>,
    /// The same bands regrouped [`GROUP`] at a time for [`MelFilterbank::apply`].
    groups: Vec<BandGroup>,
    n_bins: usize,
    /// Centre frequency of each band in Hz.
    centers_hz: Vec<f64>,
}

/// Bands summed side by side: each band's dot product is a serial chain of additions, so
/// [`GROUP`] neighbouring bands advance together, one bin of each per step (independent
/// chains the CPU overlaps), every band still summing its own bins in order — the same result
/// bit for bit as one band at a time. Shorter bands are padded with zero weights on bins
/// inside the spectrum, which add exactly nothing.
#[derive(Clone, Debug)]
struct BandGroup {
    /// First bin of each band (clamped so `first + len` stays inside the spectrum).
    first: [usize; GROUP],
    /// Number of bands in use (the last group may be partial).
    used: usize,
    /// `weights[j][l]`: weight of bin `first[l] + j` in band `l`.
    weights: Vec<[f32; GROUP]>,
}

/// Bands per [`BandGroup`].
const GROUP: usize = 8;

impl MelFilterbank {
    /// `n_mels` Slaney-normalised triangles between `fmin` and `fmax` for an `n_fft`-point
    /// spectrum at `sample_rate` (librosa `filters.mel(htk=False, norm="slaney")`).
    pub fn new(sample_rate: u32, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> Self {
        let n_bins = n_fft / 2 + 1;
        let (mlo, mhi) = (hz_to_mel(fmin), hz_to_mel(fmax));
        let mel_f: Vec<f64> = (0..n_mels + 2)
            .map(|i| mel_to_hz(mlo + (mhi - mlo) * i as f64 / (n_mels + 1) as f64))
            .collect();
        let sr = f64::from(sample_rate);
        let fft_f: Vec<f64> = (0..n_bins)
            .map(|k| sr / 2.0 * k as f64 / (n_bins - 1) as f64)
            .collect();
        let mut bands = Vec::with_capacity(n_mels);
        for i in 0..n_mels {
            let (lo, c, hi) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
            let enorm = 2.0 / (hi - lo);
            let mut first = None;
            let mut w = Vec::new();
            // Only bins strictly inside (lo, hi) can have a positive weight: scan just those
            // (plus one bin of margin each side) instead of the whole spectrum per band.
            let df = sr / 2.0 / (n_bins - 1) as f64;
            let k_lo = ((lo / df).floor() as usize).saturating_sub(1).min(n_bins);
            let k_hi = ((hi / df).ceil() as usize + 2).min(n_bins);
            for (k, &f) in fft_f.iter().enumerate().take(k_hi).skip(k_lo) {
                let lower = (f - lo) / (c - lo);
                let upper = (hi - f) / (hi - c);
                let v = lower.min(upper).max(0.0);
                if v > 0.0 {
                    if first.is_none() {
                        first = Some(k);
                    }
                    // Keep interior zeros so the run stays contiguous.
                    let start = first.unwrap_or(k);
                    w.resize(k - start, 0.0);
                    w.push((v * enorm) as f32);
                }
            }
            bands.push((first.unwrap_or(0), w));
        }
        let groups = bands
            .chunks(GROUP)
            .map(|chunk| {
                let len = chunk.iter().map(|(_, w)| w.len()).max().unwrap_or(0);
                let mut g = BandGroup {
                    first: [0; GROUP],
                    used: chunk.len(),
                    weights: vec![[0.0; GROUP]; len],
                };
                for (l, (first, w)) in chunk.iter().enumerate() {
                    // Padding runs past the band's end; start earlier if it would run past
                    // the spectrum (leading zero weights), so every index stays in range.
                    let start = (*first).min(n_bins.saturating_sub(len));
                    let lead = first - start;
                    g.first[l] = start;
                    for (j, &v) in w.iter().enumerate() {
                        g.weights[lead + j][l] = v;
                    }
                }
                g
            })
            .collect();
        MelFilterbank {
            bands,
            groups,
            n_bins,
            centers_hz: mel_f[1..=n_mels].to_vec(),
        }
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.bands.len()
    }

    /// Centre frequency of every band in Hz.
    pub fn centers_hz(&self) -> &[f64] {
        &self.centers_hz
    }

    /// Apply to one power spectrum (`n_fft / 2 + 1` bins), writing `n_mels` values to `out`.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        assert_eq!(power.len(), self.n_bins, "power spectrum length");
        for (g, out) in self.groups.iter().zip(out.chunks_mut(GROUP)) {
            let mut acc = [0f32; GROUP];
            for (j, w) in g.weights.iter().enumerate() {
                for l in 0..GROUP {
                    acc[l] += w[l] * power[g.first[l] + j];
                }
            }
            let n = g.used.min(out.len());
            out[..n].copy_from_slice(&acc[..n]);
        }
    }
}

/// `10 log10(max(x, 1e-10))`: power to decibels with librosa's `amin` and `ref = 1`.
pub fn power_to_db(x: f32) -> f32 {
    10.0 * x.max(1e-10).log10()
}

/// An orthonormal DCT-II keeping the first `n_out` coefficients (scipy `dct(type=2,
/// norm="ortho")`), as a precomputed matrix.
#[derive(Clone, Debug)]
pub struct Dct {
    n_out: usize,
    /// Input-major: the `n_out` basis values of input `n` at `n * n_out ..`, so
    /// [`Dct::apply`] advances all output sums together (vector adds).
    basis: Vec<f32>,
}

impl Dct {
    /// A DCT from `n_in` inputs to `n_out` coefficients.
    pub fn new(n_in: usize, n_out: usize) -> Self {
        let mut basis = vec![0f32; n_in * n_out];
        for k in 0..n_out {
            let s = if k == 0 {
                (1.0 / n_in as f64).sqrt()
            } else {
                (2.0 / n_in as f64).sqrt()
            };
            for n in 0..n_in {
                let a = std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2 * n_in) as f64;
                basis[n * n_out + k] = (s * a.cos()) as f32;
            }
        }
        Dct { n_out, basis }
    }

    /// Transform `x` (`n_in` values) into `out` (`n_out` values).
    ///
    /// Every coefficient is summed over the inputs in input order, as a row-by-row dot
    /// product would (same result bit for bit), with all coefficients advancing together.
    pub fn apply(&self, x: &[f32], out: &mut [f32]) {
        let n = self.n_out.min(out.len());
        let out = &mut out[..n];
        out.fill(0.0);
        for (row, &xn) in self.basis.chunks_exact(self.n_out).zip(x) {
            for (o, &b) in out.iter_mut().zip(row) {
                *o += b * xn;
            }
        }
    }
}
