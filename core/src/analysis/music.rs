//! Tempo, key and feature-vector analysis as a pipeline [`Analyzer`]: reads the shared mono
//! 22 050 Hz stream and runs [`MusicAnalyzer`] (one STFT for tempo, features and chroma; the
//! key's long STFT) over it.

use super::{Analysis, Analyzer, StreamFormat};
use crate::buffer::AudioBuffer;
use crate::error::Result;
use crate::mir::{MusicAnalyzer, MusicOptions, ANALYSIS_RATE};

/// Pipeline adapter around [`MusicAnalyzer`].
#[derive(Debug)]
pub struct MusicAnalysisStage {
    inner: MusicAnalyzer,
}

impl MusicAnalysisStage {
    /// A stage computing what `options` enables.
    pub fn new(options: &MusicOptions) -> Self {
        MusicAnalysisStage {
            inner: MusicAnalyzer::new(options),
        }
    }
}

impl Analyzer for MusicAnalysisStage {
    fn name(&self) -> &'static str {
        "music"
    }

    fn format(&self) -> StreamFormat {
        StreamFormat::mono_at(ANALYSIS_RATE)
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        if let Some(mono) = chunk.channels.first() {
            self.inner.push(mono);
        }
        Ok(())
    }

    fn finish(self: Box<Self>, analysis: &mut Analysis) -> Result<()> {
        let r = self.inner.finish();
        analysis.tempo = r.tempo;
        analysis.key = r.key;
        analysis.features = r.features;
        Ok(())
    }
}
