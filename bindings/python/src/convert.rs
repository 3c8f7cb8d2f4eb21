//! Argument and result conversion: Python inputs to `quaver::Input` / PCM, kwargs to the
//! facade's option structs (through `quaver::options::from_json`, so options are defined once,
//! in Rust), serde results to Python objects, planar PCM to and from numpy, and progress
//! callbacks called from Rust worker threads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use numpy::{
    PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::errors::{internal, PyQuaverError};

/// Is `obj` a numpy array?
pub(crate) fn is_ndarray(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PyUntypedArray>().is_ok()
}

/// A path, `os.PathLike`, `bytes`/`bytearray`/`memoryview`, or a binary file-like object.
pub(crate) fn to_input(obj: &Bound<'_, PyAny>) -> PyResult<quaver::Input> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(quaver::Input::bytes(b.as_bytes().to_vec()));
    }
    if is_ndarray(obj) {
        return Err(PyTypeError::new_err(
            "this function reads encoded audio (a path, bytes or a binary file), not a PCM array; \
             PCM arrays go to analyze(y, sr=...), fingerprint_snippet(y, sr=...) and \
             AnalysisStream.push",
        ));
    }
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(quaver::Input::Path(p));
    }
    if obj.hasattr("read")? {
        let data = obj.call_method0("read")?;
        let bytes: Vec<u8> = data.extract().map_err(|_| {
            PyTypeError::new_err(
                "the file-like object's read() must return bytes (open it in 'rb' mode)",
            )
        })?;
        return Ok(quaver::Input::bytes(bytes));
    }
    if let Ok(bytes) = obj.extract::<Vec<u8>>() {
        return Ok(quaver::Input::bytes(bytes));
    }
    Err(PyTypeError::new_err(
        "expected a path (str or os.PathLike), bytes, or a binary file-like object",
    ))
}

