//! Header checks made before symphonia sees the input. Symphonia 0.5 panics on some forged
//! headers (a 0 Hz WAV or an infinite AIFF rate builds a `TimeBase` with a zero denominator)
//! and allocates whatever an ID3v2 header claims; these checks turn such inputs into typed
//! errors first. The symphonia calls are additionally wrapped in `catch_unwind` (symph.rs).

use crate::error::{Error, Result};
use crate::limits::Limits;

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}
fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn check_format(rate: f64, channels: u32, bits: u32, limits: &Limits, what: &str) -> Result<()> {
    if channels == 0 {
        return Err(Error::corrupt(format!(
            "{what}: the header declares 0 channels"
        )));
    }
    if channels > limits.max_channels {
        return Err(Error::LimitExceeded {
            what: "channels",
            value: channels.into(),
            limit: limits.max_channels.into(),
        });
    }
    if !rate.is_finite() || rate < f64::from(limits.min_sample_rate) {
        return Err(Error::corrupt(format!(
            "{what}: implausible sample rate {rate} Hz"
        )));
    }
    if rate > f64::from(limits.max_sample_rate) {
        return Err(Error::LimitExceeded {
            what: "sample rate (Hz)",
            value: rate.min(u64::MAX as f64) as u64,
            limit: limits.max_sample_rate.into(),
        });
    }
    if bits == 0 || bits > 64 {
        return Err(Error::corrupt(format!(
            "{what}: invalid bits per sample {bits}"
        )));
    }
    Ok(())
}

