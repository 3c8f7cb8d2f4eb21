//! Matching: vote by hash and aligned offset, verify, score by significance.
//!
//! For each scale hypothesis (identity first) the query's probes are looked up in every segment of
//! every shard; each posting votes for `(track, round(frame_ref - a * t_query))`. Votes are sorted
//! and counted; a candidate's count `m` is the votes within ±1 frame of its offset.
//!
//! **Score.** Under the null hypothesis (query not in the catalog) the votes for track `j` fall
//! uniformly on its `F_j` offsets, so a 3-frame window gets `λ_j = 3 V_j / F_j` of its `V_j` votes
//! on average, and the chance that some window of some track under some hypothesis reaches `m`
//! is at most `C · P(Poisson(λ_j) ≥ m)` with `C` = (catalog frames / 3) × hypotheses. The score is
//! `-log10` of that bound: the expected number of false matches this strong, on a log scale. It
//! grows with the evidence and is comparable across query lengths and catalog sizes, so one
//! threshold ([`QueryOptions::min_score`]) sets the false-positive rate. Repetitive music and
//! uneven hash popularity make the bound optimistic; the default threshold is calibrated on
//! non-catalog queries (see the crate docs).
//!
//! **Verification.** The winning candidate's aligned votes are re-collected and a line
//! `frame_ref = α t_query + β` is fitted by least squares (two passes, inliers within 1.5
//! frames): `β` is the offset of query t = 0 in the track (ms precision from sub-frame peak times)
//! and `α` the time-scale factor.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::extract::{Peak, FRAME_SECONDS};
use crate::hash::{query_landmarks, scale_hypotheses, Probe, Scale};
use crate::index::{FingerprintIndex, LiveSegment};
use crate::segment::decode_posting;

/// Query options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryOptions {
    /// Accept a match only at or above this score (see the module docs). The default,
    /// [`DEFAULT_MIN_SCORE`], is the fingerprint-bench operating point for <= 0.1 % false
    /// positives (3,600 non-catalog queries, 20 degradations, 3/5/10 s; negatives from the same
    /// composer as the catalog, so they share material). Lower it for recall, raise it for
    /// precision; the score is length-aware, so one value serves every query length.
    pub min_score: f64,
    /// Search speed / pitch / tempo hypotheses when the identity does not give a sure match.
    pub search_scales: bool,
    /// Most matches returned (best first, distinct tracks).
    pub max_matches: usize,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            min_score: DEFAULT_MIN_SCORE,
            search_scales: true,
            max_matches: 1,
        }
    }
}

/// Default decision threshold on the score.
pub const DEFAULT_MIN_SCORE: f64 = 17.5;
/// Posting lists longer than this many times the mean (and 16) are skipped as stop words.
const MAX_POSTINGS_FACTOR: usize = 8;
/// Identity-hypothesis score above which the scale search is skipped.
const SURE_SCORE: f64 = 25.0;

/// One identified catalog segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The catalog track id.
    pub track: String,
    /// Position in the track (s) that corresponds to query t = 0 (can be negative when the
    /// query starts before the track).
    pub offset_s: f64,
    /// Matched span in the query (s).
    pub query_start_s: f64,
    /// End of the matched span in the query (s).
    pub query_end_s: f64,
    /// Matched span in the track (s).
    pub track_start_s: f64,
    /// End of the matched span in the track (s).
    pub track_end_s: f64,
    /// Track seconds per query second (1.05 = the query plays 5 % fast).
    pub time_factor: f64,
    /// Query frequency / track frequency (1.0595 = one semitone up).
    pub pitch_factor: f64,
    /// Aligned landmark matches.
    pub matches: u32,
    /// Significance score (-log10 of the expected number of chance matches this strong).
    pub score: f64,
}

struct Candidate {
    seg: usize,
    local: u32,
    bin: i32,
    score: f64,
    scale: Scale,
    lambda: f64,
    ln_c: f64,
}

