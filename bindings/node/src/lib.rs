//! Node bindings: argument conversion, work on the libuv pool (`AsyncTask`, with an optional
//! `AbortSignal`) or a `…Sync` twin, a call into the `quaver` facade, and errors mapped to JS
//! `Error`s with `code = "ERR_QUAVER_<KIND>"` — nothing more.

use napi::{bindgen_prelude::*, Env, Task};
use napi_derive::napi;

/// A quaver error as a JS `Error` with a stable `code` (and the message), for sync and async
/// paths alike.
fn js_error(env: &Env, e: quaver::Error) -> napi::Error {
    let code = format!("ERR_QUAVER_{}", e.code());
    let msg = e.to_string();
    let build = || -> napi::Result<napi::Error> {
        let mut obj: Object =
            env.create_error(napi::Error::new(Status::GenericFailure, msg.clone()))?;
        obj.set_named_property("code", code.as_str())?;
        let unknown: Unknown = obj.to_unknown();
        Ok(napi::Error::from(unknown))
    };
    build().unwrap_or_else(|_| napi::Error::new(Status::GenericFailure, format!("{code}: {msg}")))
}

/// A path or encoded bytes.
fn to_input(src: Either<String, &[u8]>) -> quaver::Input {
    match src {
        Either::A(path) => quaver::Input::Path(path.into()),
        Either::B(bytes) => quaver::Input::bytes(bytes.to_vec()),
    }
}

/// A facade result as a plain JS object (the same serde definition as the CLI's `--json`).
pub struct Json(serde_json::Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: forwarded to serde_json::Value's conversion with the same env.
        unsafe { serde_json::Value::to_napi_value(env, val.0) }
    }
}

fn to_json<T: serde::Serialize>(v: T) -> napi::Result<Json> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| napi::Error::new(Status::GenericFailure, e.to_string()))
}

type Work<T> = Box<dyn FnOnce() -> quaver::Result<T> + Send>;

/// One facade call run on the libuv pool; `finish` converts its result on the JS thread.
pub struct Job<T: Send + 'static, J> {
    work: Option<Work<T>>,
    finish: fn(T) -> napi::Result<J>,
}

impl<T: Send + 'static, J> Job<T, J> {
    fn new(
        work: impl FnOnce() -> quaver::Result<T> + Send + 'static,
        finish: fn(T) -> napi::Result<J>,
    ) -> Self {
        Job {
            work: Some(Box::new(work)),
            finish,
        }
    }
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for Job<T, J> {
    type Output = quaver::Result<T>;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let work = self
            .work
            .take()
            .ok_or_else(|| napi::Error::from_reason("task ran twice"))?;
        Ok(work())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<J> {
        match output {
            Ok(v) => (self.finish)(v),
            Err(e) => Err(js_error(&env, e)),
        }
    }
}

/// Decoded PCM: one Float32Array per channel.
#[napi(object)]
pub struct DecodedAudio {
    /// One array per channel, all the same length.
    pub channels: Vec<Float32Array>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
}

/// Options for `decode`.
#[napi(object)]
#[derive(Default)]
pub struct DecodeOptions {
    /// Resample to this rate (Hz).
    pub sample_rate: Option<u32>,
    /// Downmix to mono.
    pub mono: Option<bool>,
    /// Resampler quality: "fast", "balanced" (default) or "best".
    pub quality: Option<String>,
}

fn convert_options(o: Option<DecodeOptions>) -> quaver::Result<quaver::ConvertOptions> {
    let o = o.unwrap_or_default();
    Ok(quaver::ConvertOptions {
        sample_rate: o.sample_rate,
        mono: o.mono.unwrap_or(false),
        quality: o.quality.as_deref().unwrap_or("balanced").parse()?,
    })
}

fn to_decoded(buf: quaver::AudioBuffer) -> napi::Result<DecodedAudio> {
    Ok(DecodedAudio {
        sample_rate: buf.sample_rate,
        channels: buf.channels.into_iter().map(Float32Array::new).collect(),
    })
}

