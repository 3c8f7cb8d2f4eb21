//! STFT chroma filterbank, the same construction as librosa's `filters.chroma` (Ellis'
//! `fft2chromamx`): every FFT bin spreads its energy over the 12 pitch classes with a Gaussian
//! bump whose width follows the bin's width in semitones, weighted by a broad Gaussian over
//! octaves centred on C5 (`ctroct = 5`, `octwidth = 2`). Index 0 is C.

/// A dense 12 × (`n_fft / 2 + 1`) chroma filterbank.
#[derive(Clone, Debug)]
pub struct ChromaFilterbank {
    n_bins: usize,
    /// Bin-major: the 12 pitch-class weights of FFT bin `k` at `weights[k]`, so
    /// [`ChromaFilterbank::apply`] runs the 12 sums side by side in SIMD lanes.
    weights: Vec<[f32; 12]>,
}

impl ChromaFilterbank {
    /// Build for an `n_fft`-point spectrum at `sample_rate`, with the reference A shifted by
    /// `tuning` semitones (librosa's `tuning`, fractions of a chroma bin).
    pub fn new(sample_rate: u32, n_fft: usize, tuning: f64) -> Self {
        let n_chroma = 12usize;
        let nc = n_chroma as f64;
        let sr = f64::from(sample_rate);
        let a440 = 440.0 * 2f64.powf(tuning / nc);
        // Bins 1..n_fft in chroma-bin units; bin 0 is set 1.5 octaves below bin 1.
        let mut frq = Vec::with_capacity(n_fft);
        frq.push(0.0);
        for k in 1..n_fft {
            let f = sr * k as f64 / n_fft as f64;
            frq.push(nc * (f / (a440 / 16.0)).log2());
        }
        frq[0] = frq[1] - 1.5 * nc;
        let mut width = Vec::with_capacity(n_fft);
        for k in 0..n_fft {
            width.push(if k + 1 < n_fft {
                (frq[k + 1] - frq[k]).max(1.0)
            } else {
                1.0
            });
        }
        let half = (nc / 2.0).round();
        let n_bins = n_fft / 2 + 1;
        let mut w = vec![0f64; n_chroma * n_fft];
        for k in 0..n_fft {
            let mut norm = 0.0;
            for c in 0..n_chroma {
                let d = (frq[k] - c as f64 + half + 10.0 * nc).rem_euclid(nc) - half;
                let v = (-0.5 * (2.0 * d / width[k]).powi(2)).exp();
                w[c * n_fft + k] = v;
                norm += v * v;
            }
            let norm = norm.sqrt();
            let oct = (-0.5 * ((frq[k] / nc - 5.0) / 2.0).powi(2)).exp();
            for c in 0..n_chroma {
                if norm > 0.0 {
                    w[c * n_fft + k] = w[c * n_fft + k] / norm * oct;
                }
            }
        }
        // Roll so that index 0 is C (the construction above starts at A).
        let mut weights = vec![[0f32; 12]; n_bins];
        for c in 0..n_chroma {
            let src = (c + 3) % n_chroma;
            for (k, wk) in weights.iter_mut().enumerate() {
                wk[c] = w[src * n_fft + k] as f32;
            }
        }
        ChromaFilterbank { n_bins, weights }
    }

    /// Raw (unnormalised) chroma of one power spectrum.
    ///
    /// Each pitch class is summed over the bins in bin order (the same arithmetic, bit for
    /// bit, as a row-by-row dot product), but the 12 running sums advance together, which
    /// the compiler turns into vector adds instead of 12 serial dependency chains.
    pub fn apply(&self, power: &[f32], out: &mut [f32; 12]) {
        debug_assert_eq!(power.len(), self.n_bins);
        let mut acc = [0f32; 12];
        for (w, &p) in self.weights.iter().zip(power) {
            for (a, &wc) in acc.iter_mut().zip(w) {
                *a += wc * p;
            }
        }
        *out = acc;
    }
}

/// Scale a chroma vector so its maximum is 1 (librosa's `norm=inf`); all-zero stays zero.
pub fn normalize_max(c: &mut [f32; 12]) {
    let m = c.iter().cloned().fold(0.0f32, f32::max);
    if m > f32::MIN_POSITIVE {
        for x in c.iter_mut() {
            *x /= m;
        }
    }
}
