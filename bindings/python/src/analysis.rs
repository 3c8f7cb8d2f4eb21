//! analyze (encoded input or a PCM array), analyze_many, AnalysisStream, waveform peaks,
//! frame-level matrices and feature similarity.

use std::path::PathBuf;
use std::sync::Mutex;

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::convert::{
    from_py, is_ndarray, options, pcm_buffer, require_sr, serde_to_py, to_input, PcmView, Progress,
};
use crate::errors::{exception, internal, invalid, PyQuaverError};

/// Frames per push when `analyze` feeds a PCM array to the stream analysers: each push copies
/// one chunk into the facade's `AudioBuffer`, never the whole signal.
const PCM_CHUNK_FRAMES: usize = 1 << 16;

/// An analysis as `(dict, [waveform, ...])`: the serde fields, and the peaks the serialisation
/// leaves out (main zoom level first, then `zoom_levels` in order) as `(meta, data)` pairs.
fn analysis_to_py(py: Python<'_>, mut a: quaver::Analysis) -> PyResult<Py<PyAny>> {
    let waves = PyList::empty(py);
    for w in a
        .waveform
        .take()
        .into_iter()
        .chain(a.waveform_zooms.drain(..))
    {
        waves.append(waveform_to_py(py, w)?)?;
    }
    let d = serde_to_py(py, &a)?;
    Ok(PyTuple::new(py, [d, waves.into_any().unbind()])?
        .into_any()
        .unbind())
}

/// The facade's stream analysers over planar PCM slices, pushed a chunk at a time.
fn analyze_pcm(
    sample_rate: u32,
    channels: &[&[f32]],
    opts: &quaver::AnalysisOptions,
) -> quaver::Result<quaver::Analysis> {
    let mut s = quaver::stream::AnalysisStream::new(sample_rate, channels.len() as u32, opts)?;
    let frames = channels.first().map_or(0, |c| c.len());
    for start in (0..frames).step_by(PCM_CHUNK_FRAMES) {
        let end = (start + PCM_CHUNK_FRAMES).min(frames);
        let chunk: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        s.push(&pcm_buffer(&chunk, false, sample_rate, 1)?)?;
    }
    Ok(s.finish()?.analysis)
}

/// Decode once and run loudness, tempo/key/features (and waveform peaks when `waveform=` is
/// given); options as keyword arguments (`loudness=`, `music=`, `waveform=` dicts or None).
/// A float32 PCM array — (frames,) mono or (channels, frames) — with `sr=` goes through the
/// facade's streaming analysers instead of a decode, read in place when contiguous.
/// Returns `(analysis_dict, waveforms)`; `quaver.Analysis` wraps it.
#[pyfunction]
#[pyo3(signature = (src, sr=None, **kwargs))]
pub(crate) fn analyze(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    sr: Option<u32>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let opts: quaver::AnalysisOptions = options(kwargs)?;
    let a = if is_ndarray(src) {
        let rate = require_sr(sr)?;
        let pcm = PcmView::new(src)?;
        let channels = pcm.channels();
        py.detach(|| analyze_pcm(rate, &channels, &opts))
    } else {
        if sr.is_some() {
            return Err(PyTypeError::new_err(
                "sr= is for PCM arrays; an encoded input carries its own rate",
            ));
        }
        let input = to_input(src)?;
        py.detach(|| quaver::analyze(input, &opts))
    }
    .map_err(PyQuaverError)?;
    analysis_to_py(py, a)
}

/// Analyse many inputs on the Rust thread pool (or on `jobs` threads) with the GIL released.
/// Returns, in input order, `(analysis_dict, waveforms)` per input, or the exception object of
/// an input that failed. `progress`: False, True (stderr counter) or a callable
/// `(done, total)`, called with strictly increasing `done`, last with `(total, total)`.
#[pyfunction]
#[pyo3(signature = (srcs, jobs=None, progress=None, **kwargs))]
pub(crate) fn analyze_many(
    py: Python<'_>,
    srcs: &Bound<'_, PyAny>,
    jobs: Option<usize>,
    progress: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let inputs = srcs
        .try_iter()?
        .map(|x| to_input(&x?))
        .collect::<PyResult<Vec<_>>>()?;
    let opts: quaver::AnalysisOptions = options(kwargs)?;
    let progress = Progress::new("analyze_many", progress)?;
    let results =
        py.detach(|| quaver::analyze_many(inputs, &opts, jobs, &|d, t| progress.count(d, t)));
    progress.finish()?;
    let out = PyList::empty(py);
    for r in results.map_err(PyQuaverError)? {
        match r {
            Ok(a) => out.append(analysis_to_py(py, a)?)?,
            Err(e) => out.append(exception(py, e))?,
        }
    }
    Ok(out.into_any().unbind())
}

