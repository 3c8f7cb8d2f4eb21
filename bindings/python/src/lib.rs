//! Python bindings: argument conversion, GIL release, a call into the `quaver` facade, error
//! mapping — nothing more. Results cross as plain dicts (from the facade's serde types) that
//! `quaver/__init__.py` wraps in typed record classes; PCM crosses as float32 numpy arrays.

use std::borrow::Cow;
use std::path::PathBuf;

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

pyo3::create_exception!(
    _quaver,
    QuaverError,
    pyo3::exceptions::PyException,
    "Base class of every quaver error; `.code` holds the stable error code."
);
pyo3::create_exception!(
    _quaver,
    DecodeError,
    QuaverError,
    "The input is broken or holds no audio (codes CORRUPT, NO_AUDIO)."
);
pyo3::create_exception!(
    _quaver,
    UnsupportedFormatError,
    QuaverError,
    "The input is not a format quaver reads (code UNSUPPORTED)."
);
pyo3::create_exception!(
    _quaver,
    InvalidArgumentError,
    QuaverError,
    "An argument or option is invalid (code INVALID_ARGUMENT)."
);
pyo3::create_exception!(
    _quaver,
    LimitExceededError,
    QuaverError,
    "The input exceeds a resource limit (code LIMIT_EXCEEDED)."
);
pyo3::create_exception!(
    _quaver,
    CancelledError,
    QuaverError,
    "The operation was cancelled (code CANCELLED)."
);
pyo3::create_exception!(
    _quaver,
    InternalError,
    QuaverError,
    "A bug in quaver (code INTERNAL); please report it."
);

/// The facade's error as a Python exception (newtype for the orphan rule).
struct PyQuaverError(quaver::Error);

impl From<quaver::Error> for PyQuaverError {
    fn from(e: quaver::Error) -> Self {
        PyQuaverError(e)
    }
}

impl From<PyQuaverError> for PyErr {
    fn from(e: PyQuaverError) -> PyErr {
        use quaver::Error as E;
        let msg = e.0.to_string();
        let err = match &e.0 {
            E::Io { source, .. } => {
                return match source.kind() {
                    std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
                    std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
                    _ => PyOSError::new_err(msg),
                }
            }
            E::Unsupported(_) => UnsupportedFormatError::new_err(msg),
            E::Corrupt { .. } | E::NoAudio(_) => DecodeError::new_err(msg),
            E::InvalidArgument(_) => InvalidArgumentError::new_err(msg),
            E::LimitExceeded { .. } => LimitExceededError::new_err(msg),
            E::Cancelled => CancelledError::new_err(msg),
            _ => InternalError::new_err(msg),
        };
        Python::attach(|py| {
            let _ = err.value(py).setattr("code", e.0.code());
        });
        err
    }
}

type PyResult2<T> = Result<T, PyQuaverError>;

/// A path, `os.PathLike`, `bytes`/`bytearray`/`memoryview`, or a binary file-like object.
fn to_input(obj: &Bound<'_, PyAny>) -> PyResult<quaver::Input> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(quaver::Input::bytes(b.as_bytes().to_vec()));
    }
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(quaver::Input::Path(p));
    }
    if obj.hasattr("read")? {
        let data = obj.call_method0("read")?;
        let bytes: Vec<u8> = data.extract()?;
        return Ok(quaver::Input::bytes(bytes));
    }
    if let Ok(bytes) = obj.extract::<Vec<u8>>() {
        return Ok(quaver::Input::bytes(bytes));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(
        "expected a path (str or os.PathLike), bytes, or a binary file-like object",
    ))
}

/// serde_json::Value -> Python object (dict/list/str/float/int/bool/None).
fn to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
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

/// Python object (dict/list/str/int/float/bool/None/PathLike) -> serde_json::Value.
fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
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
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(V::String(p.to_string_lossy().into_owned()));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "cannot use a {} as an option value",
        obj.get_type().name()?
    )))
}

