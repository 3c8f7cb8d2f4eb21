//! Waveform peaks for players: min/max pairs per pixel, in BBC audiowaveform's data model and
//! file formats, so peaks.js and waveform-data.js read them unchanged.
//!
//! The computation follows audiowaveform's `WaveformGenerator` exactly: every sample is taken
//! as a 16-bit integer (`round(x · 32768)`, clamped to −32768..=32767; exact for 16-bit
//! sources), a merged (mono) waveform averages the channels' integers per frame with C
//! integer division (truncation toward zero), and every `samples_per_pixel` frames close one
//! min/max pair per output channel (a shorter last pixel keeps what it has). 8-bit output is
//! the 16-bit value divided by 256, truncated, as audiowaveform writes it.
//!
//! Formats ([`Waveform::to_dat`], [`Waveform::to_json`]; byte layout of audiowaveform's
//! `doc/DataFormat.md`): `.dat` version 1 (one channel) and 2 (adds a channel count),
//! little-endian header `i32 version, u32 flags (bit 0: 8-bit), i32 sample_rate,
//! i32 samples_per_pixel, u32 length[, i32 channels]` followed by `i8`/`i16` min/max pairs
//! interleaved per channel; JSON `{"version", "channels", "sample_rate", "samples_per_pixel",
//! "bits", "length", "data"}`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::render::{self, RenderOptions};
use super::{Analysis, Analyzer, StreamInfo};
use crate::buffer::AudioBuffer;
use crate::error::{Error, Result};
use crate::output::write_atomic;

/// Options for waveform peaks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WaveformOptions {
    /// Frames per min/max pair at the main zoom level (default 256; at least 2, as
    /// audiowaveform requires).
    pub samples_per_pixel: u32,
    /// Fit the whole track into this many pixels instead: `samples_per_pixel` becomes
    /// `ceil(frames / width)` (audiowaveform's `--pixels` rule, at least 2). Needs a stream
    /// that declares its length.
    pub width: Option<u32>,
    /// Resolution of the output values: 8 or 16 bits (default 16).
    pub bits: u8,
    /// One waveform per channel instead of one merged (averaged) waveform.
    pub split_channels: bool,
    /// Extra zoom levels (samples per pixel) computed in the same pass.
    pub zoom_levels: Vec<u32>,
}

impl Default for WaveformOptions {
    fn default() -> Self {
        WaveformOptions {
            samples_per_pixel: 256,
            width: None,
            bits: 16,
            split_channels: false,
            zoom_levels: Vec::new(),
        }
    }
}

impl WaveformOptions {
    /// Samples per pixel of the main zoom level: `samples_per_pixel`, or with `width` set,
    /// `ceil(frames / width)` (audiowaveform's `--pixels` rule, at least 2), which needs the
    /// length in `frames`.
    pub fn main_samples_per_pixel(&self, frames: Option<u64>) -> Result<u32> {
        match self.width {
            Some(0) => Err(Error::invalid("waveform width must be at least 1 pixel")),
            Some(w) => {
                let frames = frames.ok_or_else(|| {
                    Error::invalid(
                        "a waveform of a given width needs the track length, which this stream \
                         does not declare; give samples_per_pixel instead",
                    )
                })?;
                Ok(frames.div_ceil(u64::from(w)).clamp(2, u64::from(u32::MAX)) as u32)
            }
            None => Ok(self.samples_per_pixel),
        }
    }
}

/// Waveform peaks at one zoom level, in audiowaveform's data model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waveform {
    /// Sample rate of the source in Hz.
    pub sample_rate: u32,
    /// Frames per min/max pair.
    pub samples_per_pixel: u32,
    /// Output channels: 1 when merged, the source's count when split.
    pub channels: u32,
    /// Resolution of the values written: 8 or 16.
    pub bits: u8,
    /// `[min, max]` per channel per pixel, interleaved: pixel 0 channel 0 min, max, pixel 0
    /// channel 1 min, max, ... Always at 16-bit scale (−32768..=32767); 8-bit output divides
    /// by 256 when written.
    pub data: Vec<i16>,
}

