//! Chromaprint-compatible fingerprints (the AcoustID format), via `rusty-chromaprint`.
//!
//! The audio is decoded at its native rate and channel count and fed as 16-bit PCM, as `fpcalc`
//! does; the default algorithm (`TEST2`) and the default 120 s limit match `fpcalc`'s, and the
//! compressed fingerprint is base64url without padding, as `fpcalc` prints it and the AcoustID
//! lookup API takes it.

use quaver_core::decode::{DecodeOptions, Input};
use quaver_core::error::{Error, Result};
use quaver_core::ConvertingDecoder;
use rusty_chromaprint::{Configuration, FingerprintCompressor, Fingerprinter};
use serde::{Deserialize, Serialize};

/// A Chromaprint fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chromaprint {
    /// Duration of the whole input (s), as `fpcalc` reports it (whole seconds in its output).
    pub duration_s: f64,
    /// The compressed fingerprint, base64url without padding (`fpcalc`'s FINGERPRINT=).
    pub fingerprint: String,
    /// The raw 32-bit items (`fpcalc -raw`).
    pub raw: Vec<u32>,
}

/// Fingerprint the first `max_seconds` (`fpcalc -length`, default 120) of `input`.
pub fn chromaprint(input: impl Into<Input>, max_seconds: f64) -> Result<Chromaprint> {
    let mut dec = ConvertingDecoder::open(input, &DecodeOptions::default(), &Default::default())?;
    let rate = dec.sample_rate();
    let channels = dec.channels();
    let duration_s = dec.info().duration_s;
    let config = Configuration::preset_test2();
    let mut fp = Fingerprinter::new(&config);
    fp.start(rate, channels as u32)
        .map_err(|e| Error::invalid(format!("chromaprint: {e:?}")))?;
    let limit = if max_seconds > 0.0 {
        (max_seconds * rate as f64) as usize
    } else {
        usize::MAX
    };
    let mut done = 0usize;
    let mut pcm: Vec<i16> = Vec::new();
    while done < limit {
        let Some(chunk) = dec.next_chunk()? else {
            break;
        };
        let n = chunk.frames().min(limit - done);
        pcm.clear();
        for i in 0..n {
            for c in &chunk.channels {
                pcm.push((c[i] * 32768.0).round().clamp(-32768.0, 32767.0) as i16);
            }
        }
        fp.consume(&pcm);
        done += n;
    }
    fp.finish();
    let raw = fp.fingerprint().to_vec();
    let compressed = FingerprintCompressor::from(&config).compress(&raw);
    Ok(Chromaprint {
        duration_s,
        fingerprint: base64url(&compressed),
        raw,
    })
}

fn base64url(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::with_capacity(data.len() * 4 / 3 + 4);
    for ch in data.chunks(3) {
        let b = [ch[0], *ch.get(1).unwrap_or(&0), *ch.get(2).unwrap_or(&0)];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..=ch.len() {
            s.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64url_no_padding() {
        assert_eq!(super::base64url(b"f"), "Zg");
        assert_eq!(super::base64url(b"fo"), "Zm8");
        assert_eq!(super::base64url(b"foo"), "Zm9v");
        assert_eq!(super::base64url(&[0xfb, 0xff]), "-_8");
    }
}
