//! The analysis pipeline: decode once, stream every chunk to every enabled analyser.
//!
//! An analyser is a type behind the small [`Analyzer`] trait. It says which stream it wants
//! ([`StreamFormat`]: the source as decoded, or mono and/or resampled), takes chunks in
//! [`Analyzer::process`] and writes its result into the [`Analysis`] in [`Analyzer::finish`].
//! The pipeline groups analysers by the stream they want and converts the decoded chunk once
//! per distinct format, so loudness and waveform read the native stream while tempo, key and
//! fingerprints (later issues) can share one mono 22 050 Hz stream.
//!
//! Adding an analyser is a new file (a type implementing [`Analyzer`]), a field in
//! [`Analysis`] and an option in [`AnalysisOptions`], and one line in [`build_analyzers`].
//!
//! Memory is bounded by the chunk size (a few thousand frames) times the small decode-ahead
//! queue, plus what the analysers keep (the loudness histogram, the waveform peaks), never by
//! the track length. With more than one thread available, decoding runs on its own thread
//! ahead of the analysers, and analysers with work on the same chunk run in parallel on rayon.
//!
//! ```no_run
//! use quaver_core::analysis::{analyze, AnalysisOptions};
//! let a = analyze("song.flac", &AnalysisOptions::default())?;
//! let l = a.loudness.unwrap();
//! println!("{:?} LUFS, {:?} dBTP", l.integrated_lufs, l.true_peak_dbtp);
//! # Ok::<(), quaver_core::Error>(())
//! ```

pub mod loudness;
pub mod music;
pub mod render;
pub mod waveform;

use std::sync::mpsc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::buffer::{mix_to_mono, AudioBuffer};
use crate::decode::{DecodeOptions, Decoder, Input};
use crate::error::{Error, Result};
use crate::resample::{Quality, Resampler};

pub use loudness::{Loudness, LoudnessMeter, LoudnessOptions};
pub use render::RenderOptions;
pub use waveform::{Waveform, WaveformBuilder, WaveformOptions};

/// The stream an analyser wants to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StreamFormat {
    /// Average all channels into one.
    pub mono: bool,
    /// Resample to this rate; `None` keeps the source rate (with [`ANALYSIS_QUALITY`]).
    pub sample_rate: Option<u32>,
}

/// The resampler preset every analysis front-end converts with: this pipeline, the facade's
/// `AnalysisStream` (PCM pushed by callers) and `frame_features`, so a file, the same samples
/// pushed as an array and an array from `decode(.., sample_rate)` (default preset) all
/// analyse alike (the bindings' parity tests). The Fast preset would halve the sinc work but
/// moves the feature vector (similarity 0.98 against the default preset).
pub const ANALYSIS_QUALITY: Quality = Quality::Balanced;

impl StreamFormat {
    /// The source as decoded: every channel, native rate.
    pub const NATIVE: StreamFormat = StreamFormat {
        mono: false,
        sample_rate: None,
    };

    /// Mono at `sample_rate` Hz (what tempo, key and fingerprint analysers read).
    pub fn mono_at(sample_rate: u32) -> Self {
        StreamFormat {
            mono: true,
            sample_rate: Some(sample_rate),
        }
    }
}

/// Facts about the stream an analyser will be given, known before the first chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Sample rate of the chunks the analyser receives.
    pub sample_rate: u32,
    /// Channel count of the chunks the analyser receives.
    pub channels: usize,
    /// Total frames the analyser will receive, when the container declares the length.
    pub frames: Option<u64>,
}

/// One analysis over a stream of chunks.
///
/// Implementations must be `Send`: the pipeline may call [`Analyzer::process`] on a rayon
/// worker, in parallel with other analysers reading the same chunk.
pub trait Analyzer: Send {
    /// A short name for messages (`"loudness"`, `"waveform"`).
    fn name(&self) -> &'static str;

    /// The stream this analyser reads; the pipeline converts once per distinct format.
    fn format(&self) -> StreamFormat {
        StreamFormat::NATIVE
    }

    /// Consume the next chunk (planar, in the analyser's [`StreamFormat`]; may be empty).
    fn process(&mut self, chunk: &AudioBuffer) -> Result<()>;

    /// The stream has ended: write the result into `analysis`.
    fn finish(self: Box<Self>, analysis: &mut Analysis) -> Result<()>;
}

