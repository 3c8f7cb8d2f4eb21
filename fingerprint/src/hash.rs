//! Landmarks: pairs of peaks packed into 20-bit hashes.
//!
//! A landmark joins an anchor peak `(t1, f1)` to a later peak `(t2, f2)` in its target zone and
//! hashes `(f1 / 2, f2 - f1, t2 - t1)` on the log-frequency axis:
//!
//! | bits  | field | meaning |
//! |-------|-------|---------|
//! | 19-13 | `f1c` | anchor bin / 2 (1/18 octave cells) |
//! | 12-6  | `df`  | `f2 - f1` in bins + 64 (invariant to pitch and speed change) |
//! | 5-0   | `dt`  | `t2 - t1` in frames, 1..=[`MAX_DT`] |
//!
//! A change of speed by `s` (tempo and pitch) maps a reference peak `(t, f)` to
//! `(t / s, f + 36 log2 s)`; a pitch shift by `b` moves only `f`, a time-stretch by `a` only `t`.
//! Only `f1c` and `dt` move, and the query side undoes the move: for each scale hypothesis
//! `(a, b)` it maps its peaks back onto the reference grid before hashing
//! ([`query_landmarks`]), probing both neighbouring cells when a value falls near a cell
//! boundary. The index stores only unscaled landmarks, so its size does not grow with the
//! robustness range.

use crate::extract::{Peak, BINS_PER_OCTAVE};

/// Bits in a landmark hash.
pub const HASH_BITS: u32 = 20;
/// Largest time difference in a landmark (frames; 0.64 s).
pub const MAX_DT: i32 = 40;
/// Largest |f2 - f1| in a landmark (bins; ~1.3 octaves).
pub const MAX_DF: i32 = 48;
/// Landmarks per anchor in the index.
pub const INDEX_FANOUT: usize = 4;
/// Landmarks per anchor in a query (denser, to cover the reference pairs).
pub const QUERY_FANOUT: usize = 12;

/// One landmark as stored: hash and anchor frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Landmark {
    /// 20-bit hash.
    pub hash: u32,
    /// Anchor frame.
    pub frame: u32,
}

/// Pack the three fields; `None` when out of range.
#[inline]
pub fn pack(f1c: i32, df: i32, dt: i32) -> Option<u32> {
    if !(0..128).contains(&f1c) || !(-MAX_DF..=MAX_DF).contains(&df) || !(1..=MAX_DT).contains(&dt)
    {
        return None;
    }
    Some(((f1c as u32) << 13) | (((df + 64) as u32) << 6) | dt as u32)
}

/// Landmarks of reference audio (index side).
pub fn index_landmarks(peaks: &[Peak]) -> Vec<Landmark> {
    let mut out = Vec::with_capacity(peaks.len() * INDEX_FANOUT);
    for (i, p) in peaks.iter().enumerate() {
        let mut n = 0;
        for q in &peaks[i + 1..] {
            let dt = (q.t - p.t).round() as i32;
            if dt > MAX_DT {
                break;
            }
            let df = (q.f - p.f).round() as i32;
            if let Some(h) = pack((p.f * 0.5).floor() as i32, df, dt) {
                out.push(Landmark {
                    hash: h,
                    frame: p.t.round().max(0.0) as u32,
                });
                n += 1;
                if n == INDEX_FANOUT {
                    break;
                }
            }
        }
    }
    out
}

/// A scale hypothesis: the query is the reference with time scaled by `1 / time_factor` and
/// frequencies by `freq_factor` (a speed-up by `s` is `time_factor = freq_factor = s`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Reference seconds per query second.
    pub time_factor: f32,
    /// Query frequency / reference frequency.
    pub freq_factor: f32,
}

impl Scale {
    /// No change.
    pub const IDENTITY: Scale = Scale {
        time_factor: 1.0,
        freq_factor: 1.0,
    };
}

/// One query-side probe: a hash to look up and the query anchor time mapped onto the reference
/// time axis (frames, relative to query t = 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probe {
    /// Hash to look up.
    pub hash: u32,
    /// `time_factor * t1` (frames).
    pub t: f32,
    /// Index of the anchor peak in the query (saturating at `u16::MAX`).
    pub anchor: u16,
}

fn cells(x: f32, margin: f32) -> ([i32; 2], usize) {
    let c = x.floor();
    let fr = x - c;
    let c = c as i32;
    if fr < margin {
        ([c, c - 1], 2)
    } else if fr > 1.0 - margin {
        ([c, c + 1], 2)
    } else {
        ([c, 0], 1)
    }
}

