//! Planar f32 audio, the currency of every quaver stage.

use crate::error::{Error, Result};

/// Planar 32-bit float audio: one `Vec<f32>` per channel, all the same length, nominally in
/// `[-1.0, 1.0]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AudioBuffer {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// One vector of samples per channel.
    pub channels: Vec<Vec<f32>>,
}

impl AudioBuffer {
    /// An empty buffer with `channels` channels.
    pub fn new(sample_rate: u32, channels: usize) -> Self {
        AudioBuffer {
            sample_rate,
            channels: vec![Vec::new(); channels],
        }
    }

    /// Build from planar channel vectors; they must all have the same length.
    pub fn from_planar(sample_rate: u32, channels: Vec<Vec<f32>>) -> Result<Self> {
        if sample_rate == 0 {
            return Err(Error::invalid("sample rate must be > 0"));
        }
        if channels.is_empty() {
            return Err(Error::invalid("at least one channel is required"));
        }
        let n = channels[0].len();
        if channels.iter().any(|c| c.len() != n) {
            return Err(Error::invalid("all channels must have the same length"));
        }
        Ok(AudioBuffer {
            sample_rate,
            channels,
        })
    }

    /// Build from interleaved samples.
    pub fn from_interleaved(
        sample_rate: u32,
        num_channels: usize,
        samples: &[f32],
    ) -> Result<Self> {
        if num_channels == 0 || samples.len() % num_channels != 0 {
            return Err(Error::invalid(format!(
                "{} interleaved samples do not divide into {num_channels} channels",
                samples.len()
            )));
        }
        let frames = samples.len() / num_channels;
        let mut channels = vec![Vec::with_capacity(frames); num_channels];
        for frame in samples.chunks_exact(num_channels) {
            for (c, s) in channels.iter_mut().zip(frame) {
                c.push(*s);
            }
        }
        AudioBuffer::from_planar(sample_rate, channels)
    }

    /// Number of channels.
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        if self.sample_rate == 0 {
            0.0
        } else {
            self.frames() as f64 / f64::from(self.sample_rate)
        }
    }

    /// True when the buffer holds no frames.
    pub fn is_empty(&self) -> bool {
        self.frames() == 0
    }

    /// Append another buffer's frames (same rate and channel count).
    pub fn append(&mut self, other: &AudioBuffer) -> Result<()> {
        if other.num_channels() != self.num_channels() {
            return Err(Error::invalid(
                "cannot append buffers with different channel counts",
            ));
        }
        for (a, b) in self.channels.iter_mut().zip(&other.channels) {
            a.extend_from_slice(b);
        }
        Ok(())
    }

    /// Interleave into one vector (`frame0ch0, frame0ch1, ...`).
    pub fn interleaved(&self) -> Vec<f32> {
        let (n, c) = (self.frames(), self.num_channels());
        let mut out = Vec::with_capacity(n * c);
        for i in 0..n {
            for ch in &self.channels {
                out.push(ch[i]);
            }
        }
        out
    }

    /// Average all channels into one (equal weights, the usual analysis downmix).
    pub fn to_mono(&self) -> AudioBuffer {
        AudioBuffer {
            sample_rate: self.sample_rate,
            channels: vec![mix_to_mono(&self.channels)],
        }
    }
}

/// Average planar channels into one channel with equal weights.
pub fn mix_to_mono(channels: &[Vec<f32>]) -> Vec<f32> {
    match channels.len() {
        0 => Vec::new(),
        1 => channels[0].clone(),
        n => {
            let scale = 1.0 / n as f32;
            let mut out = channels[0].clone();
            for ch in &channels[1..] {
                for (o, s) in out.iter_mut().zip(ch) {
                    *o += *s;
                }
            }
            out.iter_mut().for_each(|o| *o *= scale);
            out
        }
    }
}