fn planar(channels: &[Float32Array]) -> Vec<Vec<f32>> {
    channels.iter().map(|c| c.to_vec()).collect()
}

/// Task types (named so napi's code generation sees one type per task).
pub type InfoTask = Job<quaver::AudioInfo, Json>;
/// A task producing PCM.
pub type AudioTask = Job<quaver::AudioBuffer, DecodedAudio>;

/// Probe a file or buffer: container, codec, rate, channels, exact gapless length, tags.
#[napi(ts_return_type = "Promise<AudioInfo>")]
pub fn info(src: Either<String, &[u8]>, signal: Option<AbortSignal>) -> AsyncTask<InfoTask> {
    let input = to_input(src);
    AsyncTask::with_optional_signal(Job::new(move || quaver::info(input), to_json), signal)
}

/// `info`, blocking the calling thread.
#[napi(ts_return_type = "AudioInfo")]
pub fn info_sync(env: Env, src: Either<String, &[u8]>) -> napi::Result<Json> {
    quaver::info(to_input(src))
        .map_err(|e| js_error(&env, e))
        .and_then(to_json)
}

/// Decode to one Float32Array per channel, optionally resampled and downmixed.
#[napi(ts_return_type = "Promise<DecodedAudio>")]
pub fn decode(
    src: Either<String, &[u8]>,
    options: Option<DecodeOptions>,
    signal: Option<AbortSignal>,
) -> AsyncTask<AudioTask> {
    let input = to_input(src);
    let opts = convert_options(options);
    AsyncTask::with_optional_signal(
        Job::new(move || quaver::decode(input, &opts?), to_decoded),
        signal,
    )
}

/// `decode`, blocking the calling thread.
#[napi]
pub fn decode_sync(
    env: Env,
    src: Either<String, &[u8]>,
    options: Option<DecodeOptions>,
) -> napi::Result<DecodedAudio> {
    convert_options(options)
        .and_then(|o| quaver::decode(to_input(src), &o))
        .map_err(|e| js_error(&env, e))
        .and_then(to_decoded)
}

/// Resample planar channels from `sampleRate` to `targetRate` (exact output length).
#[napi(ts_return_type = "Promise<DecodedAudio>")]
pub fn resample(
    channels: Vec<Float32Array>,
    sample_rate: u32,
    target_rate: u32,
    quality: Option<String>,
    signal: Option<AbortSignal>,
) -> AsyncTask<AudioTask> {
    let data = planar(&channels);
    let work = move || {
        let q: quaver::Quality = quality.as_deref().unwrap_or("balanced").parse()?;
        quaver::resample(
            &quaver::AudioBuffer::from_planar(sample_rate, data)?,
            target_rate,
            q,
        )
    };
    AsyncTask::with_optional_signal(Job::new(work, to_decoded), signal)
}

/// `resample`, blocking the calling thread.
#[napi]
pub fn resample_sync(
    env: Env,
    channels: Vec<Float32Array>,
    sample_rate: u32,
    target_rate: u32,
    quality: Option<String>,
) -> napi::Result<DecodedAudio> {
    let run = || {
        let q: quaver::Quality = quality.as_deref().unwrap_or("balanced").parse()?;
        quaver::resample(
            &quaver::AudioBuffer::from_planar(sample_rate, planar(&channels))?,
            target_rate,
            q,
        )
    };
    run().map_err(|e| js_error(&env, e)).and_then(to_decoded)
}

/// A task producing a JSON report.
pub type ReportTask = Job<serde_json::Value, Json>;

fn report<T: serde::Serialize>(r: quaver::Result<T>) -> quaver::Result<serde_json::Value> {
    r.and_then(|v| serde_json::to_value(v).map_err(|e| quaver::Error::Internal(e.to_string())))
}