/// Probes of a query under one scale hypothesis. Peaks must be in time order.
pub fn query_landmarks(peaks: &[Peak], scale: Scale, out: &mut Vec<Probe>) {
    query_landmarks_with(peaks, scale, QUERY_FANOUT, out)
}

/// Peaks kept per block by [`screening_peaks`] (the index density).
pub const SCREEN_PEAKS_PER_BLOCK: usize = 8;
/// Landmarks per anchor of the screening probes.
pub const SCREEN_FANOUT: usize = 6;

/// The most salient query peaks, at the density of the index ([`SCREEN_PEAKS_PER_BLOCK`] per
/// block of [`crate::extract::BLOCK_FRAMES`] frames), in time order: the cheap first look of a
/// query. The strongest peaks are the ones most likely to be among the reference's, so a match
/// keeps most of its evidence while the probes (and the postings they read) shrink several-fold.
pub fn screening_peaks(peaks: &[Peak]) -> Vec<Peak> {
    let block = |p: &Peak| (p.t.max(0.0) as u32) / crate::extract::BLOCK_FRAMES;
    let mut out = Vec::with_capacity(peaks.len());
    let mut i = 0;
    while i < peaks.len() {
        let b = block(&peaks[i]);
        let mut j = i;
        while j < peaks.len() && block(&peaks[j]) == b {
            j += 1;
        }
        let mut idx: Vec<usize> = (i..j).collect();
        if idx.len() > SCREEN_PEAKS_PER_BLOCK {
            idx.sort_by(|&x, &y| {
                peaks[y]
                    .salience
                    .total_cmp(&peaks[x].salience)
                    .then(x.cmp(&y))
            });
            idx.truncate(SCREEN_PEAKS_PER_BLOCK);
            idx.sort_unstable();
        }
        out.extend(idx.into_iter().map(|k| peaks[k]));
        i = j;
    }
    out
}

/// [`query_landmarks`] with `fanout` landmarks per anchor.
pub fn query_landmarks_with(peaks: &[Peak], scale: Scale, fanout: usize, out: &mut Vec<Probe>) {
    query_landmarks_margins(peaks, scale, fanout, PROBE_MARGINS, out)
}

/// Cell-boundary margins of the query probes: `(f1, dt and df)`. A value this close (in cells)
/// to a cell boundary probes the neighbouring cell too.
pub const PROBE_MARGINS: (f32, f32) = (0.15, 0.2);

/// [`query_landmarks_with`] with explicit boundary `margins` (see [`PROBE_MARGINS`]).
pub fn query_landmarks_margins(
    peaks: &[Peak],
    scale: Scale,
    fanout: usize,
    margins: (f32, f32),
    out: &mut Vec<Probe>,
) {
    out.clear();
    let a = scale.time_factor;
    let shift = BINS_PER_OCTAVE * scale.freq_factor.log2();
    let max_raw_dt = (MAX_DT as f32 + 0.5) / a;
    for (i, p) in peaks.iter().enumerate() {
        let f1 = p.f - shift;
        let (f1cells, nf) = cells(f1 * 0.5, margins.0);
        let mut n = 0;
        for q in &peaks[i + 1..] {
            let raw = q.t - p.t;
            if raw > max_raw_dt {
                break;
            }
            let dtx = raw * a;
            let dfx = q.f - p.f;
            if dfx.abs() > MAX_DF as f32 + 0.5 || dtx < 0.5 {
                continue;
            }
            // round() boundaries sit at .5: probe both sides when close to one.
            let (dts, nt) = cells(dtx + 0.5, margins.1);
            let (dfs, nd) = cells(dfx + 0.5, margins.1);
            let mut any = false;
            for &fc in &f1cells[..nf] {
                for &dt in &dts[..nt] {
                    for &df in &dfs[..nd] {
                        if let Some(h) = pack(fc, df, dt) {
                            out.push(Probe {
                                hash: h,
                                t: a * p.t,
                                anchor: i.min(u16::MAX as usize) as u16,
                            });
                            any = true;
                        }
                    }
                }
            }
            if any {
                n += 1;
                if n == fanout {
                    break;
                }
            }
        }
    }
}

/// Speed-change hypotheses (tempo and pitch together), in 1.5 % steps, nearest first.
const SPEED_STEPS: [[f32; 2]; 4] = [[0.985, 1.015], [0.97, 1.03], [0.955, 1.045], [0.94, 1.06]];

