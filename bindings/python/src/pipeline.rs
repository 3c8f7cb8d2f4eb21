//! package, ingest and ingest_batch: the upload pipeline.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::convert::{from_py, options, serde_to_py, to_input, Progress};
use crate::errors::{invalid, PyQuaverError};

/// Package for HLS + DASH into `out_dir`; `ladder` is "standard", "hifi", a JSON file path, or
/// a dict `{"renditions": [...], "segment_seconds": 6}`.
#[pyfunction]
#[pyo3(signature = (src, out_dir, ladder=None))]
fn package(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    ladder: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let ladder = match ladder {
        None => quaver::Ladder::standard(),
        Some(l) if l.is_instance_of::<PyString>() => {
            quaver::Ladder::named_or_file(&l.extract::<String>()?).map_err(PyQuaverError)?
        }
        Some(l) => {
            let ladder: quaver::Ladder =
                serde_json::from_value(from_py(l)?).map_err(|e| invalid(format!("ladder: {e}")))?;
            ladder.validate().map_err(PyQuaverError)?;
            ladder
        }
    };
    let r = py
        .detach(|| quaver::package(input, &out_dir, &ladder))
        .map_err(PyQuaverError)?;
    serde_to_py(py, &r)
}

/// The whole upload pipeline from one decode into `out_dir` (options as keyword arguments:
/// downloads, ladder, catalog, add_to_catalog, waveform, analysis, ...). `progress`: False,
/// True (stderr line) or a callable `(stage, fraction, frames)`; an exception it raises cancels
/// the ingest (`out_dir` is left as it was) and is raised here. Returns report.json as a dict.
#[pyfunction]
#[pyo3(signature = (src, out_dir, progress=None, **kwargs))]
fn ingest(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    progress: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let opts: quaver::IngestOptions = options(kwargs)?;
    let progress = Arc::new(Progress::new("ingest", progress)?);
    let mut hooks = quaver::ingest::Hooks::default();
    if progress.active() {
        let p = Arc::clone(&progress);
        hooks.progress = Some(Arc::new(move |s: &quaver::ingest::Progress| {
            p.stage(s.stage, s.fraction, s.frames)
        }));
        hooks.cancel = Some(Arc::clone(&progress.cancel));
    }
    let r = py.detach(|| quaver::ingest::ingest_with(input, &out_dir, &opts, &hooks));
    progress.finish()?;
    serde_to_py(py, &r.map_err(PyQuaverError)?)
}

/// Ingest many files into `out_root/<name>/`, `jobs` at a time, continuing past failures.
/// Returns one dict per input: its report (failed ones have status "failed" and an error).
/// `progress`: False, True (stderr counter) or a callable `(done, total)`.
#[pyfunction]
#[pyo3(signature = (paths, out_root, jobs=None, progress=None, **kwargs))]
fn ingest_batch(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    out_root: PathBuf,
    jobs: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let opts: quaver::IngestOptions = options(kwargs)?;
    let progress = Progress::new("ingest_batch", progress)?;
    let items = py.detach(|| {
        quaver::ingest_batch(&paths, &out_root, &opts, jobs, &|d, t, _| {
            progress.count(d, t)
        })
    });
    progress.finish()?;
    let out = PyList::empty(py);
    for it in items.map_err(PyQuaverError)? {
        let d = match it.result {
            Ok(r) => serde_to_py(py, &r)?,
            Err(e) => {
                let d = PyDict::new(py);
                d.set_item("status", "failed")?;
                d.set_item("input", it.input.display().to_string())?;
                let err = PyDict::new(py);
                err.set_item("code", e.code())?;
                err.set_item("message", e.to_string())?;
                d.set_item("error", err)?;
                d.into_any().unbind()
            }
        };
        let d = d.bind(py).clone();
        d.set_item("out_dir", it.out_dir.display().to_string())?;
        out.append(d)?;
    }
    Ok(out.into_any().unbind())
}

/// Register this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(package, m)?)?;
    m.add_function(wrap_pyfunction!(ingest, m)?)?;
    m.add_function(wrap_pyfunction!(ingest_batch, m)?)?;
    Ok(())
}