/// Encode to MP3, Opus (Ogg) or FLAC, chosen by the output's extension or `options.codec`;
/// gapless, tags copied from the source. Unknown options reject with ERR_QUAVER_INVALID_ARGUMENT.
#[napi(
    ts_args_type = "src: string | Uint8Array, output: string, options?: EncodeOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<EncodeReport>"
)]
pub fn encode(
    src: Either<String, &[u8]>,
    output: String,
    options: Option<serde_json::Value>,
    signal: Option<AbortSignal>,
) -> AsyncTask<ReportTask> {
    let input = to_input(src);
    let work = move || {
        let opts: quaver::EncodeOptions = quaver::options::from_json(options.unwrap_or_default())?;
        report(quaver::encode(input, &output, &opts))
    };
    AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
}

/// `encode`, blocking the calling thread.
#[napi(
    ts_args_type = "src: string | Uint8Array, output: string, options?: EncodeOptions | undefined | null",
    ts_return_type = "EncodeReport"
)]
pub fn encode_sync(
    env: Env,
    src: Either<String, &[u8]>,
    output: String,
    options: Option<serde_json::Value>,
) -> napi::Result<Json> {
    let run = || {
        let opts: quaver::EncodeOptions = quaver::options::from_json(options.unwrap_or_default())?;
        report(quaver::encode(to_input(src), &output, &opts))
    };
    run().map(Json).map_err(|e| js_error(&env, e))
}

/// Cap the threads quaver uses in this process (also `QUAVER_NUM_THREADS`).
#[napi]
pub fn set_num_threads(env: Env, n: u32) -> napi::Result<()> {
    quaver::runtime::set_num_threads(n as usize).map_err(|e| js_error(&env, e))
}

/// Threads quaver's pool uses.
#[napi]
pub fn get_num_threads() -> u32 {
    quaver::runtime::num_threads() as u32
}

fn opts<T: serde::Serialize + serde::de::DeserializeOwned + Default>(
    v: Option<serde_json::Value>,
) -> quaver::Result<T> {
    quaver::options::from_json(v.unwrap_or_default())
}

/// Decode once and run the analyses `options` enables (loudness, tempo, key and features by
/// default). The result is the CLI's `quaver analyze --json` object.
#[napi(
    ts_args_type = "src: string | Uint8Array, options?: AnalysisOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Analysis>"
)]
pub fn analyze(
    src: Either<String, &[u8]>,
    options: Option<serde_json::Value>,
    signal: Option<AbortSignal>,
) -> AsyncTask<ReportTask> {
    let input = to_input(src);
    let work = move || report(quaver::analyze(input, &opts(options)?));
    AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
}

/// `analyze`, blocking the calling thread.
#[napi(
    ts_args_type = "src: string | Uint8Array, options?: AnalysisOptions | undefined | null",
    ts_return_type = "Analysis"
)]
pub fn analyze_sync(
    env: Env,
    src: Either<String, &[u8]>,
    options: Option<serde_json::Value>,
) -> napi::Result<Json> {
    let run = || report(quaver::analyze(to_input(src), &opts(options)?));
    run().map(Json).map_err(|e| js_error(&env, e))
}

/// Waveform peaks in BBC audiowaveform's model (what peaks.js and waveform-data.js read).
#[napi]
pub struct Waveform {
    inner: quaver::Waveform,
}

impl Waveform {
    fn split(&self, which: usize) -> Int16Array {
        let v: Vec<i16> = self
            .inner
            .data
            .iter()
            .skip(which)
            .step_by(2)
            .copied()
            .collect();
        Int16Array::new(v)
    }
}

