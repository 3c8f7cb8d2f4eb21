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

/// Test hook for the panic-safety test: panics inside quaver's runtime, which turns it into
/// `QuaverException.Internal`. Not for use in applications.
#[doc(hidden)]
#[uniffi::export]
pub fn debug_panic(message: String) -> Result<()> {
    quaver::runtime::debug_panic(&message)?;
    Ok(())
}

/// Test hook: panics in the exported function itself, outside quaver's runtime; UniFFI's own
/// `catch_unwind` at the FFI boundary turns it into its `InternalException`. Not for use in
/// applications.
#[doc(hidden)]
#[uniffi::export]
pub fn debug_panic_raw(message: String) {
    panic!("debug_panic_raw: {message}");
}

fn lock_err<T>(_: T) -> QuaverError {
    QuaverError::Internal {
        reason: "a lock was poisoned by an earlier failure".into(),
    }
}

/// Which analyses `analyze` runs, and their parameters (defaults: loudness and music on).
#[derive(uniffi::Record)]
pub struct AnalyzeOptions {
    /// EBU R128 loudness.
    #[uniffi(default = true)]
    pub loudness: bool,
    /// Tempo, key and feature vector.
    #[uniffi(default = true)]
    pub music: bool,
    /// Loudness the normalisation gain aims for (LUFS).
    #[uniffi(default = -14.0)]
    pub target_lufs: f64,
    /// Lowest tempo reported (BPM).
    #[uniffi(default = 50.0)]
    pub min_bpm: f64,
    /// Highest tempo reported (BPM).
    #[uniffi(default = 220.0)]
    pub max_bpm: f64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            loudness: true,
            music: true,
            target_lufs: -14.0,
            min_bpm: 50.0,
            max_bpm: 220.0,
        }
    }
}

impl From<&AnalyzeOptions> for quaver::AnalysisOptions {
    fn from(o: &AnalyzeOptions) -> Self {
        quaver::AnalysisOptions {
            loudness: o.loudness.then(|| quaver::LoudnessOptions {
                target_lufs: o.target_lufs,
                ..Default::default()
            }),
            waveform: None,
            music: o.music.then(|| quaver::MusicOptions {
                tempo_range: quaver::TempoOptions {
                    min_bpm: o.min_bpm,
                    max_bpm: o.max_bpm,
                },
                ..Default::default()
            }),
        }
    }
}

/// EBU R128 loudness (`null` values: silence).
#[derive(uniffi::Record)]
pub struct Loudness {
    pub integrated_lufs: Option<f64>,
    pub range_lu: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub sample_peak_dbfs: Option<f64>,
    pub momentary_max_lufs: Option<f64>,
    pub short_term_max_lufs: Option<f64>,
    pub replaygain_db: Option<f64>,
    /// Gain to reach the target loudness under the peak ceiling.
    pub normalization_gain_db: Option<f64>,
}

/// Tempo and beats.
#[derive(uniffi::Record)]
pub struct Tempo {
    pub bpm: f64,
    pub confidence: f64,
    pub alternative_bpm: f64,
    pub alternative_confidence: f64,
    pub beats: Vec<f64>,
    pub beats_per_bar: u32,
    pub downbeats: Vec<f64>,
    pub steady: bool,
    pub pulse_clarity: f64,
}

/// Musical key.
#[derive(uniffi::Record)]
pub struct Key {
    pub tonic: Option<String>,
    pub mode: String,
    pub label: String,
    pub camelot: Option<String>,
    pub open_key: Option<String>,
    pub confidence: f64,
    pub tuning_cents: f64,
}

/// What `analyze` reports (mirror of `quaver::Analysis`).
#[derive(uniffi::Record)]
pub struct Analysis {
    pub duration_s: f64,
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: u32,
    pub loudness: Option<Loudness>,
    pub tempo: Option<Tempo>,
    pub key: Option<Key>,
    /// Names of the feature vector's values.
    pub feature_names: Vec<String>,
    /// The versioned feature vector (empty when music analysis is off).
    pub feature_values: Vec<f64>,
    pub warnings: Vec<String>,
}

