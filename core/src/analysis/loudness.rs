//! Loudness per ITU-R BS.1770-4 and EBU R128 (Tech 3341 meters, Tech 3342 loudness range),
//! measured with the `ebur128` crate (a Rust port of libebur128, the meter ffmpeg's peers and
//! most players use; it passes every Tech 3341/3342 case our tests generate).
//!
//! - Integrated loudness `I` (LUFS): the K-weighted, channel-weighted mean energy of 400 ms
//!   blocks overlapping by 75 %, gated absolutely at −70 LUFS and relatively at −10 LU below
//!   the mean of the blocks that pass the absolute gate.
//! - Loudness range `LRA` (LU): the spread between the 10th and 95th percentiles of 3 s
//!   short-term loudness values (gated at −70 LUFS absolute and −20 LU relative).
//! - Momentary (400 ms) and short-term (3 s) maxima: the meter is read every 100 ms, as a
//!   Tech 3341 meter updates.
//! - Sample peak (dBFS) and true peak (dBTP, 4× oversampling below 96 kHz as BS.1770-4
//!   Annex 2 asks, 2× up to 192 kHz).
//! - ReplayGain 2.0 track gain: `−18 LUFS − I`.
//! - Normalisation gain to reach `target_lufs` without the true peak exceeding
//!   `ceiling_dbtp`: `min(target − I, ceiling − TP)`.
//!
//! Silence and empty input have no loudness: those values are `None` (serialised as `null`,
//! never `NaN` or `-inf`).

use ebur128::{EbuR128, Mode};
use serde::{Deserialize, Serialize};

use super::{Analysis, Analyzer, StreamInfo};
use crate::buffer::AudioBuffer;
use crate::error::{Error, Result};

/// The ReplayGain 2.0 reference level (LUFS).
pub const REPLAYGAIN_REFERENCE_LUFS: f64 = -18.0;

/// Options for the loudness analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoudnessOptions {
    /// Integrated loudness the normalisation gain aims for (default −14 LUFS, the level most
    /// streaming services play at).
    pub target_lufs: f64,
    /// Highest true peak the normalisation gain may produce (default −1 dBTP).
    pub ceiling_dbtp: f64,
    /// Measure the true peak (4× oversampled; the costliest part of the meter). When off,
    /// the sample peak caps the normalisation gain instead.
    pub true_peak: bool,
}

impl Default for LoudnessOptions {
    fn default() -> Self {
        LoudnessOptions {
            target_lufs: -14.0,
            ceiling_dbtp: -1.0,
            true_peak: true,
        }
    }
}

/// Loudness of a programme. `None` means "no value": silence or empty input (−∞ loudness).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Loudness {
    /// Integrated loudness in LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range in LU (EBU Tech 3342).
    pub range_lu: Option<f64>,
    /// Highest true peak over all channels in dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Highest sample peak over all channels in dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Highest momentary (400 ms) loudness in LUFS.
    pub momentary_max_lufs: Option<f64>,
    /// Highest short-term (3 s) loudness in LUFS.
    pub short_term_max_lufs: Option<f64>,
    /// ReplayGain 2.0 track gain in dB (−18 LUFS reference).
    pub replaygain_db: Option<f64>,
    /// Gain to apply to reach the target loudness within the true-peak ceiling.
    pub normalization: Normalization,
}

/// The gain that brings a track to a target loudness without exceeding a peak ceiling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// The target loudness in LUFS.
    pub target_lufs: f64,
    /// The true-peak ceiling in dBTP.
    pub ceiling_dbtp: f64,
    /// Gain in dB (negative: attenuate). `None` for silence.
    pub gain_db: Option<f64>,
    /// True when the ceiling, not the target, set the gain (the track reaches a lower level
    /// than the target unless it is limited).
    pub peak_limited: bool,
}

impl Normalization {
    /// The gain for a track of loudness `integrated_lufs` and peak `peak_db`.
    pub fn compute(
        integrated_lufs: Option<f64>,
        peak_db: Option<f64>,
        target_lufs: f64,
        ceiling_dbtp: f64,
    ) -> Self {
        let mut n = Normalization {
            target_lufs,
            ceiling_dbtp,
            gain_db: None,
            peak_limited: false,
        };
        if let Some(i) = integrated_lufs {
            let mut gain = target_lufs - i;
            if let Some(p) = peak_db {
                if p + gain > ceiling_dbtp {
                    gain = ceiling_dbtp - p;
                    n.peak_limited = true;
                }
            }
            n.gain_db = Some(gain);
        }
        n
    }
}

/// Streaming EBU R128 meter: an [`Analyzer`] reading the native stream.
pub struct LoudnessMeter {
    meter: EbuR128,
    options: LoudnessOptions,
    /// Frames in 100 ms (libebur128's rounding: `(rate + 5) / 10`).
    hop: usize,
    /// Frames fed since the last 100 ms boundary.
    in_hop: usize,
    momentary_max: f64,
    short_term_max: f64,
    slices: Vec<(usize, usize)>,
    /// Energy of the last [`SHORT_TERM_HOPS`] 100 ms steps (a ring, indexed by `hops`).
    hop_energy: [f64; SHORT_TERM_HOPS],
    /// 100 ms steps completed.
    hops: usize,
}

