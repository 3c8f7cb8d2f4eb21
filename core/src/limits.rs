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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_channels: 32,
            max_sample_rate: 768_000,
            min_sample_rate: 1_000,
            max_duration_s: 86_400.0,
        }
    }
}

impl Limits {
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
