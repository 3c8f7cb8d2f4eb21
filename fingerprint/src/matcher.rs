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
//! and `α` the time-scale factor. When the query's energies are given
//! ([`FingerprintIndex::query_with_energies`]) and the track fits the query about as well at
//! other offsets (a repeated passage), the offset whose fine print the query fits best is the
//! one fitted (see [`crate::fine`]).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::extract::{Peak, FRAME_SECONDS};
use crate::fine::{self, QueryBands, QueryEnergies};
use crate::hash::{
    query_landmarks_margins, query_landmarks_with, scale_hypotheses, screening_peaks,
    vote_hypotheses, Probe, Scale, QUERY_FANOUT, SCREEN_FANOUT,
};
use crate::index::{FingerprintIndex, LiveSegment};
use crate::segment::Postings;

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
/// Screening-probe score of a track's identity alignment in its own search (`sure_track`) from
/// which that alignment is verified with the dense probes before the other scales are searched:
/// a noisy query whose screening evidence falls short of [`SURE_SCORE`] is usually settled
/// there, and skips the 16 other per-track searches. On the 10 000-track bench (5 s, white
/// noise 10 dB, loaded 2-core box) the thread-CPU p50 fell from 6.3-7.1 to 5.4-5.6 ms with the
/// same 108/128 matched.
const DENSE_IDENTITY_SCORE: f64 = 10.0;
/// Screening score from which a candidate is verified (and, if still short of the threshold,
/// verified again with the dense probes).
pub const SCREEN_MIN_SCORE: f64 = 6.0;
/// Most candidate tracks searched on their own (`sure_track`) per query: the ones the first
/// hypotheses vote for; a query none of them settles pays for the full search anyway. (A track
/// counts again when a hypothesis far from the earlier one names it.) On the 10 000-track
/// bench, 4 searches gave a lower p95 than 2 (chance candidates of the first votes used both up)
/// or 6.
const MAX_TRACK_SEARCHES: usize = 4;
/// Relative distance (time and frequency factors) of the hypotheses a track is searched under
/// on its own (`sure_track`) from the hypothesis whose vote named it.
const NEAR_SCALE: f32 = 0.02;
/// A track's best offset window elsewhere (over [`REPEAT_MIN_FRAMES`] away) with at least this
/// fraction of the best one's votes marks a repeated passage (see `sure_track`).
const REPEAT_RATIO: f64 = 0.5;
/// An offset window of a query's track holding at least this fraction of the anchors of the
/// chosen one is another copy of the passage for the fine print to weigh (see
/// `fine_placement`).
const FINE_RATIO: f64 = 0.8;
/// Most other copies weighed by the fine print.
const MAX_FINE_ALTERNATIVES: usize = 3;
/// Fewest fine frames (64 ms) a comparison takes (2 s).
const FINE_MIN_FRAMES: usize = 30;
/// How much lower (in standard errors of a bit-error rate, `0.5 / sqrt(bits)`) another copy's
/// fine-print bit-error rate must be to move the query there.
const FINE_MARGIN_SIGMAS: f64 = 1.0;
/// Offsets closer than this (frames, 1 s) are one alignment, not a repeat.
const REPEAT_MIN_FRAMES: i64 = 64;
/// Most candidates verified per query when screening (8 before the coarse vote grid: the same
/// matches on the 10 000-track bench, the verification of a query with no match half the cost).
const MAX_VERIFY: usize = 4;
/// Cell-boundary margins (f1, dt / df; see [`crate::hash::PROBE_MARGINS`]) of the catalog-wide
/// screening vote of a large catalog. A probe near a cell boundary also reads the neighbouring
/// cell's postings; at the default margins that is about 2.5 lookups per landmark, at these
/// about 1.3. On the 10 000-track bench (5 s, white noise 10 dB, loaded 2-core box) the
/// thread-CPU p95 fell from 64-76 to 51-52 ms with the same 108/128 matched; the per-track
/// searches and verification keep the default margins. (Narrower margins alone, 0 / 0, lost
/// 8 matches; a tighter stop-word cap for the vote, 8-24x the mean instead of 32x, lost 4-44.)
const SCREEN_VOTE_MARGINS: (f32, f32) = (0.05, 0.05);
/// Half-width (frames) of the band around the candidate's offset line from which the line fit
/// of [`FingerprintIndex::verify`] takes its points (inliers stay within 1.5 frames).
const FIT_BAND: f32 = 6.0;
/// Refits of the offset line, each from the inliers of the previous line.
const FIT_PASSES: usize = 4;
/// Mean postings per hash above which a catalog is large: its queries screen without the small
/// catalog's extra searches (see `query_peaks`).
pub const SCREEN_ABOVE_POSTINGS: usize = 16;

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