/// 100 ms steps in the 3 s short-term window.
const SHORT_TERM_HOPS: usize = 30;

impl std::fmt::Debug for LoudnessMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoudnessMeter")
            .field("channels", &self.meter.channels())
            .field("rate", &self.meter.rate())
            .finish()
    }
}

fn meter_error(e: ebur128::Error) -> Error {
    Error::Internal(format!("loudness meter: {e:?}"))
}

impl LoudnessMeter {
    /// A meter for a stream of `info.channels` channels at `info.sample_rate`. Channels are
    /// weighted as libebur128 does: 1–3 channels L, R, C; 4 channels L, R, Ls, Rs; 5 channels
    /// L, R, C, Ls, Rs; 6 and more L, R, C, LFE (ignored), Ls, Rs, then ignored.
    pub fn new(info: &StreamInfo, options: &LoudnessOptions) -> Result<Self> {
        if info.channels == 0 || info.channels > 64 {
            return Err(Error::invalid(format!(
                "cannot measure loudness of {} channels",
                info.channels
            )));
        }
        if !(1_000..=768_000).contains(&info.sample_rate) {
            return Err(Error::invalid(format!(
                "cannot measure loudness at {} Hz",
                info.sample_rate
            )));
        }
        for (name, v) in [
            ("target_lufs", options.target_lufs),
            ("ceiling_dbtp", options.ceiling_dbtp),
        ] {
            if !v.is_finite() {
                return Err(Error::invalid(format!("{name} must be finite, got {v}")));
            }
        }
        let mut mode = Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::SAMPLE_PEAK;
        if options.true_peak {
            mode |= Mode::TRUE_PEAK;
        }
        let meter =
            EbuR128::new(info.channels as u32, info.sample_rate, mode).map_err(meter_error)?;
        Ok(LoudnessMeter {
            meter,
            options: options.clone(),
            hop: (info.sample_rate as usize + 5) / 10,
            in_hop: 0,
            momentary_max: f64::NEG_INFINITY,
            short_term_max: f64::NEG_INFINITY,
            slices: Vec::new(),
            hop_energy: [0.0; SHORT_TERM_HOPS],
            hops: 0,
        })
    }

    /// Feed planar samples (one slice per channel, all the same length).
    pub fn push(&mut self, channels: &[Vec<f32>]) -> Result<()> {
        let n = channels.first().map_or(0, Vec::len);
        if channels.len() != self.meter.channels() as usize || channels.iter().any(|c| c.len() != n)
        {
            return Err(Error::invalid(format!(
                "loudness meter expects {} equal-length channels",
                self.meter.channels()
            )));
        }
        // Split at every 100 ms boundary so the momentary and short-term windows can be read
        // at the meter's update rate.
        self.slices.clear();
        let mut start = 0;
        while start < n {
            let take = (self.hop - self.in_hop).min(n - start);
            self.slices.push((start, start + take));
            start += take;
            self.in_hop += take;
            if self.in_hop == self.hop {
                self.in_hop = 0;
                // Mark the boundary with an empty range.
                self.slices.push((usize::MAX, 0));
            }
        }
        let mut planes: Vec<&[f32]> = Vec::with_capacity(channels.len());
        for i in 0..self.slices.len() {
            let (a, b) = self.slices[i];
            if a == usize::MAX {
                self.close_hop()?;
                continue;
            }
            planes.clear();
            planes.extend(channels.iter().map(|c| &c[a..b]));
            self.meter
                .add_frames_planar_f32(&planes)
                .map_err(meter_error)?;
        }
        Ok(())
    }

    /// A 100 ms step is complete: update the momentary and short-term maxima.
    ///
    /// Reading the meter's 3 s window every 100 ms would sum 30 times more samples than the
    /// meter filters; instead the energy of the last 100 ms is read once and the 400 ms and
    /// 3 s windows are running means over the last 4 and 30 of them (the same blocks the
    /// meter's windows hold, zeros before the start included, as in the meter).
    fn close_hop(&mut self) -> Result<()> {
        let l = self.meter.loudness_window(100).map_err(meter_error)?;
        let e = if l.is_finite() {
            10f64.powf((l + 0.691) / 10.0)
        } else {
            0.0
        };
        let slot = self.hops % SHORT_TERM_HOPS;
        self.hop_energy[slot] = e;
        self.hops += 1;
        let mean = |n: usize| -> f64 {
            (0..n)
                .map(|k| self.hop_energy[(self.hops + SHORT_TERM_HOPS - 1 - k) % SHORT_TERM_HOPS])
                .sum::<f64>()
                / n as f64
        };
        let (m, s) = (mean(4), mean(SHORT_TERM_HOPS));
        let to_lufs = |e: f64| {
            if e > 0.0 {
                -0.691 + 10.0 * e.log10()
            } else {
                f64::NEG_INFINITY
            }
        };
        self.momentary_max = self.momentary_max.max(to_lufs(m));
        self.short_term_max = self.short_term_max.max(to_lufs(s));
        Ok(())
    }