impl Waveform {
    /// Number of pixels (min/max pairs per channel).
    pub fn len(&self) -> usize {
        self.data.len() / (2 * self.channels.max(1) as usize)
    }

    /// True when there are no pixels.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `(min, max)` of `channel` at `pixel`, at 16-bit scale.
    pub fn pair(&self, pixel: usize, channel: usize) -> (i16, i16) {
        let i = 2 * (pixel * self.channels as usize + channel);
        (self.data[i], self.data[i + 1])
    }

    /// Values as written at this waveform's `bits`.
    fn output_values(&self) -> impl Iterator<Item = i16> + '_ {
        let div = if self.bits == 8 { 256 } else { 1 };
        self.data.iter().map(move |&v| v / div)
    }

    fn check_version(&self, version: u32) -> Result<()> {
        match version {
            1 if self.channels != 1 => Err(Error::invalid(format!(
                "waveform data version 1 holds one channel; this waveform has {} \
                 (use version 2 or merge the channels)",
                self.channels
            ))),
            1 | 2 => Ok(()),
            v => Err(Error::invalid(format!(
                "waveform data version must be 1 or 2, got {v}"
            ))),
        }
    }

    /// audiowaveform binary `.dat` (version 1 or 2).
    pub fn to_dat(&self, version: u32) -> Result<Vec<u8>> {
        self.check_version(version)?;
        let header = if version == 1 { 20 } else { 24 };
        let width = if self.bits == 8 { 1 } else { 2 };
        let mut out = Vec::with_capacity(header + self.data.len() * width);
        out.extend_from_slice(&(version as i32).to_le_bytes());
        let flags: u32 = if self.bits == 8 { 1 } else { 0 };
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate as i32).to_le_bytes());
        out.extend_from_slice(&(self.samples_per_pixel as i32).to_le_bytes());
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        if version == 2 {
            out.extend_from_slice(&(self.channels as i32).to_le_bytes());
        }
        if self.bits == 8 {
            out.extend(self.output_values().map(|v| v as i8 as u8));
        } else {
            for v in self.output_values() {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Ok(out)
    }

    /// audiowaveform JSON (version 1 or 2; version 1 has no `channels` key).
    pub fn to_json(&self, version: u32) -> Result<String> {
        use std::fmt::Write;
        self.check_version(version)?;
        let mut s = String::with_capacity(96 + self.data.len() * 6);
        let _ = write!(s, "{{\"version\":{version},");
        if version == 2 {
            let _ = write!(s, "\"channels\":{},", self.channels);
        }
        let _ = write!(
            s,
            "\"sample_rate\":{},\"samples_per_pixel\":{},\"bits\":{},\"length\":{},\"data\":[",
            self.sample_rate,
            self.samples_per_pixel,
            self.bits,
            self.len()
        );
        for (i, v) in self.output_values().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{v}");
        }
        s.push_str("]}\n");
        Ok(s)
    }

    /// Write `path` atomically, in the format its extension names: `.dat` (version 2, or 1
    /// for a merged waveform, which every reader accepts), `.json` (version 2), `.png` or
    /// `.svg` (rendered with `render`).
    pub fn write(&self, path: impl AsRef<Path>, render: &RenderOptions) -> Result<()> {
        let path = path.as_ref();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let version = if self.channels == 1 { 1 } else { 2 };
        match ext.as_str() {
            "dat" => write_atomic(path, &self.to_dat(version)?),
            "json" => write_atomic(path, self.to_json(2)?.as_bytes()),
            "png" => write_atomic(path, &render::render_png(self, render)?),
            "svg" => write_atomic(path, render::render_svg(self, render)?.as_bytes()),
            _ => Err(Error::invalid(format!(
                "cannot tell the waveform format from {}: use .dat, .json, .png or .svg",
                path.display()
            ))),
        }
    }

    /// Write `.dat` of the given version atomically.
    pub fn write_dat(&self, path: impl AsRef<Path>, version: u32) -> Result<()> {
        write_atomic(path, &self.to_dat(version)?)
    }

    /// Write audiowaveform JSON of the given version atomically.
    pub fn write_json(&self, path: impl AsRef<Path>, version: u32) -> Result<()> {
        write_atomic(path, self.to_json(version)?.as_bytes())
    }

    /// Render to PNG and write it atomically.
    pub fn write_png(&self, path: impl AsRef<Path>, options: &RenderOptions) -> Result<()> {
        write_atomic(path, &render::render_png(self, options)?)
    }

    /// Render to SVG and write it atomically.
    pub fn write_svg(&self, path: impl AsRef<Path>, options: &RenderOptions) -> Result<()> {
        write_atomic(path, render::render_svg(self, options)?.as_bytes())
    }
}

