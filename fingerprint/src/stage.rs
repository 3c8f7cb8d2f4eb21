//! Fingerprint extraction as a stage of the one-decode analysis pipeline
//! ([`quaver_core::analysis::run`]), so `ingest` fingerprints the upload from the same decode
//! that feeds its analysers and encoders.
//!
//! The stage reads the native stream and does its own downmix and [`Quality::Fast`]
//! resampling to [`SAMPLE_RATE`] — exactly what [`crate::extract_input`] does through
//! `ConvertingDecoder` — so its peaks equal those of [`crate::query_print`] and
//! [`crate::fingerprint_track`] on the same input, bit for bit.

use quaver_core::analysis::{Analysis, Analyzer, StageResult};
use quaver_core::buffer::{mix_to_mono, AudioBuffer};
use quaver_core::error::Result;
use quaver_core::resample::{Quality, Resampler};

use crate::extract::{ExtractConfig, Peak, PeakExtractor, SAMPLE_RATE};
use crate::index::TrackPrint;

/// What [`PrintStage`] produced.
#[derive(Clone, Debug)]
pub struct Prints {
    /// Query-density peaks (what [`crate::FingerprintIndex::query_peaks`] and
    /// [`crate::FingerprintIndex::scan_peaks`] take).
    pub query_peaks: Vec<Peak>,
    /// Frames analysed at [`SAMPLE_RATE`].
    pub frames: u32,
    /// The catalog print (what [`crate::FingerprintIndex::add`] takes), when asked for.
    pub track: Option<TrackPrint>,
}

/// Extracts query peaks (and optionally the catalog print) from the pipeline's chunks.
pub struct PrintStage {
    resampler: Option<Resampler>,
    query: PeakExtractor,
    index: Option<PeakExtractor>,
    slot: StageResult<Prints>,
}

impl PrintStage {
    /// A stage for a source at `sample_rate` Hz; `catalog_print` also builds the track print.
    pub fn new(sample_rate: u32, catalog_print: bool) -> Result<(Self, StageResult<Prints>)> {
        let resampler = (sample_rate != SAMPLE_RATE)
            .then(|| Resampler::new(sample_rate, SAMPLE_RATE, 1, Quality::Fast))
            .transpose()?;
        let slot = StageResult::default();
        Ok((
            PrintStage {
                resampler,
                query: PeakExtractor::new(ExtractConfig::QUERY_PEAKS),
                index: catalog_print.then(|| PeakExtractor::new(ExtractConfig::INDEX)),
                slot: slot.clone(),
            },
            slot,
        ))
    }

    fn feed(&mut self, mono: &[f32]) {
        self.query.push(mono);
        if let Some(ix) = self.index.as_mut() {
            ix.push(mono);
        }
    }
}

impl Analyzer for PrintStage {
    fn name(&self) -> &'static str {
        "fingerprint"
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        if chunk.channels.is_empty() {
            return Ok(());
        }
        let mono = [mix_to_mono(&chunk.channels)];
        match self.resampler.as_mut() {
            Some(r) => {
                let out = r.process(&mono)?;
                self.feed(&out[0]);
            }
            None => self.feed(&mono[0]),
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, _analysis: &mut Analysis) -> Result<()> {
        if let Some(r) = self.resampler.as_mut() {
            let tail = r.flush()?;
            self.feed(&tail[0]);
        }
        let PrintStage {
            query, index, slot, ..
        } = *self;
        let (query_peaks, frames) = query.finish();
        let track = index.map(|ix| crate::track_print_from_extracted(ix.finish_all()));
        slot.set(Prints {
            query_peaks,
            frames,
            track,
        });
        Ok(())
    }
}
