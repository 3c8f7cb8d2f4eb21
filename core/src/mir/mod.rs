//! Music information retrieval: tempo and beats, key, and feature vectors, computed in one
//! streaming pass over 22 050 Hz mono audio with one shared STFT.
//!
//! [`MusicAnalyzer`] takes mono chunks at [`ANALYSIS_RATE`] (what
//! [`ConvertingDecoder`](crate::ConvertingDecoder) with `sample_rate: Some(22_050), mono: true`
//! produces) and returns a [`MusicAnalysis`] from [`MusicAnalyzer::finish`]. The one
//! 2048-point / 512-hop STFT feeds the mel filterbank (onset envelope for tempo, MFCCs), the
//! chroma filterbank and the spectral-shape features; the key estimator decimates to
//! 11 025 Hz and runs its own long (8 192-point, 1.35 Hz bins) STFT because key needs
//! semitone resolution in the bass. [`KeyEstimator`] also works alone at any input rate.
//!
//! ```
//! use quaver_core::mir::{MusicAnalyzer, MusicOptions, ANALYSIS_RATE};
//! let mut a = MusicAnalyzer::new(&MusicOptions::default());
//! // A 440 Hz tone, one second.
//! let tone: Vec<f32> = (0..ANALYSIS_RATE as usize)
//!     .map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / ANALYSIS_RATE as f32).sin() * 0.5)
//!     .collect();
//! a.push(&tone);
//! let result = a.finish();
//! assert!(result.tempo.unwrap().bpm.is_finite());
//! ```

pub mod features;
pub mod frames;
pub mod key;
pub mod onset;
pub mod tempo;

use serde::{Deserialize, Serialize};

use crate::dsp::{ChromaFilterbank, Dct, MelFilterbank, Stft};
pub use features::{similarity, FeatureVector, FEATURES_VERSION};
pub use frames::{frame_matrices, FrameMatrices};
pub use key::{Key, KeyCandidate, KeyEstimator};
pub use onset::{OnsetEnvelope, OnsetTracker};
pub use tempo::{Tempo, TempoAlternative, TempoOptions, TempoPoint};

/// Sample rate of the analysis stream (mono).
pub const ANALYSIS_RATE: u32 = 22_050;
/// FFT size of the shared STFT.
pub const N_FFT: usize = 2048;
/// Hop of the shared STFT.
pub const HOP: usize = 512;

/// Which music analyses to run, and their parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MusicOptions {
    /// Estimate tempo, beats and downbeats.
    pub tempo: bool,
    /// Estimate the key.
    pub key: bool,
    /// Compute the feature vector.
    pub features: bool,
    /// Tempo range (the BPM prior's support).
    pub tempo_range: TempoOptions,
}

impl Default for MusicOptions {
    fn default() -> Self {
        MusicOptions {
            tempo: true,
            key: true,
            features: true,
            tempo_range: TempoOptions::default(),
        }
    }
}

/// Results of the music analyses that were enabled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MusicAnalysis {
    /// Tempo, beats, downbeats, tempo curve.
    pub tempo: Option<Tempo>,
    /// Key.
    pub key: Option<Key>,
    /// Feature vector.
    pub features: Option<FeatureVector>,
}

/// The streaming music analyser: push mono samples at [`ANALYSIS_RATE`], then finish.
#[derive(Debug)]
pub struct MusicAnalyzer {
    options: MusicOptions,
    stft: Stft,
    sink: FrameSink,
}

/// Everything that consumes the shared STFT frames.
#[derive(Debug)]
struct FrameSink {
    mel: MelFilterbank,
    dct: Dct,
    chroma_fb: Option<ChromaFilterbank>,
    onset: OnsetTracker,
    key: Option<KeyEstimator>,
    features: Option<features::FeatureAccumulator>,
    mel_buf: Vec<f32>,
    db_buf: Vec<f32>,
    mfcc_buf: Vec<f32>,
}

