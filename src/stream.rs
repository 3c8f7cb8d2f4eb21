//! Streaming analysis of audio that arrives in pieces (a microphone recording, an upload in
//! flight): push PCM as it comes, get analysis and a query fingerprint at `finish`.
//!
//! The same analysers as [`crate::analyze`] (built by
//! [`quaver_core::analysis::build_analyzers`]), fed chunk by chunk: each distinct stream
//! format they ask for (native, mono 22 050 Hz, ...) is converted once per chunk, as the
//! decode pipeline does. Alongside, the fingerprint's query peaks are extracted from a mono
//! 8 kHz stream, so `finish` also returns a [`crate::fingerprint::fingerprint_snippet`]-format
//! snippet. Memory is bounded by what the analysers keep, never by the PCM pushed.
//!
//! ```no_run
//! let mut s = quaver::stream::AnalysisStream::new(48_000, 1, &Default::default())?;
//! for chunk in [vec![0.0f32; 4800], vec![0.1; 4800]] {
//!     s.push_interleaved(&chunk)?;
//! }
//! let done = s.finish()?;
//! println!("{:?} LUFS, {} snippet bytes", done.analysis.loudness.and_then(|l| l.integrated_lufs), done.snippet.len());
//! # Ok::<(), quaver::Error>(())
//! ```

use quaver_core::analysis::{build_analyzers, Analyzer, StreamFormat, StreamInfo};
use quaver_fingerprint::{ExtractConfig, PeakExtractor, Snippet};

use crate::{mix_to_mono, runtime, Analysis, AnalysisOptions, AudioBuffer, Error, Quality};
use crate::{Resampler, Result};

/// What [`AnalysisStream::finish`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamResult {
    /// The analysis, as [`crate::analyze`] reports it for the same audio.
    pub analysis: Analysis,
    /// The compact query fingerprint of everything pushed (see [`quaver_fingerprint::snippet`]).
    pub snippet: Vec<u8>,
}

/// One stream format and the analysers reading it.
struct Group {
    mono: bool,
    resampler: Option<Resampler>,
    rate: u32,
    analyzers: Vec<Box<dyn Analyzer>>,
}

impl Group {
    fn convert(&mut self, chunk: &AudioBuffer) -> Result<Option<AudioBuffer>> {
        if !self.mono && self.resampler.is_none() {
            return Ok(None);
        }
        let mixed;
        let planar: &[Vec<f32>] = if self.mono {
            mixed = [mix_to_mono(&chunk.channels)];
            &mixed
        } else {
            &chunk.channels
        };
        let channels = match self.resampler.as_mut() {
            Some(r) => r.process(planar)?,
            None => planar.to_vec(),
        };
        Ok(Some(AudioBuffer {
            sample_rate: self.rate,
            channels,
        }))
    }

    fn feed(&mut self, chunk: &AudioBuffer) -> Result<()> {
        let converted = self.convert(chunk)?;
        let c = converted.as_ref().unwrap_or(chunk);
        self.analyzers.iter_mut().try_for_each(|a| a.process(c))
    }

    fn finish(mut self, analysis: &mut Analysis) -> Result<()> {
        if let Some(r) = self.resampler.as_mut() {
            let tail = AudioBuffer {
                sample_rate: self.rate,
                channels: r.flush()?,
            };
            self.analyzers
                .iter_mut()
                .try_for_each(|a| a.process(&tail))?;
        }
        self.analyzers
            .into_iter()
            .try_for_each(|a| a.finish(analysis))
    }
}

/// Analysis (and a query fingerprint) of PCM pushed in pieces.
pub struct AnalysisStream {
    sample_rate: u32,
    channels: usize,
    groups: Vec<Group>,
    fp_resampler: Resampler,
    fp: PeakExtractor,
    frames: u64,
}

