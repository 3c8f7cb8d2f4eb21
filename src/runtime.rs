//! The thread pool quaver's parallel work runs on, and the cap callers put on it.
//!
//! Python and Node users run quaver inside their own worker pools (Ray, Dask, multiprocessing,
//! libuv): each process must be able to cap quaver's threads so N workers × M threads does not
//! oversubscribe the machine. The cap comes from `QUAVER_NUM_THREADS` (read when the pool is
//! first needed) or [`set_num_threads`]; by default it is the number of CPUs.

use std::sync::{Arc, RwLock};

use crate::{Error, Result};

static POOL: RwLock<Option<Arc<rayon::ThreadPool>>> = RwLock::new(None);

fn build(n: usize) -> Result<Arc<rayon::ThreadPool>> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("quaver-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))
}

fn default_threads() -> usize {
    std::env::var("QUAVER_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The pool, created on first use.
pub fn pool() -> Result<Arc<rayon::ThreadPool>> {
    if let Some(p) = POOL
        .read()
        .map_err(|_| Error::Internal("thread pool lock poisoned".into()))?
        .as_ref()
    {
        return Ok(p.clone());
    }
    let mut guard = POOL
        .write()
        .map_err(|_| Error::Internal("thread pool lock poisoned".into()))?;
    if let Some(p) = guard.as_ref() {
        return Ok(p.clone());
    }
    let p = build(default_threads())?;
    *guard = Some(p.clone());
    Ok(p)
}

/// Cap the threads quaver uses for parallel work (batch calls, encoders, analysers) in this
/// process. Takes effect for calls that start afterwards.
pub fn set_num_threads(n: usize) -> Result<()> {
    if n == 0 || n > 1024 {
        return Err(Error::invalid(format!(
            "thread count must be in 1..=1024, got {n}"
        )));
    }
    let p = build(n)?;
    *POOL
        .write()
        .map_err(|_| Error::Internal("thread pool lock poisoned".into()))? = Some(p);
    Ok(())
}

/// Threads the pool has (creating it if needed).
pub fn num_threads() -> usize {
    pool().map_or(1, |p| p.current_num_threads())
}

/// Forget the pool without touching its threads: call in a forked child, where the parent's
/// worker threads do not exist (the next call builds a fresh pool).
pub fn reset_after_fork() {
    if let Ok(mut g) = POOL.write() {
        if let Some(old) = g.take() {
            std::mem::forget(old);
        }
    }
}

/// Run `f` inside the pool: rayon work started by `f` stays within the cap. A panic inside
/// `f` (a bug in quaver or a dependency) is caught here and returned as [`Error::Internal`],
/// so it never unwinds into a caller — least of all across an FFI boundary.
pub fn install<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = pool()?;
    pool.install(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)))
        .map_err(|payload| {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Error::Internal(format!("panic: {msg}"))
        })
}

/// Test hook for the bindings' panic-safety tests: panics inside [`install`] and returns the
/// resulting [`Error::Internal`]. Not for use in applications.
#[doc(hidden)]
pub fn debug_panic(message: &str) -> Result<()> {
    install(|| -> () { panic!("debug_panic: {message}") })
}

/// Apply `f` to every item in parallel on the pool, keeping input order in the output.
pub fn map<I: Send, O: Send>(
    items: Vec<I>,
    f: impl Fn(usize, I) -> O + Sync + Send,
) -> Result<Vec<O>> {
    use rayon::prelude::*;
    install(|| {
        items
            .into_par_iter()
            .enumerate()
            .map(|(i, x)| f(i, x))
            .collect()
    })
}
