//! Frame-level matrices for ML users: mel spectrogram, MFCC, chroma and spectral shape, with
//! librosa's default framing (2048-point Hann STFT, hop 512, centred with zero padding) so
//! they line up with `librosa.feature.*` frame for frame.

use serde::{Deserialize, Serialize};

use super::features::{spectral_shape, N_MELS, N_MFCC};
use crate::dsp::chroma::normalize_max;
use crate::dsp::mel::power_to_db;
use crate::dsp::{ChromaFilterbank, Dct, MelFilterbank, Stft};

/// FFT size used for the matrices.
pub const FRAME_N_FFT: usize = 2048;
/// Hop used for the matrices.
pub const FRAME_HOP: usize = 512;

/// Frame-level features, one row per STFT frame (`1 + samples / 512` frames).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameMatrices {
    /// Sample rate of the input.
    pub sample_rate: u32,
    /// Hop between frames, in samples.
    pub hop: usize,
    /// Centre time of each frame in seconds.
    pub times_s: Vec<f64>,
    /// Mel power spectrogram in dB (128 Slaney bands, 0 Hz – Nyquist), `power_to_db(ref=1,
    /// amin=1e-10, top_db=80)` as librosa: values below the track maximum − 80 dB are raised
    /// to it.
    pub mel_db: Vec<Vec<f32>>,
    /// 20 MFCCs per frame (orthonormal DCT-II of `mel_db`), librosa's `feature.mfcc`.
    pub mfcc: Vec<Vec<f32>>,
    /// 12-bin chroma per frame (C … B), each frame scaled to max 1, librosa's `chroma_stft`
    /// with `tuning=0`.
    pub chroma: Vec<[f32; 12]>,
    /// Spectral centroid per frame (Hz).
    pub centroid: Vec<f32>,
    /// 85 % roll-off per frame (Hz).
    pub rolloff: Vec<f32>,
    /// Spectral flatness per frame.
    pub flatness: Vec<f32>,
}

/// Compute the frame-level matrices of a mono signal at `sample_rate`.
pub fn frame_matrices(samples: &[f32], sample_rate: u32) -> FrameMatrices {
    let mut stft = Stft::new(FRAME_N_FFT, FRAME_HOP);
    let mel = MelFilterbank::new(
        sample_rate,
        FRAME_N_FFT,
        N_MELS,
        0.0,
        f64::from(sample_rate) / 2.0,
    );
    let chroma_fb = ChromaFilterbank::new(sample_rate, FRAME_N_FFT, 0.0);
    let mut out = FrameMatrices {
        sample_rate,
        hop: FRAME_HOP,
        ..Default::default()
    };
    let mut mag = Vec::new();
    let mut on_frame = |p: &[f32]| {
        let mut m = vec![0f32; N_MELS];
        mel.apply(p, &mut m);
        for v in m.iter_mut() {
            *v = power_to_db(*v);
        }
        out.mel_db.push(m);
        let mut c = [0f32; 12];
        chroma_fb.apply(p, &mut c);
        normalize_max(&mut c);
        out.chroma.push(c);
        let s = spectral_shape(p, sample_rate, &mut mag);
        out.centroid.push(s.centroid);
        out.rolloff.push(s.rolloff);
        out.flatness.push(s.flatness);
    };
    let clean: Vec<f32> = samples
        .iter()
        .map(|&s| if s.is_finite() { s } else { 0.0 })
        .collect();
    stft.push(&clean, &mut on_frame);
    stft.finish(&mut on_frame);
    let top = out
        .mel_db
        .iter()
        .flatten()
        .cloned()
        .fold(f32::NEG_INFINITY, f32::max);
    let dct = Dct::new(N_MELS, N_MFCC);
    for row in out.mel_db.iter_mut() {
        for v in row.iter_mut() {
            *v = v.max(top - 80.0);
        }
        let mut c = vec![0f32; N_MFCC];
        dct.apply(row, &mut c);
        out.mfcc.push(c);
    }
    out.times_s = (0..out.mel_db.len())
        .map(|i| (i * FRAME_HOP) as f64 / f64::from(sample_rate))
        .collect();
    out
}
