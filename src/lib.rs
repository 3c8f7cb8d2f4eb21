//! # quaver
//!
//! One audio engine for decode, analysis, fingerprinting, encoding and packaging. This facade is
//! the contract every binding (Python, Node, Kotlin/Swift) and the `quaver` CLI mirror, with the
//! same names: `info`, `decode`, `resample`, `analyze`, `waveform`, `encode`, `package`,
//! `ingest`, `FingerprintIndex`, `chromaprint`.
//!
//! ```no_run
//! let info = quaver::info("song.flac")?;
//! println!("{} Hz, {} ch, {:.2} s", info.sample_rate, info.channels, info.duration_s);
//! let pcm = quaver::decode("song.mp3", &quaver::ConvertOptions { sample_rate: Some(22_050), mono: true, ..Default::default() })?;
//! assert_eq!(pcm.num_channels(), 1);
//! # Ok::<(), quaver::Error>(())
//! ```
//!
//! Cargo features: `encoders` (default; `encode`, `encode_many`, `package`, `ingest` — LAME,
//! libopus's encoder, libFLAC) and `cli` (default; the `quaver` binary). With
//! `default-features = false` the crate decodes, analyses, draws waveforms and fingerprints —
//! what the mobile library ships.

pub mod fingerprint;
#[cfg(feature = "encoders")]
pub mod ingest;
pub mod options;
#[cfg(feature = "encoders")]
pub mod package;
pub mod runtime;
pub mod stream;

pub use fingerprint::{chromaprint, FingerprintIndex, QueryResult};
#[cfg(feature = "encoders")]
pub use ingest::{ingest, ingest_batch, IngestOptions, IngestReport};
#[cfg(feature = "encoders")]
pub use package::{package, Ladder, PackageReport, Rendition};

pub use quaver_core::buffer::mix_to_mono;
pub use quaver_core::decode::ReadSeek;
pub use quaver_core::resample::output_len;
pub use quaver_core::{
    AudioBuffer, AudioInfo, ConvertOptions, ConvertingDecoder, DecodeOptions, Decoder, Error,
    Input, Limits, Quality, Resampler, Result, Tags,
};

/// Probe an input: container, codec, rate, channels, exact gapless length, bitrate, tags.
pub fn info(input: impl Into<Input>) -> Result<AudioInfo> {
    quaver_core::decode::probe(input)
}

/// Decode a whole input, optionally downmixed to mono and resampled, into planar f32.
pub fn decode(input: impl Into<Input>, options: &ConvertOptions) -> Result<AudioBuffer> {
    ConvertingDecoder::open(input, &DecodeOptions::default(), options)?.read_all()
}

/// Resample a buffer to `sample_rate` with exact output length.
pub fn resample(buffer: &AudioBuffer, sample_rate: u32, quality: Quality) -> Result<AudioBuffer> {
    quaver_core::resample::resample(buffer, sample_rate, quality)
}

#[cfg(feature = "encoders")]
pub use quaver_codecs::{
    Codec, EncodeOptions, EncodeReport, EncodeTarget, Encoder, EncoderInfo, OpusRateControl, Packet,
};

#[cfg(feature = "encoders")]
/// Encode `input` to `output` (MP3, Opus in Ogg, or FLAC, chosen by `options.codec` or the
/// output's extension), copying the source's tags; gapless and sample-accurate. The file
/// appears under its name only when complete.
///
/// ```no_run
/// let report = quaver::encode("song.flac", "song.opus", &quaver::EncodeOptions {
///     bitrate_kbps: Some(160),
///     ..Default::default()
/// })?;
/// assert_eq!(report.stream.sample_rate, 48_000);
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn encode(
    input: impl Into<Input>,
    output: impl AsRef<std::path::Path>,
    options: &EncodeOptions,
) -> Result<EncodeReport> {
    let (input, output) = (input.into(), output.as_ref());
    runtime::install(|| quaver_codecs::encode_to_file(input, output, options))?
}

#[cfg(feature = "encoders")]
/// Decode `input` once and encode every target in parallel on quaver's thread pool.
pub fn encode_many(input: impl Into<Input>, targets: &[EncodeTarget]) -> Result<Vec<EncodeReport>> {
    let input = input.into();
    runtime::install(|| quaver_codecs::encode_many(input, targets))?
}

pub use quaver_core::analysis::loudness::Normalization;
pub use quaver_core::analysis::{
    Analysis, AnalysisOptions, Analyzer, Loudness, LoudnessOptions, RenderOptions, StreamFormat,
    StreamInfo, Waveform, WaveformOptions,
};
pub use quaver_core::mir::{
    similarity, FeatureVector, FrameMatrices, Key, KeyCandidate, MusicOptions, Tempo,
    TempoAlternative, TempoOptions, TempoPoint,
};

