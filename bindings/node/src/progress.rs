//! Progress reports from quaver's worker threads to a JS `onProgress` callback.
//!
//! Workers never touch JS: [`Progress::send`] queues the report and, when the queue was empty,
//! wakes the JS thread through a weak (never keeps the process alive) ThreadsafeFunction
//! called in non-blocking mode, so a worker never waits for the event loop. On the JS thread
//! the wake-up drains the queue and calls `onProgress` once per report, in order. The call's
//! settlement drains once more, so every report is delivered before its Promise settles and
//! none after. A throw from `onProgress` is caught (it never reaches `uncaughtException`):
//! later reports are dropped, the call's cancel flag is set and the call rejects with
//! ERR_QUAVER_CANCELLED (see `Job::settle`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Env;
use napi_derive::napi;

/// A report from `ingest` (the facade's `ingest::Progress`).
#[napi(object, object_from_js = false)]
pub struct IngestProgress {
    /// `'decode'` while the shared decode runs (every output is produced during it), then
    /// `'fingerprint'`, `'write'` and `'done'`.
    #[napi(ts_type = "'decode' | 'fingerprint' | 'write' | 'done'")]
    pub stage: String,
    /// Overall fraction done, 0..1, never decreasing; the last report is `'done'` at 1.
    pub fraction: f64,
    /// Source frames decoded so far.
    pub frames: f64,
}

/// A report from `package`.
#[napi(object, object_from_js = false)]
pub struct PackageProgress {
    /// `'decode'` while the source is read, decoded and encoded, then `'done'`.
    #[napi(ts_type = "'decode' | 'done'")]
    pub stage: String,
    /// Fraction done, 0..1, never decreasing (the share of the input's bytes read while
    /// decoding, at most 0.95); the last report is `'done'` at 1.
    pub fraction: f64,
    /// Input bytes read so far (at most the input's size).
    pub bytes: f64,
}

/// A report from `analyzeMany`: one per finished input.
#[napi(object, object_from_js = false)]
pub struct CountProgress {
    /// Inputs finished (successfully or not): 1, 2, … in the order the reports arrive.
    pub done: u32,
    /// Inputs in the call.
    pub total: u32,
}

/// A report from `ingestBatch`: one per finished input.
#[napi(object, object_from_js = false)]
pub struct BatchProgress {
    /// Inputs finished (successfully or not): 1, 2, … in the order the reports arrive.
    pub done: u32,
    /// Inputs in the call.
    pub total: u32,
    /// The input that just finished.
    pub input: String,
    /// Its output directory.
    pub out_dir: String,
    /// Whether it succeeded.
    pub ok: bool,
}

/// The type-erased JS side of a [`Channel`], as `Job` drives it.
pub trait Pump: Send + Sync {
    /// Promise form: create the threadsafe wake-up (JS thread).
    fn attach(&self, env: &Env) -> napi::Result<()>;
    /// Call `onProgress` for every queued report (JS thread).
    fn drain(&self, env: &Env);
    /// Sync form: deliver reports as they come until [`Pump::close`] (JS thread).
    fn pump_until_closed(&self, env: &Env);
    /// The work has ended: no more reports.
    fn close(&self);
    /// Release the threadsafe wake-up.
    fn detach(&self);
    /// What `onProgress` threw, if it did.
    fn take_thrown(&self) -> Option<napi::Error>;
}

type Wake = ThreadsafeFunction<(), (), (), Status, false, true>;

struct State<P> {
    queue: Vec<P>,
    sent: u32,
    closed: bool,
    stopped: bool,
}