/// A query's energies and their band energies under the pitch hypotheses met so far (a query
/// is verified many times, mostly under the same few hypotheses).
struct FineQuery<'a> {
    energies: &'a QueryEnergies,
    bands: std::cell::RefCell<Vec<(u32, std::rc::Rc<QueryBands>)>>,
}

impl FineQuery<'_> {
    fn bands(&self, freq_factor: f32) -> std::rc::Rc<QueryBands> {
        let key = freq_factor.to_bits();
        let mut cache = self.bands.borrow_mut();
        if let Some((_, b)) = cache.iter().find(|(k, _)| *k == key) {
            return b.clone();
        }
        let b = std::rc::Rc::new(QueryBands::new(self.energies, freq_factor as f64));
        cache.push((key, b.clone()));
        b
    }
}

/// One track's postings under a query's probes (see [`FingerprintIndex::track_hits`]).
struct TrackHits {
    /// (probe time on the reference axis, reference frame, query anchor)
    hits: Vec<(f32, u32, u16)>,
    /// Probes looked up.
    probes: usize,
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

/// Whether hypothesis `h` is within [`NEAR_SCALE`] of `c` in both time and frequency.
fn near_scale(h: Scale, c: Scale) -> bool {
    (h.time_factor / c.time_factor - 1.0).abs() <= NEAR_SCALE
        && (h.freq_factor / c.freq_factor - 1.0).abs() <= NEAR_SCALE
}

/// Chance rate `λ` of votes in one 3-frame offset window of a track with `frames` frames, from
/// `off_line` votes of the track elsewhere, under `probes` probes.
///
/// The off-line votes estimate it, but they can be none at all (a short track, a query that
/// shares a few exact tones with it), and `λ = 0` would make any three aligned votes
/// infinitely significant. The floor is the rate of uniformly spread hashes: each of the
/// track's ~1 landmark per frame meets a probe with chance `probes / 2^HASH_BITS` (real hashes
/// cluster, so real chance rates are higher; the floor only stops the estimate from vanishing).
fn chance_rate(off_line: u32, probes: usize, frames: f64) -> f64 {
    let uniform = probes as f64 / (1u64 << crate::hash::HASH_BITS) as f64;
    (3.0 * off_line as f64 / frames).max(3.0 * uniform)
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
            // Dense track numbers for this shard's per-track vote counters.
            let mut seg_base = vec![0u32; self.segments.len()];
            let mut n_cands = 0usize;
            for (si, s) in self.segments.iter().enumerate() {
                if s.shard == shard {
                    seg_base[si] = n_cands as u32;
                    n_cands += s.seg.tracks.len();
                }
            }
            SCRATCH.with(|sc| {
                let mut sc = sc.borrow_mut();
                let sc = &mut *sc;
                // Pass 1: votes per track, at any offset (one counter per track, in L1), and
                // the posting lists read. Only the tracks with the most votes can hold the
                // best-aligned ones, so pass 2 keeps the votes of the PREFILTER_TRACKS busiest
                // tracks per shard: the offset scoring (a sort) then handles a few percent of
                // the votes.
                let mut lists: Vec<(usize, Postings, i64, u16)> = Vec::with_capacity(probes.len());
                let mut posts: Vec<Postings> = Vec::with_capacity(probes.len());
                // (a shard with few tracks keeps them all: one pass)
                let prefilter = n_cands > PREFILTER_TRACKS;
                sc.track_counts.clear();
                sc.track_counts.resize(n_cands, 0);
                for (si, s) in self.segments.iter().enumerate() {
                    if s.shard != shard {
                        continue;
                    }
                    let cap = stop_word_cap(&s.seg);
                    let counts = &mut sc.track_counts[seg_base[si] as usize..];
                    sc.hashes.clear();
                    sc.hashes.extend(probes.iter().map(|p| p.hash));
                    s.seg.lookup_batch(&sc.hashes, &mut posts);
                    for (p, &post) in probes.iter().zip(&posts) {
                        if post.is_empty() || post.len() > cap {
                            continue;
                        }
                        // round(frame - t) = frame + round(-t) for an integer frame: one
                        // rounding per probe, not per posting.
                        lists.push((si, post, (-p.t).round() as i64 + BIAS, p.anchor));
                        if !prefilter {
                            continue;
                        }
                        post.for_each(|local, _| {
                            if let Some(c) = counts.get_mut(local as usize) {
                                *c = c.saturating_add(1);
                            }
                        });
                    }
                }
                let threshold = if prefilter {
                    sc.sorted_counts.clear();
                    sc.sorted_counts.extend_from_slice(&sc.track_counts);
                    let (_, kth, _) = sc
                        .sorted_counts
                        .select_nth_unstable_by(PREFILTER_TRACKS - 1, |a, b| b.cmp(a));
                    (*kth).max(3)
                } else {
                    0
                };
                // Pass 2: the kept tracks' votes.
                sc.votes.clear();
                for &(si, post, shift, anchor) in &lists {
                    let s = &self.segments[si];
                    let base = seg_base[si] as usize;
                    let seg_bits = (si as u64) << 52;
                    post.for_each(|local, frame| {
                        if sc
                            .track_counts
                            .get(base + local as usize)
                            .copied()
                            .unwrap_or(0)
                            < threshold
                            || s.dead.get(local as usize).copied().unwrap_or(true)
                        {
                            return;
                        }
                        let bin = (frame as i64 + shift) as u64 & ((1 << 24) - 1);
                        // cand = segment (12 bits) | local track (12 bits), then the offset
                        // bin (24 bits) and the query anchor (16 bits)
                        sc.votes
                            .push(seg_bits | ((local as u64) << 40) | (bin << 16) | anchor as u64);
                    });
                }
                score_votes(
                    &mut sc.votes,
                    &self.segments,
                    ln_c,
                    scale,
                    top,
                    probes.len(),
                )
            })
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
    ///
    /// The scale hypotheses are searched in order (identity first, then the speed changes
    /// nearest to it), each by a vote over the query's probes. After each vote its best new
    /// candidate track is searched on its own under the scales near the voting one (a few
    /// lookups per probe: postings are sorted by track; up to four such searches); a sure
    /// result (score at least [`SURE_SCORE`]) ends the search, so a clean or lightly degraded
    /// query costs one catalog-wide vote instead of one per hypothesis. Otherwise (or with
    /// `max_matches > 1`) every hypothesis votes and the strongest candidates (distinct tracks)
    /// are verified along their offset line.
    ///
    /// **Screening.** The catalog-wide votes use the query's most salient peaks at the index's
    /// density ([`screening_peaks`], [`SCREEN_FANOUT`] landmarks each), about a fifth of the
    /// probes; a candidate from them (score at least [`SCREEN_MIN_SCORE`]) that its own evidence
    /// leaves below `min_score` is verified again with the dense probes, reading only that
    /// track's postings, and scored against that track's dense-probe background. In a large
    /// catalog (more than [`SCREEN_ABOVE_POSTINGS`] postings per hash on average: about 80
    /// hours of audio) a probe reads that many postings, so the dense probes would read
    /// millions per hypothesis. A small catalog's probes are cheap, so there a voted track is
    /// searched under every hypothesis (not only the near ones), and a query that the
    /// screening leaves with fewer than `max_matches` matches votes the dense probes once more,
    /// at the identity scale (noise buries the salient peaks of some queries). Before this, a
    /// small catalog voted the dense probes under every hypothesis; on the fingerprint bench
    /// (30 tracks, 2.1 h; `benches/fp_misses.py --latency --other`) 3 378 of the 3 420 answers
    /// are the same, 2 queries are right only now and 1 only then, and the core time (p50 /
    /// p95) of a 5 s query fell from 4.1-4.3 / 17-18 to 2.7-2.8 / 7 ms in the catalog and from
    /// 26 / 39-40 to 5.5 / 9.5-9.7 ms outside it (a query with no match paid every dense vote).
    pub fn query_peaks(&self, peaks: &[Peak], opts: &QueryOptions) -> Vec<Match> {
        self.query_inner(peaks, None, opts, None)
    }

    /// [`FingerprintIndex::query_peaks`] with the query's energies
    /// ([`crate::QueryPrint::energies`]): a query that fits several copies of a repeated passage
    /// of a track about equally well is placed on the copy whose fine print it fits best (see
    /// [`crate::fine`]).
    pub fn query_with_energies(
        &self,
        peaks: &[Peak],
        energies: &QueryEnergies,
        opts: &QueryOptions,
    ) -> Vec<Match> {
        let fine = FineQuery {
            energies,
            bands: Default::default(),
        };
        self.query_inner(peaks, Some(&fine), opts, None)
    }

    /// [`FingerprintIndex::query_peaks`] with a large catalog's screening path (`Some(true)`) or
    /// dense votes under every hypothesis (`Some(false)`) forced; `None` is the default path. For
    /// tests and benchmarks.
    #[doc(hidden)]
    pub fn query_peaks_screening(
        &self,
        peaks: &[Peak],
        opts: &QueryOptions,
        screening: Option<bool>,
    ) -> Vec<Match> {
        self.query_inner(peaks, None, opts, screening)
    }

    fn query_inner(
        &self,
        peaks: &[Peak],
        energies: Option<&FineQuery>,
        opts: &QueryOptions,
        screening: Option<bool>,
    ) -> Vec<Match> {
        let hyps = if opts.search_scales {
            scale_hypotheses()
        } else {
            vec![Scale::IDENTITY]
        };
        let nh = hyps.len() as f64;
        let top = opts.max_matches.max(1) + 2;
        let postings: usize = self.segments.iter().map(|s| s.seg.len()).sum();
        let large = postings > SCREEN_ABOVE_POSTINGS << crate::hash::HASH_BITS;
        // Every catalog screens by default; a small one, where a probe reads few postings, also
        // searches a voted track under every hypothesis and votes the dense probes once more
        // (see `query_peaks`). `Some(true)` is a large catalog's path, `Some(false)` dense votes
        // under every hypothesis.
        let (screening, small) = match screening {
            None => (true, !large),
            Some(s) => (s, false),
        };
        let (first, fanout) = if screening {
            (screening_peaks(peaks), SCREEN_FANOUT)
        } else {
            (peaks.to_vec(), QUERY_FANOUT)
        };
        let span = peaks.last().map_or(0.0, |l| l.t - peaks[0].t) as f64 * FRAME_SECONDS;
        let mut probes = Vec::new();
        let mut cands: Vec<Candidate> = Vec::new();
        // Tracks already searched on their own by `sure_track`.
        let mut tried: Vec<(usize, u32, Scale)> = Vec::new();
        // The catalog-wide votes of a large catalog only have to name the track: on the speed
        // axis (1.5 % steps) every other hypothesis votes (3 % steps: 1.5 % off at worst, which
        // still ranks the track), and the track's own search (`sure_track`, the hypotheses
        // within NEAR_SCALE of the voting one) finds the scale. On the 10 000-track bench this
        // (with the near-only track searches) took the 5 s noise-set p95 from 42-48 to 17-18 ms
        // with the same 108/128 matched, and the speed set's the same 108/128.
        let voted: Vec<Scale> = if screening {
            vote_hypotheses(&hyps)
        } else {
            hyps.clone()
        };
        for (i, &h) in voted.iter().enumerate() {
            if screening {
                // Boundary cells cost reads on every probe; the vote only has to rank the true
                // track first, and its own search below probes both cells again.
                query_landmarks_margins(&first, h, fanout, SCREEN_VOTE_MARGINS, &mut probes);
            } else {
                query_landmarks_with(&first, h, fanout, &mut probes);
            }
            let new = self.vote(&probes, h, nh, top);
            // Fast path: the best new candidate of this hypothesis, if sure, ends the
            // catalog-wide search: its track is searched under every scale on its own (a few
            // lookups per probe), which names the scale; the other hypotheses' votes are
            // skipped. With several matches wanted, every hypothesis votes.
            if opts.max_matches == 1 && hyps.len() > 1 {
                if let Some(c) = new.first().filter(|c| {
                    c.score >= SCREEN_MIN_SCORE
                        && tried.len() < MAX_TRACK_SEARCHES
                        && !tried
                            .iter()
                            .any(|t| (t.0, t.1) == (c.seg, c.local) && near_scale(t.2, c.scale))
                }) {
                    tried.push((c.seg, c.local, c.scale));
                    // its track under the hypotheses near the one that voted for it (a small
                    // catalog, cheap to search, under all of them: on the fingerprint bench the
                    // near ones alone lost 2 of 60 tempo ±5 % queries at 10 s)
                    let near: Vec<Scale> = hyps
                        .iter()
                        .copied()
                        .filter(|&h| !screening || small || near_scale(h, c.scale))
                        .collect();
                    if let Some(m) = self.sure_track(peaks, energies, c, &near, nh, span, opts) {
                        return vec![m];
                    }
                }
            } else if i == 0 {
                if let Some(c) = new.first().filter(|c| c.score >= SURE_SCORE) {
                    let m = self.verify(&first, fanout, c, false, energies);
                    if m.query_end_s - m.query_start_s >= 0.6 * span {
                        cands.extend(new);
                        break;
                    }
                }
            }
            cands.extend(new);
        }
        cands.sort_by(|a, b| b.score.total_cmp(&a.score));
        // Verify the strongest candidates (distinct tracks) and rank by the verified score.
        let (min_vote, most) = if screening {
            (SCREEN_MIN_SCORE.min(opts.min_score), MAX_VERIFY.max(top))
        } else {
            (opts.min_score, top)
        };
        let mut verified: Vec<Match> = Vec::new();
        let mut seen: Vec<(usize, u32)> = Vec::new();
        for c in cands {
            let passed = verified
                .iter()
                .filter(|m| m.score >= opts.min_score)
                .count();
            if c.score < min_vote || seen.len() >= most || passed >= top {
                break;
            }
            if seen.contains(&(c.seg, c.local)) {
                continue;
            }
            seen.push((c.seg, c.local));
            let mut m = self.verify(&first, fanout, &c, false, energies);
            if screening && m.score < opts.min_score {
                let dense = self.verify(peaks, QUERY_FANOUT, &c, true, energies);
                if dense.score > m.score {
                    m = dense;
                }
            }
            verified.push(m);
        }
        // A small catalog's screening that found fewer matches than wanted: one dense vote at
        // the identity scale (a noisy query whose salient peaks fell short), its candidates
        // verified against their vote's background as the dense path does.
        let found = verified
            .iter()
            .filter(|m| m.score >= opts.min_score)
            .count();
        if small && found < opts.max_matches {
            query_landmarks_with(peaks, Scale::IDENTITY, QUERY_FANOUT, &mut probes);
            for c in self.vote(&probes, Scale::IDENTITY, nh, top) {
                if c.score < opts.min_score {
                    break;
                }
                let m = self.verify(peaks, QUERY_FANOUT, &c, false, energies);
                // (one match per track: the better of the screening's and this one)
                match verified.iter_mut().find(|v| v.track == m.track) {
                    Some(v) if m.score > v.score => *v = m,
                    Some(_) => {}
                    None => verified.push(m),
                }
            }
        }
        verified.sort_by(|a, b| b.score.total_cmp(&a.score));
        verified.retain(|m| m.score >= opts.min_score);
        verified.truncate(opts.max_matches);
        verified
    }

    /// A vote's best candidate, searched on its own: its track's landmarks under every scale
    /// hypothesis (per-track lookups, two binary searches per probe, no catalog-wide vote)
    /// from the screening probes; the best hypothesis is re-verified with the dense probes when
    /// the screening evidence is short. Identity is tried first and kept at once when it is
    /// sure and its fitted slope is nearer 1 than the next speed step. `None` unless the
    /// result reaches [`SURE_SCORE`] (and `min_score`) over a third of the query span.
    #[allow(clippy::too_many_arguments)]
    fn sure_track(
        &self,
        peaks: &[Peak],
        energies: Option<&FineQuery>,
        c: &Candidate,
        hyps: &[Scale],
        nh: f64,
        span: f64,
        opts: &QueryOptions,
    ) -> Option<Match> {
        let sp = screening_peaks(peaks);
        let need = SURE_SCORE.max(opts.min_score);
        // Most of the query must align: a track that shares a passage with the query's (a
        // medley, a sample) scores high over a short span only.
        // And its fitted slope must stay clear of the ±1.5 % the fit allows around the
        // hypothesis: a slope at that bound says the true scale lies beyond this hypothesis
        // (a pitch-shifted query aligned under a speed hypothesis), and a later vote, under a
        // hypothesis near the true scale, names the track again.
        let sure = |m: &Match, h: Scale| {
            m.score >= need
                && (m.query_end_s - m.query_start_s) >= 0.6 * span
                && (m.time_factor / h.time_factor as f64 - 1.0).abs() <= 0.0125
        };
        // A sure alignment whose track also fits the query elsewhere nearly as well (a looped
        // or repeated passage) is placed by the dense probes: with the screening probes' few
        // votes, noise decides between two copies of a passage. (Most fingerprint-bench misses
        // are the right track at a repeat; on the bench 32 queries are right only with this and
        // 12 only without it: `benches/fp_misses.py --other`.)
        let placed = |m: Match, cand: &Candidate, repeat: f64| -> Match {
            if repeat >= REPEAT_RATIO {
                let d = self.verify(peaks, QUERY_FANOUT, cand, true, energies);
                if sure(&d, cand.scale) {
                    return d;
                }
            }
            m
        };
        let mut best: Option<(Match, Candidate, f64)> = None;
        for (k, &h) in hyps.iter().enumerate() {
            let hits = self.track_hits(&sp, SCREEN_FANOUT, c.seg, c.local, h);
            let Some((cand, repeat)) = self.track_candidate(&hits.hits, c.seg, c.local, h, nh)
            else {
                continue;
            };
            // (the fine print places only the verifications that can be returned: `placed`
            // and the dense ones below)
            let m = self.verify_hits(&hits, &cand, true, None);
            // An identity alignment that is sure and keeps its slope needs no other scale.
            if k == 0
                && h == Scale::IDENTITY
                && sure(&m, h)
                && (m.time_factor - 1.0).abs() <= 0.0075
            {
                return Some(placed(m, &cand, repeat));
            }
            // A promising identity alignment that the screening probes leave short is verified
            // with the dense probes before the other scales are searched.
            if k == 0
                && h == Scale::IDENTITY
                && m.score >= DENSE_IDENTITY_SCORE
                && (m.time_factor - 1.0).abs() <= 0.0075
            {
                let d = self.verify(peaks, QUERY_FANOUT, &cand, true, energies);
                if sure(&d, h) && (d.time_factor - 1.0).abs() <= 0.0075 {
                    return Some(d);
                }
            }
            if best.as_ref().is_none_or(|b| m.score > b.0.score) {
                best = Some((m, cand, repeat));
            }
        }
        let (m, cand, repeat) = best?;
        if sure(&m, cand.scale) {
            return Some(placed(m, &cand, repeat));
        }
        let m = self.verify(peaks, QUERY_FANOUT, &cand, true, energies);
        sure(&m, cand.scale).then_some(m)
    }

    /// One track's vote under `scale`: its best 3-bin offset window over the distinct query
    /// anchors, as a candidate for [`Self::verify`] (with its own background), and the votes
    /// of the best window elsewhere in the track relative to it (a repeated passage: see
    /// [`REPEAT_RATIO`]). Reads only that track's postings.
    fn track_candidate(
        &self,
        hits: &[(f32, u32, u16)],
        seg_i: usize,
        local: u32,
        scale: Scale,
        nh: f64,
    ) -> Option<(Candidate, f64)> {
        let mut votes: Vec<(i64, u16)> = hits
            .iter()
            .map(|&(t, frame, anchor)| ((frame as f32 - t).round() as i64, anchor))
            .collect();
        // distinct anchors per offset bin, then the best window of three adjacent bins
        let runs = offset_runs(&mut votes);
        let best = best_window(&runs);
        if best.0 < 3 {
            return None;
        }
        let repeat = runner_up_window(&runs, best.1).0 as f64 / best.0 as f64;
        let total_frames = self.live_frames.max(1) as f64;
        let cand = Candidate {
            seg: seg_i,
            local,
            bin: best.1 as i32,
            score: f64::INFINITY,
            scale,
            lambda: 0.0,
            ln_c: (total_frames / 3.0 * nh).ln(),
        };
        Some((cand, repeat))
    }

    /// Re-collect the candidate's aligned landmarks with the probes of `peaks` (`fanout` per
    /// anchor), fit its offset line, and score the distinct query anchors on it against the
    /// background of all the candidate track's votes under these probes.
    /// With `own_background`, the chance background is this track's votes under these probes
    /// (the candidate came from other probes); otherwise the candidate's own background, and
    /// the score never exceeds the vote's.
    fn verify(
        &self,
        peaks: &[Peak],
        fanout: usize,
        c: &Candidate,
        own_background: bool,
        energies: Option<&FineQuery>,
    ) -> Match {
        let hits = self.track_hits(peaks, fanout, c.seg, c.local, c.scale);
        self.verify_hits(&hits, c, own_background, energies)
    }

    /// Every posting of one track under the probes of `peaks` at `scale`, as
    /// (probe time on the reference axis, reference frame, query anchor). Stop words skipped.
    fn track_hits(
        &self,
        peaks: &[Peak],
        fanout: usize,
        seg_i: usize,
        local: u32,
        scale: Scale,
    ) -> TrackHits {
        let mut probes = Vec::new();
        query_landmarks_with(peaks, scale, fanout, &mut probes);
        let seg = &self.segments[seg_i].seg;
        let cap = stop_word_cap(seg);
        let hashes: Vec<u32> = probes.iter().map(|p| p.hash).collect();
        let mut posts = Vec::with_capacity(probes.len());
        seg.lookup_batch(&hashes, &mut posts);
        let mut hits = Vec::new();
        for (p, &post) in probes.iter().zip(&posts) {
            if post.len() > cap {
                continue;
            }
            post.track(local)
                .for_each(|_, f| hits.push((p.t, f, p.anchor)));
        }
        TrackHits {
            hits,
            probes: probes.len(),
        }
    }

    /// [`Self::verify`] on collected [`Self::track_hits`].
    fn verify_hits(
        &self,
        hits: &TrackHits,
        c: &Candidate,
        own_background: bool,
        energies: Option<&FineQuery>,
    ) -> Match {
        let a = c.scale.time_factor as f64;
        let seg = &self.segments[c.seg].seg;
        // (raw query time, reference frame, query anchor)
        let mut pts: Vec<(f64, f64, u16)> = Vec::new();
        // every vote of this track under these probes, at any offset (distinct offset bin and
        // query anchor, as the voting pass counts them): the chance background
        let mut track_votes: Vec<(i64, u16)> = hits
            .hits
            .iter()
            .map(|&(t, frame, anchor)| ((frame as f32 - t).round() as i64, anchor))
            .collect();
        // These probes' own best offset window, where it holds more anchors than the
        // candidate's (dense probes re-placing a screening vote: a repeated passage)
        let runs = offset_runs(&mut track_votes);
        let (best, best_bin) = best_window(&runs);
        let mut bin = if best > window_count(&runs, c.bin as i64) {
            best_bin as i32
        } else {
            c.bin
        };
        if let Some(q) = energies {
            bin = self.fine_placement(&runs, bin, c, q);
        }
        for &(t, frame, anchor) in &hits.hits {
            // A band wider than the inlier tolerance: the hypotheses are 1.5 % apart, so the
            // true line can drift a few frames off the hypothesis' over a 10 s query (a 5 %
            // speed-up searched at 1.045 drifts 1.6 frames at either end); the fit below
            // follows it there.
            if ((frame as f32 - t) - bin as f32).abs() <= FIT_BAND {
                pts.push((t as f64 / a, frame as f64, anchor));
            }
        }
        pts.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
        pts.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
        let (mut alpha, mut beta) = (a, bin as f64);
        for _ in 0..FIT_PASSES {
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
        let frames = seg.tracks[c.local as usize].frames.max(100) as f64;
        let score = if own_background {
            let off_line = (track_votes.len() as u32).saturating_sub(m);
            let lambda = chance_rate(off_line, hits.probes, frames);
            -(c.ln_c + ln_poisson_tail(m, lambda)) / std::f64::consts::LN_10
        } else {
            (-(c.ln_c + ln_poisson_tail(m, c.lambda)) / std::f64::consts::LN_10).min(c.score)
        };
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
            score: (score * 100.0).round() / 100.0,
        }
    }
}

impl FingerprintIndex {
    /// Where a query goes among the copies of a repeated passage: of the track's offset windows
    /// holding at least [`FINE_RATIO`] of the anchors of the window at `bin` (over
    /// [`REPEAT_MIN_FRAMES`] from it and from each other), the one whose fine print the query
    /// fits with the fewest differing bits, when that beats `bin`'s by more than
    /// [`FINE_MARGIN_SIGMAS`] standard errors of a bit-error rate; else `bin`. A track without a
    /// fine print (added from peaks) keeps `bin`.
    fn fine_placement(&self, runs: &[(i64, u32)], bin: i32, c: &Candidate, q: &FineQuery) -> i32 {
        let own = window_count(runs, bin as i64);
        let need = ((own as f64 * FINE_RATIO).ceil() as u32).max(3);
        let mut windows: Vec<(u32, i64)> = runs
            .iter()
            .map(|r| (window_count(runs, r.0), r.0))
            .filter(|w| w.0 >= need && (w.1 - bin as i64).abs() > REPEAT_MIN_FRAMES)
            .collect();
        if windows.is_empty() {
            return bin;
        }
        windows.sort_by(|a, b| b.cmp(a));
        let mut alts: Vec<i64> = Vec::new();
        for (_, b) in windows {
            if alts.iter().all(|a| (a - b).abs() > REPEAT_MIN_FRAMES) {
                alts.push(b);
                if alts.len() == MAX_FINE_ALTERNATIVES {
                    break;
                }
            }
        }
        let seg = &self.segments[c.seg].seg;
        if seg.fine_code(c.local, 1).is_none() {
            return bin;
        }
        let bands = q.bands(c.scale.freq_factor);
        let alpha = c.scale.time_factor as f64;
        // Bit-error rate at the best alignment within ±1 frame of a window's centre bin (the
        // window's extent), and the bits it compared.
        let ber = |b: i64| -> Option<(f64, u32)> {
            (-1..=1)
                .filter_map(|d| {
                    fine::mismatch(
                        |j| seg.fine_code(c.local, j),
                        &bands,
                        alpha,
                        (b + d) as f64,
                        FINE_MIN_FRAMES,
                    )
                })
                .map(|(d, n)| (d as f64 / n as f64, n))
                .min_by(|x, y| x.0.total_cmp(&y.0))
        };
        let Some((mut best_ber, n)) = ber(bin as i64) else {
            return bin;
        };
        let margin = FINE_MARGIN_SIGMAS * 0.5 / (n as f64).sqrt();
        let mut best = bin;
        for a in alts {
            if let Some((e, _)) = ber(a) {
                if e + margin < best_ber {
                    best_ber = e;
                    best = a as i32;
                }
            }
        }
        best
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

/// Reusable per-thread buffers of the voting pass (a query votes once per scale hypothesis).
#[derive(Default)]
struct VoteScratch {
    votes: Vec<u64>,
    hashes: Vec<u32>,
    track_counts: Vec<u16>,
    sorted_counts: Vec<u16>,
}

/// Tracks per shard whose votes are scored by offset (the busiest ones; see `vote`).
const PREFILTER_TRACKS: usize = 64;

thread_local! {
    static SCRATCH: std::cell::RefCell<VoteScratch> = std::cell::RefCell::new(VoteScratch::default());
}

/// Stop-word rule: a hash far more common than average in a segment (sustained tones, drones)
/// costs many votes and carries little evidence; its postings are skipped.
fn stop_word_cap(seg: &crate::segment::Segment) -> usize {
    MAX_POSTINGS_FACTOR * (seg.len() >> crate::hash::HASH_BITS).max(16)
}

/// Anchors in the 3-bin window centred on `bin` of `runs` (sorted by bin).
fn window_count(runs: &[(i64, u32)], bin: i64) -> u32 {
    let s = runs.partition_point(|r| r.0 < bin - 1);
    runs[s..]
        .iter()
        .take_while(|r| r.0 <= bin + 1)
        .map(|r| r.1)
        .sum()
}

/// `(bin, distinct query anchors)` runs of one track's `(offset bin, anchor)` votes (sorted
/// and deduplicated in place).
fn offset_runs(votes: &mut Vec<(i64, u16)>) -> Vec<(i64, u32)> {
    votes.sort_unstable();
    votes.dedup();
    let mut runs: Vec<(i64, u32)> = Vec::new();
    for &(bin, _) in votes.iter() {
        match runs.last_mut() {
            Some(r) if r.0 == bin => r.1 += 1,
            _ => runs.push((bin, 1)),
        }
    }
    runs
}

/// The best window of `runs` farther than [`REPEAT_MIN_FRAMES`] from `centre`: another
/// place in the same track that the query also fits (a repeated passage).
fn runner_up_window(runs: &[(i64, u32)], centre: i64) -> (u32, i64) {
    let before = runs.partition_point(|r| r.0 < centre - REPEAT_MIN_FRAMES);
    let after = runs.partition_point(|r| r.0 <= centre + REPEAT_MIN_FRAMES);
    let a = best_window(&runs[..before]);
    let b = best_window(&runs[after..]);
    if b.0 > a.0 {
        b
    } else {
        a
    }
}

/// The best window of three adjacent offset bins in one candidate's `(bin, count)` runs
/// (sorted by bin): `(count, centre bin)`, `(0, 0)` when empty.
fn best_window(runs: &[(i64, u32)]) -> (u32, i64) {
    let mut best = (0u32, 0i64);
    for k in 0..runs.len() {
        let mut n = runs[k].1;
        if k > 0 && runs[k - 1].0 == runs[k].0 - 1 {
            n += runs[k - 1].1;
        }
        if k + 1 < runs.len() && runs[k + 1].0 == runs[k].0 + 1 {
            n += runs[k + 1].1;
        }
        if n > best.0 {
            best = (n, runs[k].0);
        }
    }
    best
}

fn score_votes(
    votes: &mut [u64],
    segs: &[LiveSegment],
    ln_c: f64,
    scale: Scale,
    top: usize,
    probes: usize,
) -> Vec<Candidate> {
    if votes.is_empty() {
        return Vec::new();
    }
    votes.sort_unstable();
    // runs: cand, and (bin, distinct query anchors). Counting anchors, not landmarks, keeps one
    // coincident chord (many pairs from the same peaks) from looking like many matches.
    let mut run_cand: Vec<u64> = Vec::new();
    let mut runs: Vec<(i64, u32)> = Vec::new();
    let mut last = u64::MAX;
    for &v in votes.iter() {
        if v == last {
            continue;
        }
        last = v;
        let cand = v >> 40;
        let bin = ((v >> 16) & ((1 << 24) - 1)) as i64;
        match (run_cand.last(), runs.last_mut()) {
            (Some(&c), Some(r)) if c == cand && r.0 == bin => r.1 += 1,
            _ => {
                run_cand.push(cand);
                runs.push((bin, 1));
            }
        }
    }
    let mut out: Vec<Candidate> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let cand = run_cand[i];
        let mut j = i;
        let mut total = 0u32;
        while j < runs.len() && run_cand[j] == cand {
            total += runs[j].1;
            j += 1;
        }
        let (best, best_bin) = best_window(&runs[i..j]);
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
            let lambda = chance_rate(total - best, probes, frames);
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