impl MusicAnalyzer {
    /// A fresh analyser (stateless between tracks: make one per track).
    pub fn new(options: &MusicOptions) -> Self {
        let mel = MelFilterbank::new(
            ANALYSIS_RATE,
            N_FFT,
            features::N_MELS,
            0.0,
            f64::from(ANALYSIS_RATE) / 2.0,
        );
        let fps = f64::from(ANALYSIS_RATE) / HOP as f64;
        let onset = OnsetTracker::new(mel.centers_hz(), fps);
        let sink = FrameSink {
            dct: Dct::new(features::N_MELS, features::N_MFCC),
            chroma_fb: options
                .features
                .then(|| ChromaFilterbank::new(ANALYSIS_RATE, N_FFT, 0.0)),
            onset,
            key: options.key.then(|| KeyEstimator::new(ANALYSIS_RATE)),
            features: options
                .features
                .then(|| features::FeatureAccumulator::new(ANALYSIS_RATE)),
            mel_buf: vec![0.0; mel.n_mels()],
            db_buf: vec![0.0; mel.n_mels()],
            mfcc_buf: vec![0.0; features::N_MFCC],
            mel,
        };
        MusicAnalyzer {
            options: options.clone(),
            stft: Stft::new(N_FFT, HOP),
            sink,
        }
    }

    /// Feed mono samples at [`ANALYSIS_RATE`]. Non-finite samples are treated as silence.
    pub fn push(&mut self, samples: &[f32]) {
        if samples.iter().any(|s| !s.is_finite()) {
            return self.push(&finite_or_silence(samples));
        }
        if let Some(k) = self.sink.key.as_mut() {
            k.push(samples);
        }
        if let Some(f) = self.sink.features.as_mut() {
            f.push_samples(samples);
        }
        // The shared STFT feeds only the onset envelope (tempo) and the features: a key-only
        // analysis skips it.
        if self.needs_stft() {
            let sink = &mut self.sink;
            self.stft.push(samples, |p| sink.on_frame(p));
        }
    }

    fn needs_stft(&self) -> bool {
        self.options.tempo || self.options.features
    }

    /// Flush the streams and run the estimators.
    pub fn finish(mut self) -> MusicAnalysis {
        if self.needs_stft() {
            let sink = &mut self.sink;
            self.stft.finish(|p| sink.on_frame(p));
        }
        let sink = self.sink;
        let env = sink.onset.into_envelope();
        let tempo = (self.options.tempo || self.options.features)
            .then(|| tempo::estimate(&env, &self.options.tempo_range));
        let key = sink.key.map(KeyEstimator::finish);
        let features = sink.features.map(|f| {
            let duration = env.strength.len() as f64 / env.fps.max(1e-9);
            let onset_rate = if duration > 0.0 {
                onset::count_onsets(&env) as f64 / duration
            } else {
                0.0
            };
            let t = tempo.clone().unwrap_or_default();
            let k = key.clone().unwrap_or_default();
            f.finish(
                onset_rate,
                t.pulse_clarity,
                (t.bpm, t.confidence),
                (k.mode == "minor", k.confidence),
            )
        });
        MusicAnalysis {
            tempo: if self.options.tempo { tempo } else { None },
            key,
            features,
        }
    }
}

impl FrameSink {
    fn on_frame(&mut self, power: &[f32]) {
        self.mel.apply(power, &mut self.mel_buf);
        // The mel spectrum in dB, computed once for the onset envelope and the MFCCs.
        for (d, &m) in self.db_buf.iter_mut().zip(&self.mel_buf) {
            *d = crate::dsp::mel::power_to_db(m);
        }
        self.onset.push_db(&self.db_buf);
        if let Some(f) = self.features.as_mut() {
            self.dct.apply(&self.db_buf, &mut self.mfcc_buf);
            let mut chroma = [0f32; 12];
            if let Some(fb) = &self.chroma_fb {
                fb.apply(power, &mut chroma);
            }
            f.push_frame(power, &self.mfcc_buf, &chroma);
        }
    }
}

/// Analyse a whole mono buffer at [`ANALYSIS_RATE`] (convenience over [`MusicAnalyzer`]).
pub fn analyze_mono(samples: &[f32], options: &MusicOptions) -> MusicAnalysis {
    let mut a = MusicAnalyzer::new(options);
    for chunk in samples.chunks(8192) {
        a.push(chunk);
    }
    a.finish()
}

/// `samples` with every non-finite value (NaN, ±inf) replaced by silence: what the analysers
/// read, so one bad sample cannot poison a whole analysis.
pub(crate) fn finite_or_silence(samples: &[f32]) -> Vec<f32> {
    samples
        .iter()
        .map(|&s| if s.is_finite() { s } else { 0.0 })
        .collect()
}