    /// The measurements so far.
    pub fn loudness(&self) -> Result<Loudness> {
        let integrated = finite(self.meter.loudness_global().map_err(meter_error)?);
        let range = match integrated {
            Some(_) => finite(self.meter.loudness_range().map_err(meter_error)?),
            None => None,
        };
        let channels = self.meter.channels();
        let mut sample_peak = 0.0f64;
        let mut true_peak = 0.0f64;
        for c in 0..channels {
            sample_peak = sample_peak.max(self.meter.sample_peak(c).map_err(meter_error)?);
            if self.options.true_peak {
                true_peak = true_peak.max(self.meter.true_peak(c).map_err(meter_error)?);
            }
        }
        let sample_peak_dbfs = to_db(sample_peak);
        let true_peak_dbtp = if self.options.true_peak {
            to_db(true_peak)
        } else {
            None
        };
        Ok(Loudness {
            integrated_lufs: integrated,
            range_lu: range,
            true_peak_dbtp,
            sample_peak_dbfs,
            momentary_max_lufs: finite(self.momentary_max),
            short_term_max_lufs: finite(self.short_term_max),
            replaygain_db: integrated.map(|i| REPLAYGAIN_REFERENCE_LUFS - i),
            normalization: Normalization::compute(
                integrated,
                true_peak_dbtp.or(sample_peak_dbfs),
                self.options.target_lufs,
                self.options.ceiling_dbtp,
            ),
        })
    }
}

/// `Some(v)` for a finite value, `None` for −∞, +∞ and NaN.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Linear amplitude to dB; `None` for zero (silence).
fn to_db(linear: f64) -> Option<f64> {
    finite(20.0 * linear.log10())
}

impl Analyzer for LoudnessMeter {
    fn name(&self) -> &'static str {
        "loudness"
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        self.push(&chunk.channels)
    }

    fn finish(self: Box<Self>, analysis: &mut Analysis) -> Result<()> {
        analysis.loudness = Some(self.loudness()?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(channels: usize, rate: u32) -> LoudnessMeter {
        LoudnessMeter::new(
            &StreamInfo {
                sample_rate: rate,
                channels,
                frames: None,
            },
            &LoudnessOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn silence_has_no_loudness_and_serialises_as_null() {
        let mut m = meter(2, 48_000);
        m.push(&[vec![0.0; 96_000], vec![0.0; 96_000]]).unwrap();
        let l = m.loudness().unwrap();
        assert_eq!(l.integrated_lufs, None);
        assert_eq!(l.range_lu, None);
        assert_eq!(l.true_peak_dbtp, None);
        assert_eq!(l.sample_peak_dbfs, None);
        assert_eq!(l.momentary_max_lufs, None);
        assert_eq!(l.replaygain_db, None);
        assert_eq!(l.normalization.gain_db, None);
        let json = serde_json::to_string(&l).unwrap();
        assert!(json.contains("\"integrated_lufs\":null"), "{json}");
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }

    #[test]
    fn chunking_does_not_change_the_result() {
        let n = 48_000 * 5;
        let x: Vec<f32> = (0..n)
            .map(|i| ((i as f32 * 0.05).sin() * (1.0 + (i as f32 * 1e-4).sin())) * 0.3)
            .collect();
        let mut whole = meter(1, 48_000);
        whole.push(std::slice::from_ref(&x)).unwrap();
        let mut parts = meter(1, 48_000);
        for c in x.chunks(1_237) {
            parts.push(&[c.to_vec()]).unwrap();
        }
        assert_eq!(whole.loudness().unwrap(), parts.loudness().unwrap());
    }

    #[test]
    fn normalisation_is_capped_by_the_ceiling() {
        // Loud enough: attenuate to the target.
        let n = Normalization::compute(Some(-8.0), Some(-0.1), -14.0, -1.0);
        assert_eq!(n.gain_db, Some(-6.0));
        assert!(!n.peak_limited);
        // Quiet with high peaks: the ceiling wins.
        let n = Normalization::compute(Some(-20.0), Some(-3.0), -14.0, -1.0);
        assert_eq!(n.gain_db, Some(2.0));
        assert!(n.peak_limited);
    }

    #[test]
    fn mismatched_channels_are_an_invalid_argument() {
        let mut m = meter(2, 44_100);
        let e = m.push(&[vec![0.0; 10]]).unwrap_err();
        assert_eq!(e.code(), "INVALID_ARGUMENT");
        let e = LoudnessMeter::new(
            &StreamInfo {
                sample_rate: 44_100,
                channels: 0,
                frames: None,
            },
            &LoudnessOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "INVALID_ARGUMENT");
    }
}