/// Which analyses to run. Each analysis is enabled by setting its options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalysisOptions {
    /// EBU R128 loudness (on by default).
    pub loudness: Option<LoudnessOptions>,
    /// Waveform peaks for players (off by default).
    pub waveform: Option<WaveformOptions>,
    /// Tempo, key and feature vector on the mono 22 050 Hz stream (on by default).
    pub music: Option<crate::mir::MusicOptions>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            loudness: Some(LoudnessOptions::default()),
            waveform: None,
            music: Some(crate::mir::MusicOptions::default()),
        }
    }
}

/// The result of [`analyze`]: plain data, serialisable (the CLI's `--json`).
///
/// Waveform peaks are left out of the serialisation (they can be megabytes); write them with
/// [`Waveform::write`] in audiowaveform's formats instead.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Analysis {
    /// Duration of the decoded audio in seconds.
    pub duration_s: f64,
    /// Frames decoded (per channel).
    pub frames: u64,
    /// Source sample rate in Hz.
    pub sample_rate: u32,
    /// Source channel count.
    pub channels: u32,
    /// Loudness, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loudness: Option<Loudness>,
    /// Waveform peaks at the main zoom level, when enabled.
    #[serde(skip)]
    pub waveform: Option<Waveform>,
    /// Waveform peaks at the extra zoom levels requested in
    /// [`WaveformOptions::zoom_levels`], in the order requested.
    #[serde(skip)]
    pub waveform_zooms: Vec<Waveform>,
    /// Tempo, beats, downbeats and tempo curve, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tempo: Option<crate::mir::Tempo>,
    /// Musical key, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<crate::mir::Key>,
    /// Named, versioned feature vector, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<crate::mir::FeatureVector>,
    /// Non-fatal problems met while decoding (skipped packets, truncation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Build the analysers `options` enables for a source described by `native`. Each analyser
/// is given the [`StreamInfo`] of the format it asks for.
///
/// This is the one place that knows every analyser: a new analysis adds one line here.
pub fn build_analyzers(
    options: &AnalysisOptions,
    native: &StreamInfo,
) -> Result<Vec<Box<dyn Analyzer>>> {
    let mut list: Vec<Box<dyn Analyzer>> = Vec::new();
    if let Some(o) = &options.loudness {
        list.push(Box::new(LoudnessMeter::new(native, o)?));
    }
    if let Some(o) = &options.waveform {
        list.push(Box::new(WaveformBuilder::new(native, o)?));
    }
    if let Some(o) = &options.music {
        let (lo, hi) = (o.tempo_range.min_bpm, o.tempo_range.max_bpm);
        if !(lo.is_finite() && hi.is_finite() && 10.0 <= lo && lo < hi && hi <= 1000.0) {
            return Err(Error::InvalidArgument(format!(
                "tempo range {lo}..{hi} BPM: need 10 <= min_bpm < max_bpm <= 1000"
            )));
        }
        list.push(Box::new(music::MusicAnalysisStage::new(o)));
    }
    Ok(list)
}

/// Decode `input` once and run every analysis `options` enables.
pub fn analyze(input: impl Into<Input>, options: &AnalysisOptions) -> Result<Analysis> {
    let decoder = Decoder::with_options(input, &DecodeOptions::default())?;
    analyze_decoder(decoder, options)
}

/// Run every analysis `options` enables over an already-open decoder (for custom
/// [`DecodeOptions`], e.g. tighter limits).
pub fn analyze_decoder(decoder: Decoder, options: &AnalysisOptions) -> Result<Analysis> {
    let info = decoder.info();
    let native = StreamInfo {
        sample_rate: info.sample_rate,
        channels: info.channels as usize,
        frames: (info.frames > 0).then_some(info.frames),
    };
    let analyzers = build_analyzers(options, &native)?;
    run(decoder, analyzers)
}

/// Stream `decoder` through `analyzers` (any mix of built-in and caller-defined ones).
pub fn run(decoder: Decoder, analyzers: Vec<Box<dyn Analyzer>>) -> Result<Analysis> {
    let info = decoder.info().clone();
    let mut pipeline = Pipeline::new(info.sample_rate, info.channels as usize, analyzers)?;
    let (frames, warnings) = if rayon::current_num_threads() > 1 && pipeline.has_work() {
        decode_ahead(decoder, &mut pipeline)?
    } else {
        decode_inline(decoder, &mut pipeline)?
    };
    let mut analysis = Analysis {
        duration_s: frames as f64 / f64::from(info.sample_rate.max(1)),
        frames,
        sample_rate: info.sample_rate,
        channels: info.channels,
        warnings,
        ..Analysis::default()
    };
    pipeline.finish(&mut analysis)?;
    Ok(analysis)
}