/// Samples are scaled to 16-bit integers by this factor.
const SCALE: f32 = 32_768.0;

/// Round to nearest (ties to even) and clamp to the 16-bit range, in a form the compiler
/// vectorises with plain SSE2: adding and removing 1.5 · 2²³ leaves the nearest integer for
/// any |v| < 2²², and the clamp comes first.
#[inline(always)]
fn quantise(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let v = v.clamp(-32_768.0, 32_767.0);
    (v + MAGIC) - MAGIC
}

/// Min and max of a slice, ignoring NaN; 8 lanes so it vectorises.
#[inline]
fn min_max(x: &[f32]) -> (f32, f32) {
    let mut lo = [f32::INFINITY; 8];
    let mut hi = [f32::NEG_INFINITY; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..8 {
            let v = c[i];
            lo[i] = if v < lo[i] { v } else { lo[i] };
            hi[i] = if v > hi[i] { v } else { hi[i] };
        }
    }
    let (mut mn, mut mx) = (f32::INFINITY, f32::NEG_INFINITY);
    for i in 0..8 {
        mn = if lo[i] < mn { lo[i] } else { mn };
        mx = if hi[i] > mx { hi[i] } else { mx };
    }
    for &v in rest {
        mn = if v < mn { v } else { mn };
        mx = if v > mx { v } else { mx };
    }
    (mn, mx)
}

/// One zoom level being accumulated.
#[derive(Debug)]
struct Level {
    spp: u32,
    /// Frames in the open pixel.
    count: u32,
    /// Running min/max per output channel (raw lane scale).
    lo: Vec<f32>,
    hi: Vec<f32>,
    data: Vec<i16>,
}

impl Level {
    fn new(spp: u32, channels: usize) -> Self {
        Level {
            spp,
            count: 0,
            lo: vec![f32::INFINITY; channels],
            hi: vec![f32::NEG_INFINITY; channels],
            data: Vec::new(),
        }
    }

    fn close_pixel(&mut self, scale: f32) {
        for c in 0..self.lo.len() {
            // Quantisation is monotonic, so the min/max of the quantised samples is the
            // quantised min/max. NaN-only pixels (never in decoded audio) come out as 0.
            let q = |v: f32| {
                if v.is_finite() {
                    quantise(v * scale) as i16
                } else {
                    0
                }
            };
            self.data.push(q(self.lo[c]));
            self.data.push(q(self.hi[c]));
            self.lo[c] = f32::INFINITY;
            self.hi[c] = f32::NEG_INFINITY;
        }
        self.count = 0;
    }

    fn push(&mut self, lanes: &[&[f32]], scale: f32) {
        let n = lanes.first().map_or(0, |l| l.len());
        let mut start = 0;
        while start < n {
            let take = ((self.spp - self.count) as usize).min(n - start);
            for (c, lane) in lanes.iter().enumerate() {
                let (mn, mx) = min_max(&lane[start..start + take]);
                self.lo[c] = if mn < self.lo[c] { mn } else { self.lo[c] };
                self.hi[c] = if mx > self.hi[c] { mx } else { self.hi[c] };
            }
            self.count += take as u32;
            start += take;
            if self.count == self.spp {
                self.close_pixel(scale);
            }
        }
    }
}

