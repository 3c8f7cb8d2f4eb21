//! Streaming short-time Fourier transform on `realfft`, framed exactly like librosa's
//! `stft(center=True, pad_mode="constant")`: frame `t` is centred on sample `t * hop`, the
//! signal is zero-padded by `n_fft / 2` on both sides, and a signal of `n` samples gives
//! `1 + n / hop` frames. Matching librosa's framing is what lets the feature tests compare
//! against it value for value.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// A periodic Hann window of length `n` (scipy's `get_window("hann", n, fftbins=True)`).
pub fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let x = std::f64::consts::TAU * i as f64 / n as f64;
            (0.5 - 0.5 * x.cos()) as f32
        })
        .collect()
}

/// A streaming STFT that emits one power spectrum (`|X[k]|²`, `n_fft / 2 + 1` bins) per frame.
pub struct Stft {
    n_fft: usize,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    /// Samples not yet consumed by a frame (starts with the `n_fft / 2` zeros of centring),
    /// from `pending[read..]`.
    pending: Vec<f32>,
    /// Start of the next frame in `pending`. Consumed samples are dropped only once at least
    /// `n_fft` of them have accumulated, so a long frame fed small chunks does not move its
    /// whole window of samples on every push.
    read: usize,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
    frames: usize,
    finished: bool,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft")
            .field("n_fft", &self.n_fft)
            .field("hop", &self.hop)
            .field("frames", &self.frames)
            .finish()
    }
}

impl Stft {
    /// A Hann-windowed STFT of size `n_fft` (even) advancing `hop` samples per frame.
    pub fn new(n_fft: usize, hop: usize) -> Self {
        assert!(n_fft >= 2 && n_fft % 2 == 0, "n_fft must be even");
        assert!(hop >= 1 && hop <= n_fft, "hop must be in 1..=n_fft");
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Stft {
            n_fft,
            hop,
            window: hann(n_fft),
            fft,
            pending: vec![0.0; n_fft / 2],
            read: 0,
            frame: vec![0.0; n_fft],
            spectrum,
            scratch,
            power: vec![0.0; n_fft / 2 + 1],
            frames: 0,
            finished: false,
        }
    }

    /// FFT size.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop size in samples.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Frames emitted so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Feed samples; `on_frame(power)` is called once per completed frame.
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&[f32])) {
        debug_assert!(!self.finished, "push after finish");
        self.compact();
        self.pending.extend_from_slice(samples);
        self.drain(&mut on_frame);
    }

    /// Flush the tail (the closing `n_fft / 2` zeros of centring) and emit the last frames.
    pub fn finish(&mut self, mut on_frame: impl FnMut(&[f32])) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.compact();
        self.pending
            .extend(std::iter::repeat_n(0.0, self.n_fft / 2));
        self.drain(&mut on_frame);
    }

    /// Drop the consumed samples once there are at least `n_fft` of them (each sample is then
    /// moved at most about once).
    fn compact(&mut self) {
        if self.read >= self.n_fft {
            self.pending.drain(..self.read);
            self.read = 0;
        }
    }

    fn drain(&mut self, on_frame: &mut impl FnMut(&[f32])) {
        let mut start = self.read;
        while start + self.n_fft <= self.pending.len() {
            for ((f, x), w) in self
                .frame
                .iter_mut()
                .zip(&self.pending[start..start + self.n_fft])
                .zip(&self.window)
            {
                *f = x * w;
            }
            // Lengths are fixed at construction, so the transform cannot fail.
            let _ = self.fft.process_with_scratch(
                &mut self.frame,
                &mut self.spectrum,
                &mut self.scratch,
            );
            for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
                *p = c.norm_sqr();
            }
            on_frame(&self.power);
            self.frames += 1;
            start += self.hop;
        }
        // hop <= n_fft, so `start` never passes the end of `pending`.
        self.read = start;
    }
}
