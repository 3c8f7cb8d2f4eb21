//! Sample-rate conversion on rubato's windowed-sinc resampler, streaming, with exact lengths.
//!
//! Output length is always `round(frames_in * out_rate / in_rate)`: the resampler's group delay
//! is removed at the start and the tail is flushed with silence and cut at the end, so a
//! resampled track lines up sample-for-sample with its source. Input is processed in fixed
//! internal blocks, so a streamed resample equals a one-shot resample bit for bit, whatever the
//! sizes of the chunks the caller pushes.

use rubato::{
    calculate_cutoff, Resampler as _, SincFixedIn, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};
use serde::{Deserialize, Serialize};

use crate::buffer::AudioBuffer;
use crate::error::{Error, Result};

/// Speed/quality presets. Measured figures are in the tests and the README.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// 64-tap sinc, linear interpolation of the filter table: for analysis front-ends.
    Fast,
    /// 128-tap sinc, cubic interpolation.
    #[default]
    Balanced,
    /// 256-tap sinc, cubic interpolation: ≥ 100 dB SNR, ≥ 90 dB alias rejection.
    Best,
}

impl std::str::FromStr for Quality {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "fast" => Ok(Quality::Fast),
            "balanced" => Ok(Quality::Balanced),
            "best" => Ok(Quality::Best),
            other => Err(Error::invalid(format!(
                "unknown resampler quality `{other}` (fast, balanced, best)"
            ))),
        }
    }
}

impl Quality {
    fn params(self, in_rate: u32, out_rate: u32) -> SincInterpolationParameters {
        let (sinc_len, mut interpolation, oversampling_factor) = match self {
            Quality::Fast => (64, SincInterpolationType::Linear, 128),
            Quality::Balanced => (128, SincInterpolationType::Cubic, 256),
            Quality::Best => (256, SincInterpolationType::Cubic, 512),
        };
        if lands_on_table(in_rate, out_rate, oversampling_factor) {
            // Every output position falls exactly on an entry of rubato's oversampled sinc
            // table (44.1 -> 22.05 kHz, 48 -> 24 kHz, any 2:1 or 1:2 ...): the interpolation
            // fraction is exactly 0, so the linear/cubic interpolators return that entry's
            // value bit for bit after computing 2 or 4 dot products. `Nearest` computes only
            // that one (2-4x less work for the same output).
            interpolation = SincInterpolationType::Nearest;
        }
        let window = WindowFunction::BlackmanHarris2;
        SincInterpolationParameters {
            sinc_len,
            f_cutoff: calculate_cutoff(sinc_len, window),
            interpolation,
            oversampling_factor,
            window,
        }
    }
}

/// True when rubato's sinc resampler, stepping `in_rate / out_rate` input frames per output
/// frame, only ever lands exactly on its table of `oversampling` sub-sample positions.
///
/// rubato 0.16's `SincFixedIn` starts at an integer input position and advances by the f64
/// step `1 / (out_rate / in_rate)` per output frame, restarting from an integer each block.
/// When that step is an exact multiple of `1 / oversampling` (a dyadic fraction, so every
/// running sum is exact in f64), each position is exactly a table entry.
fn lands_on_table(in_rate: u32, out_rate: u32, oversampling: usize) -> bool {
    let step = 1.0 / (f64::from(out_rate) / f64::from(in_rate));
    let scaled = step * oversampling as f64;
    scaled.fract() == 0.0 && scaled < (1u64 << 40) as f64
}

/// Internal block size in input frames.
const BLOCK: usize = 1024;
/// Highest rate accepted on either side.
pub const MAX_RATE: u32 = 768_000;

/// A streaming resampler for planar audio.
pub struct Resampler {
    inner: Option<SincFixedIn<f32>>,
    in_rate: u32,
    out_rate: u32,
    channels: usize,
    pending: Vec<Vec<f32>>,
    out_block: Vec<Vec<f32>>,
    delay_left: usize,
    total_in: u64,
    total_out: u64,
    finished: bool,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Resampler({} -> {} Hz, {} ch)",
            self.in_rate, self.out_rate, self.channels
        )
    }
}