/// Streaming waveform generator: an [`Analyzer`] reading the native stream.
#[derive(Debug)]
pub struct WaveformBuilder {
    sample_rate: u32,
    in_channels: usize,
    split: bool,
    bits: u8,
    levels: Vec<Level>,
    merged: Vec<f32>,
}

impl WaveformBuilder {
    /// A generator for a stream described by `info`.
    pub fn new(info: &StreamInfo, options: &WaveformOptions) -> Result<Self> {
        if options.bits != 8 && options.bits != 16 {
            return Err(Error::invalid(format!(
                "waveform bits must be 8 or 16, got {}",
                options.bits
            )));
        }
        if info.channels == 0 || info.channels > 32 {
            return Err(Error::invalid(format!(
                "cannot draw a waveform of {} channels",
                info.channels
            )));
        }
        let main = options.main_samples_per_pixel(info.frames)?;
        let out_channels = if options.split_channels {
            info.channels
        } else {
            1
        };
        let mut levels = Vec::with_capacity(1 + options.zoom_levels.len());
        for &spp in std::iter::once(&main).chain(&options.zoom_levels) {
            if spp < 2 {
                return Err(Error::invalid(format!(
                    "samples per pixel must be at least 2, got {spp}"
                )));
            }
            levels.push(Level::new(spp, out_channels));
        }
        Ok(WaveformBuilder {
            sample_rate: info.sample_rate,
            in_channels: info.channels,
            split: options.split_channels,
            bits: options.bits,
            levels,
            merged: Vec::new(),
        })
    }

    /// Feed planar samples.
    pub fn push(&mut self, channels: &[Vec<f32>]) -> Result<()> {
        let n = channels.first().map_or(0, Vec::len);
        if channels.len() != self.in_channels || channels.iter().any(|c| c.len() != n) {
            return Err(Error::invalid(format!(
                "waveform expects {} equal-length channels",
                self.in_channels
            )));
        }
        if self.split || self.in_channels == 1 {
            let lanes: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
            for l in &mut self.levels {
                l.push(&lanes, SCALE);
            }
        } else {
            // audiowaveform's mono mix: integer mean of the 16-bit samples, truncated.
            self.merged.clear();
            self.merged.resize(n, 0.0);
            for ch in channels {
                for (m, &x) in self.merged.iter_mut().zip(ch) {
                    *m += quantise(x * SCALE);
                }
            }
            let k = self.in_channels as f32;
            for m in &mut self.merged {
                *m = ((*m / k) as i32) as f32;
            }
            let lanes = [self.merged.as_slice()];
            for l in &mut self.levels {
                l.push(&lanes, 1.0);
            }
        }
        Ok(())
    }

    /// Close the last partial pixel and return the waveform of every level (the main level
    /// first, then the extra zoom levels in the order requested).
    pub fn finish_levels(mut self) -> Vec<Waveform> {
        let scale = if self.split || self.in_channels == 1 {
            SCALE
        } else {
            1.0
        };
        let channels = self.levels.first().map_or(1, |l| l.lo.len()) as u32;
        self.levels
            .iter_mut()
            .map(|l| {
                if l.count > 0 {
                    l.close_pixel(scale);
                }
                Waveform {
                    sample_rate: self.sample_rate,
                    samples_per_pixel: l.spp,
                    channels,
                    bits: self.bits,
                    data: std::mem::take(&mut l.data),
                }
            })
            .collect()
    }
}

