//! The one error type of quaver. Every fallible function in every crate returns [`Error`]; the
//! bindings map it to their idiom (Python exception classes, JS `Error.code`, Kotlin/Swift
//! exceptions) through [`Error::code`].

use std::fmt;
use std::path::PathBuf;

/// Result alias used throughout quaver.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not audio quaver can read (unknown container, unsupported codec).
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// The input claims to be a known format but its data is broken.
    #[error("corrupt data{}: {reason}", fmt_offset(*.offset))]
    Corrupt {
        /// What is wrong.
        reason: String,
        /// Byte offset in the input where it was found, when known.
        offset: Option<u64>,
    },
    /// The input holds no audio frames at all (zero-length data, header only).
    #[error("no audio: {0}")]
    NoAudio(String),
    /// An I/O error, with the path involved when there is one.
    #[error("I/O error{}: {source}", fmt_path(.path))]
    Io {
        /// The file being read or written.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A caller-supplied argument or option is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The input exceeds a configured resource limit (see [`crate::Limits`]).
    #[error("limit exceeded: {what} is {value}, the limit is {limit}")]
    LimitExceeded {
        /// What was measured ("channels", "sample rate", "duration (s)", ...).
        what: &'static str,
        /// The value the input has or claims.
        value: u64,
        /// The configured limit.
        limit: u64,
    },
    /// The operation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// A bug in quaver or a dependency; please report it.
    #[error("internal error: {0}")]
    Internal(String),
}

fn fmt_offset(offset: Option<u64>) -> String {
    offset.map(|o| format!(" at byte {o}")).unwrap_or_default()
}

fn fmt_path(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!(" on {}", p.display()))
        .unwrap_or_default()
}

impl Error {
    /// A stable machine-readable code for this error kind (used as `err.code` in Node, the
    /// exception class in Python and the case name in Kotlin/Swift).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unsupported(_) => "UNSUPPORTED",
            Error::Corrupt { .. } => "CORRUPT",
            Error::NoAudio(_) => "NO_AUDIO",
            Error::Io { .. } => "IO",
            Error::InvalidArgument(_) => "INVALID_ARGUMENT",
            Error::LimitExceeded { .. } => "LIMIT_EXCEEDED",
            Error::Cancelled => "CANCELLED",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// Shorthand for [`Error::Corrupt`] without an offset.
    pub fn corrupt(reason: impl fmt::Display) -> Self {
        Error::Corrupt {
            reason: reason.to_string(),
            offset: None,
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(reason: impl fmt::Display) -> Self {
        Error::InvalidArgument(reason.to_string())
    }

    /// Attach a path to an I/O error.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: Some(path.into()),
            source,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
    }
}

impl From<symphonia::core::errors::Error> for Error {
    fn from(e: symphonia::core::errors::Error) -> Self {
        use symphonia::core::errors::Error as S;
        match e {
            S::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                Error::corrupt("unexpected end of data (truncated input)")
            }
            S::IoError(io) => Error::from(io),
            S::DecodeError(msg) => Error::corrupt(msg),
            S::SeekError(kind) => Error::corrupt(format!("seek failed: {kind:?}")),
            S::Unsupported(what) => Error::Unsupported(what.to_string()),
            S::LimitError(what) => Error::Corrupt {
                reason: format!("decoder limit: {what}"),
                offset: None,
            },
            S::ResetRequired => Error::Unsupported("stream parameters change mid-stream".into()),
        }
    }
}