impl Resampler {
    /// A resampler from `in_rate` to `out_rate` for `channels` channels.
    pub fn new(in_rate: u32, out_rate: u32, channels: usize, quality: Quality) -> Result<Self> {
        for (name, r) in [("input", in_rate), ("output", out_rate)] {
            if !(1_000..=MAX_RATE).contains(&r) {
                return Err(Error::invalid(format!(
                    "{name} sample rate {r} Hz is outside 1000..={MAX_RATE} Hz"
                )));
            }
        }
        if channels == 0 || channels > 256 {
            return Err(Error::invalid(format!(
                "cannot resample {channels} channels"
            )));
        }
        let (inner, delay_left, out_block) = if in_rate == out_rate {
            (None, 0, Vec::new())
        } else {
            let ratio = f64::from(out_rate) / f64::from(in_rate);
            let r = SincFixedIn::<f32>::new(
                ratio,
                1.0,
                quality.params(in_rate, out_rate),
                BLOCK,
                channels,
            )
            .map_err(|e| Error::Internal(format!("resampler construction: {e}")))?;
            // rubato 0.16's SincFixedIn starts its first output window centred on input frame 0
            // (its history is pre-filled with sinc_len/2 zeros), so its output is already
            // aligned: `output_delay()` reports the filter's half-length, not a lag to remove.
            // `impulse_stays_where_it_was_for_every_preset` in tests/resample.rs guards this.
            let max = r.output_frames_max();
            (Some(r), 0, vec![vec![0.0; max]; channels])
        };
        Ok(Resampler {
            inner,
            in_rate,
            out_rate,
            channels,
            pending: vec![Vec::new(); channels],
            out_block,
            delay_left,
            total_in: 0,
            total_out: 0,
            finished: false,
        })
    }

    /// Output rate in Hz.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// Exact output length for `frames` input frames.
    pub fn output_len(&self, frames: u64) -> u64 {
        output_len(frames, self.in_rate, self.out_rate)
    }

    /// Push planar input; returns the output that is ready (possibly empty).
    pub fn process<S: AsRef<[f32]>>(&mut self, input: &[S]) -> Result<Vec<Vec<f32>>> {
        if self.finished {
            return Err(Error::invalid("Resampler::process called after flush"));
        }
        if input.len() != self.channels {
            return Err(Error::invalid(format!(
                "expected {} channels, got {}",
                self.channels,
                input.len()
            )));
        }
        let n = input[0].as_ref().len();
        if input.iter().any(|c| c.as_ref().len() != n) {
            return Err(Error::invalid("all channels must have the same length"));
        }
        self.total_in += n as u64;
        let mut out = vec![Vec::new(); self.channels];
        if self.inner.is_none() {
            for (o, i) in out.iter_mut().zip(input) {
                o.extend_from_slice(i.as_ref());
            }
            self.total_out += n as u64;
            return Ok(out);
        }
        for (p, i) in self.pending.iter_mut().zip(input) {
            p.extend_from_slice(i.as_ref());
        }
        self.run_blocks(&mut out, u64::MAX)?;
        Ok(out)
    }

    /// Process whole blocks from `pending`, appending at most `cap` total output frames.
    fn run_blocks(&mut self, out: &mut [Vec<f32>], cap: u64) -> Result<()> {
        let inner = self.inner.as_mut().expect("only called when resampling");
        let mut consumed = 0;
        while self.pending[0].len() - consumed >= BLOCK && self.total_out < cap {
            let slices: Vec<&[f32]> = self
                .pending
                .iter()
                .map(|p| &p[consumed..consumed + BLOCK])
                .collect();
            let (_, produced) = inner
                .process_into_buffer(&slices, &mut self.out_block, None)
                .map_err(|e| Error::Internal(format!("resampler: {e}")))?;
            consumed += BLOCK;
            let skip = self.delay_left.min(produced);
            self.delay_left -= skip;
            let take = ((produced - skip) as u64).min(cap - self.total_out) as usize;
            for (o, b) in out.iter_mut().zip(&self.out_block) {
                o.extend_from_slice(&b[skip..skip + take]);
            }
            self.total_out += take as u64;
        }
        for p in &mut self.pending {
            p.drain(..consumed);
        }
        Ok(())
    }