/// Reports of one call, from worker threads to its `onProgress`.
pub struct Channel<P: ToNapiValue + Send + 'static> {
    me: Weak<Channel<P>>,
    state: Mutex<State<P>>,
    ready: Condvar,
    wake: Mutex<Option<Wake>>,
    callback: FunctionRef<P, Unknown<'static>>,
    thrown: Mutex<Option<napi::Error>>,
    cancel: Arc<AtomicBool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<P: ToNapiValue + Send + 'static> Channel<P> {
    /// A channel to `callback`, which must be a function.
    pub fn new(callback: Unknown<'_>, cancel: Arc<AtomicBool>) -> quaver::Result<Arc<Self>> {
        let is_fn = callback.get_type().is_ok_and(|t| t == ValueType::Function);
        if !is_fn {
            return Err(quaver::Error::invalid("onProgress must be a function"));
        }
        // SAFETY: the value is a live JS function of the current call (checked just above).
        let callback = unsafe { callback.cast::<FunctionRef<P, Unknown<'static>>>() }
            .map_err(|e| quaver::Error::Internal(format!("onProgress: {e}")))?;
        Ok(Arc::new_cyclic(|me| Channel {
            me: me.clone(),
            state: Mutex::new(State {
                queue: Vec::new(),
                sent: 0,
                closed: false,
                stopped: false,
            }),
            ready: Condvar::new(),
            wake: Mutex::new(None),
            callback,
            thrown: Mutex::new(None),
            cancel,
        }))
    }

    fn deliver(&self, env: &Env, batch: Vec<P>) {
        if batch.is_empty() {
            return;
        }
        let Ok(f) = self.callback.borrow_back(env) else {
            return;
        };
        for p in batch {
            if let Err(e) = f.call(p) {
                let mut s = lock(&self.state);
                s.stopped = true;
                s.queue.clear();
                drop(s);
                self.cancel.store(true, Ordering::Relaxed);
                *lock(&self.thrown) = Some(e);
                return;
            }
        }
    }
}

impl<P: ToNapiValue + Send + 'static> Pump for Channel<P> {
    fn attach(&self, env: &Env) -> napi::Result<()> {
        let me = self.me.clone();
        let dispatch =
            env.create_function_from_closure::<(), (), _>("quaverProgress", move |ctx| {
                if let Some(ch) = me.upgrade() {
                    ch.drain(ctx.env);
                }
                Ok(())
            })?;
        let wake: Wake = dispatch
            .build_threadsafe_function::<()>()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        *lock(&self.wake) = Some(wake);
        Ok(())
    }

    fn drain(&self, env: &Env) {
        let batch = std::mem::take(&mut lock(&self.state).queue);
        self.deliver(env, batch);
    }

    fn pump_until_closed(&self, env: &Env) {
        loop {
            let (batch, closed) = {
                let mut s = lock(&self.state);
                while s.queue.is_empty() && !s.closed {
                    s = self.ready.wait(s).unwrap_or_else(|p| p.into_inner());
                }
                (std::mem::take(&mut s.queue), s.closed)
            };
            self.deliver(env, batch);
            if closed {
                return;
            }
        }
    }

    fn close(&self) {
        lock(&self.state).closed = true;
        self.ready.notify_all();
    }

    fn detach(&self) {
        lock(&self.wake).take();
    }

    fn take_thrown(&self) -> Option<napi::Error> {
        lock(&self.thrown).take()
    }
}

/// The worker threads' end of a [`Channel`].
pub struct Progress<P: ToNapiValue + Send + 'static>(pub(crate) Arc<Channel<P>>);

impl<P: ToNapiValue + Send + 'static> Clone for Progress<P> {
    fn clone(&self) -> Self {
        Progress(self.0.clone())
    }
}

impl<P: ToNapiValue + Send + 'static> Progress<P> {
    /// Queue a report; never blocks on the event loop.
    pub fn send(&self, p: P) {
        self.send_nth(|_| p)
    }

    /// Queue the report `make(n)` makes, `n` being its position (1, 2, …) in the order
    /// reports reach `onProgress`: counts made with it never go backwards, however worker
    /// threads race to report.
    pub fn send_nth(&self, make: impl FnOnce(u32) -> P) {
        let ch = &self.0;
        let was_empty = {
            let mut s = lock(&ch.state);
            if s.stopped || s.closed {
                return;
            }
            s.sent += 1;
            let p = make(s.sent);
            let was_empty = s.queue.is_empty();
            s.queue.push(p);
            was_empty
        };
        ch.ready.notify_one();
        if was_empty {
            if let Some(w) = lock(&ch.wake).as_ref() {
                // Non-blocking on an unbounded queue: fails only while Node shuts down.
                let _ = w.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }
        }
    }

    /// Has the call been asked to stop (AbortSignal, or `onProgress` threw)?
    pub fn cancelled(&self) -> bool {
        self.0.cancel.load(Ordering::Relaxed)
    }
}
