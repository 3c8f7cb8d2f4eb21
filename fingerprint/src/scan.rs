//! Scanning a long input (DJ mix, compilation) for every catalog segment it contains.
//!
//! The input's peaks are computed once; overlapping windows ([`ScanOptions::window_s`], hop half a
//! window) are identified like queries; consecutive window matches of the same track with the same
//! alignment (offset within 0.5 s once the time factor is applied) merge into one segment whose
//! bounds are the first and last aligned landmark seen.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::extract::{Peak, FRAME_SECONDS};
use crate::index::FingerprintIndex;
use crate::matcher::{Match, QueryOptions};

/// Scan options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScanOptions {
    /// Window length (s).
    pub window_s: f64,
    /// Matching options for each window (`max_matches` > 1 finds overlapping tracks).
    pub query: QueryOptions,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            window_s: 8.0,
            query: QueryOptions {
                max_matches: 2,
                ..QueryOptions::default()
            },
        }
    }
}

/// One catalog segment found in a long input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanSegment {
    /// The catalog track id.
    pub track: String,
    /// Start in the scanned input (s).
    pub start_s: f64,
    /// End in the scanned input (s).
    pub end_s: f64,
    /// Start in the track (s).
    pub track_start_s: f64,
    /// End in the track (s).
    pub track_end_s: f64,
    /// Track seconds per input second.
    pub time_factor: f64,
    /// Input frequency / track frequency.
    pub pitch_factor: f64,
    /// Best window score.
    pub score: f64,
}

impl FingerprintIndex {
    /// Scan the peaks of a long input (extracted with [`crate::ExtractConfig::QUERY`]).
    pub fn scan_peaks(&self, peaks: &[Peak], opts: &ScanOptions) -> Vec<ScanSegment> {
        let win = (opts.window_s / FRAME_SECONDS).max(64.0) as f32;
        let hop = win / 2.0;
        let end = peaks.last().map(|p| p.t).unwrap_or(0.0);
        // The windows (start frame, peak range), then their queries in parallel: windows are
        // independent, and the result keeps window order, so the scan stays deterministic.
        let mut windows: Vec<(f32, usize, usize)> = Vec::new();
        let mut t0 = 0.0f32;
        let mut lo = 0usize;
        loop {
            while lo < peaks.len() && peaks[lo].t < t0 {
                lo += 1;
            }
            let hi = lo + peaks[lo..].partition_point(|p| p.t < t0 + win);
            windows.push((t0, lo, hi));
            if t0 + win >= end {
                break;
            }
            t0 += hop;
        }
        let per_window: Vec<Vec<(f64, Match)>> = windows
            .par_iter()
            .map(|&(t0, lo, hi)| {
                let local: Vec<Peak> = peaks[lo..hi]
                    .iter()
                    .map(|p| Peak { t: p.t - t0, ..*p })
                    .collect();
                let ws = t0 as f64 * FRAME_SECONDS;
                self.query_peaks(&local, &opts.query)
                    .into_iter()
                    .map(|m| (ws, m))
                    .collect()
            })
            .collect();
        let found: Vec<(f64, Match)> = per_window.into_iter().flatten().collect();
        let mut segs: Vec<(ScanSegment, f64)> = Vec::new(); // (segment, offset at input t=0)
        for (ws, m) in found {
            let start = ws + m.query_start_s;
            let stop = ws + m.query_end_s;
            // Track position at input t = 0 under this alignment.
            let off0 = m.offset_s - m.time_factor * ws;
            if let Some((s, o)) = segs.iter_mut().rev().find(|(s, o)| {
                s.track == m.track
                    && (off0 - *o).abs() < 0.5 + 0.02 * (start - s.end_s).abs()
                    && start <= s.end_s + opts.window_s
            }) {
                if start < s.start_s {
                    s.start_s = start;
                    s.track_start_s = m.track_start_s;
                }
                if stop > s.end_s {
                    s.end_s = stop;
                    s.track_end_s = m.track_end_s;
                }
                if m.score > s.score {
                    s.score = m.score;
                    s.time_factor = m.time_factor;
                    s.pitch_factor = m.pitch_factor;
                    *o = off0;
                }
            } else {
                segs.push((
                    ScanSegment {
                        track: m.track.clone(),
                        start_s: start,
                        end_s: stop,
                        track_start_s: m.track_start_s,
                        track_end_s: m.track_end_s,
                        time_factor: m.time_factor,
                        pitch_factor: m.pitch_factor,
                        score: m.score,
                    },
                    off0,
                ));
            }
        }
        let mut out: Vec<ScanSegment> = segs.into_iter().map(|(s, _)| s).collect();
        out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        out
    }
}