#[napi]
impl Waveform {
    /// Sample rate of the source (Hz).
    #[napi(getter)]
    pub fn sample_rate(&self) -> u32 {
        self.inner.sample_rate
    }
    /// Frames per min/max pair.
    #[napi(getter)]
    pub fn samples_per_pixel(&self) -> u32 {
        self.inner.samples_per_pixel
    }
    /// Output channels (1 when merged).
    #[napi(getter)]
    pub fn channels(&self) -> u32 {
        self.inner.channels
    }
    /// Resolution written to `.dat`/`.json`: 8 or 16.
    #[napi(getter)]
    pub fn bits(&self) -> u32 {
        u32::from(self.inner.bits)
    }
    /// Pixels (min/max pairs per channel).
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }
    /// Minima at 16-bit scale, `length * channels` values: pixel 0 channel 0, pixel 0
    /// channel 1, ...
    #[napi(getter)]
    pub fn min(&self) -> Int16Array {
        self.split(0)
    }
    /// Maxima, laid out like `min`.
    #[napi(getter)]
    pub fn max(&self) -> Int16Array {
        self.split(1)
    }
    /// audiowaveform binary `.dat` bytes (version 1 or 2; default 1 when merged, else 2).
    #[napi]
    pub fn to_dat(&self, env: Env, version: Option<u32>) -> napi::Result<Buffer> {
        let v = version.unwrap_or(if self.inner.channels == 1 { 1 } else { 2 });
        self.inner
            .to_dat(v)
            .map(Buffer::from)
            .map_err(|e| js_error(&env, e))
    }
    /// audiowaveform JSON text (version 1 or 2; default 2).
    #[napi]
    pub fn to_json(&self, env: Env, version: Option<u32>) -> napi::Result<String> {
        self.inner
            .to_json(version.unwrap_or(2))
            .map_err(|e| js_error(&env, e))
    }
    /// Write `.dat`, `.json`, `.png` or `.svg` (by extension) atomically.
    #[napi(ts_args_type = "path: string, render?: RenderOptions | undefined | null")]
    pub fn write(
        &self,
        env: Env,
        path: String,
        render: Option<serde_json::Value>,
    ) -> napi::Result<()> {
        let run = || self.inner.write(&path, &opts(render)?);
        run().map_err(|e| js_error(&env, e))
    }
}

/// A task producing waveform peaks.
pub type WaveformTask = Job<quaver::Waveform, Waveform>;

fn to_waveform(w: quaver::Waveform) -> napi::Result<Waveform> {
    Ok(Waveform { inner: w })
}

/// Waveform peaks of a file or buffer (`options.width` fits the track into that many pixels).
#[napi(
    ts_args_type = "src: string | Uint8Array, options?: WaveformOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<Waveform>"
)]
pub fn waveform(
    src: Either<String, &[u8]>,
    options: Option<serde_json::Value>,
    signal: Option<AbortSignal>,
) -> AsyncTask<WaveformTask> {
    let input = to_input(src);
    let work = move || quaver::waveform(input, &opts(options)?);
    AsyncTask::with_optional_signal(Job::new(work, to_waveform), signal)
}

/// `waveform`, blocking the calling thread.
#[napi(
    ts_args_type = "src: string | Uint8Array, options?: WaveformOptions | undefined | null",
    ts_return_type = "Waveform"
)]
pub fn waveform_sync(
    env: Env,
    src: Either<String, &[u8]>,
    options: Option<serde_json::Value>,
) -> napi::Result<Waveform> {
    let run = || quaver::waveform(to_input(src), &opts(options)?);
    run().map_err(|e| js_error(&env, e)).and_then(to_waveform)
}

fn ladder(spec: Option<serde_json::Value>) -> quaver::Result<quaver::Ladder> {
    let l = match spec {
        None | Some(serde_json::Value::Null) => quaver::Ladder::standard(),
        Some(serde_json::Value::String(name)) => match name.as_str() {
            "standard" => quaver::Ladder::standard(),
            "hifi" => quaver::Ladder::hifi(),
            other => {
                return Err(quaver::Error::invalid(format!(
                    "unknown ladder `{other}` (known: standard, hifi, or a ladder object)"
                )))
            }
        },
        Some(v) => quaver::options::from_json(v)?,
    };
    l.validate()?;
    Ok(l)
}

