//! MP4 edit lists. Symphonia 0.5 parses `elst` but does not apply it, so AAC priming (usually
//! 1024 or 2112 frames) would be left in the output; this reads the audio track's first edit so
//! the decoder can trim exactly as ffmpeg and Apple's players do. Hand-written because it needs
//! only four box types and must not load the whole `moov` into memory.

use std::io::{Read, Seek, SeekFrom};

use crate::error::Result;

/// The audio track's gapless window, in output frames.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct EditWindow {
    /// Frames to drop at the start (priming).
    pub skip: u64,
    /// Frames to keep after that, when the edit states it.
    pub keep: Option<u64>,
}

impl EditWindow {
    /// The range of the next `n` decoded frames to keep (advancing the window), or `None`
    /// when none of them is kept.
    pub fn take(&mut self, n: usize) -> Option<(usize, usize)> {
        let mut start = 0usize;
        let mut end = n;
        if self.skip > 0 {
            let s = (self.skip as usize).min(n);
            self.skip -= s as u64;
            start = s;
        }
        if let Some(k) = self.keep.as_mut() {
            end = end.min(start + *k as usize);
            *k -= (end - start) as u64;
        }
        (end > start).then_some((start, end))
    }
}

struct BoxHeader {
    kind: [u8; 4],

    end: u64,
    body: u64,
}

fn read_header<R: Read + Seek>(r: &mut R, pos: u64, limit: u64) -> Option<BoxHeader> {
    if pos + 8 > limit {
        return None;
    }
    r.seek(SeekFrom::Start(pos)).ok()?;
    let mut h = [0u8; 8];
    r.read_exact(&mut h).ok()?;
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
    let kind = [h[4], h[5], h[6], h[7]];
    let (size, body) = match size32 {
        0 => (limit - pos, pos + 8),
        1 => {
            let mut l = [0u8; 8];
            r.read_exact(&mut l).ok()?;
            (u64::from_be_bytes(l), pos + 16)
        }
        n => (n, pos + 8),
    };
    let end = pos.checked_add(size)?;
    if size < 8 || end > limit || body > end {
        return None;
    }
    Some(BoxHeader { kind, end, body })
}

fn children<R: Read + Seek>(r: &mut R, start: u64, end: u64) -> Vec<BoxHeader> {
    let mut out = Vec::new();
    let mut pos = start;
    while let Some(b) = read_header(r, pos, end) {
        pos = b.end;
        out.push(b);
        if out.len() > 4096 {
            break;
        }
    }
    out
}

fn read_body<R: Read + Seek>(r: &mut R, b: &BoxHeader, max: u64) -> Option<Vec<u8>> {
    let n = (b.end - b.body).min(max);
    r.seek(SeekFrom::Start(b.body)).ok()?;
    let mut v = vec![0u8; n as usize];
    r.read_exact(&mut v).ok()?;
    Some(v)
}

fn be32(b: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as u64)
}
fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// mvhd/mdhd timescale (version 0 or 1 layout).
fn timescale(body: &[u8]) -> Option<u64> {
    match body.first()? {
        1 => be32(body, 20),
        _ => be32(body, 12),
    }
}

/// The first audio track's first non-empty edit, in the file's own timescales.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RawEdit {
    media_time: u64,
    media_ts: u64,
    segment: u64,
    movie_ts: u64,
}

impl RawEdit {
    /// The edit in output frames at `sample_rate`.
    pub(crate) fn window(&self, sample_rate: u32) -> EditWindow {
        let sr = u128::from(sample_rate);
        let skip = (u128::from(self.media_time) * sr / u128::from(self.media_ts)) as u64;
        let keep = (self.segment > 0).then(|| {
            ((u128::from(self.segment) * sr + u128::from(self.movie_ts) / 2)
                / u128::from(self.movie_ts)) as u64
        });
        EditWindow { skip, keep }
    }
}

/// Find the first audio track's edit. Returns `None` when the file has no usable edit list
/// (then nothing is trimmed).
pub(crate) fn audio_edit<R: Read + Seek>(r: &mut R, len: u64) -> Result<Option<RawEdit>> {
    let start = r.stream_position()?;
    let found = find(r, len);
    r.seek(SeekFrom::Start(start))?;
    Ok(found)
}

fn find<R: Read + Seek>(r: &mut R, len: u64) -> Option<RawEdit> {
    let moov = children(r, 0, len)
        .into_iter()
        .find(|b| &b.kind == b"moov")?;
    let moov_kids = children(r, moov.body, moov.end);
    let mvhd = moov_kids.iter().find(|b| &b.kind == b"mvhd")?;
    let movie_ts = timescale(&read_body(r, mvhd, 64)?)?;
    for trak in moov_kids.iter().filter(|b| &b.kind == b"trak") {
        let kids = children(r, trak.body, trak.end);
        let Some(mdia) = kids.iter().find(|b| &b.kind == b"mdia") else {
            continue;
        };
        let mdia_kids = children(r, mdia.body, mdia.end);
        let is_audio = mdia_kids
            .iter()
            .find(|b| &b.kind == b"hdlr")
            .and_then(|h| read_body(r, h, 16))
            .is_some_and(|h| h.get(8..12) == Some(b"soun"));
        if !is_audio {
            continue;
        }
        let media_ts = mdia_kids
            .iter()
            .find(|b| &b.kind == b"mdhd")
            .and_then(|h| read_body(r, h, 64))
            .and_then(|b| timescale(&b))?;
        let edts = kids.iter().find(|b| &b.kind == b"edts")?;
        let elst = children(r, edts.body, edts.end)
            .into_iter()
            .find(|b| &b.kind == b"elst")?;
        let body = read_body(r, &elst, 8 + 20 * 64)?;
        let version = *body.first()?;
        let count = be32(&body, 4)? as usize;
        let entry_len = if version == 1 { 20 } else { 12 };
        for i in 0..count.min(64) {
            let at = 8 + i * entry_len;
            let (seg, media_time) = if version == 1 {
                (be64(&body, at)?, be64(&body, at + 8)? as i64)
            } else {
                (be32(&body, at)?, be32(&body, at + 4)? as u32 as i32 as i64)
            };
            if media_time < 0 {
                continue; // an empty edit (presentation delay): nothing to trim
            }
            if movie_ts == 0 || media_ts == 0 {
                return None;
            }
            return Some(RawEdit {
                media_time: media_time as u64,
                media_ts,
                segment: seg,
                movie_ts,
            });
        }
        return None;
    }
    None
}