/// Where a pipeline stage leaves its result (filled when the analysis pipeline finishes).
pub struct StageResult<T>(std::sync::Arc<std::sync::Mutex<Option<T>>>);

impl<T> Default for StageResult<T> {
    fn default() -> Self {
        StageResult(std::sync::Arc::new(std::sync::Mutex::new(None)))
    }
}

impl<T> Clone for StageResult<T> {
    fn clone(&self) -> Self {
        StageResult(self.0.clone())
    }
}

impl<T> StageResult<T> {
    /// Store the stage's result.
    pub fn set(&self, value: T) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
    }

    /// Take the result; an error if the stage never finished (the pipeline failed first).
    pub fn take(&self) -> Result<T> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| Error::Internal("a pipeline stage did not finish".into()))
    }
}

/// Decode on the calling thread, analyse each chunk as it comes.
fn decode_inline(mut decoder: Decoder, pipeline: &mut Pipeline) -> Result<(u64, Vec<String>)> {
    let mut chunk = AudioBuffer::default();
    let mut frames = 0u64;
    while decoder.next_chunk_into(&mut chunk)? {
        frames += chunk.frames() as u64;
        pipeline.process(&chunk)?;
    }
    Ok((frames, decoder.warnings().to_vec()))
}

/// Chunks decoded ahead of the analysers; bounds the memory of the decode thread.
const QUEUE_CHUNKS: usize = 8;

/// Decode on a dedicated thread that runs up to [`QUEUE_CHUNKS`] chunks ahead of the
/// analysers (which may themselves fan out on rayon). A plain OS thread, not a rayon task: a
/// producer blocked on a full queue must never hold a pool worker the consumer needs.
fn decode_ahead(mut decoder: Decoder, pipeline: &mut Pipeline) -> Result<(u64, Vec<String>)> {
    let (tx, rx) = mpsc::sync_channel::<Result<AudioBuffer>>(QUEUE_CHUNKS);
    // Spent chunks go back to the decoder so their allocations are reused.
    let (recycle_tx, recycle_rx) = mpsc::channel::<AudioBuffer>();
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            loop {
                let mut chunk = recycle_rx.try_recv().unwrap_or_default();
                match decoder.next_chunk_into(&mut chunk) {
                    Ok(true) => {
                        if tx.send(Ok(chunk)).is_err() {
                            break; // the consumer stopped (an analyser failed)
                        }
                    }
                    Ok(false) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            decoder.warnings().to_vec()
        });
        let mut frames = 0u64;
        let mut outcome = Ok(());
        for item in rx.iter() {
            let step = item.and_then(|chunk| {
                frames += chunk.frames() as u64;
                let r = pipeline.process(&chunk);
                let _ = recycle_tx.send(chunk);
                r
            });
            if let Err(e) = step {
                outcome = Err(e);
                break;
            }
        }
        drop(rx);
        let warnings = producer
            .join()
            .map_err(|_| Error::Internal("the decode thread panicked".into()))?;
        outcome.map(|()| (frames, warnings))
    })
}

/// Converts the native stream to one [`StreamFormat`] (downmix, then resample).
struct Converter {
    mono: bool,
    resampler: Option<Resampler>,
}

impl Converter {
    fn new(format: StreamFormat, rate: u32, channels: usize) -> Result<Self> {
        let out_channels = if format.mono { 1 } else { channels };
        let resampler = match format.sample_rate {
            // The preset `AnalysisStream` uses too: PCM pushed by a caller analyses like the file.
            Some(r) if r != rate => Some(Resampler::new(rate, r, out_channels, ANALYSIS_QUALITY)?),
            _ => None,
        };
        Ok(Converter {
            mono: format.mono && channels > 1,
            resampler,
        })
    }

    /// `None` when the chunk passes through unchanged.
    fn convert(&mut self, chunk: &AudioBuffer, out_rate: u32) -> Result<Option<AudioBuffer>> {
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
            sample_rate: out_rate,
            channels,
        }))
    }

    fn flush(&mut self, out_rate: u32) -> Result<Option<AudioBuffer>> {
        match self.resampler.as_mut() {
            Some(r) => Ok(Some(AudioBuffer {
                sample_rate: out_rate,
                channels: r.flush()?,
            })),
            None => Ok(None),
        }
    }
}