/// Package for adaptive streaming: every rendition of the ladder (`"standard"`, `"hifi"` or a
/// ladder object) as CMAF segments with HLS and DASH manifests in `outDir`.
#[napi(
    ts_args_type = "src: string | Uint8Array, outDir: string, ladder?: 'standard' | 'hifi' | Ladder | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<PackageReport>"
)]
pub fn package(
    src: Either<String, &[u8]>,
    out_dir: String,
    ladder_spec: Option<serde_json::Value>,
    signal: Option<AbortSignal>,
) -> AsyncTask<ReportTask> {
    let input = to_input(src);
    let work = move || report(quaver::package(input, &out_dir, &ladder(ladder_spec)?));
    AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
}

/// `package`, blocking the calling thread.
#[napi(
    ts_args_type = "src: string | Uint8Array, outDir: string, ladder?: 'standard' | 'hifi' | Ladder | undefined | null",
    ts_return_type = "PackageReport"
)]
pub fn package_sync(
    env: Env,
    src: Either<String, &[u8]>,
    out_dir: String,
    ladder_spec: Option<serde_json::Value>,
) -> napi::Result<Json> {
    let run = || {
        report(quaver::package(
            to_input(src),
            &out_dir,
            &ladder(ladder_spec)?,
        ))
    };
    run().map(Json).map_err(|e| js_error(&env, e))
}

/// The whole upload pipeline from one decode into `outDir`: analysis, waveform files, catalog
/// check (`catalog`, `add_to_catalog`), MP3 downloads, HLS + DASH ladder; `report.json` is
/// written last and returned. Options are the facade's `IngestOptions` (unknown keys reject).
#[napi(
    ts_args_type = "src: string | Uint8Array, outDir: string, options?: IngestOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<IngestReport>"
)]
pub fn ingest(
    src: Either<String, &[u8]>,
    out_dir: String,
    options: Option<serde_json::Value>,
    signal: Option<AbortSignal>,
) -> AsyncTask<ReportTask> {
    let input = to_input(src);
    let work = move || report(quaver::ingest(input, &out_dir, &opts(options)?));
    AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
}

/// `ingest`, blocking the calling thread.
#[napi(
    ts_args_type = "src: string | Uint8Array, outDir: string, options?: IngestOptions | undefined | null",
    ts_return_type = "IngestReport"
)]
pub fn ingest_sync(
    env: Env,
    src: Either<String, &[u8]>,
    out_dir: String,
    options: Option<serde_json::Value>,
) -> napi::Result<Json> {
    let run = || report(quaver::ingest(to_input(src), &out_dir, &opts(options)?));
    run().map(Json).map_err(|e| js_error(&env, e))
}

/// Test hook: a panic inside quaver rejects with `ERR_QUAVER_INTERNAL`, never crashes Node.
#[napi(js_name = "_debugPanic")]
pub fn debug_panic(env: Env) -> napi::Result<()> {
    quaver::runtime::debug_panic("node").map_err(|e| js_error(&env, e))
}

/// Chromaprint (AcoustID) fingerprint of the first `maxSeconds` (default 120, like `fpcalc`;
/// 0 = all).
#[napi(ts_return_type = "Promise<Chromaprint>")]
pub fn chromaprint(
    src: Either<String, &[u8]>,
    max_seconds: Option<f64>,
    signal: Option<AbortSignal>,
) -> AsyncTask<ReportTask> {
    let input = to_input(src);
    let work = move || report(quaver::chromaprint(input, max_seconds.unwrap_or(120.0)));
    AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
}

/// `chromaprint`, blocking the calling thread.
#[napi(ts_return_type = "Chromaprint")]
pub fn chromaprint_sync(
    env: Env,
    src: Either<String, &[u8]>,
    max_seconds: Option<f64>,
) -> napi::Result<Json> {
    report(quaver::chromaprint(
        to_input(src),
        max_seconds.unwrap_or(120.0),
    ))
    .map(Json)
    .map_err(|e| js_error(&env, e))
}

