//! Python bindings: argument conversion, GIL release, a call into the `quaver` facade, error
//! mapping — nothing more. Results cross as plain dicts (from the facade's serde types) that
//! `quaver/__init__.py` wraps in typed record classes; PCM crosses as float32 numpy arrays.
//!
//! - [`errors`]: the exception hierarchy and the facade error mapping;
//! - [`convert`]: inputs, options, results, PCM arrays and progress callbacks;
//! - [`codec`]: info, decode, resample, encode, encode_many;
//! - [`analysis`]: analyze, analyze_many, AnalysisStream, waveforms, frame features, similarity;
//! - [`fingerprint`]: chromaprint, fingerprint_snippet, FingerprintIndex;
//! - [`pipeline`]: package, ingest, ingest_batch;
//! - [`runtime`]: the thread pool, fork safety and test hooks.

use pyo3::prelude::*;

mod analysis;
mod codec;
mod convert;
mod errors;
mod fingerprint;
mod pipeline;
mod runtime;

#[pymodule]
fn _quaver(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    codec::register(m)?;
    analysis::register(m)?;
    fingerprint::register(m)?;
    pipeline::register(m)?;
    runtime::register(m)?;
    Ok(())
}
