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

pub mod options;
pub mod runtime;

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

pub use quaver_codecs::{
    Codec, EncodeOptions, EncodeReport, EncodeTarget, Encoder, EncoderInfo, OpusRateControl,
    Packet,
};

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

/// Decode `input` once and encode every target in parallel on quaver's thread pool.
pub fn encode_many(
    input: impl Into<Input>,
    targets: &[EncodeTarget],
) -> Result<Vec<EncodeReport>> {
    let input = input.into();
    runtime::install(|| quaver_codecs::encode_many(input, targets))?
}
