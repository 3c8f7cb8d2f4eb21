//! Where audio comes from: a path, bytes in memory, or any `Read + Seek`.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use symphonia::core::io::MediaSource;

use crate::error::{Error, Result};

/// Anything quaver can read audio from: `Read + Seek`, movable across threads.
pub trait ReadSeek: Read + Seek + Send + Sync {}
impl<T: Read + Seek + Send + Sync> ReadSeek for T {}

/// An audio input: a file path, bytes in memory, or a reader.
pub enum Input {
    /// A file on disk; its extension is used as a hint, never trusted over the content.
    Path(PathBuf),
    /// Encoded audio in memory.
    Bytes(Box<dyn AsRef<[u8]> + Send + Sync>),
    /// Any seekable reader, with an optional extension hint (`"mp3"`, `"flac"`, ...).
    Reader(Box<dyn ReadSeek>, Option<String>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Path(p) => write!(f, "Input::Path({})", p.display()),
            Input::Bytes(b) => write!(f, "Input::Bytes({} bytes)", (**b).as_ref().len()),
            Input::Reader(_, hint) => write!(f, "Input::Reader(hint={hint:?})"),
        }
    }
}

impl Input {
    /// Encoded audio held in memory (`Vec<u8>`, `Arc<[u8]>`, `bytes::Bytes`, ...).
    pub fn bytes(data: impl AsRef<[u8]> + Send + Sync + 'static) -> Self {
        Input::Bytes(Box::new(data))
    }

    /// A reader with an optional extension hint.
    pub fn reader(r: impl ReadSeek + 'static, hint: Option<&str>) -> Self {
        Input::Reader(Box::new(r), hint.map(str::to_owned))
    }

    /// A human-readable name for messages.
    pub fn describe(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes(b) => format!("<{} bytes in memory>", (**b).as_ref().len()),
            Input::Reader(..) => "<reader>".into(),
        }
    }

    pub(crate) fn open(self) -> Result<(Source, Option<String>)> {
        match self {
            Input::Path(p) => {
                let file = File::open(&p).map_err(|e| Error::io(&p, e))?;
                let meta = file.metadata().map_err(|e| Error::io(&p, e))?;
                if meta.is_dir() {
                    return Err(Error::invalid(format!("{} is a directory", p.display())));
                }
                let hint = p
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_lowercase);
                Ok((Source::new(Box::new(file))?, hint))
            }
            Input::Bytes(b) => Ok((Source::new(Box::new(Cursor::new(BytesRef(b))))?, None)),
            Input::Reader(r, hint) => Ok((Source::new(r)?, hint)),
        }
    }
}

impl From<&Path> for Input {
    fn from(p: &Path) -> Self {
        Input::Path(p.to_path_buf())
    }
}
impl From<PathBuf> for Input {
    fn from(p: PathBuf) -> Self {
        Input::Path(p)
    }
}
impl From<&PathBuf> for Input {
    fn from(p: &PathBuf) -> Self {
        Input::Path(p.clone())
    }
}
impl From<&str> for Input {
    fn from(p: &str) -> Self {
        Input::Path(PathBuf::from(p))
    }
}
impl From<String> for Input {
    fn from(p: String) -> Self {
        Input::Path(PathBuf::from(p))
    }
}
impl From<Vec<u8>> for Input {
    fn from(b: Vec<u8>) -> Self {
        Input::bytes(b)
    }
}

struct BytesRef(Box<dyn AsRef<[u8]> + Send + Sync>);
impl AsRef<[u8]> for BytesRef {
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

/// A seekable byte source with a known length, usable by symphonia and the Ogg reader.
pub(crate) struct Source {
    inner: Box<dyn ReadSeek>,
    len: u64,
    pos: u64,
    /// Bytes presented instead of the file's own (header repairs, see `guard::repair_wav`).
    patches: Vec<(u64, Vec<u8>)>,
}

impl Source {
    pub(crate) fn new(mut inner: Box<dyn ReadSeek>) -> Result<Self> {
        let start = inner.stream_position()?;
        let end = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(start))?;
        Ok(Source {
            inner,
            len: end,
            pos: start,
            patches: Vec::new(),
        })
    }

    /// Present `bytes` at `offset` instead of what the input holds there.
    pub(crate) fn patch(&mut self, offset: u64, bytes: Vec<u8>) {
        self.patches.push((offset, bytes));
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Read up to `n` bytes at `offset` without disturbing the logical position.
    pub(crate) fn peek_at(&mut self, offset: u64, n: usize) -> Result<Vec<u8>> {
        let pos = self.pos;
        self.seek(SeekFrom::Start(offset))?;
        let mut buf = Vec::with_capacity(n.min(1 << 20));
        self.take(n as u64).read_to_end(&mut buf)?;
        self.seek(SeekFrom::Start(pos))?;
        Ok(buf)
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (start, end) = (self.pos, self.pos + n as u64);
        for (off, bytes) in &self.patches {
            let (p0, p1) = (*off, *off + bytes.len() as u64);
            let (lo, hi) = (start.max(p0), end.min(p1));
            if lo < hi {
                buf[(lo - start) as usize..(hi - start) as usize]
                    .copy_from_slice(&bytes[(lo - p0) as usize..(hi - p0) as usize]);
            }
        }
        self.pos = end;
        Ok(n)
    }
}

impl Seek for Source {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(pos)?;
        Ok(self.pos)
    }
}

impl MediaSource for Source {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}