const BIAS: i64 = 1 << 23;

fn ln_poisson_tail(m: u32, lambda: f64) -> f64 {
    if m == 0 {
        return 0.0;
    }
    let lambda = lambda.max(1e-12);
    // ln P(X = m) + ln(sum_{k>=0} lambda^k m!/(m+k)!)
    let mut ln_fact = 0.0;
    for k in 2..=m {
        ln_fact += (k as f64).ln();
    }
    let ln_pm = -lambda + m as f64 * lambda.ln() - ln_fact;
    let mut sum = 1.0;
    let mut term = 1.0;
    for k in 1..50 {
        term *= lambda / (m + k) as f64;
        sum += term;
        if term < 1e-12 {
            break;
        }
    }
    (ln_pm + sum.ln()).min(0.0)
}

impl FingerprintIndex {
    fn vote(&self, probes: &[Probe], scale: Scale, hyps: f64, top: usize) -> Vec<Candidate> {
        // Shards answer independently (in parallel); their candidates are merged here.
        let shards: Vec<u32> = {
            let mut s: Vec<u32> = self.segments.iter().map(|s| s.shard).collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let total_frames = self.live_frames.max(1) as f64;
        let ln_c = (total_frames / 3.0 * hyps).ln();
        let per_shard = |shard: u32| -> Vec<Candidate> {
            let mut votes: Vec<u64> = Vec::new();
            for (si, s) in self.segments.iter().enumerate() {
                if s.shard != shard {
                    continue;
                }
                // Stop-word rule: a hash far more common than average (sustained tones, drones)
                // costs many votes and carries little evidence; skip its postings.
                let cap = 4 * MAX_POSTINGS_FACTOR * (s.seg.len() >> crate::hash::HASH_BITS).max(16);
                for p in probes {
                    let post = s.seg.lookup(p.hash);
                    if post.len() > cap {
                        continue;
                    }
                    for raw in post.chunks_exact(4) {
                        let (local, frame) = decode_posting(raw);
                        if s.dead.get(local as usize).copied().unwrap_or(true) {
                            continue;
                        }
                        let bin = (frame as f32 - p.t).round() as i64 + BIAS;
                        let cand = ((si as u64) << 12) | local as u64;
                        // cand (24 bits) | offset bin (24 bits) | query anchor (16 bits)
                        votes.push((cand << 40) | ((bin as u64) << 16) | p.anchor as u64);
                    }
                }
            }
            score_votes(&mut votes, &self.segments, ln_c, scale, top)
        };
        let mut all: Vec<Candidate> = if shards.len() > 1 && probes.len() > 256 {
            shards.par_iter().flat_map(|&s| per_shard(s)).collect()
        } else {
            shards.iter().flat_map(|&s| per_shard(s)).collect()
        };
        all.sort_by(|a, b| b.score.total_cmp(&a.score));
        all.truncate(top);
        all
    }

    /// Identify `peaks` (extracted with [`crate::ExtractConfig::QUERY`]); best match first.
    pub fn query_peaks(&self, peaks: &[Peak], opts: &QueryOptions) -> Vec<Match> {
        let hyps = if opts.search_scales {
            scale_hypotheses()
        } else {
            vec![Scale::IDENTITY]
        };
        let nh = hyps.len() as f64;
        let top = opts.max_matches.max(1) + 2;
        let mut probes = Vec::new();
        let mut cands: Vec<Candidate> = Vec::new();
        for (i, &h) in hyps.iter().enumerate() {
            query_landmarks(peaks, h, &mut probes);
            cands.extend(self.vote(&probes, h, nh, top));
            // Fast path: a strong identity match whose aligned landmarks span most of the
            // query needs no scale search (a time-stretched query aligns only briefly).
            if i == 0 {
                if let Some(c) = cands.first().filter(|c| c.score >= SURE_SCORE) {
                    let m = self.verify(peaks, c);
                    let span =
                        peaks.last().map_or(0.0, |l| l.t - peaks[0].t) as f64 * FRAME_SECONDS;
                    if m.query_end_s - m.query_start_s >= 0.6 * span {
                        break;
                    }
                }
            }
        }
        cands.sort_by(|a, b| b.score.total_cmp(&a.score));
        // Verify the strongest candidates (distinct tracks) and rank by the verified score.
        let mut verified: Vec<Match> = Vec::new();
        for c in cands {
            if c.score < opts.min_score || verified.len() >= top {
                break;
            }
            let id = &self.segments[c.seg].seg.tracks[c.local as usize].id;
            if verified.iter().any(|m| &m.track == id) {
                continue;
            }
            verified.push(self.verify(peaks, &c));
        }
        verified.sort_by(|a, b| b.score.total_cmp(&a.score));
        verified.retain(|m| m.score >= opts.min_score);
        verified.truncate(opts.max_matches);
        verified
    }

    fn verify(&self, peaks: &[Peak], c: &Candidate) -> Match {
        let mut probes = Vec::new();
        query_landmarks(peaks, c.scale, &mut probes);
        let a = c.scale.time_factor as f64;
        let seg = &self.segments[c.seg].seg;
        // (raw query time, reference frame, query anchor)
        let mut pts: Vec<(f64, f64, u16)> = Vec::new();
        for p in &probes {
            for raw in seg.lookup(p.hash).chunks_exact(4) {
                let (local, frame) = decode_posting(raw);
                if local == c.local && ((frame as f32 - p.t) - c.bin as f32).abs() <= 1.5 {
                    pts.push((p.t as f64 / a, frame as f64, p.anchor));
                }
            }
        }
        pts.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
        pts.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
        let (mut alpha, mut beta) = (a, c.bin as f64);
        for _ in 0..2 {
            let inl: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| (p.0, p.1))
                .filter(|&(t, r)| (r - (alpha * t + beta)).abs() <= 1.5)
                .collect();
            if inl.len() < 3 {
                break;
            }
            let n = inl.len() as f64;
            let mt = inl.iter().map(|p| p.0).sum::<f64>() / n;
            let mr = inl.iter().map(|p| p.1).sum::<f64>() / n;
            let stt = inl.iter().map(|p| (p.0 - mt).powi(2)).sum::<f64>();
            // Fit the slope only over a long enough span, and keep it near the hypothesis.
            if stt / n > 40.0 * 40.0 {
                let str_ = inl.iter().map(|p| (p.0 - mt) * (p.1 - mr)).sum::<f64>();
                alpha = (str_ / stt).clamp(a * 0.985, a * 1.015);
            }
            beta = mr - alpha * mt;
        }
        let inl: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (p.0, p.1))
            .filter(|&(t, r)| (r - (alpha * t + beta)).abs() <= 1.5)
            .collect();
        let (q0, q1) = dense_span(&inl);
        // Final evidence: distinct query anchors on the fitted line inside the dense span.
        let mut anchors: Vec<u16> = pts
            .iter()
            .filter(|p| (p.1 - (alpha * p.0 + beta)).abs() <= 1.5 && p.0 >= q0 && p.0 <= q1)
            .map(|p| p.2)
            .collect();
        anchors.sort_unstable();
        anchors.dedup();
        let m = anchors.len() as u32;
        let score = -(c.ln_c + ln_poisson_tail(m, c.lambda)) / std::f64::consts::LN_10;
        let fs = FRAME_SECONDS;
        Match {
            track: seg.tracks[c.local as usize].id.clone(),
            offset_s: round_ms(beta * fs),
            query_start_s: round_ms(q0 * fs),
            query_end_s: round_ms(q1 * fs),
            track_start_s: round_ms((alpha * q0 + beta) * fs),
            track_end_s: round_ms((alpha * q1 + beta) * fs),
            time_factor: (alpha * 1e4).round() / 1e4,
            pitch_factor: (c.scale.freq_factor as f64 * 1e4).round() / 1e4,
            matches: m,
            score: (score.min(c.score) * 100.0).round() / 100.0,
        }
    }
}