impl std::fmt::Debug for AnalysisStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisStream")
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl AnalysisStream {
    /// A stream of `channels`-channel PCM at `sample_rate`, analysed as `options` says. The
    /// length is unknown in advance, so `options.waveform.width` is not available.
    pub fn new(sample_rate: u32, channels: u32, options: &AnalysisOptions) -> Result<Self> {
        if channels == 0 || channels > 32 {
            return Err(Error::invalid(format!(
                "channel count must be in 1..=32, got {channels}"
            )));
        }
        let fp_resampler = Resampler::new(
            sample_rate,
            quaver_fingerprint::SAMPLE_RATE,
            1,
            Quality::Fast,
        )?;
        let channels = channels as usize;
        let native = StreamInfo {
            sample_rate,
            channels,
            frames: None,
        };
        let mut groups: Vec<(StreamFormat, Group)> = Vec::new();
        for a in build_analyzers(options, &native)? {
            let f = a.format();
            if let Some((_, g)) = groups.iter_mut().find(|(gf, _)| *gf == f) {
                g.analyzers.push(a);
                continue;
            }
            let out_channels = if f.mono { 1 } else { channels };
            let resampler = match f.sample_rate {
                Some(r) if r != sample_rate => Some(Resampler::new(
                    sample_rate,
                    r,
                    out_channels,
                    quaver_core::analysis::ANALYSIS_QUALITY,
                )?),
                _ => None,
            };
            let group = Group {
                mono: f.mono && channels > 1,
                resampler,
                rate: f.sample_rate.unwrap_or(sample_rate),
                analyzers: vec![a],
            };
            groups.push((f, group));
        }
        Ok(AnalysisStream {
            sample_rate,
            channels,
            groups: groups.into_iter().map(|(_, g)| g).collect(),
            fp_resampler,
            fp: PeakExtractor::new(ExtractConfig::QUERY_PEAKS),
            frames: 0,
        })
    }

    /// Frames pushed so far (per channel).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Push planar PCM (one slice per channel, at the stream's rate).
    pub fn push(&mut self, chunk: &AudioBuffer) -> Result<()> {
        if chunk.num_channels() != self.channels || chunk.sample_rate != self.sample_rate {
            return Err(Error::invalid(format!(
                "chunk is {} ch at {} Hz; the stream is {} ch at {} Hz",
                chunk.num_channels(),
                chunk.sample_rate,
                self.channels,
                self.sample_rate
            )));
        }
        if chunk.channels.iter().flatten().any(|s| !s.is_finite()) {
            return Err(Error::invalid("PCM contains NaN or infinite samples"));
        }
        runtime::install(|| -> Result<()> {
            use rayon::prelude::*;
            self.groups.par_iter_mut().try_for_each(|g| g.feed(chunk))?;
            let mono = mix_to_mono(&chunk.channels);
            let at8k = self.fp_resampler.process(&[mono])?;
            self.fp.push(&at8k[0]);
            Ok(())
        })??;
        self.frames += chunk.frames() as u64;
        Ok(())
    }

    /// Push interleaved PCM (`frames * channels` samples).
    pub fn push_interleaved(&mut self, samples: &[f32]) -> Result<()> {
        let chunk = AudioBuffer::from_interleaved(self.sample_rate, self.channels, samples)?;
        self.push(&chunk)
    }

    /// End of the audio: the analysis and the query fingerprint snippet.
    pub fn finish(mut self) -> Result<StreamResult> {
        if self.frames == 0 {
            return Err(Error::NoAudio("nothing was pushed to the stream".into()));
        }
        let mut analysis = Analysis {
            duration_s: self.frames as f64 / f64::from(self.sample_rate),
            frames: self.frames,
            sample_rate: self.sample_rate,
            channels: self.channels as u32,
            ..Analysis::default()
        };
        let tail = self.fp_resampler.flush()?;
        self.fp.push(&tail[0]);
        let groups = std::mem::take(&mut self.groups);
        runtime::install(|| groups.into_iter().try_for_each(|g| g.finish(&mut analysis)))??;
        let (peaks, frames) = self.fp.finish();
        Ok(StreamResult {
            analysis,
            snippet: Snippet { peaks, frames }.to_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/flac_s16.flac");

    #[test]
    fn pushed_in_pieces_equals_analyze_of_the_file() {
        let want = crate::analyze(FIXTURE, &AnalysisOptions::default()).unwrap();
        let pcm = crate::decode(FIXTURE, &Default::default()).unwrap();
        let mut s = AnalysisStream::new(pcm.sample_rate, 2, &AnalysisOptions::default()).unwrap();
        let inter = pcm.interleaved();
        for piece in inter.chunks(2 * 1237) {
            s.push_interleaved(piece).unwrap();
        }
        assert_eq!(s.frames(), 176_400);
        let got = s.finish().unwrap();
        assert_eq!(got.analysis.frames, want.frames);
        assert_eq!(got.analysis.loudness, want.loudness);
        assert_eq!(got.analysis.key.map(|k| k.label), want.key.map(|k| k.label));
        let (a, b) = (got.analysis.tempo.unwrap(), want.tempo.unwrap());
        assert!((a.bpm - b.bpm).abs() < 0.5, "{} vs {}", a.bpm, b.bpm);
        let snippet = crate::fingerprint::fingerprint_snippet(FIXTURE).unwrap();
        let (x, y) = (
            Snippet::from_bytes(&got.snippet).unwrap(),
            Snippet::from_bytes(&snippet).unwrap(),
        );
        assert!((x.frames as i64 - y.frames as i64).abs() <= 1);
        assert!(x.peaks.len().abs_diff(y.peaks.len()) <= y.peaks.len() / 10);
    }

    #[test]
    fn bad_pushes_are_errors() {
        let mut s = AnalysisStream::new(44_100, 2, &AnalysisOptions::default()).unwrap();
        assert!(s.push_interleaved(&[0.0; 3]).is_err());
        assert!(s.push_interleaved(&[f32::NAN, 0.0]).is_err());
        assert!(matches!(s.finish(), Err(Error::NoAudio(_))));
        assert!(AnalysisStream::new(44_100, 0, &AnalysisOptions::default()).is_err());
    }
}
