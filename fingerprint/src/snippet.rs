//! A compact, serialisable query fingerprint: the query-density peaks of a short excerpt (a
//! microphone snippet), small enough to send to a server, which answers it with
//! [`crate::FingerprintIndex::query_peaks`] exactly as if it had the audio (speed / pitch /
//! tempo search included: the query side hashes at search time, so the peaks are what travel).
//!
//! Layout (little-endian): `b"QVFS"`, version `1` (u8), frames (u32), peak count (u32), then
//! per peak: the zig-zag varint delta of `round(t * 64)` from the previous peak, `round(f *
//! 256)` (u16) and `round(salience * 4)` (u8, saturating). About 4 bytes a peak, ~40 peaks a
//! second: a 10 s snippet is under 2 KB. Quantisation is far below the matcher's tolerances
//! (1/64 frame in time, 1/256 bin in frequency).

use quaver_core::error::{Error, Result};

use crate::extract::{extract_peaks, ExtractConfig, Peak, FRAME_SECONDS, N_BINS};

/// First bytes of every snippet.
pub const MAGIC: &[u8; 4] = b"QVFS";
/// Format version written.
pub const VERSION: u8 = 1;
const HEADER: usize = 4 + 1 + 4 + 4;
const T_SCALE: f32 = 64.0;
const F_SCALE: f32 = 256.0;
const S_SCALE: f32 = 4.0;

/// The query peaks of an excerpt and its length.
#[derive(Clone, Debug, PartialEq)]
pub struct Snippet {
    /// Query-density peaks (see [`ExtractConfig::QUERY`]).
    pub peaks: Vec<Peak>,
    /// Frames analysed (hops of [`crate::extract::HOP`] samples at 8 kHz).
    pub frames: u32,
}

impl Snippet {
    /// The snippet of mono PCM at [`crate::SAMPLE_RATE`].
    pub fn from_pcm(samples: &[f32]) -> Self {
        let (peaks, frames) = extract_peaks(samples, ExtractConfig::QUERY_PEAKS);
        Snippet { peaks, frames }
    }

    /// Duration of the excerpt (s).
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 * FRAME_SECONDS
    }

    /// The compact bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.peaks.len() * 4);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.frames.to_le_bytes());
        out.extend_from_slice(&(self.peaks.len() as u32).to_le_bytes());
        let mut prev = 0i64;
        for p in &self.peaks {
            let t = (p.t.max(0.0) * T_SCALE).round() as i64;
            write_varint(&mut out, zigzag(t - prev));
            prev = t;
            let f = (p.f.clamp(0.0, N_BINS as f32) * F_SCALE).round() as u16;
            out.extend_from_slice(&f.to_le_bytes());
            out.push((p.salience.max(0.0) * S_SCALE).round().min(255.0) as u8);
        }
        out
    }

    /// Parse bytes written by [`Snippet::to_bytes`]; anything else is a `Corrupt` error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < HEADER || &bytes[..4] != MAGIC {
            return Err(Error::corrupt("not a quaver fingerprint snippet"));
        }
        if bytes[4] != VERSION {
            return Err(Error::Unsupported(format!(
                "fingerprint snippet version {} (this build reads {VERSION})",
                bytes[4]
            )));
        }
        let u32_at =
            |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let frames = u32_at(5);
        let count = u32_at(9) as usize;
        // Every peak takes at least 4 bytes: a count the data cannot hold is corrupt (and
        // never drives a huge allocation).
        if count > (bytes.len() - HEADER) / 4 {
            return Err(Error::corrupt(format!(
                "fingerprint snippet claims {count} peaks in {} bytes",
                bytes.len()
            )));
        }
        let mut peaks = Vec::with_capacity(count);
        let mut pos = HEADER;
        let mut t = 0i64;
        let max_t = (i64::from(frames) + 1) * T_SCALE as i64;
        for _ in 0..count {
            let (d, used) = read_varint(&bytes[pos..])
                .ok_or_else(|| Error::corrupt("fingerprint snippet truncated"))?;
            pos += used;
            t = t.saturating_add(unzigzag(d));
            if !(0..=max_t).contains(&t) || pos + 3 > bytes.len() {
                return Err(Error::corrupt(format!(
                    "fingerprint snippet peak outside its {frames} frames, or truncated"
                )));
            }
            let f = u16::from_le_bytes([bytes[pos], bytes[pos + 1]]) as f32 / F_SCALE;
            if f > N_BINS as f32 {
                return Err(Error::corrupt("fingerprint snippet peak above the top bin"));
            }
            peaks.push(Peak {
                t: t as f32 / T_SCALE,
                f,
                salience: bytes[pos + 2] as f32 / S_SCALE,
            });
            pos += 3;
        }
        if pos != bytes.len() {
            return Err(Error::corrupt(format!(
                "{} stray bytes after the fingerprint snippet",
                bytes.len() - pos
            )));
        }
        Ok(Snippet { peaks, frames })
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(seconds: f32) -> Vec<f32> {
        let n = (seconds * crate::SAMPLE_RATE as f32) as usize;
        (0..n)
            .map(|i| {
                let t = i as f32 / crate::SAMPLE_RATE as f32;
                let f = 300.0 + 200.0 * ((t * 3.0).floor() % 7.0);
                0.5 * (2.0 * std::f32::consts::PI * f * t).sin()
            })
            .collect()
    }

    #[test]
    fn round_trip_within_quantisation() {
        let s = Snippet::from_pcm(&tones(5.0));
        assert!(!s.peaks.is_empty());
        let bytes = s.to_bytes();
        assert!(bytes.len() < HEADER + s.peaks.len() * 5);
        let back = Snippet::from_bytes(&bytes).unwrap();
        assert_eq!(back.frames, s.frames);
        assert_eq!(back.peaks.len(), s.peaks.len());
        for (a, b) in s.peaks.iter().zip(&back.peaks) {
            assert!((a.t - b.t).abs() <= 0.5 / T_SCALE + 1e-4);
            assert!((a.f - b.f).abs() <= 0.5 / F_SCALE + 1e-4);
        }
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn rejects_garbage_truncation_and_lies() {
        let bytes = Snippet::from_pcm(&tones(3.0)).to_bytes();
        assert!(Snippet::from_bytes(b"RIFF....").is_err());
        assert!(Snippet::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let mut lie = bytes.clone();
        lie[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Snippet::from_bytes(&lie).is_err());
        let mut v2 = bytes.clone();
        v2[4] = 2;
        assert!(matches!(
            Snippet::from_bytes(&v2),
            Err(Error::Unsupported(_))
        ));
        let mut extra = bytes;
        extra.push(0);
        assert!(Snippet::from_bytes(&extra).is_err());
    }
}
