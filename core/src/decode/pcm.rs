//! WAV whose PCM data runs past what a 32-bit chunk size can state (more than 4 GiB of data):
//! a WAV written to a pipe (RIFF and `data` sizes 0xFFFFFFFF, the data running to the end of
//! the stream) or an RF64/BW64 file. symphonia 0.5's WAV reader stops at the 32-bit `data`
//! size, which silently cut a 10-hour stream at 6.8 hours, so these — and only these — are
//! read here. Hand-written because no crate reads them: the data is fixed-size frames of
//! integer or float samples, no codec.

use std::io::Read;

use super::source::Source;
use crate::error::{Error, Result};

/// Frames per chunk.
const CHUNK_FRAMES: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sample {
    U8,
    S16,
    S24,
    S32,
    F32,
    F64,
}

/// The format of a WAV this module reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PcmFormat {
    pub sample: Sample,
    pub channels: u32,
    pub sample_rate: u32,
    /// Bytes per frame.
    pub block: usize,
    /// Where the sample data starts.
    pub data_start: u64,
    /// Bytes of sample data: RF64's `ds64` size when it has one, else to the end of the input.
    pub data_len: u64,
}

impl PcmFormat {
    /// Codec short name as the symphonia path reports it (`pcm_s16le`, `pcm_f32le`, ...).
    pub fn codec(&self) -> &'static str {
        match self.sample {
            Sample::U8 => "pcm_u8",
            Sample::S16 => "pcm_s16le",
            Sample::S24 => "pcm_s24le",
            Sample::S32 => "pcm_s32le",
            Sample::F32 => "pcm_f32le",
            Sample::F64 => "pcm_f64le",
        }
    }

    /// Bits per sample.
    pub fn bits(&self) -> u32 {
        match self.sample {
            Sample::U8 => 8,
            Sample::S16 => 16,
            Sample::S24 => 24,
            Sample::S32 | Sample::F32 => 32,
            Sample::F64 => 64,
        }
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The format, if `head` is a RIFF/RF64/BW64 WAVE of plain integer or float PCM whose data
/// (from the `data` chunk to the end of a `file_len`-byte input) is longer than 4 GiB. Every
/// other WAV is left to symphonia.
pub(crate) fn detect(head: &[u8], file_len: u64) -> Option<PcmFormat> {
    let riff = head.starts_with(b"RIFF") || head.starts_with(b"RF64") || head.starts_with(b"BW64");
    if !riff || head.get(8..12) != Some(b"WAVE") {
        return None;
    }
    let mut fmt = None;
    let mut ds64_data: Option<u64> = None;
    let mut at = 12usize;
    for _ in 0..1000 {
        let id = head.get(at..at + 4)?;
        let size = le32(head, at + 4)? as usize;
        let body = at + 8;
        if id == b"ds64" {
            let lo = le32(head, body + 8)?;
            let hi = le32(head, body + 12)?;
            ds64_data = Some(u64::from(lo) | u64::from(hi) << 32);
        } else if id == b"fmt " {
            let tag = le16(head, body)?;
            let channels = u32::from(le16(head, body + 2)?);
            let sample_rate = le32(head, body + 4)?;
            let block = usize::from(le16(head, body + 12)?);
            let bits = le16(head, body + 14)?;
            // WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of the sub-format GUID.
            let tag = if tag == 0xFFFE && size >= 40 {
                le16(head, body + 24)?
            } else {
                tag
            };
            let sample = match (tag, bits) {
                (1, 8) => Sample::U8,
                (1, 16) => Sample::S16,
                (1, 24) => Sample::S24,
                (1, 32) => Sample::S32,
                (3, 32) => Sample::F32,
                (3, 64) => Sample::F64,
                _ => return None,
            };
            fmt = Some((sample, channels, sample_rate, block, bits));
        } else if id == b"data" {
            let (sample, channels, sample_rate, block, bits) = fmt?;
            let data_start = body as u64;
            let available = file_len.saturating_sub(data_start);
            let data_len = ds64_data.map_or(available, |d| d.min(available));
            if data_len <= u64::from(u32::MAX) {
                return None; // symphonia reads it whole
            }
            if channels == 0 || block != channels as usize * usize::from(bits / 8) {
                return None; // let the regular path report the inconsistency
            }
            return Some(PcmFormat {
                sample,
                channels,
                sample_rate,
                block,
                data_start,
                data_len,
            });
        }
        at = body.checked_add(size)?.checked_add(size & 1)?;
    }
    None
}

/// A streaming reader of such a WAV's samples, to the end of the input.
pub(crate) struct PcmWav {
    src: Source,
    fmt: PcmFormat,
    buf: Vec<u8>,
    /// Bytes of an incomplete frame carried over from the last read.
    carry: usize,
    /// Data bytes not read yet.
    left: u64,
    done: bool,
}

impl PcmWav {
    pub(crate) fn open(mut src: Source, fmt: PcmFormat) -> Result<Self> {
        use std::io::{Seek, SeekFrom};
        src.seek(SeekFrom::Start(fmt.data_start))
            .map_err(|e| Error::corrupt(format!("cannot reach the WAV data: {e}")))?;
        Ok(PcmWav {
            src,
            fmt,
            buf: vec![0; CHUNK_FRAMES * fmt.block],
            carry: 0,
            left: fmt.data_len,
            done: false,
        })
    }

    /// The next chunk of planar f32 into `out`; `Ok(None)` at the end of the input. A partial
    /// last frame is dropped.
    pub(crate) fn next(&mut self, out: &mut Vec<Vec<f32>>) -> Result<Option<()>> {
        if self.done {
            return Ok(None);
        }
        let mut filled = self.carry;
        let want = (self.buf.len() as u64).min(self.carry as u64 + self.left) as usize;
        if want < self.buf.len() {
            self.done = true;
        }
        while filled < want {
            match self.src.read(&mut self.buf[filled..want]) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(n) => {
                    filled += n;
                    self.left -= n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::corrupt(format!("reading WAV data: {e}"))),
            }
        }
        let block = self.fmt.block;
        let frames = filled / block;
        self.carry = filled % block;
        if frames == 0 {
            self.done = true;
            return Ok(None);
        }
        let ch = self.fmt.channels as usize;
        out.resize_with(ch, Vec::new);
        for (c, plane) in out.iter_mut().enumerate() {
            plane.clear();
            plane.reserve(frames);
            let width = block / ch;
            let bytes = self.buf[..frames * block]
                .chunks_exact(block)
                .map(|f| &f[c * width..(c + 1) * width]);
            match self.fmt.sample {
                Sample::U8 => plane.extend(bytes.map(|b| (f32::from(b[0]) - 128.0) / 128.0)),
                Sample::S16 => plane
                    .extend(bytes.map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)),
                Sample::S24 => plane.extend(bytes.map(|b| {
                    (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
                })),
                Sample::S32 => plane.extend(bytes.map(|b| {
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0
                })),
                Sample::F32 => {
                    plane.extend(bytes.map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                }
                Sample::F64 => plane.extend(
                    bytes.map(|b| f64::from_le_bytes(b[..8].try_into().expect("8 bytes")) as f32),
                ),
            }
        }
        // keep the partial frame for the next read
        let used = frames * block;
        self.buf.copy_within(used..used + self.carry, 0);
        Ok(Some(()))
    }
}
