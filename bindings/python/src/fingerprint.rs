//! Chromaprint, query snippets and the on-disk fingerprint catalog.

use std::path::PathBuf;
use std::sync::RwLock;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::convert::{is_ndarray, options, pcm_buffer, require_sr, serde_to_py, to_input, PcmView};
use crate::errors::{internal, invalid, PyQuaverError};

/// Chromaprint (AcoustID) fingerprint of the first `max_seconds` (0 = all), like `fpcalc`.
#[pyfunction]
#[pyo3(signature = (src, max_seconds=120.0))]
fn chromaprint(py: Python<'_>, src: &Bound<'_, PyAny>, max_seconds: f64) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let c = py
        .detach(|| quaver::chromaprint(input, max_seconds))
        .map_err(PyQuaverError)?;
    serde_to_py(py, &c)
}

/// The compact query fingerprint of a short excerpt (encoded input, or a float32 PCM array with
/// `sr=`), as bytes to send to a server that answers with `FingerprintIndex.query_snippet`.
#[pyfunction]
#[pyo3(signature = (src, sr=None))]
fn fingerprint_snippet<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    sr: Option<u32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = if is_ndarray(src) {
        let rate = require_sr(sr)?;
        let pcm = PcmView::new(src)?;
        let channels = pcm.channels();
        py.detach(|| {
            let buf = pcm_buffer(&channels, false, rate, 1)?;
            quaver::fingerprint::fingerprint_snippet_pcm(&buf)
        })
    } else {
        if sr.is_some() {
            return Err(PyTypeError::new_err(
                "sr= is for PCM arrays; an encoded input carries its own rate",
            ));
        }
        let input = to_input(src)?;
        py.detach(|| quaver::fingerprint::fingerprint_snippet(input))
    }
    .map_err(PyQuaverError)?;
    Ok(PyBytes::new(py, &bytes))
}

/// An on-disk fingerprint catalog (memory-mapped, crash-safe). Thread-safe; every method
/// releases the GIL while it works. Use as a context manager to close it deterministically.
#[pyclass(module = "quaver._quaver")]
struct FingerprintIndex {
    inner: RwLock<Option<quaver::FingerprintIndex>>,
    path: PathBuf,
}

impl FingerprintIndex {
    fn with<T>(
        &self,
        f: impl FnOnce(&quaver::FingerprintIndex) -> quaver::Result<T>,
    ) -> PyResult<T> {
        let g = self
            .inner
            .read()
            .map_err(|_| internal("index lock poisoned"))?;
        let idx = g.as_ref().ok_or_else(|| invalid("the index is closed"))?;
        Ok(f(idx).map_err(PyQuaverError)?)
    }

    fn with_mut<T>(
        &self,
        f: impl FnOnce(&mut quaver::FingerprintIndex) -> quaver::Result<T>,
    ) -> PyResult<T> {
        let mut g = self
            .inner
            .write()
            .map_err(|_| internal("index lock poisoned"))?;
        let idx = g.as_mut().ok_or_else(|| invalid("the index is closed"))?;
        Ok(f(idx).map_err(PyQuaverError)?)
    }
}

#[pymethods]
impl FingerprintIndex {
    /// Open (or create) the index in directory `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let p = path.clone();
        let idx = py
            .detach(|| quaver::FingerprintIndex::open(&p))
            .map_err(PyQuaverError)?;
        Ok(FingerprintIndex {
            inner: RwLock::new(Some(idx)),
            path,
        })
    }

    /// Fingerprint `src` and add it as `track_id` (replacing an existing one), atomically.
    fn add(&self, py: Python<'_>, track_id: &str, src: &Bound<'_, PyAny>) -> PyResult<()> {
        let input = to_input(src)?;
        py.detach(|| self.with_mut(|i| i.add(track_id, input)))
    }

    /// Remove tracks by id; returns how many were present.
    fn remove(&self, py: Python<'_>, track_ids: Vec<String>) -> PyResult<usize> {
        py.detach(|| {
            self.with_mut(|i| {
                let ids: Vec<&str> = track_ids.iter().map(String::as_str).collect();
                i.remove(&ids)
            })
        })
    }

    /// Identify a (short, degraded, sped-up) excerpt: a dict with `matches` (best first).
    #[pyo3(signature = (src, **kwargs))]
    fn query(
        &self,
        py: Python<'_>,
        src: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let input = to_input(src)?;
        let opts: quaver::fingerprint::QueryOptions = options(kwargs)?;
        let r = py.detach(|| self.with(|i| i.query(input, &opts)))?;
        serde_to_py(py, &r)
    }

    /// Identify the excerpt a `fingerprint_snippet` (or `AnalysisStream.snippet`) was made
    /// from: a dict with `matches` (best first), as `query` returns.
    #[pyo3(signature = (snippet, **kwargs))]
    fn query_snippet(
        &self,
        py: Python<'_>,
        snippet: &[u8],
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let opts: quaver::fingerprint::QueryOptions = options(kwargs)?;
        let r = py.detach(|| self.with(|i| i.query_snippet(snippet, &opts)))?;
        serde_to_py(py, &r)
    }

    /// Every catalog segment inside a long input (DJ mix, compilation): a list of dicts.
    #[pyo3(signature = (src, **kwargs))]
    fn scan(
        &self,
        py: Python<'_>,
        src: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let input = to_input(src)?;
        let opts: quaver::fingerprint::ScanOptions = options(kwargs)?;
        let r = py.detach(|| self.with(|i| i.scan(input, &opts)))?;
        serde_to_py(py, &r)
    }

    /// Counts and sizes.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.with(|i| Ok(i.stats()))?;
        serde_to_py(py, &s)
    }

    /// Merge segments and drop removed tracks.
    fn compact(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.with_mut(|i| i.compact()))
    }

    /// Release the index (its memory maps); later calls raise.
    fn close(&self) -> PyResult<()> {
        let mut g = self
            .inner
            .write()
            .map_err(|_| internal("index lock poisoned"))?;
        g.take();
        Ok(())
    }

    fn __contains__(&self, track_id: &str) -> PyResult<bool> {
        self.with(|i| Ok(i.contains(track_id)))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("FingerprintIndex({:?})", self.path.display().to_string())
    }
}

/// Register this module's functions and classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(chromaprint, m)?)?;
    m.add_function(wrap_pyfunction!(fingerprint_snippet, m)?)?;
    m.add_class::<FingerprintIndex>()?;
    Ok(())
}