/// Check the headers that symphonia would otherwise trust. `head` is the first 64 KiB.
pub(crate) fn check_headers(
    container: Option<&str>,
    head: &[u8],
    file_len: u64,
    limits: &Limits,
) -> Result<()> {
    // Symphonia reads a leading ID3v2 tag whatever the container turns out to be.
    // Symphonia's probe scans for the first marker it knows, reads an ID3v2 tag there and
    // probes again after it; follow it the same way (junk may precede a marker: fuzz-found
    // "RF64ID3…" and "BW64fLaC…").
    let mut at = 0usize;
    for _ in 0..4 {
        let Some((marker, pos)) = first_marker(&head[at.min(head.len())..]) else {
            break;
        };
        let here = &head[at + pos..];
        let left = file_len.saturating_sub((at + pos) as u64);
        match marker {
            Marker::Id3 => {
                check_id3(here, left)?;
                let size = here.get(6..10).map_or(0, |s| {
                    s.iter()
                        .fold(0usize, |a, &b| (a << 7) | usize::from(b & 0x7f))
                        + 10
                });
                at += pos + size.max(3);
            }
            Marker::Flac => {
                check_flac(here, left)?;
                break;
            }
            Marker::Other => break,
        }
    }
    match container {
        Some("wav") => check_wav(head, limits),
        Some("aiff") => check_aiff(head, limits),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    Id3,
    Flac,
    Other,
}

/// Second bytes of the sync-word markers symphonia 0.5 registers with the features we build:
/// MP3 (MPEG 1/2/2.5, with and without CRC) and ADTS AAC. Other `0xFF 0xEx` pairs are not
/// markers (fuzz-found: `FF E0` before `fLaC` must not hide the FLAC header from the check).
const SYNC_SECOND: [u8; 7] = [0xfa, 0xfb, 0xf2, 0xf3, 0xe2, 0xe3, 0xf1];

/// The first format marker symphonia's probe would lock onto in `b`, and where: ID3v2, fLaC,
/// or another one it knows (RIFF, FORM, OggS, ftyp, caff, EBML, an MP3 / ADTS sync word).
fn first_marker(b: &[u8]) -> Option<(Marker, usize)> {
    const OTHERS: [&[u8]; 6] = [
        b"RIFF",
        b"FORM",
        b"OggS",
        b"ftyp",
        b"caff",
        b"\x1a\x45\xdf\xa3",
    ];
    (0..b.len()).find_map(|i| {
        let w = &b[i..];
        if w.starts_with(b"ID3") {
            Some((Marker::Id3, i))
        } else if w.starts_with(b"fLaC") {
            Some((Marker::Flac, i))
        } else if OTHERS.iter().any(|m| w.starts_with(m))
            || (w.len() >= 2 && w[0] == 0xff && SYNC_SECOND.contains(&w[1]))
        {
            Some((Marker::Other, i))
        } else {
            None
        }
    })
}

/// Symphonia 0.5 allocates a Vorbis comment's or a picture's declared length before reading it
/// (`vec![0; len]`): a 40 KB FLAC claiming a 3 GB comment allocated 3 GB (found by the decode
/// fuzz target). Every length field visible in the first 64 KiB must fit in what holds it.
fn check_flac(head: &[u8], file_len: u64) -> Result<()> {
    // Symphonia's probe scans for the marker, so junk may precede it (fuzz-found: "BW64fLaC").
    let Some(start) = head.windows(4).position(|w| w == b"fLaC") else {
        return Ok(());
    };
    let mut at = start + 4;
    while let Some(h) = head.get(at..at + 4) {
        let (last, kind) = (h[0] & 0x80 != 0, h[0] & 0x7f);
        let len = (usize::from(h[1]) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
        let body_at = at + 4;
        if (body_at + len) as u64 > file_len {
            return Err(Error::Corrupt {
                reason: format!("FLAC metadata block of {len} bytes runs past the end of the file"),
                offset: Some(at as u64),
            });
        }
        let body = &head[body_at.min(head.len())..(body_at + len).min(head.len())];
        let complete = body.len() == len;
        match kind {
            4 => check_vorbis_comment(body, len as u64, complete, (body_at) as u64)?,
            6 => check_flac_picture(body, len as u64, body_at as u64)?,
            _ => {}
        }
        if last {
            break;
        }
        at = body_at + len;
    }
    Ok(())
}

fn too_long(what: &str, claim: u64, room: u64, offset: u64) -> Error {
    Error::Corrupt {
        reason: format!("{what} claims {claim} bytes where {room} remain"),
        offset: Some(offset),
    }
}

/// Vendor string and comments of a Vorbis comment body (`body` may be a prefix of the
/// `total`-byte structure when `complete` is false).
fn check_vorbis_comment(body: &[u8], total: u64, complete: bool, offset: u64) -> Result<()> {
    let mut at = 0usize;
    let Some(vendor) = le32(body, at) else {
        return Ok(());
    };
    let room = total.saturating_sub(4);
    if u64::from(vendor) > room {
        return Err(too_long(
            "Vorbis comment vendor string",
            vendor.into(),
            room,
            offset,
        ));
    }
    at += 4 + vendor as usize;
    let Some(count) = le32(body, at) else {
        return Ok(());
    };
    at += 4;
    for _ in 0..count {
        let Some(n) = le32(body, at) else {
            if complete && (at as u64) < total {
                return Err(too_long(
                    "Vorbis comment count",
                    count.into(),
                    total,
                    offset,
                ));
            }
            return Ok(());
        };
        let room = total.saturating_sub(at as u64 + 4);
        if u64::from(n) > room {
            return Err(too_long(
                "Vorbis comment",
                n.into(),
                room,
                offset + at as u64,
            ));
        }
        at += 4 + n as usize;
    }
    Ok(())
}

/// FLAC PICTURE block: MIME type, description and data lengths.
fn check_flac_picture(body: &[u8], total: u64, offset: u64) -> Result<()> {
    let mut at = 4usize; // picture type
    for what in ["FLAC picture MIME type", "FLAC picture description"] {
        let Some(n) = be32(body, at) else {
            return Ok(());
        };
        let room = total.saturating_sub(at as u64 + 4);
        if u64::from(n) > room {
            return Err(too_long(what, n.into(), room, offset + at as u64));
        }
        at += 4 + n as usize;
    }
    at += 16; // width, height, depth, colours
    if let Some(n) = be32(body, at) {
        let room = total.saturating_sub(at as u64 + 4);
        if u64::from(n) > room {
            return Err(too_long(
                "FLAC picture data",
                n.into(),
                room,
                offset + at as u64,
            ));
        }
    }
    Ok(())
}

fn check_wav(head: &[u8], limits: &Limits) -> Result<()> {
    let mut at = 12usize;
    for _ in 0..1024 {
        let (Some(id), Some(size)) = (head.get(at..at + 4), le32(head, at + 4)) else {
            return Ok(());
        };
        if id == b"fmt " {
            let b = at + 8;
            let (Some(channels), Some(rate), Some(block_align), Some(bits)) = (
                le16(head, b + 2),
                le32(head, b + 4),
                le16(head, b + 12),
                le16(head, b + 14),
            ) else {
                return Err(Error::corrupt("wav: the fmt chunk is truncated"));
            };
            check_format(f64::from(rate), channels, bits, limits, "wav")?;
            if block_align == 0 {
                return Err(Error::corrupt("wav: block align is 0"));
            }
            return Ok(());
        }
        if id == b"data" {
            return Err(Error::corrupt(
                "wav: the data chunk comes before any fmt chunk",
            ));
        }
        at = match at
            .checked_add(8)
            .and_then(|a| a.checked_add(size as usize + (size as usize & 1)))
        {
            Some(a) => a,
            None => return Ok(()),
        };
    }
    Ok(())
}

/// IEEE 754 80-bit extended (AIFF's sample rate) to f64; infinities and NaN pass through.
fn extended_to_f64(b: &[u8]) -> f64 {
    let sign = if b[0] & 0x80 != 0 { -1.0 } else { 1.0 };
    let exp = (i32::from(b[0] & 0x7f) << 8) | i32::from(b[1]);
    let mant = u64::from_be_bytes(b[2..10].try_into().unwrap());
    if exp == 0x7fff {
        return f64::INFINITY;
    }
    if exp == 0 && mant == 0 {
        return 0.0;
    }
    sign * (mant as f64) * 2f64.powi(exp - 16383 - 63)
}

fn check_aiff(head: &[u8], limits: &Limits) -> Result<()> {
    let mut at = 12usize;
    for _ in 0..1024 {
        let (Some(id), Some(size)) = (head.get(at..at + 4), be32(head, at + 4)) else {
            return Ok(());
        };
        if id == b"COMM" {
            let b = at + 8;
            let (Some(channels), Some(bits), Some(rate)) =
                (be16(head, b), be16(head, b + 6), head.get(b + 8..b + 18))
            else {
                return Err(Error::corrupt("aiff: the COMM chunk is truncated"));
            };
            return check_format(extended_to_f64(rate), channels, bits, limits, "aiff");
        }
        at = match at
            .checked_add(8)
            .and_then(|a| a.checked_add(size as usize + (size as usize & 1)))
        {
            Some(a) => a,
            None => return Ok(()),
        };
    }
    Ok(())
}

fn check_id3(head: &[u8], file_len: u64) -> Result<()> {
    let Some(s) = head.get(6..10) else {
        return Ok(());
    };
    if s.iter().any(|b| b & 0x80 != 0) {
        return Err(Error::corrupt(
            "ID3v2: the tag size is not a syncsafe integer",
        ));
    }
    let size = s.iter().fold(0u64, |acc, &b| (acc << 7) | u64::from(b)) + 10;
    if size > file_len {
        return Err(Error::Corrupt {
            reason: format!("ID3v2: the tag claims {size} bytes but the file holds {file_len}"),
            offset: Some(6),
        });
    }
    check_id3_frames(head, size as usize)
}

/// Symphonia 0.5 allocates an ID3v2 frame's declared size before reading it: a 180-byte file
/// whose v2.3 frame claimed 4 GB allocated 4 GB (found by the decode fuzz target). Every frame
/// header visible in the first 64 KiB must declare a size that fits in the tag.
fn check_id3_frames(head: &[u8], tag_end: usize) -> Result<()> {
    let (major, flags) = (
        head.get(3).copied().unwrap_or(0),
        head.get(5).copied().unwrap_or(0),
    );
    if flags & 0x80 != 0 {
        return Ok(()); // unsynchronised tag: frame sizes are not plain; symphonia bounds these
    }
    let mut at = 10usize;
    if flags & 0x40 != 0 {
        // Extended header: v2.3 size excludes its 4 size bytes, v2.4 is syncsafe and includes.
        let Some(ext) = be32(head, 10) else {
            return Ok(());
        };
        let ext = if major >= 4 {
            syncsafe(ext) as usize
        } else {
            ext as usize + 4
        };
        at = at.saturating_add(ext);
    }
    let (header, id_len) = if major == 2 {
        (6usize, 3usize)
    } else {
        (10, 4)
    };
    while at + header <= tag_end.min(head.len()) {
        let id = &head[at..at + id_len];
        if id.iter().all(|&b| b == 0) {
            break; // padding
        }
        let size = match major {
            2 => {
                (usize::from(head[at + 3]) << 16)
                    | (usize::from(head[at + 4]) << 8)
                    | usize::from(head[at + 5])
            }
            3 => be32(head, at + 4).unwrap_or(0) as usize,
            _ => syncsafe(be32(head, at + 4).unwrap_or(0)) as usize,
        };
        let room = tag_end.saturating_sub(at + header);
        if size > room {
            return Err(Error::Corrupt {
                reason: format!(
                    "ID3v2: frame {} claims {size} bytes where the tag has {room} left",
                    String::from_utf8_lossy(id)
                ),
                offset: Some(at as u64),
            });
        }
        at += header + size;
    }
    Ok(())
}

fn syncsafe(v: u32) -> u32 {
    ((v & 0x7f00_0000) >> 3) | ((v & 0x007f_0000) >> 2) | ((v & 0x0000_7f00) >> 1) | (v & 0x7f)
}

/// Header repairs for WAV files that streaming writers and broken tools produce, so the decoder
/// reads what the data really holds: a RIFF size that disagrees with the file (too small, or
/// 0xFFFFFFFF from a pipe), a `data` size past the end of the file, and RF64 (whose real sizes
/// live in a `ds64` chunk symphonia 0.5 does not read). Returns `(offset, bytes)` patches for
/// the source; the file itself is never modified.
pub(crate) fn repair_wav(head: &[u8], file_len: u64) -> Vec<(u64, Vec<u8>)> {
    let is_rf64 = head.starts_with(b"RF64") || head.starts_with(b"BW64");
    if !(head.starts_with(b"RIFF") || is_rf64) || head.get(8..12) != Some(b"WAVE") {
        return Vec::new();
    }
    let mut patches = Vec::new();
    if is_rf64 {
        patches.push((0, b"RIFF".to_vec()));
    }
    // RIFF size: whatever the header says, the chunk ends with the file.
    let riff = (file_len.saturating_sub(8)).min(u64::from(u32::MAX)) as u32;
    if le32(head, 4) != Some(riff) {
        patches.push((4, riff.to_le_bytes().to_vec()));
    }
    let mut at = 12usize;
    for _ in 0..100_000 {
        let (Some(id), Some(size)) = (head.get(at..at + 4), le32(head, at + 4)) else {
            break;
        };
        if id == b"data" {
            let available = file_len.saturating_sub(at as u64 + 8);
            // Larger than the file (or RF64's 0xFFFFFFFF placeholder): read to the end of file.
            let fixed = if is_rf64 || u64::from(size) > available {
                available.min(u64::from(u32::MAX)) as u32
            } else {
                size
            };
            if fixed != size {
                patches.push((at as u64 + 4, fixed.to_le_bytes().to_vec()));
            }
            break;
        }
        at = match at
            .checked_add(8)
            .and_then(|a| a.checked_add(size as usize + (size as usize & 1)))
        {
            Some(a) => a,
            None => break,
        };
    }
    patches
}