/// The hypotheses of `hyps` a large catalog's catalog-wide votes run on: all but the speed
/// changes at odd steps (a 3 % speed grid; the per-track search refines the scale).
pub fn vote_hypotheses(hyps: &[Scale]) -> Vec<Scale> {
    let odd = |h: &Scale| {
        h.time_factor == h.freq_factor
            && [SPEED_STEPS[0], SPEED_STEPS[2]]
                .iter()
                .flatten()
                .any(|&s| s == h.time_factor)
    };
    hyps.iter().copied().filter(|h| !odd(h)).collect()
}

/// The scale hypotheses a full query searches, identity first. Speed changes (tempo and pitch
/// together) from -6 % to +6 % in 1.5 % steps, pitch shifts of ±0.5 and ±1 semitone, and
/// time-stretches of ±3 % and ±5 %.
pub fn scale_hypotheses() -> Vec<Scale> {
    let mut v = vec![Scale::IDENTITY];
    for s in SPEED_STEPS.into_iter().flatten() {
        v.push(Scale {
            time_factor: s,
            freq_factor: s,
        });
    }
    for st in [-1.0f32, 1.0, -0.5, 0.5] {
        v.push(Scale {
            time_factor: 1.0,
            freq_factor: 2f32.powf(st / 12.0),
        });
    }
    for a in [0.97, 1.03, 0.95, 1.05] {
        v.push(Scale {
            time_factor: a,
            freq_factor: 1.0,
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_grid_keeps_every_third_percent_of_speed_and_every_other_scale() {
        let all = scale_hypotheses();
        let voted = vote_hypotheses(&all);
        assert_eq!(all.len(), 17);
        assert_eq!(voted.len(), 13);
        assert_eq!(voted[0], Scale::IDENTITY);
        let speeds: Vec<f32> = voted
            .iter()
            .filter(|h| h.time_factor == h.freq_factor && **h != Scale::IDENTITY)
            .map(|h| h.time_factor)
            .collect();
        assert_eq!(speeds, [0.97, 1.03, 0.94, 1.06]);
        // pitch and tempo hypotheses all vote, in their order
        let other = |v: &[Scale]| -> Vec<Scale> {
            v.iter()
                .copied()
                .filter(|h| h.time_factor != h.freq_factor)
                .collect()
        };
        assert_eq!(other(&voted), other(&all));
        assert_eq!(vote_hypotheses(&[Scale::IDENTITY]), [Scale::IDENTITY]);
    }

    #[test]
    fn pack_fields() {
        assert_eq!(pack(0, 0, 1), Some(64 << 6 | 1));
        assert_eq!(pack(127, 48, 40).map(|h| h >> 13), Some(127));
        assert!(pack(128, 0, 1).is_none());
        assert!(pack(1, 0, 0).is_none());
        assert!(pack(1, 0, 41).is_none());
        assert!(pack(1, 49, 4).is_none());
        assert!(pack(127, 48, 40).unwrap() < 1 << HASH_BITS);
    }

    #[test]
    fn scaled_query_recovers_reference_hashes() {
        // Reference peaks, and the same peaks after a 5 % speed-up.
        let refp: Vec<Peak> = (0..60)
            .map(|i| Peak {
                t: i as f32 * 7.3 + 0.2,
                f: 20.0 + ((i * 37) % 90) as f32 + 0.3,
                salience: 10.0,
            })
            .collect();
        let s = 1.05f32;
        let q: Vec<Peak> = refp
            .iter()
            .map(|p| Peak {
                t: p.t / s,
                f: p.f + 36.0 * s.log2(),
                salience: p.salience,
            })
            .collect();
        let idx: std::collections::HashSet<u32> =
            index_landmarks(&refp).iter().map(|l| l.hash).collect();
        let mut probes = Vec::new();
        query_landmarks(&q, Scale::IDENTITY, &mut probes);
        let plain = probes.iter().filter(|p| idx.contains(&p.hash)).count();
        query_landmarks(
            &q,
            Scale {
                time_factor: s,
                freq_factor: s,
            },
            &mut probes,
        );
        let scaled = probes.iter().filter(|p| idx.contains(&p.hash)).count();
        assert!(
            scaled >= idx.len() * 8 / 10,
            "scaled {scaled} of {}",
            idx.len()
        );
        assert!(scaled > 3 * plain, "scaled {scaled} plain {plain}");
    }
}