impl From<quaver::Analysis> for Analysis {
    fn from(a: quaver::Analysis) -> Self {
        let (feature_names, feature_values) =
            a.features.map(|f| (f.names, f.values)).unwrap_or_default();
        Analysis {
            duration_s: a.duration_s,
            frames: a.frames,
            sample_rate: a.sample_rate,
            channels: a.channels,
            loudness: a.loudness.map(|l| Loudness {
                integrated_lufs: l.integrated_lufs,
                range_lu: l.range_lu,
                true_peak_dbtp: l.true_peak_dbtp,
                sample_peak_dbfs: l.sample_peak_dbfs,
                momentary_max_lufs: l.momentary_max_lufs,
                short_term_max_lufs: l.short_term_max_lufs,
                replaygain_db: l.replaygain_db,
                normalization_gain_db: l.normalization.gain_db,
            }),
            tempo: a.tempo.map(|t| Tempo {
                bpm: t.bpm,
                confidence: t.confidence,
                alternative_bpm: t.alternative.bpm,
                alternative_confidence: t.alternative.confidence,
                beats: t.beats,
                beats_per_bar: t.beats_per_bar,
                downbeats: t.downbeats,
                steady: t.steady,
                pulse_clarity: t.pulse_clarity,
            }),
            key: a.key.map(|k| Key {
                tonic: k.tonic,
                mode: k.mode,
                label: k.label,
                camelot: k.camelot,
                open_key: k.open_key,
                confidence: k.confidence,
                tuning_cents: k.tuning_cents,
            }),
            feature_names,
            feature_values,
            warnings: a.warnings,
        }
    }
}

/// Analyse a file: loudness, tempo, key, features (as `options` says; `null` = defaults).
#[uniffi::export(default(options = None))]
pub fn analyze(path: String, options: Option<AnalyzeOptions>) -> Result<Analysis> {
    let o = options.unwrap_or_default();
    Ok(quaver::analyze(path, &(&o).into())?.into())
}

/// Analyse encoded audio held in memory.
#[uniffi::export(default(options = None))]
pub fn analyze_bytes(data: Vec<u8>, options: Option<AnalyzeOptions>) -> Result<Analysis> {
    let o = options.unwrap_or_default();
    Ok(quaver::analyze(quaver::Input::bytes(data), &(&o).into())?.into())
}

/// Waveform peaks: the audiowaveform `.dat` bytes (what peaks.js / waveform-data.js and the
/// CLI's `quaver waveform -o x.dat` produce) and their shape.
#[derive(uniffi::Record)]
pub struct Waveform {
    pub sample_rate: u32,
    pub samples_per_pixel: u32,
    /// 1 when merged, the source's count when split.
    pub channels: u32,
    /// 8 or 16.
    pub bits: u8,
    /// Pixels (min/max pairs per channel).
    pub length: u32,
    /// audiowaveform binary `.dat` (version 1 when merged, else 2): a 20/24-byte header, then
    /// min,max per channel per pixel as i8 or i16le.
    pub dat: Vec<u8>,
}

/// Waveform options (mirror of `quaver::WaveformOptions`).
#[derive(uniffi::Record)]
pub struct WaveformOptions {
    /// Frames per min/max pair (ignored when `width` is set).
    #[uniffi(default = 256)]
    pub samples_per_pixel: u32,
    /// Fit the whole track into this many pixels.
    #[uniffi(default = None)]
    pub width: Option<u32>,
    /// 8 or 16.
    #[uniffi(default = 16)]
    pub bits: u8,
    /// One waveform per channel.
    #[uniffi(default = false)]
    pub split_channels: bool,
}

fn waveform_of(input: quaver::Input, o: Option<WaveformOptions>) -> Result<Waveform> {
    let o = o.unwrap_or(WaveformOptions {
        samples_per_pixel: 256,
        width: None,
        bits: 16,
        split_channels: false,
    });
    let w = quaver::waveform(
        input,
        &quaver::WaveformOptions {
            samples_per_pixel: o.samples_per_pixel,
            width: o.width,
            bits: o.bits,
            split_channels: o.split_channels,
            zoom_levels: Vec::new(),
        },
    )?;
    let dat = w.to_dat(if w.channels == 1 { 1 } else { 2 })?;
    Ok(Waveform {
        sample_rate: w.sample_rate,
        samples_per_pixel: w.samples_per_pixel,
        channels: w.channels,
        bits: w.bits,
        length: w.len() as u32,
        dat,
    })
}

/// Waveform peaks of a file.
#[uniffi::export(default(options = None))]
pub fn waveform(path: String, options: Option<WaveformOptions>) -> Result<Waveform> {
    waveform_of(path.into(), options)
}

