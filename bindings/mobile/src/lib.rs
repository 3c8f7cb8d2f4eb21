//! Mobile bindings (UniFFI): Kotlin, Swift and Dart call the `quaver` facade through one
//! library. Argument conversion, records mirroring the facade's results, and an exception enum
//! mirroring `quaver::Error` — nothing more. PCM crosses as f32le bytes (a Kotlin `ByteArray`,
//! a Swift `Data`), never as boxed float lists.

uniffi::setup_scaffolding!();

/// Every error quaver raises, one case per `quaver::Error` kind.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum QuaverError {
    /// Not a format quaver reads.
    #[error("unsupported format: {reason}")]
    Unsupported { reason: String },
    /// Broken data.
    #[error("{reason}")]
    Corrupt { reason: String, offset: Option<u64> },
    /// No audio frames.
    #[error("no audio: {reason}")]
    NoAudio { reason: String },
    /// File system error.
    #[error("{reason}")]
    Io { reason: String },
    /// Invalid argument or option.
    #[error("invalid argument: {reason}")]
    InvalidArgument { reason: String },
    /// A resource limit was exceeded.
    #[error("{reason}")]
    LimitExceeded {
        reason: String,
        value: u64,
        limit: u64,
    },
    /// Cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// A bug in quaver.
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<quaver::Error> for QuaverError {
    fn from(e: quaver::Error) -> Self {
        use quaver::Error as E;
        let reason = e.to_string();
        match e {
            E::Unsupported(r) => QuaverError::Unsupported { reason: r },
            E::Corrupt { offset, .. } => QuaverError::Corrupt { reason, offset },
            E::NoAudio(r) => QuaverError::NoAudio { reason: r },
            E::Io { .. } => QuaverError::Io { reason },
            E::InvalidArgument(r) => QuaverError::InvalidArgument { reason: r },
            E::LimitExceeded { value, limit, .. } => QuaverError::LimitExceeded {
                reason,
                value,
                limit,
            },
            E::Cancelled => QuaverError::Cancelled,
            E::Internal(r) => QuaverError::Internal { reason: r },
            // `quaver::Error` is non_exhaustive for crates outside the workspace; a new kind
            // added there shows up here as Internal until it gets its own case.
            _ => QuaverError::Internal { reason },
        }
    }
}

type Result<T> = std::result::Result<T, QuaverError>;

/// Tags (mirror of `quaver::Tags`).
#[derive(uniffi::Record)]
pub struct Tags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track_number: Option<u32>,
    pub date: Option<String>,
    pub genre: Option<String>,
    pub isrc: Option<String>,
    pub has_cover_art: bool,
}

/// Stream facts (mirror of `quaver::AudioInfo`).
#[derive(uniffi::Record)]
pub struct AudioInfo {
    pub container: String,
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u32,
    pub frames: u64,
    pub duration_s: f64,
    pub bits_per_sample: Option<u32>,
    pub bitrate: Option<u64>,
    pub encoder_delay: u32,
    pub encoder_padding: u32,
    pub tags: Tags,
}

impl From<quaver::AudioInfo> for AudioInfo {
    fn from(i: quaver::AudioInfo) -> Self {
        let t = i.tags;
        AudioInfo {
            container: i.container,
            codec: i.codec,
            sample_rate: i.sample_rate,
            channels: i.channels,
            frames: i.frames,
            duration_s: i.duration_s,
            bits_per_sample: i.bits_per_sample,
            bitrate: i.bitrate,
            encoder_delay: i.encoder_delay,
            encoder_padding: i.encoder_padding,
            tags: Tags {
                title: t.title,
                artist: t.artist,
                album: t.album,
                album_artist: t.album_artist,
                track_number: t.track_number,
                date: t.date,
                genre: t.genre,
                isrc: t.isrc,
                has_cover_art: t.has_cover_art,
            },
        }
    }
}

/// Decoded PCM: interleaved little-endian f32 bytes.
#[derive(uniffi::Record)]
pub struct Pcm {
    /// `frames * channels` interleaved f32le samples.
    pub f32le: Vec<u8>,
    pub channels: u32,
    pub sample_rate: u32,
    pub frames: u64,
}

fn to_pcm(buf: quaver::AudioBuffer) -> Pcm {
    let (channels, frames) = (buf.num_channels() as u32, buf.frames() as u64);
    let mut bytes = Vec::with_capacity(buf.frames() * buf.num_channels() * 4);
    for s in buf.interleaved() {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    Pcm {
        f32le: bytes,
        channels,
        sample_rate: buf.sample_rate,
        frames,
    }
}

fn from_pcm(pcm: &[u8], channels: u32, sample_rate: u32) -> quaver::Result<quaver::AudioBuffer> {
    if pcm.len() % 4 != 0 {
        return Err(quaver::Error::invalid(format!(
            "{} bytes is not a whole number of f32 samples",
            pcm.len()
        )));
    }
    let samples: Vec<f32> = pcm
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    quaver::AudioBuffer::from_interleaved(sample_rate, channels as usize, &samples)
}

fn convert(sample_rate: Option<u32>, mono: bool) -> quaver::ConvertOptions {
    quaver::ConvertOptions {
        sample_rate,
        mono,
        quality: quaver::Quality::Balanced,
    }
}

/// Probe a file.
#[uniffi::export]
pub fn info(path: String) -> Result<AudioInfo> {
    Ok(quaver::info(path)?.into())
}

/// Probe encoded audio held in memory.
#[uniffi::export]
pub fn info_bytes(data: Vec<u8>) -> Result<AudioInfo> {
    Ok(quaver::info(quaver::Input::bytes(data))?.into())
}

/// Decode a file to interleaved f32le PCM, optionally resampled and downmixed.
#[uniffi::export]
pub fn decode(path: String, sample_rate: Option<u32>, mono: bool) -> Result<Pcm> {
    Ok(to_pcm(quaver::decode(path, &convert(sample_rate, mono))?))
}

/// Decode encoded audio held in memory.
#[uniffi::export]
pub fn decode_bytes(data: Vec<u8>, sample_rate: Option<u32>, mono: bool) -> Result<Pcm> {
    Ok(to_pcm(quaver::decode(
        quaver::Input::bytes(data),
        &convert(sample_rate, mono),
    )?))
}

/// Resample interleaved f32le PCM.
#[uniffi::export]
pub fn resample(f32le: Vec<u8>, channels: u32, sample_rate: u32, target_rate: u32) -> Result<Pcm> {
    let buf = from_pcm(&f32le, channels, sample_rate)?;
    Ok(to_pcm(quaver::resample(
        &buf,
        target_rate,
        quaver::Quality::Balanced,
    )?))
}