/// Bounds of the longest run of inliers (by query time) with no gap over 1 s: stray chance
/// votes on the fitted line must not stretch the matched span.
fn dense_span(inl: &[(f64, f64)]) -> (f64, f64) {
    if inl.is_empty() {
        return (0.0, 0.0);
    }
    let mut t: Vec<f64> = inl.iter().map(|p| p.0).collect();
    t.sort_by(f64::total_cmp);
    let gap = 1.0 / FRAME_SECONDS;
    let (mut best, mut start) = ((t[0], t[0], 1usize), 0usize);
    for i in 1..=t.len() {
        if i == t.len() || t[i] - t[i - 1] > gap {
            let n = i - start;
            if n > best.2 {
                best = (t[start], t[i - 1], n);
            }
            start = i;
        }
    }
    (best.0, best.1)
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

fn score_votes(
    votes: &mut [u64],
    segs: &[LiveSegment],
    ln_c: f64,
    scale: Scale,
    top: usize,
) -> Vec<Candidate> {
    if votes.is_empty() {
        return Vec::new();
    }
    votes.sort_unstable();
    // runs: (cand, bin, distinct query anchors). Counting anchors, not landmarks, keeps one
    // coincident chord (many pairs from the same peaks) from looking like many matches.
    let mut runs: Vec<(u64, i64, u32)> = Vec::new();
    let mut last = u64::MAX;
    for &v in votes.iter() {
        if v == last {
            continue;
        }
        last = v;
        let cand = v >> 40;
        let bin = ((v >> 16) & ((1 << 24) - 1)) as i64;
        match runs.last_mut() {
            Some(r) if r.0 == cand && r.1 == bin => r.2 += 1,
            _ => runs.push((cand, bin, 1)),
        }
    }
    let mut out: Vec<Candidate> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let cand = runs[i].0;
        let mut j = i;
        let mut total = 0u32;
        while j < runs.len() && runs[j].0 == cand {
            total += runs[j].2;
            j += 1;
        }
        // best 3-bin window within this candidate
        let (mut best, mut best_bin) = (0u32, 0i64);
        for k in i..j {
            let mut c = runs[k].2;
            if k > i && runs[k - 1].1 == runs[k].1 - 1 {
                c += runs[k - 1].2;
            }
            if k + 1 < j && runs[k + 1].1 == runs[k].1 + 1 {
                c += runs[k + 1].2;
            }
            if c > best {
                best = c;
                best_bin = runs[k].1;
            }
        }
        let seg = (cand >> 12) as usize;
        let local = (cand & 0xfff) as u32;
        if best >= 3 {
            let frames = segs[seg]
                .seg
                .tracks
                .get(local as usize)
                .map(|t| t.frames)
                .unwrap_or(1)
                .max(100) as f64;
            let lambda = 3.0 * (total - best) as f64 / frames;
            let score = -(ln_c + ln_poisson_tail(best, lambda)) / std::f64::consts::LN_10;
            out.push(Candidate {
                seg,
                local,
                bin: (best_bin - BIAS) as i32,
                score,
                scale,
                lambda,
                ln_c,
            });
        }
        i = j;
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.truncate(top);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tail_matches_direct_sum() {
        let lambda: f64 = 0.3;
        let m = 4;
        let direct: f64 = 1.0
            - (0..m)
                .map(|k| {
                    (-lambda).exp() * lambda.powi(k as i32)
                        / (1..=k).map(|x| x as f64).product::<f64>()
                })
                .sum::<f64>();
        assert!((ln_poisson_tail(m, lambda) - direct.ln()).abs() < 1e-6);
    }
}
