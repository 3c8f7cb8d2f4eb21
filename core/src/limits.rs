//! Resource limits: what an input may claim or hold before quaver refuses it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Limits applied to untrusted input. The defaults admit any real music file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Most channels accepted (default 32).
    pub max_channels: u32,
    /// Highest sample rate accepted in Hz (default 768 000).
    pub max_sample_rate: u32,
    /// Lowest sample rate accepted in Hz (default 1 000).
    pub min_sample_rate: u32,
    /// Longest duration decoded, in seconds (default 24 hours).
    pub max_duration_s: f64,
    /// Per-call memory budget for whole-signal buffers, in bytes (default 4 GiB): the most a
    /// call that returns all the audio at once (`decode_all`, `read_all`, the bindings'
    /// `decode`) may hold as f32 samples. Checked against the declared length before the buffer
    /// is allocated and again as it grows (a header may lie). Streaming calls (`next_chunk`,
    /// analysis, encode, package, ingest) hold one chunk at a time and are not limited by it.
    /// 4 GiB holds 3.4 hours of 44.1 kHz stereo.
    pub max_buffer_bytes: u64,
    /// Most bytes one call may write (default 16 GiB): `ingest` bounds the size of everything
    /// it would write (downloads, ladder, waveforms) from the length and the configured
    /// bitrates before it writes anything, and stops with LIMIT_EXCEEDED if the decoded length
    /// outgrows the declared one past that bound. 16 GiB admits a 12-hour upload with the
    /// `hifi` ladder and both MP3 downloads.
    pub max_output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_channels: 32,
            max_sample_rate: 768_000,
            min_sample_rate: 1_000,
            max_duration_s: 86_400.0,
            max_buffer_bytes: 4 << 30,
            max_output_bytes: 16 << 30,
        }
    }
}

impl Limits {
    /// Check that a planar f32 buffer of `frames` × `channels` fits the memory budget
    /// ([`Limits::max_buffer_bytes`]).
    pub fn check_buffer(&self, frames: u64, channels: usize) -> Result<()> {
        let bytes = frames
            .saturating_mul(channels as u64)
            .saturating_mul(std::mem::size_of::<f32>() as u64);
        if bytes > self.max_buffer_bytes {
            return Err(Error::LimitExceeded {
                what: "decoded buffer (bytes; stream instead, or raise max_buffer_bytes)",
                value: bytes,
                limit: self.max_buffer_bytes,
            });
        }
        Ok(())
    }

    /// Check a stream's declared rate and channel count.
    pub fn check_stream(&self, sample_rate: u32, channels: u32) -> Result<()> {
        if sample_rate > self.max_sample_rate {
            return Err(Error::LimitExceeded {
                what: "sample rate (Hz)",
                value: sample_rate.into(),
                limit: self.max_sample_rate.into(),
            });
        }
        if sample_rate < self.min_sample_rate {
            return Err(Error::corrupt(format!(
                "implausible sample rate {sample_rate} Hz (the minimum accepted is {} Hz)",
                self.min_sample_rate
            )));
        }
        if channels > self.max_channels {
            return Err(Error::LimitExceeded {
                what: "channels",
                value: channels.into(),
                limit: self.max_channels.into(),
            });
        }
        Ok(())
    }
}