/// Analysis of PCM pushed in pieces (a recording in progress): the same analysers as
/// `analyze`, plus a query fingerprint snippet. Thread-safe; `push` releases the GIL.
#[pyclass(module = "quaver._quaver", name = "_AnalysisStream")]
pub(crate) struct AnalysisStream {
    inner: Mutex<Option<quaver::stream::AnalysisStream>>,
    sample_rate: u32,
    channels: usize,
}

impl AnalysisStream {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, Option<quaver::stream::AnalysisStream>>> {
        self.inner
            .lock()
            .map_err(|_| internal("stream lock poisoned"))
    }
}

#[pymethods]
impl AnalysisStream {
    /// A stream of `channels`-channel PCM at `sample_rate`; options as for `analyze`.
    #[new]
    #[pyo3(signature = (sample_rate, channels=1, **kwargs))]
    fn new(sample_rate: u32, channels: u32, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let opts: quaver::AnalysisOptions = options(kwargs)?;
        let s = quaver::stream::AnalysisStream::new(sample_rate, channels, &opts)
            .map_err(PyQuaverError)?;
        Ok(AnalysisStream {
            inner: Mutex::new(Some(s)),
            sample_rate,
            channels: channels as usize,
        })
    }

    /// Push float32 PCM: (channels, frames), or 1-D (mono, or interleaved frames*channels).
    fn push(&self, py: Python<'_>, y: &Bound<'_, PyAny>) -> PyResult<()> {
        let pcm = PcmView::new(y)?;
        let (channels, one_d) = (pcm.channels(), pcm.one_d);
        py.detach(|| {
            let buf = pcm_buffer(&channels, one_d, self.sample_rate, self.channels)
                .map_err(PyQuaverError)?;
            let mut g = self.lock()?;
            let s = g
                .as_mut()
                .ok_or_else(|| invalid("the stream is finished"))?;
            Ok(s.push(&buf).map_err(PyQuaverError)?)
        })
    }

    /// Frames pushed so far (per channel).
    #[getter]
    fn frames(&self) -> PyResult<u64> {
        Ok(self.lock()?.as_ref().map_or(0, |s| s.frames()))
    }

    /// End of the audio: `((analysis_dict, waveforms), snippet_bytes)`.
    fn finish(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let s = self
            .lock()?
            .take()
            .ok_or_else(|| invalid("the stream is finished"))?;
        let r = py.detach(|| s.finish()).map_err(PyQuaverError)?;
        let snippet = PyBytes::new(py, &r.snippet).into_any().unbind();
        Ok((analysis_to_py(py, r.analysis)?, snippet))
    }
}

/// Waveform peaks (audiowaveform's model) as `(meta_dict, data)`, `data` an int16 numpy array
/// of shape (channels, pixels, 2) holding min/max pairs.
#[pyfunction]
#[pyo3(signature = (src, **kwargs))]
pub(crate) fn waveform(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let opts: quaver::WaveformOptions = options(kwargs)?;
    let w = py
        .detach(|| quaver::waveform(input, &opts))
        .map_err(PyQuaverError)?;
    waveform_to_py(py, w)
}

/// Waveform peaks at the main level and every `zoom_levels` entry from one decode: a list of
/// `(meta_dict, data)` pairs, main level first.
#[pyfunction]
#[pyo3(signature = (src, **kwargs))]
pub(crate) fn waveform_zooms(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let opts: quaver::WaveformOptions = options(kwargs)?;
    let ws = py
        .detach(|| quaver::waveform_zooms(input, &opts))
        .map_err(PyQuaverError)?;
    let out = PyList::empty(py);
    for w in ws {
        out.append(waveform_to_py(py, w)?)?;
    }
    Ok(out.into_any().unbind())
}

