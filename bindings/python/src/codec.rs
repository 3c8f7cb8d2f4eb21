//! info, decode, resample, encode and encode_many.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{options, pcm_buffer, planar_to_numpy, serde_to_py, to_input, PcmView};
use crate::errors::PyQuaverError;

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
    let pcm = PcmView::new(y)?;
    let (channels, one_d) = (pcm.channels(), pcm.one_d);
    let quality: quaver::Quality = quality.parse().map_err(PyQuaverError)?;
    let out = py
        .detach(|| {
            let buf = pcm_buffer(&channels, false, orig_sr, 1)?;
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

/// Decode `src` once and encode every target in parallel on quaver's pool. `targets` is a list
/// of `(output_path, options_dict_or_None)` pairs (options as for `encode`). Returns one report
/// dict per target, in order.
#[pyfunction]
fn encode_many<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    targets: Vec<(PathBuf, Option<Bound<'py, PyDict>>)>,
) -> PyResult<Py<PyAny>> {
    let input = to_input(src)?;
    let targets = targets
        .into_iter()
        .map(|(path, o)| {
            Ok(quaver::EncodeTarget {
                path,
                options: options(o.as_ref())?,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let reports = py
        .detach(|| quaver::encode_many(input, &targets))
        .map_err(PyQuaverError)?;
    serde_to_py(py, &reports)
}

/// Register this module's functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(resample, m)?)?;
    m.add_function(wrap_pyfunction!(encode, m)?)?;
    m.add_function(wrap_pyfunction!(encode_many, m)?)?;
    Ok(())
}