impl Analyzer for WaveformBuilder {
    fn name(&self) -> &'static str {
        "waveform"
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        self.push(&chunk.channels)
    }

    fn finish(self: Box<Self>, analysis: &mut Analysis) -> Result<()> {
        let mut levels = self.finish_levels().into_iter();
        analysis.waveform = levels.next();
        analysis.waveform_zooms = levels.collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(channels: usize) -> StreamInfo {
        StreamInfo {
            sample_rate: 44_100,
            channels,
            frames: Some(1000),
        }
    }

    #[test]
    fn pairs_follow_audiowaveform_rules() {
        let opts = WaveformOptions {
            samples_per_pixel: 4,
            zoom_levels: vec![8],
            ..Default::default()
        };
        let mut b = WaveformBuilder::new(&info(2), &opts).unwrap();
        let l: Vec<f32> = [100, -200, 300, 5, 7, -9, 11, 13, -32768]
            .iter()
            .map(|&v| v as f32 / 32768.0)
            .collect();
        let r: Vec<f32> = [101, -201, 300, 5, 8, -8, 11, 13, -32768]
            .iter()
            .map(|&v| v as f32 / 32768.0)
            .collect();
        // Split the input unevenly to exercise pixels spanning chunks.
        b.push(&[l[..3].to_vec(), r[..3].to_vec()]).unwrap();
        b.push(&[l[3..].to_vec(), r[3..].to_vec()]).unwrap();
        let w = b.finish_levels();
        // Means (truncated toward zero): 100, -200, 300, 5 | 7, -8, 11, 13 | -32768
        assert_eq!(w[0].data, vec![-200, 300, -8, 13, -32768, -32768]);
        assert_eq!(w[1].data, vec![-200, 300, -32768, -32768]);
        assert_eq!(w[0].len(), 3);
        let d = w[0].to_dat(1).unwrap();
        assert_eq!(&d[..4], &1i32.to_le_bytes());
        assert_eq!(&d[4..8], &0u32.to_le_bytes());
        assert_eq!(&d[8..12], &44_100i32.to_le_bytes());
        assert_eq!(&d[12..16], &4i32.to_le_bytes());
        assert_eq!(&d[16..20], &3u32.to_le_bytes());
        assert_eq!(&d[20..22], &(-200i16).to_le_bytes());
        assert_eq!(d.len(), 20 + 6 * 2);
    }

    #[test]
    fn eight_bit_truncates_like_audiowaveform() {
        let w = Waveform {
            sample_rate: 48_000,
            samples_per_pixel: 512,
            channels: 2,
            bits: 8,
            data: vec![-300, 255, -256, 32767, -32768, 0, 511, -511],
        };
        assert_eq!(
            w.to_json(2).unwrap(),
            "{\"version\":2,\"channels\":2,\"sample_rate\":48000,\"samples_per_pixel\":512,\
             \"bits\":8,\"length\":2,\"data\":[-1,0,-1,127,-128,0,1,-1]}\n"
        );
        let d = w.to_dat(2).unwrap();
        assert_eq!(d.len(), 24 + 8);
        assert_eq!(&d[4..8], &1u32.to_le_bytes());
        assert_eq!(&d[20..24], &2i32.to_le_bytes());
        assert_eq!(d[24..], [0xff, 0, 0xff, 127, 0x80, 0, 1, 0xff]);
        assert_eq!(w.to_dat(1).unwrap_err().code(), "INVALID_ARGUMENT");
    }

    #[test]
    fn bad_options_are_invalid_arguments() {
        for o in [
            WaveformOptions {
                bits: 12,
                ..Default::default()
            },
            WaveformOptions {
                samples_per_pixel: 1,
                ..Default::default()
            },
            WaveformOptions {
                width: Some(0),
                ..Default::default()
            },
        ] {
            let e = WaveformBuilder::new(&info(2), &o).unwrap_err();
            assert_eq!(e.code(), "INVALID_ARGUMENT");
        }
        let unknown_length = StreamInfo {
            frames: None,
            ..info(2)
        };
        let o = WaveformOptions {
            width: Some(100),
            ..Default::default()
        };
        assert!(WaveformBuilder::new(&unknown_length, &o).is_err());
    }

    #[test]
    fn width_sets_samples_per_pixel_like_audiowaveform() {
        let o = WaveformOptions {
            width: Some(300),
            ..Default::default()
        };
        let b = WaveformBuilder::new(&info(1), &o).unwrap();
        assert_eq!(b.levels[0].spp, 4); // ceil(1000 / 300)
    }
}