    /// Flush the tail. Afterwards the total output is exactly [`Resampler::output_len`] of the
    /// total input.
    pub fn flush(&mut self) -> Result<Vec<Vec<f32>>> {
        let mut out = vec![Vec::new(); self.channels];
        if self.finished || self.inner.is_none() {
            self.finished = true;
            return Ok(out);
        }
        self.finished = true;
        let target = self.output_len(self.total_in);
        while self.total_out < target {
            let need = BLOCK - self.pending[0].len() % BLOCK;
            for p in &mut self.pending {
                p.resize(p.len() + need, 0.0);
            }
            self.run_blocks(&mut out, target)?;
        }
        Ok(out)
    }
}

/// `round(frames * out_rate / in_rate)` without floating-point error.
pub fn output_len(frames: u64, in_rate: u32, out_rate: u32) -> u64 {
    let (f, i, o) = (
        u128::from(frames),
        u128::from(in_rate),
        u128::from(out_rate),
    );
    ((f * o + i / 2) / i) as u64
}

/// Resample a whole buffer (one-shot convenience over [`Resampler`]).
pub fn resample(buf: &AudioBuffer, out_rate: u32, quality: Quality) -> Result<AudioBuffer> {
    let mut r = Resampler::new(buf.sample_rate, out_rate, buf.num_channels(), quality)?;
    let mut channels = r.process(&buf.channels)?;
    let tail = r.flush()?;
    for (c, t) in channels.iter_mut().zip(tail) {
        c.extend(t);
    }
    AudioBuffer::from_planar(out_rate, channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs rubato with the preset's own interpolation (no `Nearest` shortcut).
    fn interpolated(x: &[f32], in_rate: u32, out_rate: u32, q: Quality) -> Vec<f32> {
        let mut p = q.params(in_rate, out_rate);
        p.interpolation = match q {
            Quality::Fast => SincInterpolationType::Linear,
            _ => SincInterpolationType::Cubic,
        };
        let ratio = f64::from(out_rate) / f64::from(in_rate);
        let mut r = SincFixedIn::<f32>::new(ratio, 1.0, p, BLOCK, 1).unwrap();
        let mut out = vec![vec![0.0; r.output_frames_max()]];
        let mut y = Vec::new();
        for block in x.chunks_exact(BLOCK) {
            let (_, n) = r.process_into_buffer(&[block], &mut out, None).unwrap();
            y.extend_from_slice(&out[0][..n]);
        }
        y
    }

    #[test]
    fn table_aligned_ratios_are_detected() {
        for (i, o) in [
            (44_100, 22_050),
            (48_000, 24_000),
            (22_050, 44_100),
            (88_200, 22_050),
        ] {
            assert!(lands_on_table(i, o, 128), "{i} -> {o}");
        }
        for (i, o) in [(48_000, 22_050), (44_100, 48_000), (32_000, 22_050)] {
            assert!(!lands_on_table(i, o, 256), "{i} -> {o}");
        }
    }

    #[test]
    fn nearest_shortcut_is_bit_identical_to_interpolating() {
        let x: Vec<f32> = (0..BLOCK * 12)
            .map(|i| {
                let t = i as f32;
                (t * 0.031).sin() * 0.5 + (t * 0.77).sin() * 0.3 + ((i * 7919) % 101) as f32 * 1e-3
            })
            .collect();
        for q in [Quality::Fast, Quality::Balanced, Quality::Best] {
            for (i, o) in [(44_100, 22_050), (22_050, 44_100)] {
                assert!(matches!(
                    q.params(i, o).interpolation,
                    SincInterpolationType::Nearest
                ));
                let mut fast = SincFixedIn::<f32>::new(
                    f64::from(o) / f64::from(i),
                    1.0,
                    q.params(i, o),
                    BLOCK,
                    1,
                )
                .unwrap();
                let mut out = vec![vec![0.0; fast.output_frames_max()]];
                let mut y = Vec::new();
                for block in x.chunks_exact(BLOCK) {
                    let (_, n) = fast.process_into_buffer(&[block], &mut out, None).unwrap();
                    y.extend_from_slice(&out[0][..n]);
                }
                let reference = interpolated(&x, i, o, q);
                assert_eq!(y.len(), reference.len());
                for (a, b) in y.iter().zip(&reference) {
                    assert_eq!(a.to_bits(), b.to_bits(), "{q:?} {i} -> {o}");
                }
            }
        }
    }
}