/// Frame-level matrices for ML users (mel spectrogram in dB, 20 MFCCs, 12-bin chroma,
/// spectral centroid / roll-off / flatness), computed on `input` decoded to mono 22 050 Hz
/// with librosa's default framing (2048-point Hann STFT, hop 512, centred).
///
/// ```no_run
/// let m = quaver::frame_features("song.flac")?;
/// println!("{} frames x {} MFCCs", m.mfcc.len(), m.mfcc[0].len());
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn frame_features(input: impl Into<Input>) -> Result<FrameMatrices> {
    let pcm = decode(
        input,
        &ConvertOptions {
            sample_rate: Some(quaver_core::mir::ANALYSIS_RATE),
            mono: true,
            quality: quaver_core::analysis::ANALYSIS_QUALITY,
        },
    )?;
    let mono = pcm.channels.into_iter().next().unwrap_or_default();
    Ok(quaver_core::mir::frame_matrices(
        &mono,
        quaver_core::mir::ANALYSIS_RATE,
    ))
}

/// Decode `input` once and run every analysis `options` enables (loudness by default;
/// waveform peaks when `options.waveform` is set), the analysers in parallel on quaver's
/// thread pool.
///
/// ```no_run
/// let a = quaver::analyze("song.flac", &quaver::AnalysisOptions::default())?;
/// let l = a.loudness.unwrap();
/// println!("{:?} LUFS, LRA {:?} LU, {:?} dBTP", l.integrated_lufs, l.range_lu, l.true_peak_dbtp);
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn analyze(input: impl Into<Input>, options: &AnalysisOptions) -> Result<Analysis> {
    let input = input.into();
    runtime::install(|| quaver_core::analysis::analyze(input, options))?
}

/// Analyse many inputs in parallel on quaver's thread pool (or on `jobs` threads), results in
/// input order; a bad input gives its own error and does not stop the others. `on_done(done,
/// total)` is called after each input (from worker threads), for progress displays.
///
/// ```no_run
/// let inputs = vec!["a.flac".into(), "b.mp3".into()];
/// for r in quaver::analyze_many(inputs, &Default::default(), None, &|_, _| {})? {
///     println!("{:?}", r.map(|a| a.tempo.map(|t| t.bpm)));
/// }
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn analyze_many(
    inputs: Vec<Input>,
    options: &AnalysisOptions,
    jobs: Option<usize>,
    on_done: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Result<Analysis>>> {
    let total = inputs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let work = |_: usize, input: Input| {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            quaver_core::analysis::analyze(input, options)
        }))
        .unwrap_or_else(|_| Err(Error::Internal("panic while analysing".into())));
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        on_done(n, total);
        r
    };
    match jobs {
        Some(n) if n > 0 => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("quaver-batch-{i}"))
                .build()
                .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
            use rayon::prelude::*;
            Ok(pool.install(|| {
                inputs
                    .into_par_iter()
                    .enumerate()
                    .map(|(i, x)| work(i, x))
                    .collect()
            }))
        }
        _ => runtime::map(inputs, work),
    }
}

/// Waveform peaks of `input` in BBC audiowaveform's model (what peaks.js and waveform-data.js
/// read); write them with [`Waveform::write`] as `.dat`, `.json`, `.png` or `.svg`.
///
/// ```no_run
/// let w = quaver::waveform("song.mp3", &quaver::WaveformOptions::default())?;
/// w.write("song.dat", &quaver::RenderOptions::default())?;
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn waveform(input: impl Into<Input>, options: &WaveformOptions) -> Result<Waveform> {
    Ok(waveform_zooms(input, options)?.swap_remove(0))
}

/// Waveform peaks at the main zoom level and every level in `options.zoom_levels`, from one
/// decode (main level first).
pub fn waveform_zooms(input: impl Into<Input>, options: &WaveformOptions) -> Result<Vec<Waveform>> {
    let a = analyze(
        input,
        &AnalysisOptions {
            loudness: None,
            waveform: Some(options.clone()),
            music: None,
        },
    )?;
    let mut all = Vec::with_capacity(1 + a.waveform_zooms.len());
    all.extend(a.waveform);
    all.extend(a.waveform_zooms);
    if all.is_empty() {
        return Err(Error::Internal(
            "the waveform analyser returned nothing".into(),
        ));
    }
    Ok(all)
}