/// Waveform peaks of encoded audio held in memory.
#[uniffi::export(default(options = None))]
pub fn waveform_bytes(data: Vec<u8>, options: Option<WaveformOptions>) -> Result<Waveform> {
    waveform_of(quaver::Input::bytes(data), options)
}

/// A Chromaprint (AcoustID) fingerprint.
#[derive(uniffi::Record)]
pub struct Chromaprint {
    pub duration_s: f64,
    /// Compressed, base64url (`fpcalc`'s FINGERPRINT=).
    pub fingerprint: String,
    /// The raw 32-bit items (`fpcalc -raw`).
    pub raw: Vec<u32>,
}

/// Chromaprint of the first `max_seconds` of a file (120 like `fpcalc`; 0 = all).
#[uniffi::export(default(max_seconds = 120.0))]
pub fn chromaprint(path: String, max_seconds: f64) -> Result<Chromaprint> {
    let c = quaver::chromaprint(path, max_seconds)?;
    Ok(Chromaprint {
        duration_s: c.duration_s,
        fingerprint: c.fingerprint,
        raw: c.raw,
    })
}

/// The compact query fingerprint of a short recording (a file): bytes to send to a server,
/// which answers with `FingerprintIndex.querySnippet`.
#[uniffi::export]
pub fn fingerprint_snippet(path: String) -> Result<Vec<u8>> {
    Ok(quaver::fingerprint::fingerprint_snippet(path)?)
}

/// The compact query fingerprint of interleaved f32le PCM (e.g. microphone samples).
#[uniffi::export]
pub fn fingerprint_snippet_pcm(f32le: Vec<u8>, channels: u32, sample_rate: u32) -> Result<Vec<u8>> {
    let buf = from_pcm(&f32le, channels, sample_rate)?;
    Ok(quaver::fingerprint::fingerprint_snippet_pcm(&buf)?)
}

/// One identified catalog segment.
#[derive(uniffi::Record)]
pub struct Match {
    pub track: String,
    /// Position in the track (s) matching the query's start.
    pub offset_s: f64,
    pub query_start_s: f64,
    pub query_end_s: f64,
    pub track_start_s: f64,
    pub track_end_s: f64,
    pub time_factor: f64,
    pub pitch_factor: f64,
    pub score: f64,
}

/// The answer to a query (`matches` empty: not in the catalog).
#[derive(uniffi::Record)]
pub struct QueryResult {
    pub matches: Vec<Match>,
    pub duration_s: f64,
}

impl From<quaver::QueryResult> for QueryResult {
    fn from(r: quaver::QueryResult) -> Self {
        QueryResult {
            matches: r
                .matches
                .into_iter()
                .map(|m| Match {
                    track: m.track,
                    offset_s: m.offset_s,
                    query_start_s: m.query_start_s,
                    query_end_s: m.query_end_s,
                    track_start_s: m.track_start_s,
                    track_end_s: m.track_end_s,
                    time_factor: m.time_factor,
                    pitch_factor: m.pitch_factor,
                    score: m.score,
                })
                .collect(),
            duration_s: r.duration_s,
        }
    }
}

/// Size and content of an index.
#[derive(uniffi::Record)]
pub struct IndexStats {
    pub tracks: u64,
    pub seconds: f64,
    pub segments: u64,
    pub bytes: u64,
    pub shards: u32,
}

fn query_options(min_score: Option<f64>) -> quaver::fingerprint::QueryOptions {
    let mut o = quaver::fingerprint::QueryOptions::default();
    if let Some(s) = min_score {
        o.min_score = s;
    }
    o
}

/// A persistent on-device fingerprint index in a directory. Thread-safe: queries run in
/// parallel, changes take it exclusively.
#[derive(uniffi::Object)]
pub struct FingerprintIndex {
    inner: std::sync::RwLock<quaver::FingerprintIndex>,
}

#[uniffi::export]
impl FingerprintIndex {
    /// Open the index in `dir`, creating it (with `shards`, default 4) if absent.
    #[uniffi::constructor(default(shards = None))]
    pub fn open(dir: String, shards: Option<u32>) -> Result<Self> {
        let mut o = quaver::fingerprint::IndexOptions::default();
        if let Some(s) = shards {
            o.shards = s;
        }
        Ok(FingerprintIndex {
            inner: std::sync::RwLock::new(quaver::FingerprintIndex::open_with(dir, &o)?),
        })
    }