/// Analysers that read the same stream format, and the converter that makes it.
struct Group {
    converter: Converter,
    out_rate: u32,
    analyzers: Vec<Box<dyn Analyzer>>,
}

impl Group {
    fn feed(&mut self, chunk: &AudioBuffer) -> Result<()> {
        match self.converter.convert(chunk, self.out_rate)? {
            Some(c) => feed_all(&mut self.analyzers, &c),
            None => feed_all(&mut self.analyzers, chunk),
        }
    }
}

fn feed_all(analyzers: &mut [Box<dyn Analyzer>], chunk: &AudioBuffer) -> Result<()> {
    match analyzers {
        [] => Ok(()),
        [one] => one.process(chunk),
        many => many
            .par_iter_mut()
            .with_max_len(1)
            .try_for_each(|a| a.process(chunk)),
    }
}

struct Pipeline {
    groups: Vec<Group>,
}

impl Pipeline {
    fn new(rate: u32, channels: usize, analyzers: Vec<Box<dyn Analyzer>>) -> Result<Self> {
        let mut groups: Vec<(StreamFormat, Group)> = Vec::new();
        for a in analyzers {
            let f = a.format();
            if let Some((_, g)) = groups.iter_mut().find(|(gf, _)| *gf == f) {
                g.analyzers.push(a);
                continue;
            }
            groups.push((
                f,
                Group {
                    converter: Converter::new(f, rate, channels)?,
                    out_rate: f.sample_rate.unwrap_or(rate),
                    analyzers: vec![a],
                },
            ));
        }
        Ok(Pipeline {
            groups: groups.into_iter().map(|(_, g)| g).collect(),
        })
    }

    fn has_work(&self) -> bool {
        self.groups.iter().any(|g| !g.analyzers.is_empty())
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        match self.groups.as_mut_slice() {
            [] => Ok(()),
            [one] => one.feed(chunk),
            many => many
                .par_iter_mut()
                .with_max_len(1)
                .try_for_each(|g| g.feed(chunk)),
        }
    }

    fn finish(self, analysis: &mut Analysis) -> Result<()> {
        for mut g in self.groups {
            if let Some(tail) = g.converter.flush(g.out_rate)? {
                feed_all(&mut g.analyzers, &tail)?;
            }
            for a in g.analyzers {
                a.finish(analysis)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts what it is given; checks the pipeline converts per requested format.
    struct Counter {
        format: StreamFormat,
        frames: u64,
        channels: usize,
        rate: u32,
    }

    impl Analyzer for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn format(&self) -> StreamFormat {
            self.format
        }
        fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
            if !chunk.is_empty() {
                self.channels = chunk.num_channels();
                self.rate = chunk.sample_rate;
            }
            self.frames += chunk.frames() as u64;
            Ok(())
        }
        fn finish(self: Box<Self>, analysis: &mut Analysis) -> Result<()> {
            analysis
                .warnings
                .push(format!("{} {} {}", self.frames, self.channels, self.rate));
            Ok(())
        }
    }

    fn wav_bytes(rate: u32, channels: u16, frames: usize) -> Vec<u8> {
        let data_len = frames * channels as usize * 2;
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data_len as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        v.extend_from_slice(&(channels * 2).to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data_len as u32).to_le_bytes());
        for i in 0..frames * channels as usize {
            let s = ((i as f32 * 0.01).sin() * 8000.0) as i16;
            v.extend_from_slice(&s.to_le_bytes());
        }
        v
    }

    #[test]
    fn each_analyser_gets_its_format_and_every_frame() {
        let bytes = wav_bytes(44_100, 2, 44_100);
        let d = Decoder::open(Input::bytes(bytes)).unwrap();
        let mk = |format| -> Box<dyn Analyzer> {
            Box::new(Counter {
                format,
                frames: 0,
                channels: 0,
                rate: 0,
            })
        };
        let a = run(
            d,
            vec![
                mk(StreamFormat::NATIVE),
                mk(StreamFormat::mono_at(22_050)),
                mk(StreamFormat::mono_at(22_050)),
                mk(StreamFormat {
                    mono: true,
                    sample_rate: None,
                }),
            ],
        )
        .unwrap();
        assert_eq!(a.frames, 44_100);
        assert_eq!(
            a.warnings,
            vec![
                "44100 2 44100",
                "22050 1 22050",
                "22050 1 22050",
                "44100 1 44100"
            ]
        );
    }
}