fn waveform_to_py(py: Python<'_>, mut w: quaver::Waveform) -> PyResult<Py<PyAny>> {
    let data = std::mem::take(&mut w.data);
    let channels = w.channels.max(1) as usize;
    let pixels = data.len() / (2 * channels);
    let arr = PyArray1::from_vec(py, data).reshape([pixels, channels, 2])?;
    // audiowaveform interleaves channels per pixel; present (channels, pixels, 2).
    let arr = arr.call_method1("transpose", ((1, 0, 2),))?;
    let arr = arr.call_method0("copy")?;
    Ok((serde_to_py(py, &w)?, arr.unbind())
        .into_pyobject(py)?
        .into_any()
        .unbind())
}

/// Write waveform peaks (as returned by `waveform`) to .dat/.json/.png/.svg (by extension).
#[pyfunction]
#[pyo3(signature = (meta, data, path, **render))]
pub(crate) fn _write_waveform(
    py: Python<'_>,
    meta: &Bound<'_, PyAny>,
    data: &Bound<'_, PyAny>,
    path: PathBuf,
    render: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let mut w: quaver::Waveform = serde_json::from_value(from_py(meta)?)
        .map_err(|e| invalid(format!("waveform metadata: {e}")))?;
    // (channels, pixels, 2) -> pixel-major interleaved, as audiowaveform stores it.
    let flat = data
        .call_method1("transpose", ((1, 0, 2),))?
        .call_method1("reshape", (-1,))?;
    let flat = flat.call_method1("astype", ("int16",))?;
    let a = flat.extract::<numpy::PyReadonlyArray1<'_, i16>>()?;
    w.data = a.as_array().to_vec();
    let render: quaver::RenderOptions = options(render)?;
    py.detach(|| w.write(&path, &render))
        .map_err(PyQuaverError)?;
    Ok(())
}

/// Frame-level matrices (mel dB, MFCC, chroma, centroid, roll-off, ...) at 22 050 Hz mono with
/// librosa's framing, as a dict of float32 numpy arrays of shape (n, frames) (librosa's layout).
#[pyfunction]
pub(crate) fn frame_features(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let m = py
        .detach(|| quaver::frame_features(input))
        .map_err(PyQuaverError)?;
    let d = PyDict::new(py);
    d.set_item("sample_rate", m.sample_rate)?;
    d.set_item("hop", m.hop)?;
    d.set_item("times_s", PyArray1::from_vec(py, m.times_s.clone()))?;
    let frames_major = |rows: Vec<Vec<f32>>, n: usize| -> PyResult<Bound<'_, PyAny>> {
        let t = rows.len();
        let mut flat = Vec::with_capacity(t * n);
        for r in &rows {
            flat.extend_from_slice(r);
        }
        let a = PyArray1::from_vec(py, flat).reshape([t, n])?;
        a.call_method0("transpose")?.call_method0("copy")
    };
    let n_mel = m.mel_db.first().map_or(0, Vec::len);
    let n_mfcc = m.mfcc.first().map_or(0, Vec::len);
    d.set_item("mel_db", frames_major(m.mel_db, n_mel)?)?;
    d.set_item("mfcc", frames_major(m.mfcc, n_mfcc)?)?;
    d.set_item(
        "chroma",
        frames_major(m.chroma.iter().map(|c| c.to_vec()).collect(), 12)?,
    )?;
    d.set_item("centroid", PyArray1::from_vec(py, m.centroid))?;
    d.set_item("rolloff", PyArray1::from_vec(py, m.rolloff))?;
    Ok(d.into_any().unbind())
}

/// quaver's similarity of two feature vectors (dicts with version, names, values) in [0, 1]:
/// 1 for identical vectors, 0 for vectors of different versions or lengths.
#[pyfunction]
pub(crate) fn similarity(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<f64> {
    let parse = |x: &Bound<'_, PyAny>| -> PyResult<quaver::FeatureVector> {
        serde_json::from_value(from_py(x)?).map_err(|e| invalid(format!("feature vector: {e}")))
    };
    Ok(quaver::similarity(&parse(a)?, &parse(b)?))
}

/// Register this module's functions and classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_many, m)?)?;
    m.add_class::<AnalysisStream>()?;
    m.add_function(wrap_pyfunction!(waveform, m)?)?;
    m.add_function(wrap_pyfunction!(waveform_zooms, m)?)?;
    m.add_function(wrap_pyfunction!(_write_waveform, m)?)?;
    m.add_function(wrap_pyfunction!(frame_features, m)?)?;
    m.add_function(wrap_pyfunction!(similarity, m)?)?;
    Ok(())
}
