//! Thread-pool control, fork safety and test hooks.

use pyo3::prelude::*;

use crate::errors::QResult;

/// Test hook: a panic inside quaver surfaces as InternalError, never as a crash.
#[pyfunction]
fn _debug_panic() -> QResult<()> {
    Ok(quaver::runtime::debug_panic("python")?)
}

/// Cap the threads quaver uses in this process (also `QUAVER_NUM_THREADS`).
#[pyfunction]
fn set_num_threads(n: usize) -> QResult<()> {
    Ok(quaver::runtime::set_num_threads(n)?)
}

/// Threads quaver's pool uses.
#[pyfunction]
fn get_num_threads() -> usize {
    quaver::runtime::num_threads()
}

/// Called in a forked child: forget the parent's pool (its threads do not exist here).
#[pyfunction]
fn _reset_after_fork() {
    quaver::runtime::reset_after_fork();
}

/// Names of a thread pool's threads (used by tests to check the cap).
#[pyfunction]
fn _pool_probe(py: Python<'_>, tasks: usize) -> QResult<Vec<String>> {
    let names = py.detach(|| {
        quaver::runtime::map((0..tasks).collect(), |_, _| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            std::thread::current().name().unwrap_or("?").to_string()
        })
    })?;
    let unique: std::collections::BTreeSet<String> = names.into_iter().collect();
    Ok(unique.into_iter().collect())
}

/// Register this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_reset_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(_pool_probe, m)?)?;
    Ok(())
}