/// Frame-level matrices (mel dB, 20 MFCCs, chroma, centroid, roll-off, flatness) on mono
/// 22 050 Hz with librosa's framing; one row per frame.
#[napi(ts_return_type = "Promise<FrameMatrices>")]
pub fn frame_features(
    src: Either<String, &[u8]>,
    signal: Option<AbortSignal>,
) -> AsyncTask<ReportTask> {
    let input = to_input(src);
    let work = move || report(quaver::frame_features(input));
    AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
}

/// `frameFeatures`, blocking the calling thread.
#[napi(ts_return_type = "FrameMatrices")]
pub fn frame_features_sync(env: Env, src: Either<String, &[u8]>) -> napi::Result<Json> {
    report(quaver::frame_features(to_input(src)))
        .map(Json)
        .map_err(|e| js_error(&env, e))
}

type Shared = std::sync::Arc<std::sync::RwLock<quaver::FingerprintIndex>>;

fn poisoned<T>(_: T) -> quaver::Error {
    quaver::Error::Internal("the fingerprint index lock is poisoned".into())
}

/// A task with no value.
pub type UnitTask = Job<(), ()>;
/// A task producing a count.
pub type CountTask = Job<u32, u32>;

fn unit(_: ()) -> napi::Result<()> {
    Ok(())
}

fn count(n: u32) -> napi::Result<u32> {
    Ok(n)
}

fn remove_ids(idx: &Shared, ids: &[String]) -> quaver::Result<u32> {
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    Ok(idx.write().map_err(poisoned)?.remove(&refs)? as u32)
}

/// A persistent, crash-safe fingerprint index in a directory. Reads (query, scan) run in
/// parallel; writes (add, remove, compact) take the index exclusively.
#[napi]
pub struct FingerprintIndex {
    inner: Shared,
}