    /// Fingerprint a file and add it as `id` (replacing an existing `id`).
    pub fn add(&self, id: String, path: String) -> Result<()> {
        Ok(self.inner.write().map_err(lock_err)?.add(&id, path)?)
    }

    /// Fingerprint encoded audio held in memory and add it as `id`.
    pub fn add_bytes(&self, id: String, data: Vec<u8>) -> Result<()> {
        Ok(self
            .inner
            .write()
            .map_err(lock_err)?
            .add(&id, quaver::Input::bytes(data))?)
    }

    /// Remove tracks; returns how many were present.
    pub fn remove(&self, ids: Vec<String>) -> Result<u32> {
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(self.inner.write().map_err(lock_err)?.remove(&refs)? as u32)
    }

    /// Identify an excerpt in a file.
    #[uniffi::method(default(min_score = None))]
    pub fn query(&self, path: String, min_score: Option<f64>) -> Result<QueryResult> {
        let idx = self.inner.read().map_err(lock_err)?;
        Ok(idx.query(path, &query_options(min_score))?.into())
    }

    /// Identify the excerpt a `fingerprintSnippet` was made from (server or on-device).
    #[uniffi::method(default(min_score = None))]
    pub fn query_snippet(&self, snippet: Vec<u8>, min_score: Option<f64>) -> Result<QueryResult> {
        let idx = self.inner.read().map_err(lock_err)?;
        Ok(idx
            .query_snippet(&snippet, &query_options(min_score))?
            .into())
    }

    /// Merge segments and drop removed tracks.
    pub fn compact(&self) -> Result<()> {
        Ok(self.inner.write().map_err(lock_err)?.compact()?)
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<IndexStats> {
        let s = self.inner.read().map_err(lock_err)?.stats();
        Ok(IndexStats {
            tracks: s.tracks,
            seconds: s.seconds,
            segments: s.segments,
            bytes: s.bytes,
            shards: s.shards,
        })
    }

    /// Is `id` in the index?
    pub fn contains(&self, id: String) -> Result<bool> {
        Ok(self.inner.read().map_err(lock_err)?.contains(&id))
    }
}

/// What `AnalysisStream.finish` returns.
#[derive(uniffi::Record)]
pub struct StreamResult {
    pub analysis: Analysis,
    /// The compact query fingerprint of everything pushed (as `fingerprintSnippet`).
    pub snippet: Vec<u8>,
}

/// Analyse (and fingerprint) audio as it is recorded: `push` interleaved f32le chunks, then
/// `finish` once.
#[derive(uniffi::Object)]
pub struct AnalysisStream {
    inner: std::sync::Mutex<Option<quaver::stream::AnalysisStream>>,
}

#[uniffi::export]
impl AnalysisStream {
    /// A stream of `channels`-channel PCM at `sample_rate`.
    #[uniffi::constructor(default(options = None))]
    pub fn new(sample_rate: u32, channels: u32, options: Option<AnalyzeOptions>) -> Result<Self> {
        let o = options.unwrap_or_default();
        Ok(AnalysisStream {
            inner: std::sync::Mutex::new(Some(quaver::stream::AnalysisStream::new(
                sample_rate,
                channels,
                &(&o).into(),
            )?)),
        })
    }

    /// Push interleaved f32le PCM.
    pub fn push(&self, f32le: Vec<u8>) -> Result<()> {
        if f32le.len() % 4 != 0 {
            return Err(QuaverError::InvalidArgument {
                reason: format!("{} bytes is not a whole number of f32 samples", f32le.len()),
            });
        }
        let samples: Vec<f32> = f32le
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut g = self.inner.lock().map_err(lock_err)?;
        let s = g.as_mut().ok_or_else(finished)?;
        Ok(s.push_interleaved(&samples)?)
    }

    /// Frames pushed so far.
    pub fn frames(&self) -> Result<u64> {
        let g = self.inner.lock().map_err(lock_err)?;
        Ok(g.as_ref().ok_or_else(finished)?.frames())
    }

    /// End of the audio: the analysis and the query fingerprint. Call once.
    pub fn finish(&self) -> Result<StreamResult> {
        let s = self
            .inner
            .lock()
            .map_err(lock_err)?
            .take()
            .ok_or_else(finished)?;
        let r = s.finish()?;
        Ok(StreamResult {
            analysis: r.analysis.into(),
            snippet: r.snippet,
        })
    }
}

fn finished() -> QuaverError {
    QuaverError::InvalidArgument {
        reason: "the stream is finished".into(),
    }
}