/// kwargs -> a facade options struct (unknown keys are errors).
fn options<T: serde::Serialize + serde::de::DeserializeOwned + Default>(
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<T> {
    let v = match kwargs {
        Some(k) => from_py(k.as_any())?,
        None => serde_json::Value::Null,
    };
    Ok(quaver::options::from_json(v).map_err(PyQuaverError)?)
}

fn serde_to_py<T: serde::Serialize>(py: Python<'_>, v: &T) -> PyResult<Py<PyAny>> {
    let value = serde_json::to_value(v).map_err(|e| InternalError::new_err(e.to_string()))?;
    to_py(py, &value)
}

/// Planar channels -> one contiguous float32 array of shape (channels, frames). Mono moves the
/// decoder's vector into numpy without a copy; more channels are joined once.
fn planar_to_numpy<'py>(
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

/// Rows of a 1-D or 2-D float32 array as planar channels (borrowed when contiguous).
fn numpy_to_planar(y: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<f32>>> {
    if let Ok(a) = y.extract::<PyReadonlyArray1<'_, f32>>() {
        let v: Cow<'_, [f32]> = match a.as_slice() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(a.as_array().to_vec()),
        };
        return Ok(vec![v.into_owned()]);
    }
    if let Ok(a) = y.extract::<PyReadonlyArray2<'_, f32>>() {
        let arr = a.as_array();
        return Ok(arr.outer_iter().map(|row| row.to_vec()).collect());
    }
    let dtype = y
        .getattr("dtype")
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "not an array".into());
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "expected a float32 numpy array of shape (frames,) or (channels, frames), got dtype {dtype}; use y.astype(np.float32)"
    )))
}

/// Probe a file: container, codec, rate, channels, exact gapless length, bitrate, tags.
#[pyfunction]
fn info(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let info = py.detach(|| quaver::info(input)).map_err(PyQuaverError)?;
    serde_to_py(py, &info)
}

/// Decode to a float32 array of shape (channels, frames) and its sample rate.
#[pyfunction]
#[pyo3(signature = (src, sr=None, mono=false, quality="balanced"))]
fn decode<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    sr: Option<u32>,
    mono: bool,
    quality: &str,
) -> PyResult<(Bound<'py, PyAny>, u32)> {
    let input = to_input(src)?;
    let quality: quaver::Quality = quality.parse().map_err(PyQuaverError)?;
    let opts = quaver::ConvertOptions {
        sample_rate: sr,
        mono,
        quality,
    };
    let buf = py
        .detach(|| quaver::decode(input, &opts))
        .map_err(PyQuaverError)?;
    let rate = buf.sample_rate;
    Ok((planar_to_numpy(py, buf.channels)?, rate))
}

/// Resample a float32 array (frames,) or (channels, frames) from `orig_sr` to `target_sr`.
#[pyfunction]
#[pyo3(signature = (y, orig_sr, target_sr, quality="balanced"))]
fn resample<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    orig_sr: u32,
    target_sr: u32,
    quality: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let one_d = y.extract::<PyReadonlyArray1<'_, f32>>().is_ok();
    let channels = numpy_to_planar(y)?;
    let quality: quaver::Quality = quality.parse().map_err(PyQuaverError)?;
    let out = py
        .detach(|| {
            let buf = quaver::AudioBuffer::from_planar(orig_sr, channels)?;
            quaver::resample(&buf, target_sr, quality)
        })
        .map_err(PyQuaverError)?;
    let arr = planar_to_numpy(py, out.channels)?;
    if one_d {
        return arr.call_method1("reshape", (-1,));
    }
    Ok(arr)
}

/// Encode to MP3, Opus (Ogg) or FLAC, chosen by the output's extension or `codec=`; options as
/// keyword arguments (bitrate_kbps, vbr_quality, sample_rate, channels, compression_level, ...).
#[pyfunction]
#[pyo3(signature = (src, output, **kwargs))]
fn encode(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    output: PathBuf,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let opts: quaver::EncodeOptions = options(kwargs)?;
    let report = py
        .detach(|| quaver::encode(input, &output, &opts))
        .map_err(PyQuaverError)?;
    serde_to_py(py, &report)
}