#[napi]
impl FingerprintIndex {
    /// Open the index in `dir`, creating it (with `options.shards`, default 4) if absent.
    #[napi(
        factory,
        ts_args_type = "dir: string, options?: IndexOptions | undefined | null"
    )]
    pub fn open(env: Env, dir: String, options: Option<serde_json::Value>) -> napi::Result<Self> {
        let run = || quaver::FingerprintIndex::open_with(&dir, &opts(options)?);
        run()
            .map(|i| FingerprintIndex {
                inner: std::sync::Arc::new(std::sync::RwLock::new(i)),
            })
            .map_err(|e| js_error(&env, e))
    }

    /// Fingerprint `src` and add it as `id` (replacing an existing `id`), atomically.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn add(
        &self,
        id: String,
        src: Either<String, &[u8]>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<UnitTask> {
        let (idx, input) = (self.inner.clone(), to_input(src));
        let work = move || idx.write().map_err(poisoned)?.add(&id, input);
        AsyncTask::with_optional_signal(Job::new(work, unit), signal)
    }

    /// `add`, blocking the calling thread.
    #[napi]
    pub fn add_sync(&self, env: Env, id: String, src: Either<String, &[u8]>) -> napi::Result<()> {
        let run = || {
            self.inner
                .write()
                .map_err(poisoned)?
                .add(&id, to_input(src))
        };
        run().map_err(|e| js_error(&env, e))
    }

    /// Remove tracks; resolves to how many were present.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn remove(&self, ids: Vec<String>, signal: Option<AbortSignal>) -> AsyncTask<CountTask> {
        let idx = self.inner.clone();
        AsyncTask::with_optional_signal(Job::new(move || remove_ids(&idx, &ids), count), signal)
    }

    /// `remove`, blocking the calling thread.
    #[napi]
    pub fn remove_sync(&self, env: Env, ids: Vec<String>) -> napi::Result<u32> {
        remove_ids(&self.inner, &ids).map_err(|e| js_error(&env, e))
    }

    /// Identify a (short, possibly degraded, sped-up or pitch-shifted) excerpt.
    #[napi(
        ts_args_type = "src: string | Uint8Array, options?: QueryOptions | undefined | null, signal?: AbortSignal | undefined | null",
        ts_return_type = "Promise<QueryResult>"
    )]
    pub fn query(
        &self,
        src: Either<String, &[u8]>,
        options: Option<serde_json::Value>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<ReportTask> {
        let (idx, input) = (self.inner.clone(), to_input(src));
        let work = move || {
            let o = opts(options)?;
            report(idx.read().map_err(poisoned)?.query(input, &o))
        };
        AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
    }

    /// `query`, blocking the calling thread.
    #[napi(
        ts_args_type = "src: string | Uint8Array, options?: QueryOptions | undefined | null",
        ts_return_type = "QueryResult"
    )]
    pub fn query_sync(
        &self,
        env: Env,
        src: Either<String, &[u8]>,
        options: Option<serde_json::Value>,
    ) -> napi::Result<Json> {
        let run = || {
            let o = opts(options)?;
            report(
                self.inner
                    .read()
                    .map_err(poisoned)?
                    .query(to_input(src), &o),
            )
        };
        run().map(Json).map_err(|e| js_error(&env, e))
    }

    /// Find every catalog segment in a long input (DJ mix, compilation).
    #[napi(
        ts_args_type = "src: string | Uint8Array, options?: ScanOptions | undefined | null, signal?: AbortSignal | undefined | null",
        ts_return_type = "Promise<ScanSegment[]>"
    )]
    pub fn scan(
        &self,
        src: Either<String, &[u8]>,
        options: Option<serde_json::Value>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<ReportTask> {
        let (idx, input) = (self.inner.clone(), to_input(src));
        let work = move || {
            let o = opts(options)?;
            report(idx.read().map_err(poisoned)?.scan(input, &o))
        };
        AsyncTask::with_optional_signal(Job::new(work, |v| Ok(Json(v))), signal)
    }

    /// `scan`, blocking the calling thread.
    #[napi(
        ts_args_type = "src: string | Uint8Array, options?: ScanOptions | undefined | null",
        ts_return_type = "ScanSegment[]"
    )]
    pub fn scan_sync(
        &self,
        env: Env,
        src: Either<String, &[u8]>,
        options: Option<serde_json::Value>,
    ) -> napi::Result<Json> {
        let run = || {
            let o = opts(options)?;
            report(self.inner.read().map_err(poisoned)?.scan(to_input(src), &o))
        };
        run().map(Json).map_err(|e| js_error(&env, e))
    }

    /// Merge segments and drop removed tracks.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn compact(&self, signal: Option<AbortSignal>) -> AsyncTask<UnitTask> {
        let idx = self.inner.clone();
        let work = move || idx.write().map_err(poisoned)?.compact();
        AsyncTask::with_optional_signal(Job::new(work, unit), signal)
    }

    /// `compact`, blocking the calling thread.
    #[napi]
    pub fn compact_sync(&self, env: Env) -> napi::Result<()> {
        let run = || self.inner.write().map_err(poisoned)?.compact();
        run().map_err(|e| js_error(&env, e))
    }

    /// Counts and sizes.
    #[napi(ts_return_type = "IndexStats")]
    pub fn stats(&self, env: Env) -> napi::Result<Json> {
        let run = || report(Ok(self.inner.read().map_err(poisoned)?.stats()));
        run().map(Json).map_err(|e| js_error(&env, e))
    }

    /// Is `id` in the index?
    #[napi]
    pub fn contains(&self, env: Env, id: String) -> napi::Result<bool> {
        let run = || Ok(self.inner.read().map_err(poisoned)?.contains(&id));
        run().map_err(|e| js_error(&env, e))
    }
}
