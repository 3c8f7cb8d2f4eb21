//! `AnalysisStream`: analysis (and a query fingerprint) of PCM pushed in pieces.
//!
//! `push` copies the chunk into a queue on the JS thread, so chunks are analysed in call order
//! however the pool schedules the tasks: whichever task holds the stream processes every
//! queued chunk in order and records each chunk's outcome for the task that pushed it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::{js_error, opts, Job, Json};

/// What `AnalysisStream.finish` returns.
#[napi(object, object_from_js = false)]
pub struct StreamResult {
    /// The analysis, as `analyze` reports it for the same audio.
    #[napi(ts_type = "Analysis")]
    pub analysis: Json,
    /// The compact query fingerprint of everything pushed (a few KB for 10 s).
    pub snippet: Buffer,
}

enum Chunk {
    Interleaved(Vec<f32>),
    Planar(Vec<Vec<f32>>),
}

struct Core {
    stream: Option<quaver::stream::AnalysisStream>,
    sample_rate: u32,
    failed: HashMap<u64, quaver::Error>,
}

struct Shared {
    core: Mutex<Core>,
    queue: Mutex<VecDeque<(u64, Chunk)>>,
    next_id: AtomicU64,
    frames: AtomicU64,
    finishing: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn finished() -> quaver::Error {
    quaver::Error::invalid("the stream is finished")
}

impl Shared {
    /// Analyse every queued chunk, in push order (the caller holds `core`).
    fn flush(&self, core: &mut Core) {
        loop {
            let Some((id, chunk)) = lock(&self.queue).pop_front() else {
                return;
            };
            let rate = core.sample_rate;
            let r = match core.stream.as_mut() {
                None => Err(finished()),
                Some(s) => match chunk {
                    Chunk::Interleaved(x) => s.push_interleaved(&x),
                    Chunk::Planar(ch) => {
                        quaver::AudioBuffer::from_planar(rate, ch).and_then(|b| s.push(&b))
                    }
                },
            };
            match r {
                Ok(()) => {
                    let frames = core.stream.as_ref().map_or(0, |s| s.frames());
                    self.frames.store(frames, Ordering::Relaxed);
                }
                Err(e) => {
                    core.failed.insert(id, e);
                }
            }
        }
    }

    /// Analyse the queue up to chunk `id`, and report that chunk's outcome.
    fn push(&self, id: u64) -> quaver::Result<()> {
        let mut core = lock(&self.core);
        self.flush(&mut core);
        core.failed.remove(&id).map_or(Ok(()), Err)
    }

    fn finish(&self) -> quaver::Result<quaver::stream::StreamResult> {
        let mut core = lock(&self.core);
        self.flush(&mut core);
        core.stream.take().ok_or_else(finished)?.finish()
    }
}

fn to_result(r: quaver::stream::StreamResult) -> napi::Result<StreamResult> {
    let analysis =
        crate::report(Ok(r.analysis)).map_err(|e| napi::Error::from_reason(e.to_string()))?;
    Ok(StreamResult {
        analysis: Json(analysis),
        snippet: r.snippet.into(),
    })
}

fn unit(_: ()) -> napi::Result<()> {
    Ok(())
}

/// Analysis (and a query fingerprint) of PCM that arrives in pieces — a recording, an upload
/// in flight: `push` chunks as they come, then `finish` once for the same result `analyze`
/// gives for the whole audio. Memory is bounded by what the analysers keep, not by the PCM
/// pushed. Chunks are analysed in the order `push`/`pushSync` were called, whether or not
/// each Promise is awaited.
#[napi]
pub struct AnalysisStream {
    shared: Arc<Shared>,
    channels: u32,
}

#[napi]
impl AnalysisStream {
    /// A stream of `channels`-channel PCM at `sampleRate` Hz, analysed as `options` says
    /// (`analyze`'s options; `waveform.width` is unavailable since the length is unknown).
    #[napi(
        constructor,
        ts_args_type = "sampleRate: number, channels: number, options?: AnalysisOptions | undefined | null"
    )]
    pub fn new(
        env: Env,
        sample_rate: u32,
        channels: u32,
        options: Option<serde_json::Value>,
    ) -> napi::Result<Self> {
        let run = || quaver::stream::AnalysisStream::new(sample_rate, channels, &opts(options)?);
        let stream = run().map_err(|e| js_error(&env, e))?;
        Ok(AnalysisStream {
            shared: Arc::new(Shared {
                core: Mutex::new(Core {
                    stream: Some(stream),
                    sample_rate,
                    failed: HashMap::new(),
                }),
                queue: Mutex::new(VecDeque::new()),
                next_id: AtomicU64::new(0),
                frames: AtomicU64::new(0),
                finishing: AtomicBool::new(false),
            }),
            channels,
        })
    }

    /// Frames (per channel) analysed so far.
    #[napi(getter)]
    pub fn frames(&self) -> f64 {
        self.shared.frames.load(Ordering::Relaxed) as f64
    }

    /// Channels the stream was created with.
    #[napi(getter)]
    pub fn channels(&self) -> u32 {
        self.channels
    }

    fn push_job(&self, samples: Either<Float32Array, Vec<Float32Array>>) -> Job<(), ()> {
        let shared = self.shared.clone();
        if shared.finishing.load(Ordering::Relaxed) {
            return Job::new(|| Err(finished()), unit);
        }
        let chunk = match samples {
            Either::A(x) => Chunk::Interleaved(x.to_vec()),
            Either::B(ch) => Chunk::Planar(ch.iter().map(|c| c.to_vec()).collect()),
        };
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&shared.queue).push_back((id, chunk));
        Job::new(move || shared.push(id), unit)
    }

    /// Push a chunk: interleaved samples (`frames * channels` values), or one Float32Array per
    /// channel. The data is copied at once, so the arrays may be reused when this returns.
    #[napi(
        ts_args_type = "samples: Float32Array | Float32Array[]",
        ts_return_type = "Promise<void>"
    )]
    pub fn push(
        &self,
        env: Env,
        samples: Either<Float32Array, Vec<Float32Array>>,
    ) -> napi::Result<AsyncTask<Job<(), ()>>> {
        self.push_job(samples).spawn(&env, None)
    }

    /// `push`, blocking the calling thread.
    #[napi(ts_args_type = "samples: Float32Array | Float32Array[]")]
    pub fn push_sync(
        &self,
        env: Env,
        samples: Either<Float32Array, Vec<Float32Array>>,
    ) -> napi::Result<()> {
        self.push_job(samples).run(&env)
    }

    fn finish_job(&self) -> Job<quaver::stream::StreamResult, StreamResult> {
        self.shared.finishing.store(true, Ordering::Relaxed);
        let shared = self.shared.clone();
        Job::new(move || shared.finish(), to_result)
    }

    /// End of the audio: analyse what is still queued, then resolve to the analysis and the
    /// query fingerprint. Call once; later pushes reject with ERR_QUAVER_INVALID_ARGUMENT.
    #[napi(ts_return_type = "Promise<StreamResult>")]
    pub fn finish(
        &self,
        env: Env,
        signal: Option<AbortSignal>,
    ) -> napi::Result<AsyncTask<Job<quaver::stream::StreamResult, StreamResult>>> {
        self.finish_job().spawn(&env, signal)
    }

    /// `finish`, blocking the calling thread.
    #[napi]
    pub fn finish_sync(&self, env: Env) -> napi::Result<StreamResult> {
        self.finish_job().run(&env)
    }
}
