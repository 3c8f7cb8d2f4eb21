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
