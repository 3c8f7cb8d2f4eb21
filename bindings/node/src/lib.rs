//! Node bindings: argument conversion, work on the libuv pool (`AsyncTask`, with an optional
//! `AbortSignal`) or a `…Sync` twin, a call into the `quaver` facade, and errors mapped to JS
//! `Error`s with `code = "ERR_QUAVER_<KIND>"` — nothing more.
//!
//! Each operation is written once, as a body that converts its arguments on the JS thread
//! into a [`Job`] (the facade call for a worker thread plus the conversion of its result);
//! [`promise_and_sync!`] turns that body into `name(…): Promise<T>` and `nameSync(…): T`.
//! Progress callbacks reach JS through [`progress`].

use napi::{bindgen_prelude::*, Env};
use napi_derive::napi;

/// Declares a Promise function (an `AsyncTask` on the libuv pool, with a trailing optional
/// `AbortSignal`) and its `…Sync` twin from one body that builds a [`Job`] from the
/// arguments. Each argument may carry `#[ts = "…"]`, its TypeScript type in `index.d.ts`.
/// Docs are written `#[doc = "…"]`: a `///` comment reaches napi-derive through `macro_rules!`
/// as a raw string literal, which it would copy into `index.d.ts` with its `r"` prefix.
macro_rules! promise_and_sync {
    (
        $(#[doc = $doc:literal])*
        #[sync_doc = $sync_doc:literal]
        #[ts_return = $ts_ret:literal, $ts_promise:literal]
        fn $name:ident, $sync:ident(
            $env:ident $(, $(#[ts = $ts:literal])? $arg:ident: $ty:ty)* $(,)?
        ) -> Job<$t:ty, $j:ty> $body:block
    ) => {
        $(#[doc = $doc])*
        #[napi(ts_return_type = $ts_promise)]
        pub fn $name(
            $env: Env,
            $($(#[napi(ts_arg_type = $ts)])? $arg: $ty,)*
            signal: Option<AbortSignal>,
        ) -> napi::Result<AsyncTask<Job<$t, $j>>> {
            let job: Job<$t, $j> = $body;
            job.spawn(&$env, signal)
        }

        #[doc = $sync_doc]
        #[napi(ts_return_type = $ts_ret)]
        pub fn $sync($env: Env, $($(#[napi(ts_arg_type = $ts)])? $arg: $ty,)*) -> napi::Result<$j> {
            let job: Job<$t, $j> = $body;
            job.run(&$env)
        }
    };
}

mod job;
pub mod many;
mod progress;
pub mod stream;

pub use job::{Control, Job};
pub use progress::{BatchProgress, CountProgress, IngestProgress, PackageProgress, Progress};

/// A quaver error as a JS `Error` object with a stable `code` (and the message).
fn error_object<'e>(env: &'e Env, e: &quaver::Error) -> napi::Result<Object<'e>> {
    let mut obj: Object =
        env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
    obj.set_named_property("code", format!("ERR_QUAVER_{}", e.code()))?;
    Ok(obj)
}

/// A quaver error as a thrown/rejected JS `Error` with a stable `code`, for sync and async
/// paths alike.
fn js_error(env: &Env, e: quaver::Error) -> napi::Error {
    match error_object(env, &e) {
        Ok(obj) => napi::Error::from(obj.to_unknown()),
        Err(_) => napi::Error::new(
            Status::GenericFailure,
            format!("ERR_QUAVER_{}: {e}", e.code()),
        ),
    }
}

/// A path or encoded bytes.
fn to_input(src: Either<String, &[u8]>) -> quaver::Input {
    match src {
        Either::A(path) => quaver::Input::Path(path.into()),
        Either::B(bytes) => quaver::Input::bytes(bytes.to_vec()),
    }
}

/// PCM given to `analyze`/`waveform` instead of a file: `decode`'s result, or any object of
/// that shape.
#[napi(object, object_to_js = false)]
pub struct PcmAudio {
    /// One Float32Array per channel (views/subarrays are read from their own offset), all
    /// the same length.
    pub channels: Vec<Float32Array>,
    /// Sample rate in Hz (a positive integer).
    pub sample_rate: f64,
}

/// What an analysis reads: an encoded input for the decoder, or PCM (checked by
/// `AudioBuffer::from_planar`: channels present, equal lengths, rate > 0).
enum Source {
    Input(quaver::Input),
    Pcm(quaver::Result<quaver::AudioBuffer>),
}

/// A path, encoded bytes, or PCM (copied here, on the JS thread).
fn to_source(src: Either3<String, &[u8], PcmAudio>) -> Source {
    match src {
        Either3::A(path) => Source::Input(to_input(Either::A(path))),
        Either3::B(bytes) => Source::Input(to_input(Either::B(bytes))),
        Either3::C(pcm) => {
            let r = pcm.sample_rate;
            Source::Pcm(if r.fract() == 0.0 && r > 0.0 && r <= f64::from(u32::MAX) {
                quaver::AudioBuffer::from_planar(r as u32, planar(&pcm.channels))
            } else {
                Err(quaver::Error::invalid(format!(
                    "sampleRate must be a positive whole number of Hz, got {r}"
                )))
            })
        }
    }
}

impl Source {
    /// `quaver::analyze`, or for PCM the facade's `AnalysisStream` fed the whole buffer (the
    /// same analysers; `options.waveform.width` becomes `samples_per_pixel` by audiowaveform's
    /// rule, as the decoder path does with the track length).
    fn analyze(self, mut options: quaver::AnalysisOptions) -> quaver::Result<quaver::Analysis> {
        let pcm = match self {
            Source::Input(input) => return quaver::analyze(input, &options),
            Source::Pcm(pcm) => pcm?,
        };
        if let Some(w) = options.waveform.as_mut() {
            w.samples_per_pixel = w.main_samples_per_pixel(Some(pcm.frames() as u64))?;
            w.width = None;
        }
        let channels = pcm.num_channels() as u32;
        let mut stream = quaver::stream::AnalysisStream::new(pcm.sample_rate, channels, &options)?;
        stream.push(&pcm)?;
        Ok(stream.finish()?.analysis)
    }

    /// `quaver::waveform_zooms` (main level first), through [`Source::analyze`] for PCM.
    fn waveform_zooms(
        self,
        options: quaver::WaveformOptions,
    ) -> quaver::Result<Vec<quaver::Waveform>> {
        if let Source::Input(input) = self {
            return quaver::waveform_zooms(input, &options);
        }
        let a = self.analyze(quaver::AnalysisOptions {
            loudness: None,
            waveform: Some(options),
            music: None,
        })?;
        let all: Vec<_> = a.waveform.into_iter().chain(a.waveform_zooms).collect();
        if all.is_empty() {
            return Err(quaver::Error::Internal(
                "the waveform analyser returned nothing".into(),
            ));
        }
        Ok(all)
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

fn json(v: serde_json::Value) -> napi::Result<Json> {
    Ok(Json(v))
}

fn report<T: serde::Serialize>(r: quaver::Result<T>) -> quaver::Result<serde_json::Value> {
    r.and_then(|v| serde_json::to_value(v).map_err(|e| quaver::Error::Internal(e.to_string())))
}

fn opts<T: serde::Serialize + serde::de::DeserializeOwned + Default>(
    v: Option<serde_json::Value>,
) -> quaver::Result<T> {
    quaver::options::from_json(v.unwrap_or_default())
}

/// An options argument split into what the facade reads (`rest`, JSON; checked for unknown
/// keys there) and what the binding reads: `onProgress` and the keys in `own`.
struct JsOptions<'a> {
    rest: quaver::Result<serde_json::Value>,
    own: serde_json::Map<String, serde_json::Value>,
    on_progress: Option<Unknown<'a>>,
}

impl JsOptions<'_> {
    /// An own key as `T` (absent: `None`).
    fn own<T: serde::de::DeserializeOwned>(&self, key: &str) -> quaver::Result<Option<T>> {
        self.own
            .get(key)
            .map(|v| {
                serde_json::from_value(v.clone())
                    .map_err(|e| quaver::Error::invalid(format!("option `{key}`: {e}")))
            })
            .transpose()
    }
}

/// A JS value as JSON (what the facade's options parser reads); `what` names it in the error.
fn to_value(v: Unknown<'_>, what: &str) -> quaver::Result<serde_json::Value> {
    // SAFETY: `v` is a live value of the current call, converted with its own env.
    unsafe { serde_json::Value::from_napi_value(v.value().env, v.raw()) }
        .map_err(|e| quaver::Error::invalid(format!("{what}: {}", e.reason)))
}

/// Split `v` (an options object, or null/undefined) as [`JsOptions`] describes. Keys whose
/// value is `undefined` count as absent.
fn js_options<'a>(v: Option<Unknown<'a>>, own: &[&str]) -> napi::Result<JsOptions<'a>> {
    let mut out = JsOptions {
        rest: Ok(serde_json::Value::Null),
        own: serde_json::Map::new(),
        on_progress: None,
    };
    let Some(v) = v else { return Ok(out) };
    let ty = v.get_type()?;
    if ty != ValueType::Object || v.is_array()? {
        if !matches!(ty, ValueType::Null | ValueType::Undefined) {
            out.rest = to_value(v, "options");
        }
        return Ok(out);
    }
    // SAFETY: checked to be an object just above.
    let obj: Object = unsafe { v.cast() }?;
    let mut rest = serde_json::Map::new();
    for key in Object::keys(&obj)? {
        let value: Unknown = obj.get_named_property_unchecked(&key)?;
        if value.get_type()? == ValueType::Undefined {
            continue;
        }
        if key == "onProgress" {
            out.on_progress = Some(value);
            continue;
        }
        match to_value(value, &format!("option `{key}`")) {
            Ok(j) if own.contains(&key.as_str()) => {
                out.own.insert(key, j);
            }
            Ok(j) => {
                rest.insert(key, j);
            }
            Err(e) => out.rest = Err(e),
        }
    }
    if out.rest.is_ok() {
        out.rest = Ok(serde_json::Value::Object(rest));
    }
    Ok(out)
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

promise_and_sync! {
    #[doc = "Probe a file or buffer: container, codec, rate, channels, exact gapless length, tags."]
    #[sync_doc = "`info`, blocking the calling thread."]
    #[ts_return = "AudioInfo", "Promise<AudioInfo>"]
    fn info, info_sync(env, #[ts = "string | Uint8Array"] src: Either<String, &[u8]>) -> Job<quaver::AudioInfo, Json> {
        let input = to_input(src);
        Job::new(move || quaver::info(input), to_json)
    }
}

promise_and_sync! {
    #[doc = "Decode to one Float32Array per channel, optionally resampled and downmixed."]
    #[sync_doc = "`decode`, blocking the calling thread."]
    #[ts_return = "DecodedAudio", "Promise<DecodedAudio>"]
    fn decode, decode_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
        #[ts = "DecodeOptions | undefined | null"] options: Option<DecodeOptions>,
    ) -> Job<quaver::AudioBuffer, DecodedAudio> {
        let input = to_input(src);
        let opts = convert_options(options);
        Job::new(move || quaver::decode(input, &opts?), to_decoded)
    }
}

promise_and_sync! {
    #[doc = "Resample planar channels from `sampleRate` to `targetRate` (exact output length)."]
    #[sync_doc = "`resample`, blocking the calling thread."]
    #[ts_return = "DecodedAudio", "Promise<DecodedAudio>"]
    fn resample, resample_sync(
        env,
        #[ts = "Array<Float32Array>"] channels: Vec<Float32Array>,
        sample_rate: u32,
        target_rate: u32,
        #[ts = "string | undefined | null"] quality: Option<String>,
    ) -> Job<quaver::AudioBuffer, DecodedAudio> {
        let data = planar(&channels);
        Job::new(
            move || {
                let q: quaver::Quality = quality.as_deref().unwrap_or("balanced").parse()?;
                quaver::resample(&quaver::AudioBuffer::from_planar(sample_rate, data)?, target_rate, q)
            },
            to_decoded,
        )
    }
}

promise_and_sync! {
    #[doc = "Encode to MP3, Opus (Ogg) or FLAC, chosen by the output's extension or `options.codec`;"]
    #[doc = "gapless, tags copied from the source. Unknown options reject with ERR_QUAVER_INVALID_ARGUMENT."]
    #[sync_doc = "`encode`, blocking the calling thread."]
    #[ts_return = "EncodeReport", "Promise<EncodeReport>"]
    fn encode, encode_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
        output: String,
        #[ts = "EncodeOptions | undefined | null"] options: Option<serde_json::Value>,
    ) -> Job<serde_json::Value, Json> {
        let input = to_input(src);
        Job::new(
            move || {
                let o: quaver::EncodeOptions = opts(options)?;
                report(quaver::encode(input, &output, &o))
            },
            json,
        )
    }
}

/// `[{ path, options? }, …]` as the facade's encode targets.
fn encode_targets(v: serde_json::Value) -> quaver::Result<Vec<quaver::EncodeTarget>> {
    let serde_json::Value::Array(items) = v else {
        return Err(quaver::Error::invalid(
            "targets must be an array of { path, options? } objects",
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let serde_json::Value::Object(mut m) = t else {
                return Err(quaver::Error::invalid(format!(
                    "targets[{i}] must be a {{ path, options? }} object"
                )));
            };
            let path = match m.remove("path") {
                Some(serde_json::Value::String(p)) => std::path::PathBuf::from(p),
                _ => {
                    return Err(quaver::Error::invalid(format!(
                        "targets[{i}].path must be a string"
                    )))
                }
            };
            let options = quaver::options::from_json(m.remove("options").unwrap_or_default())?;
            if let Some(k) = m.keys().next() {
                return Err(quaver::Error::invalid(format!(
                    "targets[{i}]: unknown key `{k}` (known: options, path)"
                )));
            }
            Ok(quaver::EncodeTarget { path, options })
        })
        .collect()
}

promise_and_sync! {
    #[doc = "Decode once and encode every target (`{ path, options? }`, as `encode` takes them) in"]
    #[doc = "parallel on quaver's thread pool; reports in target order. Any failure rejects the"]
    #[doc = "whole call and no target file is left half-written."]
    #[sync_doc = "`encodeMany`, blocking the calling thread."]
    #[ts_return = "EncodeReport[]", "Promise<EncodeReport[]>"]
    fn encode_many, encode_many_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
        #[ts = "EncodeTarget[]"] targets: serde_json::Value,
    ) -> Job<serde_json::Value, Json> {
        let input = to_input(src);
        Job::new(move || report(quaver::encode_many(input, &encode_targets(targets)?)), json)
    }
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

promise_and_sync! {
    #[doc = "Decode once and run the analyses `options` enables (loudness, tempo, key and features by"]
    #[doc = "default). The result is the CLI's `quaver analyze --json` object. `src` is a path, encoded"]
    #[doc = "bytes, or PCM (`{ channels, sampleRate }`, what `decode` returns): mismatched channel"]
    #[doc = "lengths, no channels or a bad `sampleRate` reject with ERR_QUAVER_INVALID_ARGUMENT."]
    #[sync_doc = "`analyze`, blocking the calling thread."]
    #[ts_return = "Analysis", "Promise<Analysis>"]
    fn analyze, analyze_sync(
        env,
        #[ts = "string | Uint8Array | PcmAudio"] src: Either3<String, &[u8], PcmAudio>,
        #[ts = "AnalysisOptions | undefined | null"] options: Option<serde_json::Value>,
    ) -> Job<serde_json::Value, Json> {
        let src = to_source(src);
        Job::new(move || report(src.analyze(opts(options)?)), json)
    }
}

/// A feature vector given as one, or inside an `Analysis` (its `features`).
fn feature_vector(v: serde_json::Value, which: &str) -> quaver::Result<quaver::FeatureVector> {
    let v = match v {
        serde_json::Value::Object(mut m) if !m.contains_key("values") => {
            m.remove("features").ok_or_else(|| {
                quaver::Error::invalid(format!(
                    "{which} is neither a feature vector nor an analysis with `features` \
                     (analyze with music features on)"
                ))
            })?
        }
        v => v,
    };
    serde_json::from_value(v)
        .map_err(|e| quaver::Error::invalid(format!("{which}: not a feature vector: {e}")))
}

/// Similarity of two tracks' feature vectors in [0, 1] (1 = identical); each argument is an
/// `Analysis` (its `features` are used) or a `FeatureVector`. Vectors of different versions
/// have similarity 0. Cheap arithmetic, so there is no Promise form.
#[napi(
    ts_args_type = "a: FeatureVector | Analysis, b: FeatureVector | Analysis",
    ts_return_type = "number"
)]
pub fn similarity(env: Env, a: serde_json::Value, b: serde_json::Value) -> napi::Result<f64> {
    let run = || {
        Ok(quaver::similarity(
            &feature_vector(a, "a")?,
            &feature_vector(b, "b")?,
        ))
    };
    run().map_err(|e| js_error(&env, e))
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

fn to_waveform(w: quaver::Waveform) -> napi::Result<Waveform> {
    Ok(Waveform { inner: w })
}

fn to_waveforms(all: Vec<quaver::Waveform>) -> napi::Result<Vec<Waveform>> {
    Ok(all.into_iter().map(|inner| Waveform { inner }).collect())
}

promise_and_sync! {
    #[doc = "Waveform peaks of a file, encoded bytes or PCM (`{ channels, sampleRate }`, as `analyze`"]
    #[doc = "takes it); `options.width` fits the track into that many pixels."]
    #[sync_doc = "`waveform`, blocking the calling thread."]
    #[ts_return = "Waveform", "Promise<Waveform>"]
    fn waveform, waveform_sync(
        env,
        #[ts = "string | Uint8Array | PcmAudio"] src: Either3<String, &[u8], PcmAudio>,
        #[ts = "WaveformOptions | undefined | null"] options: Option<serde_json::Value>,
    ) -> Job<quaver::Waveform, Waveform> {
        let src = to_source(src);
        let work = move || {
            let mut all = src.waveform_zooms(opts(options)?)?;
            Ok(all.swap_remove(0))
        };
        Job::new(work, to_waveform)
    }
}

promise_and_sync! {
    #[doc = "Waveform peaks at the main zoom level (`options.samples_per_pixel`, or `options.width`)"]
    #[doc = "and at every level of `options.zoom_levels` (samples per pixel), from one decode: the"]
    #[doc = "main level first, then the zoom levels in the order given."]
    #[sync_doc = "`waveformZooms`, blocking the calling thread."]
    #[ts_return = "Waveform[]", "Promise<Waveform[]>"]
    fn waveform_zooms, waveform_zooms_sync(
        env,
        #[ts = "string | Uint8Array | PcmAudio"] src: Either3<String, &[u8], PcmAudio>,
        #[ts = "WaveformOptions | undefined | null"] options: Option<serde_json::Value>,
    ) -> Job<Vec<quaver::Waveform>, Vec<Waveform>> {
        let src = to_source(src);
        Job::new(move || src.waveform_zooms(opts(options)?), to_waveforms)
    }
}

fn ladder(spec: serde_json::Value) -> quaver::Result<quaver::Ladder> {
    let l = match spec {
        serde_json::Value::Null => quaver::Ladder::standard(),
        serde_json::Value::String(name) => quaver::Ladder::named(&name).ok_or_else(|| {
            quaver::Error::invalid(format!(
                "unknown ladder `{name}` (known: {}, or a ladder object)",
                quaver::Ladder::NAMES.join(", ")
            ))
        })?,
        v => quaver::options::from_json(v)?,
    };
    l.validate()?;
    Ok(l)
}

/// The ladder of `package`'s third argument: a ladder name or object (`rest`), or, when
/// `is_options`, `{ ladder?, onProgress? }`.
fn package_ladder(
    rest: quaver::Result<serde_json::Value>,
    own_ladder: Option<serde_json::Value>,
    is_options: bool,
) -> quaver::Result<quaver::Ladder> {
    let rest = rest?;
    if !is_options {
        return ladder(rest);
    }
    if let Some(k) = rest.as_object().and_then(|m| m.keys().next()) {
        return Err(quaver::Error::invalid(format!(
            "unknown package option `{k}` (known: ladder, onProgress; or pass a ladder object)"
        )));
    }
    ladder(own_ladder.unwrap_or_default())
}

/// A reader that reports how much of the input the decoder has read.
struct Counting<R> {
    inner: R,
    len: u64,
    read: u64,
    next: u64,
    progress: Progress<PackageProgress>,
}

impl<R> Counting<R> {
    /// Share of the input read while decoding: 0..0.95 (encoding and writing the package
    /// follow the last read).
    fn report(&mut self) {
        if self.read < self.next {
            return;
        }
        self.next = self.read + (self.len / 200).max(64 * 1024);
        let fraction = if self.len > 0 {
            0.95 * (self.read as f64 / self.len as f64).min(1.0)
        } else {
            0.0
        };
        self.progress.send(PackageProgress {
            stage: "decode".into(),
            fraction,
            bytes: self.read.min(self.len) as f64,
        });
    }
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.report();
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counting<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// `src` as an input whose reads are reported to `progress` (the same bytes, hint and errors
/// as the plain input), and its length in bytes.
fn counted_input(
    src: Either<String, &[u8]>,
    progress: Progress<PackageProgress>,
) -> quaver::Result<(quaver::Input, u64)> {
    match src {
        Either::A(path) => {
            let path = std::path::PathBuf::from(path);
            let file = std::fs::File::open(&path).map_err(|e| quaver::Error::io(&path, e))?;
            let meta = file.metadata().map_err(|e| quaver::Error::io(&path, e))?;
            if meta.is_dir() {
                return Err(quaver::Error::invalid(format!(
                    "{} is a directory",
                    path.display()
                )));
            }
            let hint = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase);
            let r = Counting {
                inner: file,
                len: meta.len(),
                read: 0,
                next: 0,
                progress,
            };
            Ok((quaver::Input::reader(r, hint.as_deref()), meta.len()))
        }
        Either::B(bytes) => {
            let len = bytes.len() as u64;
            let r = Counting {
                len,
                inner: std::io::Cursor::new(bytes.to_vec()),
                read: 0,
                next: 0,
                progress,
            };
            Ok((quaver::Input::reader(r, None), len))
        }
    }
}

promise_and_sync! {
    #[doc = "Package for adaptive streaming: every rendition of the ladder as CMAF segments with HLS"]
    #[doc = "and DASH manifests in `outDir`. The third argument is a ladder (`\"standard\"`, `\"hifi\"` or"]
    #[doc = "a ladder object) or `{ ladder?, onProgress? }`; `onProgress` receives"]
    #[doc = "`PackageProgress` reports (from worker threads, through the event loop)."]
    #[sync_doc = "`package`, blocking the calling thread (`onProgress` is called on it, during the call)."]
    #[ts_return = "PackageReport", "Promise<PackageReport>"]
    fn package, package_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
        out_dir: String,
        #[ts = "'standard' | 'hifi' | Ladder | PackageOptions | undefined | null"] ladder: Option<Unknown>,
    ) -> Job<serde_json::Value, Json> {
        let o = js_options(ladder, &["ladder"])?;
        let is_options = o.on_progress.is_some() || o.own.contains_key("ladder");
        let spec = package_ladder(o.rest, o.own.get("ladder").cloned(), is_options);
        let mut ctl = Control::default();
        let progress = ctl.progress::<PackageProgress>(o.on_progress);
        let input = match &progress {
            Ok(Some(p)) => counted_input(src, p.clone()),
            _ => Ok((to_input(src), 0)),
        };
        let work = move || {
            let (progress, ladder, (input, len)) = (progress?, spec?, input?);
            let r = report(quaver::package(input, &out_dir, &ladder))?;
            if let Some(p) = progress {
                p.send(PackageProgress { stage: "done".into(), fraction: 1.0, bytes: len as f64 });
            }
            Ok(r)
        };
        Job::new(work, json).with(ctl)
    }
}

fn ingest_hooks(
    progress: Option<Progress<IngestProgress>>,
    ctl: &Control,
) -> quaver::ingest::Hooks {
    quaver::ingest::Hooks {
        progress: progress.map(|p| {
            std::sync::Arc::new(move |r: &quaver::ingest::Progress| {
                p.send(IngestProgress {
                    stage: r.stage.into(),
                    fraction: r.fraction,
                    frames: r.frames as f64,
                })
            }) as quaver::ingest::ProgressFn
        }),
        cancel: Some(ctl.cancel.clone()),
    }
}

promise_and_sync! {
    #[doc = "The whole upload pipeline from one decode into `outDir`: analysis, waveform files, catalog"]
    #[doc = "check (`catalog`, `add_to_catalog`), MP3 downloads, HLS + DASH ladder; `report.json` is"]
    #[doc = "written last and returned. Options are the facade's `IngestOptions` (unknown keys"]
    #[doc = "reject) plus `onProgress`, which receives `IngestProgress` reports. Aborting `signal`"]
    #[doc = "stops a running ingest too (ERR_QUAVER_CANCELLED; `outDir` is left as it was)."]
    #[sync_doc = "`ingest`, blocking the calling thread (`onProgress` is called on it, during the call)."]
    #[ts_return = "IngestReport", "Promise<IngestReport>"]
    fn ingest, ingest_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
        out_dir: String,
        #[ts = "IngestOptions | undefined | null"] options: Option<Unknown>,
    ) -> Job<serde_json::Value, Json> {
        let o = js_options(options, &[])?;
        let mut ctl = Control::default();
        let progress = ctl.progress::<IngestProgress>(o.on_progress);
        let (rest, hooks) = (o.rest, ctl.clone());
        let input = to_input(src);
        let work = move || {
            let opts: quaver::IngestOptions = quaver::options::from_json(rest?)?;
            let hooks = ingest_hooks(progress?, &hooks);
            report(quaver::ingest::ingest_with(input, &out_dir, &opts, &hooks))
        };
        Job::new(work, json).with(ctl)
    }
}

/// Test hook: a panic inside quaver rejects with `ERR_QUAVER_INTERNAL`, never crashes Node.
#[napi(js_name = "_debugPanic")]
pub fn debug_panic(env: Env) -> napi::Result<()> {
    quaver::runtime::debug_panic("node").map_err(|e| js_error(&env, e))
}

promise_and_sync! {
    #[doc = "Chromaprint (AcoustID) fingerprint of the first `maxSeconds` (default 120, like `fpcalc`;"]
    #[doc = "0 = all)."]
    #[sync_doc = "`chromaprint`, blocking the calling thread."]
    #[ts_return = "Chromaprint", "Promise<Chromaprint>"]
    fn chromaprint, chromaprint_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
        #[ts = "number | undefined | null"] max_seconds: Option<f64>,
    ) -> Job<serde_json::Value, Json> {
        let input = to_input(src);
        Job::new(move || report(quaver::chromaprint(input, max_seconds.unwrap_or(120.0))), json)
    }
}

promise_and_sync! {
    #[doc = "Frame-level matrices (mel dB, 20 MFCCs, chroma, centroid, roll-off, flatness) on mono"]
    #[doc = "22 050 Hz with librosa's framing; one row per frame."]
    #[sync_doc = "`frameFeatures`, blocking the calling thread."]
    #[ts_return = "FrameMatrices", "Promise<FrameMatrices>"]
    fn frame_features, frame_features_sync(
        env,
        #[ts = "string | Uint8Array"] src: Either<String, &[u8]>,
    ) -> Job<serde_json::Value, Json> {
        let input = to_input(src);
        Job::new(move || report(quaver::frame_features(input)), json)
    }
}

/// A task producing a JSON report.
pub type ReportTask = Job<serde_json::Value, Json>;

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
