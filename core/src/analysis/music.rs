//! Tempo, key and feature-vector analysis as a pipeline [`Analyzer`]: reads the shared mono
//! 22 050 Hz stream and runs [`MusicAnalyzer`] (one STFT for tempo, features and chroma; the
//! key's long STFT) over it.
//!
//! When only the key is asked for, the stage reads mono at the source rate instead: the
//! [`KeyEstimator`] takes any input rate and decimates by powers of two itself, so the
//! resampler (the costliest part of a key-only analysis) is skipped.

use super::{Analysis, Analyzer, StreamFormat};
use crate::buffer::AudioBuffer;
use crate::error::Result;
use crate::mir::{KeyEstimator, MusicAnalyzer, MusicOptions, ANALYSIS_RATE};

/// Pipeline adapter around [`MusicAnalyzer`] (or a lone [`KeyEstimator`] for key-only runs).
#[derive(Debug)]
pub struct MusicAnalysisStage {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    /// Tempo and/or features (and perhaps key) on the shared 22 050 Hz stream.
    Full(Box<MusicAnalyzer>),
    /// Key only, at the source rate; the estimator is made on the first chunk, when the
    /// rate is known.
    KeyOnly(Option<Box<KeyEstimator>>),
}

impl MusicAnalysisStage {
    /// A stage computing what `options` enables.
    pub fn new(options: &MusicOptions) -> Self {
        let inner = if options.key && !options.tempo && !options.features {
            Inner::KeyOnly(None)
        } else {
            Inner::Full(Box::new(MusicAnalyzer::new(options)))
        };
        MusicAnalysisStage { inner }
    }
}

impl Analyzer for MusicAnalysisStage {
    fn name(&self) -> &'static str {
        "music"
    }

    fn format(&self) -> StreamFormat {
        match self.inner {
            Inner::Full(_) => StreamFormat::mono_at(ANALYSIS_RATE),
            Inner::KeyOnly(_) => StreamFormat {
                mono: true,
                sample_rate: None,
            },
        }
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        let Some(mono) = chunk.channels.first() else {
            return Ok(());
        };
        match &mut self.inner {
            Inner::Full(a) => a.push(mono),
            Inner::KeyOnly(k) => {
                if mono.is_empty() {
                    return Ok(());
                }
                let k = k.get_or_insert_with(|| Box::new(KeyEstimator::new(chunk.sample_rate)));
                // Non-finite samples count as silence, as in `MusicAnalyzer::push`.
                // (A non-short-circuiting fold: it vectorises, `all` does not.)
                if mono.iter().fold(true, |ok, s| ok & s.is_finite()) {
                    k.push(mono);
                } else {
                    k.push(&crate::mir::finite_or_silence(mono));
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, analysis: &mut Analysis) -> Result<()> {
        match self.inner {
            Inner::Full(a) => {
                let r = a.finish();
                analysis.tempo = r.tempo;
                analysis.key = r.key;
                analysis.features = r.features;
            }
            Inner::KeyOnly(k) => {
                let k = k.map_or_else(|| KeyEstimator::new(ANALYSIS_RATE), |k| *k);
                analysis.key = Some(k.finish());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_only_reads_the_source_rate_and_gives_only_a_key() {
        let key_only = MusicOptions {
            tempo: false,
            features: false,
            ..MusicOptions::default()
        };
        let mut stage = Box::new(MusicAnalysisStage::new(&key_only));
        assert_eq!(
            stage.format(),
            StreamFormat {
                mono: true,
                sample_rate: None
            }
        );
        assert_eq!(
            MusicAnalysisStage::new(&MusicOptions::default()).format(),
            StreamFormat::mono_at(ANALYSIS_RATE)
        );
        // An A minor triad at 44.1 kHz, fed straight to the stage.
        let rate = 44_100u32;
        let tone: Vec<f32> = (0..rate as usize * 8)
            .map(|i| {
                let t = i as f32 / rate as f32;
                [220.0f32, 261.63, 329.63]
                    .iter()
                    .map(|f| (t * f * std::f32::consts::TAU).sin() * 0.2)
                    .sum()
            })
            .collect();
        for c in tone.chunks(4_096) {
            stage
                .process(&AudioBuffer {
                    sample_rate: rate,
                    channels: vec![c.to_vec()],
                })
                .unwrap();
        }
        let mut a = Analysis::default();
        stage.finish(&mut a).unwrap();
        assert!(a.tempo.is_none() && a.features.is_none());
        let native = a.key.unwrap();
        // The same as the estimator run by hand at the source rate.
        let mut k = KeyEstimator::new(rate);
        for c in tone.chunks(4_096) {
            k.push(c);
        }
        assert_eq!(native, k.finish());
    }
}
