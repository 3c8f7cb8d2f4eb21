//! The exception hierarchy and the mapping of the facade's one error enum onto it.

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError};
use pyo3::prelude::*;

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
pub(crate) struct PyQuaverError(pub(crate) quaver::Error);

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
            E::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
                std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
                _ => PyOSError::new_err(msg),
            },
            E::Unsupported(_) => UnsupportedFormatError::new_err(msg),
            E::Corrupt { .. } | E::NoAudio(_) => DecodeError::new_err(msg),
            E::InvalidArgument(_) => InvalidArgumentError::new_err(msg),
            E::LimitExceeded { .. } => LimitExceededError::new_err(msg),
            E::Cancelled => CancelledError::new_err(msg),
            _ => InternalError::new_err(msg),
        };
        // Every error carries the stable code, the builtin OSError subclasses too.
        Python::attach(|py| {
            let _ = err.value(py).setattr("code", e.0.code());
        });
        err
    }
}

/// A facade result whose error converts to the mapped Python exception.
pub(crate) type QResult<T> = Result<T, PyQuaverError>;

/// The exception object `e` would raise (for per-item errors in batch results).
pub(crate) fn exception(py: Python<'_>, e: quaver::Error) -> Py<PyAny> {
    PyErr::from(PyQuaverError(e)).into_value(py).into_any()
}

/// Register the exception classes on the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
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
    Ok(())
}

/// An InvalidArgumentError carrying its code.
pub(crate) fn invalid(msg: impl std::fmt::Display) -> PyErr {
    PyQuaverError(quaver::Error::invalid(msg)).into()
}

/// An InternalError carrying its code.
pub(crate) fn internal(msg: impl std::fmt::Display) -> PyErr {
    PyQuaverError(quaver::Error::Internal(msg.to_string())).into()
}
