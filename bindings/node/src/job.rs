//! [`Job`]: one facade call, run as a Promise (an `AsyncTask` on the libuv pool) or in place (the
//! `…Sync` twin), with cooperative cancellation and an optional progress channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::{Env, JsError, Task};

use crate::js_error;
use crate::progress::{Channel, Progress, Pump};

type Work<T> = Box<dyn FnOnce() -> quaver::Result<T> + Send>;

/// What a running call shares with the JS thread: a cancel flag (set by its `AbortSignal` or a
/// throwing `onProgress`; only calls built on the facade's `Hooks` stop early) and the progress
/// channel, if the caller passed `onProgress`.
#[derive(Clone, Default)]
pub struct Control {
    /// Set to ask the running work to stop.
    pub cancel: Arc<AtomicBool>,
    pump: Option<Arc<dyn Pump>>,
}

impl Control {
    /// The sending end for `callback` (`options.onProgress`): `None` when absent, an
    /// ERR_QUAVER_INVALID_ARGUMENT when it is not a function.
    pub fn progress<P: ToNapiValue + Send + 'static>(
        &mut self,
        callback: Option<Unknown<'_>>,
    ) -> quaver::Result<Option<Progress<P>>> {
        let Some(cb) = callback else { return Ok(None) };
        let channel = Channel::<P>::new(cb, self.cancel.clone())?;
        self.pump = Some(channel.clone());
        Ok(Some(Progress(channel)))
    }
}

/// One facade call: `work` runs off the JS thread, `finish` converts its result on the JS
/// thread.
pub struct Job<T: Send + 'static, J> {
    work: Option<Work<T>>,
    finish: fn(T) -> napi::Result<J>,
    control: Control,
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Job<T, J> {
    /// `work` for a worker thread; `finish` for the JS thread.
    pub fn new(
        work: impl FnOnce() -> quaver::Result<T> + Send + 'static,
        finish: fn(T) -> napi::Result<J>,
    ) -> Self {
        Job {
            work: Some(Box::new(work)),
            finish,
            control: Control::default(),
        }
    }

    /// Attach the cancel flag and progress channel `work` was built with.
    pub fn with(mut self, control: Control) -> Self {
        self.control = control;
        self
    }

    /// The Promise form: queue on the libuv pool. Aborting `signal` cancels a queued call
    /// (AbortError) and sets the cancel flag of a running one; progress arrives through a
    /// threadsafe function that never keeps the process alive by itself.
    pub fn spawn(self, env: &Env, signal: Option<AbortSignal>) -> napi::Result<AsyncTask<Self>> {
        if let Some(p) = &self.control.pump {
            p.attach(env)?;
        }
        if let Some(s) = &signal {
            let cancel = self.control.cancel.clone();
            s.on_abort(move || cancel.store(true, Ordering::Relaxed));
        }
        Ok(AsyncTask::with_optional_signal(self, signal))
    }

    /// The `…Sync` form: run now, blocking the calling thread. With a progress channel the
    /// work runs on a helper thread while this (JS) thread calls `onProgress` as reports
    /// arrive, so the callback still runs, in order, before the call returns.
    pub fn run(mut self, env: &Env) -> napi::Result<J> {
        let work = self.take_work()?;
        let out = match self.control.pump.clone() {
            None => work(),
            Some(pump) => std::thread::scope(|s| {
                let worker = s.spawn({
                    let pump = pump.clone();
                    move || {
                        let _close = CloseOnDrop(pump);
                        work()
                    }
                });
                pump.pump_until_closed(env);
                worker
                    .join()
                    .unwrap_or_else(|_| Err(quaver::Error::Internal("worker panicked".into())))
            }),
        };
        self.settle(env, out)
    }

    fn take_work(&mut self) -> napi::Result<Work<T>> {
        self.work
            .take()
            .ok_or_else(|| napi::Error::from_reason("task ran twice"))
    }

    /// On the JS thread, after the work: deliver the last progress reports (so every
    /// `onProgress` call happens before the Promise settles), then resolve, or reject with
    /// the quaver error, or with ERR_QUAVER_CANCELLED when `onProgress` threw.
    fn settle(&mut self, env: &Env, out: quaver::Result<T>) -> napi::Result<J> {
        if let Some(pump) = self.control.pump.take() {
            pump.drain(env);
            pump.detach();
            if let Some(thrown) = pump.take_thrown() {
                return Err(callback_error(env, thrown));
            }
        }
        match out {
            Ok(v) => (self.finish)(v),
            Err(e) => Err(js_error(env, e)),
        }
    }
}

/// Closes the progress channel when the worker ends, panicking or not.
struct CloseOnDrop(Arc<dyn Pump>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The rejection for a call whose `onProgress` threw: ERR_QUAVER_CANCELLED, with the thrown
/// value as `cause`.
fn callback_error(env: &Env, thrown: napi::Error) -> napi::Error {
    let msg = format!(
        "cancelled: the onProgress callback threw ({})",
        thrown.reason
    );
    let build = || -> napi::Result<napi::Error> {
        let cause = JsError::from(thrown).into_unknown(*env);
        let mut obj: Object =
            env.create_error(napi::Error::new(Status::GenericFailure, msg.clone()))?;
        obj.set_named_property("code", "ERR_QUAVER_CANCELLED")?;
        obj.set_named_property("cause", cause)?;
        Ok(napi::Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|_| {
        napi::Error::new(
            Status::GenericFailure,
            format!("ERR_QUAVER_CANCELLED: {msg}"),
        )
    })
}

impl<T: Send + 'static, J: ToNapiValue + TypeName> Task for Job<T, J> {
    type Output = quaver::Result<T>;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.take_work()?())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<J> {
        self.settle(&env, output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<J> {
        if let Some(pump) = self.control.pump.take() {
            pump.drain(&env);
            pump.detach();
        }
        Err(err)
    }
}