/// serde_json::Value -> Python object (dict/list/str/float/int/bool/None).
pub(crate) fn to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    use serde_json::Value as V;
    Ok(match v {
        V::Null => py.None(),
        V::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        V::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any().unbind(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any().unbind(),
            _ => n
                .as_f64()
                .unwrap_or(f64::NAN)
                .into_pyobject(py)?
                .into_any()
                .unbind(),
        },
        V::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        V::Array(a) => {
            let items = a
                .iter()
                .map(|x| to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        V::Object(m) => {
            let d = PyDict::new(py);
            for (k, x) in m {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// Python object (dict/list/str/int/float/bool/None/PathLike/numpy scalar or vector) ->
/// serde_json::Value.
pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyTuple};
    use serde_json::Value as V;
    if obj.is_none() {
        return Ok(V::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(V::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(V::from(i));
        }
        return Ok(V::from(obj.extract::<u64>()?));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(serde_json::Number::from_f64(f.value()).map_or(V::Null, V::Number));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(V::String(s.to_str()?.to_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = serde_json::Map::new();
        for (k, v) in d.iter() {
            m.insert(k.extract::<String>()?, from_py(&v)?);
        }
        return Ok(V::Object(m));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return Ok(V::Array(
            obj.try_iter()?
                .map(|x| from_py(&x?))
                .collect::<PyResult<_>>()?,
        ));
    }
    if is_ndarray(obj) || (obj.hasattr("item")? && obj.hasattr("tolist")?) {
        // numpy arrays and scalars (np.float32(3.0), a feature vector): as plain Python values.
        let plain = obj.call_method0("tolist")?;
        if !is_ndarray(&plain) && !plain.hasattr("tolist")? {
            return from_py(&plain);
        }
    }
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(V::String(p.to_string_lossy().into_owned()));
    }
    Err(PyTypeError::new_err(format!(
        "cannot use a {} as an option value",
        obj.get_type().name()?
    )))
}

/// kwargs (or a dict) -> a facade options struct; unknown keys are InvalidArgumentError.
pub(crate) fn options<T: serde::Serialize + serde::de::DeserializeOwned + Default>(
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<T> {
    let v = match kwargs {
        Some(k) => from_py(k.as_any())?,
        None => serde_json::Value::Null,
    };
    Ok(quaver::options::from_json(v).map_err(PyQuaverError)?)
}

/// A facade result (serde) as plain Python data.
pub(crate) fn serde_to_py<T: serde::Serialize>(py: Python<'_>, v: &T) -> PyResult<Py<PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| internal(e.to_string()))?;
    to_py(py, &value)
}

/// Planar channels -> one contiguous float32 array of shape (channels, frames). Mono moves the
/// decoder's vector into numpy without a copy; more channels are joined once.
pub(crate) fn planar_to_numpy<'py>(
    py: Python<'py>,
    mut channels: Vec<Vec<f32>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (c, n) = (channels.len(), channels.first().map_or(0, Vec::len));
    let flat = if c == 1 {
        channels.pop().unwrap_or_default()
    } else {
        let mut flat = Vec::with_capacity(c * n);
        for ch in &channels {
            flat.extend_from_slice(ch);
        }
        flat
    };
    let arr = PyArray1::from_vec(py, flat);
    Ok(arr.reshape([c, n])?.into_any())
}

/// The error for an array quaver cannot read as PCM.
fn not_float32(y: &Bound<'_, PyAny>) -> PyErr {
    let dtype = y
        .getattr("dtype")
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "not an array".into());
    PyTypeError::new_err(format!(
        "expected a float32 numpy array of shape (frames,) or (channels, frames), got dtype \
         {dtype}; use y.astype(np.float32)"
    ))
}

/// A 1-D or 2-D float32 array's channels as slices: borrowed from numpy (no copy) when its rows
/// are contiguous, copied once otherwise. The slices are plain Rust data, usable with the GIL
/// released.
pub(crate) struct PcmView<'py> {
    data: PcmData<'py>,
    /// Was the array 1-D (mono, or interleaved where the caller says so)?
    pub(crate) one_d: bool,
}

enum PcmData<'py> {
    Mono(PyReadonlyArray1<'py, f32>),
    Planar(PyReadonlyArray2<'py, f32>),
    Owned(Vec<Vec<f32>>),
}

impl<'py> PcmView<'py> {
    pub(crate) fn new(y: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = y.extract::<PyReadonlyArray1<'py, f32>>() {
            let data = if a.as_slice().is_ok() {
                PcmData::Mono(a)
            } else {
                PcmData::Owned(vec![a.as_array().to_vec()])
            };
            return Ok(PcmView { data, one_d: true });
        }
        if let Ok(a) = y.extract::<PyReadonlyArray2<'py, f32>>() {
            let data = if a.is_c_contiguous() && a.as_slice().is_ok() {
                PcmData::Planar(a)
            } else {
                PcmData::Owned(a.as_array().outer_iter().map(|r| r.to_vec()).collect())
            };
            return Ok(PcmView { data, one_d: false });
        }
        Err(not_float32(y))
    }

    /// One slice per row (per channel for 2-D arrays).
    pub(crate) fn channels(&self) -> Vec<&[f32]> {
        match &self.data {
            PcmData::Mono(a) => vec![a.as_slice().unwrap_or_default()],
            PcmData::Planar(a) => {
                let (rows, frames) = (a.shape()[0], a.shape()[1]);
                let flat = a.as_slice().unwrap_or_default();
                if frames == 0 {
                    vec![&[][..]; rows]
                } else {
                    flat.chunks(frames).collect()
                }
            }
            PcmData::Owned(v) => v.iter().map(Vec::as_slice).collect(),
        }
    }
}

/// Slices from a [`PcmView`] as an `AudioBuffer` at `sr`: planar rows, or, for a 1-D array and
/// `interleaved_channels` > 1, interleaved frames (what a stream's `push` takes). Needs no GIL.
pub(crate) fn pcm_buffer(
    channels: &[&[f32]],
    one_d: bool,
    sr: u32,
    interleaved_channels: usize,
) -> quaver::Result<quaver::AudioBuffer> {
    if one_d && interleaved_channels > 1 {
        let samples = channels.first().copied().unwrap_or_default();
        return quaver::AudioBuffer::from_interleaved(sr, interleaved_channels, samples);
    }
    quaver::AudioBuffer::from_planar(sr, channels.iter().map(|c| c.to_vec()).collect())
}

/// The sample rate a PCM array must come with.
pub(crate) fn require_sr(sr: Option<u32>) -> PyResult<u32> {
    sr.ok_or_else(|| PyTypeError::new_err("a PCM array needs its sample rate: pass sr="))
}

/// A progress sink for calls from Rust worker threads: nothing, a one-line stderr counter, or a
/// Python callable (called with the GIL taken). Counts reach the callable strictly increasing
/// (a worker that finishes item 3 may report before the one that finished item 2; the stale
/// report is dropped), so the last call is always `(total, total)`. The first exception the
/// callable raises stops further calls, sets `cancel` (for facade calls that can stop early)
/// and is raised by [`Progress::finish`].
pub(crate) struct Progress {
    label: &'static str,
    callback: Option<Py<PyAny>>,
    stderr: bool,
    state: Mutex<State>,
    /// Set when the callable raised.
    pub(crate) cancel: Arc<AtomicBool>,
}

#[derive(Default)]
struct State {
    last: usize,
    error: Option<PyErr>,
}

impl Progress {
    /// `None`/`False`: nothing; `True`: stderr counter; a callable: call it.
    pub(crate) fn new(label: &'static str, arg: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let (mut callback, mut stderr) = (None, false);
        if let Some(a) = arg {
            if a.is_callable() {
                callback = Some(a.clone().unbind());
            } else if !a.is_none() {
                stderr = a.is_truthy()?;
            }
        }
        Ok(Progress {
            label,
            callback,
            stderr,
            state: Mutex::new(State::default()),
            cancel: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Does this sink report anything?
    pub(crate) fn active(&self) -> bool {
        self.stderr || self.callback.is_some()
    }

    /// Report `done` of `total` (called from any thread, GIL not held).
    pub(crate) fn count(&self, done: usize, total: usize) {
        if !self.active() {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if done <= st.last || st.error.is_some() {
            return;
        }
        st.last = done;
        if self.stderr {
            eprint!("\r{}: {done}/{total}", self.label);
            if done == total {
                eprintln!();
            }
        }
        self.call(&mut st, |py, cb| cb.call1(py, (done, total)));
    }

    /// Report an ingest stage (called from any thread, GIL not held).
    pub(crate) fn stage(&self, stage: &str, fraction: f64, frames: u64) {
        if !self.active() {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if st.error.is_some() {
            return;
        }
        if self.stderr {
            eprint!("\r{}: {stage:<11} {:3.0} %", self.label, fraction * 100.0);
            if stage == "done" {
                eprintln!();
            }
        }
        self.call(&mut st, |py, cb| cb.call1(py, (stage, fraction, frames)));
    }

    fn call(&self, st: &mut State, f: impl FnOnce(Python<'_>, &Py<PyAny>) -> PyResult<Py<PyAny>>) {
        let Some(cb) = &self.callback else { return };
        Python::attach(|py| {
            if let Err(e) = f(py, cb) {
                st.error = Some(e);
                self.cancel.store(true, Ordering::Relaxed);
            }
        });
    }

    /// Raise what the callable raised, if anything.
    pub(crate) fn finish(&self) -> PyResult<()> {
        match self.state.lock() {
            Ok(mut st) => st.error.take().map_or(Ok(()), Err),
            Err(_) => Err(internal("progress lock poisoned")),
        }
    }
}
