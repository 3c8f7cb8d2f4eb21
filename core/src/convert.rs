//! A decoder with optional downmix and resampling applied on the fly: the stream most
//! consumers want (analysis at 22 050 Hz mono, encoders at 48 kHz, `quaver decode --rate`).

use serde::{Deserialize, Serialize};

use crate::buffer::{mix_to_mono, AudioBuffer};
use crate::decode::{AudioInfo, DecodeOptions, Decoder, Input};
use crate::error::Result;
use crate::resample::{Quality, Resampler};

/// What the decoded stream should look like.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConvertOptions {
    /// Output sample rate; `None` keeps the source rate.
    pub sample_rate: Option<u32>,
    /// Average all channels into one.
    pub mono: bool,
    /// Resampler preset.
    pub quality: Quality,
}

/// A streaming decoder that downmixes and resamples as it goes.
#[derive(Debug)]
pub struct ConvertingDecoder {
    decoder: Decoder,
    resampler: Option<Resampler>,
    mono: bool,
    out_rate: u32,
    chunk: AudioBuffer,
    done: bool,
}

impl ConvertingDecoder {
    /// Open `input` and set up the conversion.
    pub fn open(
        input: impl Into<Input>,
        decode: &DecodeOptions,
        convert: &ConvertOptions,
    ) -> Result<Self> {
        let decoder = Decoder::with_options(input, decode)?;
        Self::new(decoder, convert)
    }

    /// Wrap an already-open decoder.
    pub fn new(decoder: Decoder, convert: &ConvertOptions) -> Result<Self> {
        let info = decoder.info();
        let channels = if convert.mono {
            1
        } else {
            info.channels as usize
        };
        let out_rate = convert.sample_rate.unwrap_or(info.sample_rate);
        let resampler = if out_rate != info.sample_rate {
            Some(Resampler::new(
                info.sample_rate,
                out_rate,
                channels,
                convert.quality,
            )?)
        } else {
            None
        };
        let chunk = AudioBuffer::new(info.sample_rate, info.channels as usize);
        Ok(ConvertingDecoder {
            decoder,
            resampler,
            mono: convert.mono,
            out_rate,
            chunk,
            done: false,
        })
    }

    /// The source's facts (rate and channels before conversion).
    pub fn info(&self) -> &AudioInfo {
        self.decoder.info()
    }

    /// Output sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.out_rate
    }

    /// Output channel count.
    pub fn channels(&self) -> usize {
        if self.mono {
            1
        } else {
            self.decoder.info().channels as usize
        }
    }

    /// Non-fatal problems met so far.
    pub fn warnings(&self) -> &[String] {
        self.decoder.warnings()
    }

    /// Next converted chunk; `Ok(None)` at the end. Chunks may be empty while the resampler fills.
    pub fn next_chunk(&mut self) -> Result<Option<AudioBuffer>> {
        if self.done {
            return Ok(None);
        }
        let got = self.decoder.next_chunk_into(&mut self.chunk)?;
        let channels = if !got {
            self.done = true;
            match self.resampler.as_mut() {
                Some(r) => r.flush()?,
                None => return Ok(None),
            }
        } else {
            let planar = if self.mono {
                vec![mix_to_mono(&self.chunk.channels)]
            } else {
                std::mem::take(&mut self.chunk.channels)
            };
            match self.resampler.as_mut() {
                Some(r) => r.process(&planar)?,
                None => planar,
            }
        };
        Ok(Some(AudioBuffer {
            sample_rate: self.out_rate,
            channels,
        }))
    }

    /// Decode and convert everything into one buffer.
    pub fn read_all(mut self) -> Result<AudioBuffer> {
        let limits = self.decoder.limits().clone();
        let ch = self.channels();
        let in_rate = f64::from(self.decoder.info().sample_rate.max(1));
        let declared =
            (self.decoder.info().frames as f64 * f64::from(self.out_rate) / in_rate) as u64;
        limits.check_buffer(declared, ch)?;
        let mut out = AudioBuffer::new(self.out_rate, ch);
        while let Some(c) = self.next_chunk()? {
            limits.check_buffer((out.frames() + c.frames()) as u64, ch)?;
            out.append(&c)?;
        }
        Ok(out)
    }
}