/// Decode once and run loudness, tempo/key/features (and waveform peaks when `waveform=` is
/// given) — options as keyword arguments (`loudness=`, `music=`, `waveform=` dicts or None).
/// Returns the analysis as a dict (`quaver.Analysis` wraps it).
#[pyfunction]
#[pyo3(signature = (src, **kwargs))]
fn analyze(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let opts: quaver::AnalysisOptions = options(kwargs)?;
    let a = py
        .detach(|| quaver::analyze(input, &opts))
        .map_err(PyQuaverError)?;
    serde_to_py(py, &a)
}

/// Analyse many inputs on the Rust thread pool with the GIL released. Returns, in input order,
/// one dict per input, or a `(code, message)` tuple for an input that failed.
#[pyfunction]
#[pyo3(signature = (srcs, jobs=None, progress=false, **kwargs))]
fn analyze_many(
    py: Python<'_>,
    srcs: &Bound<'_, PyAny>,
    jobs: Option<usize>,
    progress: bool,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let inputs = srcs
        .try_iter()?
        .map(|x| to_input(&x?))
        .collect::<PyResult<Vec<_>>>()?;
    let opts: quaver::AnalysisOptions = options(kwargs)?;
    let on_done = move |done: usize, total: usize| {
        if progress {
            eprint!("\ranalyze_many: {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    };
    let results = py
        .detach(|| quaver::analyze_many(inputs, &opts, jobs, &on_done))
        .map_err(PyQuaverError)?;
    let out = PyList::empty(py);
    for r in results {
        match r {
            Ok(a) => out.append(serde_to_py(py, &a)?)?,
            Err(e) => out.append((e.code(), e.to_string()))?,
        }
    }
    Ok(out.into_any().unbind())
}

/// Waveform peaks (audiowaveform's model). Returns `(meta_dict, data)` where `data` is an int16
/// numpy array of shape (channels, pixels, 2) holding min/max pairs.
#[pyfunction]
#[pyo3(signature = (src, **kwargs))]
fn waveform<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Py<PyAny>, Bound<'py, PyAny>)> {
    let input = to_input(src)?;
    let opts: quaver::WaveformOptions = options(kwargs)?;
    let w = py
        .detach(|| quaver::waveform(input, &opts))
        .map_err(PyQuaverError)?;
    waveform_to_py(py, w)
}

fn waveform_to_py(
    py: Python<'_>,
    mut w: quaver::Waveform,
) -> PyResult<(Py<PyAny>, Bound<'_, PyAny>)> {
    let data = std::mem::take(&mut w.data);
    let channels = w.channels.max(1) as usize;
    let pixels = data.len() / (2 * channels);
    let arr = PyArray1::from_vec(py, data).reshape([pixels, channels, 2])?;
    // audiowaveform interleaves channels per pixel; present (channels, pixels, 2).
    let arr = arr.call_method1("transpose", ((1, 0, 2),))?;
    let arr = arr.call_method0("copy")?;
    Ok((serde_to_py(py, &w)?, arr))
}

/// Write waveform peaks (as returned by `waveform`) to .dat/.json/.png/.svg (by extension).
#[pyfunction]
#[pyo3(signature = (meta, data, path, **render))]
fn _write_waveform(
    py: Python<'_>,
    meta: &Bound<'_, PyAny>,
    data: &Bound<'_, PyAny>,
    path: PathBuf,
    render: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let mut w: quaver::Waveform = serde_json::from_value(from_py(meta)?)
        .map_err(|e| InvalidArgumentError::new_err(format!("waveform metadata: {e}")))?;
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
fn frame_features(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
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
        Some(l) if l.is_instance_of::<pyo3::types::PyString>() => {
            quaver::Ladder::named_or_file(&l.extract::<String>()?).map_err(PyQuaverError)?
        }
        Some(l) => {
            let v = from_py(l)?;
            let ladder: quaver::Ladder = serde_json::from_value(v)
                .map_err(|e| InvalidArgumentError::new_err(format!("ladder: {e}")))?;
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
/// downloads, ladder, catalog, add_to_catalog, waveform, analysis, ...). Returns report.json
/// as a dict.
#[pyfunction]
#[pyo3(signature = (src, out_dir, **kwargs))]
fn ingest(
    py: Python<'_>,
    src: &Bound<'_, PyAny>,
    out_dir: PathBuf,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let opts: quaver::IngestOptions = options(kwargs)?;
    let r = py
        .detach(|| quaver::ingest(input, &out_dir, &opts))
        .map_err(PyQuaverError)?;
    serde_to_py(py, &r)
}

/// Ingest many files into `out_root/<name>/`, `jobs` at a time, continuing past failures.
/// Returns one dict per input: its report (failed ones have status "failed" and an error).
#[pyfunction]
#[pyo3(signature = (paths, out_root, jobs=None, **kwargs))]
fn ingest_batch(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    out_root: PathBuf,
    jobs: Option<usize>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let opts: quaver::IngestOptions = options(kwargs)?;
    let items = py
        .detach(|| quaver::ingest_batch(&paths, &out_root, &opts, jobs, &|_, _, _| {}))
        .map_err(PyQuaverError)?;
    let out = PyList::empty(py);
    for it in items {
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

/// An on-disk fingerprint catalog (memory-mapped, crash-safe). Thread-safe; every method
/// releases the GIL while it works. Use as a context manager to close it deterministically.
#[pyclass(module = "quaver._quaver")]
struct FingerprintIndex {
    inner: std::sync::RwLock<Option<quaver::FingerprintIndex>>,
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
            .map_err(|_| InternalError::new_err("index lock poisoned"))?;
        let idx = g
            .as_ref()
            .ok_or_else(|| InvalidArgumentError::new_err("the index is closed"))?;
        Ok(f(idx).map_err(PyQuaverError)?)
    }

    fn with_mut<T>(
        &self,
        f: impl FnOnce(&mut quaver::FingerprintIndex) -> quaver::Result<T>,
    ) -> PyResult<T> {
        let mut g = self
            .inner
            .write()
            .map_err(|_| InternalError::new_err("index lock poisoned"))?;
        let idx = g
            .as_mut()
            .ok_or_else(|| InvalidArgumentError::new_err("the index is closed"))?;
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
            inner: std::sync::RwLock::new(Some(idx)),
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
            .map_err(|_| InternalError::new_err("index lock poisoned"))?;
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
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close()?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("FingerprintIndex({:?})", self.path.display().to_string())
    }
}

/// Test hook: a panic inside quaver surfaces as InternalError, never as a crash.
#[pyfunction]
fn _debug_panic() -> PyResult2<()> {
    Ok(quaver::runtime::debug_panic("python")?)
}

/// Cap the threads quaver uses in this process (also `QUAVER_NUM_THREADS`).
#[pyfunction]
fn set_num_threads(n: usize) -> PyResult2<()> {
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
fn _pool_probe(py: Python<'_>, tasks: usize) -> PyResult2<Vec<String>> {
    let names = py.detach(|| {
        quaver::runtime::map((0..tasks).collect(), |_, _| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            std::thread::current().name().unwrap_or("?").to_string()
        })
    })?;
    let mut unique: Vec<String> = names
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    unique.sort();
    Ok(unique)
}

#[pymodule]
fn _quaver(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("QuaverError", py.get_type::<QuaverError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    m.add(
        "UnsupportedFormatError",
        py.get_type::<UnsupportedFormatError>(),
    )?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<InvalidArgumentError>(),
    )?;
    m.add("LimitExceededError", py.get_type::<LimitExceededError>())?;
    m.add("CancelledError", py.get_type::<CancelledError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(resample, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_many, m)?)?;
    m.add_function(wrap_pyfunction!(waveform, m)?)?;
    m.add_function(wrap_pyfunction!(_write_waveform, m)?)?;
    m.add_function(wrap_pyfunction!(frame_features, m)?)?;
    m.add_function(wrap_pyfunction!(package, m)?)?;
    m.add_function(wrap_pyfunction!(ingest, m)?)?;
    m.add_function(wrap_pyfunction!(ingest_batch, m)?)?;
    m.add_function(wrap_pyfunction!(chromaprint, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add_class::<FingerprintIndex>()?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_reset_after_fork, m)?)?;
    m.add_function(wrap_pyfunction!(_pool_probe, m)?)?;
    Ok(())
}
