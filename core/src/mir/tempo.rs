//! Global tempo, beat grid, downbeats and a tempo curve from an onset-strength envelope.
//!
//! Method, in order:
//! 1. **Periodicity**: the onset envelope, minus its one-second moving average and half-wave
//!    rectified, is autocorrelated in overlapping ~12 s windows; the normalised window ACFs are
//!    averaged (so a quiet intro weighs as much as the drop, and a tempo change does not smear
//!    the peaks of the other sections).
//! 2. **Salience** of a tempo is the mean ACF at 1–4 multiples of its period (a comb: a true
//!    pulse repeats at every multiple, a spurious lag does not).
//! 3. **Metrical level** (the half/double choice): each candidate tempo (a salience peak with
//!    at least 60 % of the strongest salience) is scored by its salience, a log-normal
//!    preference whose centre moves from 85 BPM for a faint pulse or soft attacks (no drums:
//!    chorales, strings, voices) to 150 BPM for a clear pulse with sharp attacks (a drum
//!    kit), and a **subdivision (tatum) cue**: at the beat phase that fits the candidate best, the onset strength half-way
//!    between its beats (or at the thirds or quarters) over the envelope's mean. A beat is
//!    subdivided (off-beat hi-hats, eighth notes, swung notes), while at twice the true tempo
//!    the subdivisions are sixteenths that are mostly empty, so the doubled level is
//!    penalised; with the doubled level out of the way the faster prior can pick double-time
//!    grooves (dnb, punk) over their half. Empty subdivisions count fully against a level
//!    only when its beats alternate strong–weak (a tatum: beats and off-beats); a level of
//!    **even beats** (a plain pulse with nothing in between: fast swing, fast waltz) is
//!    penalised less, so such music is not heard at every other beat. **Attack sharpness** (the share of the onset
//!    strength in short peaks rather than in the slowly varying flux of bowed, sung or blown
//!    notes) scales both the prior's move to fast tempi and the subdivision cue: a sustained
//!    texture is heard at its slow level (a chorale's quarter note, not its passing eighths),
//!    and its sparse passing notes are no evidence of a subdivision. A **ternary** level (its
//!    thirds carry onsets, its halves and quarters do not) is weighed down a little, so in
//!    binary music with a dense tatum the beat wins the near-tie against the level at 2/3 of
//!    it (three tatums), the usual source of 3/2 errors. The octave of the winner (half or double, always
//!    eligible) is scored the same way and reported as the alternative with its share of the
//!    score as confidence; if it scores higher it becomes the estimate.
//! 4. **Beats**: Ellis' dynamic-programming tracker at the chosen period, each beat moved to
//!    the sub-frame peak of the envelope (parabolic interpolation) and smoothed by a local
//!    linear fit over its neighbours; the global BPM is a least-squares fit over the beat
//!    grid, which is what makes it precise to hundredths of a BPM on steady material.
//! 5. **Downbeats**: beats per bar (3 or 4) and bar phase from the low-band onset energy and
//!    spectral change at each beat position.

use serde::{Deserialize, Serialize};

use super::onset::OnsetEnvelope;

/// Options of the tempo estimator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TempoOptions {
    /// Lowest tempo reported (BPM).
    pub min_bpm: f64,
    /// Highest tempo reported (BPM).
    pub max_bpm: f64,
}

impl Default for TempoOptions {
    fn default() -> Self {
        TempoOptions {
            min_bpm: 50.0,
            max_bpm: 220.0,
        }
    }
}

/// The other metrical level (half or double tempo) and how plausible it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TempoAlternative {
    /// Tempo in BPM (half or double the main estimate; 0 when there is none in range).
    pub bpm: f64,
    /// Share of the evidence for this level, in `[0, 1]` (the main level has `1 − this` or more).
    pub confidence: f64,
}

/// A point of the tempo curve.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TempoPoint {
    /// Time in seconds.
    pub time_s: f64,
    /// Local tempo in BPM.
    pub bpm: f64,
}

/// Tempo and beat analysis of a track.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tempo {
    /// Global tempo in BPM, to 0.01; 0 when no pulse was found (silence, noise, too short).
    pub bpm: f64,
    /// Confidence in `[0, 1]`: pulse clarity times the certainty of the metrical level.
    pub confidence: f64,
    /// The half/double-tempo alternative.
    pub alternative: TempoAlternative,
    /// Beat times in seconds.
    pub beats: Vec<f64>,
    /// Beats per bar (3 or 4) when the signal supports a bar estimate, else 0.
    pub beats_per_bar: u32,
    /// Downbeat (bar start) times in seconds; empty when `beats_per_bar` is 0.
    pub downbeats: Vec<f64>,
    /// Local tempo over time (about one point per bar).
    pub curve: Vec<TempoPoint>,
    /// Whether the tempo is steady (local tempo within ±2 % of the global tempo throughout).
    pub steady: bool,
    /// Pulse clarity in `[0, 1]`: the strongest periodicity salience in range.
    pub pulse_clarity: f64,
}

/// Offset (seconds) of the peak of the log-mel rise from the onset that causes it, for the
/// 2048/512 STFT at 22 050 Hz: the rise peaks one hop early, while the attack is still in the
/// leading part of the window. Calibrated on decaying click tracks (see the tests).
const ONSET_LATENCY_S: f64 = -0.0233;

/// Length of the ACF windows in seconds and their hop.
const ACF_WINDOW_S: f64 = 12.0;
const ACF_HOP_S: f64 = 3.0;
/// Width (octaves) of the log-normal tempo preference, and its centre for a faint pulse and
/// for a clear one (interpolated linearly between the two pulse clarities below).
const PRIOR_WIDTH_OCT: f64 = 0.9;
/// Candidate tempi must reach this share of the strongest comb salience.
const CANDIDATE_MIN_SALIENCE: f64 = 0.6;
const PRIOR_SLOW_BPM: f64 = 85.0;
const PRIOR_FAST_BPM: f64 = 150.0;
const PRIOR_CLARITY_LO: f64 = 0.25;
const PRIOR_CLARITY_HI: f64 = 0.6;
/// Attack sharpness (mean detrended onset strength over mean raw onset strength) at and below
/// which a texture counts as sustained, and at and above which as percussive.
const ATTACK_SOFT: f64 = 0.12;
const ATTACK_SHARP: f64 = 0.30;
/// Subdivision strength (onset strength at the sub-beat positions over the envelope mean)
/// below which a level counts as unsubdivided, and above which as fully subdivided; the
/// factor of an unsubdivided level whose beats alternate strong–weak (the signature of a
/// tatum: beats and their off-beats).
const SUBDIVISION_LO: f64 = 0.4;
const SUBDIVISION_HI: f64 = 1.6;
const SUBDIVISION_FLOOR: f64 = 0.4;
/// The factor of an unsubdivided level whose beats are all about equally strong (a plain
/// pulse, such as quarter notes with nothing in between), and the beat-alternation ratios
/// (weaker over stronger of the even and odd beats' mean strength) between which the floor
/// moves from [`SUBDIVISION_FLOOR`] to this.
const SUBDIVISION_FLOOR_EVEN: f64 = 0.6;
const ALTERNATION_LO: f64 = 0.6;
const ALTERNATION_HI: f64 = 0.9;
/// A level counts as ternary when the onset strength at the thirds of its beats exceeds
/// these multiples of the strength half-way and at the quarters; the factor of such a level.
const TERNARY_OVER_HALF: f64 = 2.0;
const TERNARY_OVER_QUARTERS: f64 = 1.5;
const TERNARY_FACTOR: f64 = 0.85;

/// Estimate tempo, beats and downbeats from onset envelopes.
pub fn estimate(env: &OnsetEnvelope, opts: &TempoOptions) -> Tempo {
    let fps = env.fps;
    let n = env.strength.len();
    let (min_bpm, max_bpm) = sane_range(opts);
    if fps <= 0.0 || (n as f64) < 2.0 * fps {
        return Tempo::default();
    }
    let x = detrend(&env.strength, fps);
    let energy: f64 = x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum();
    if energy.is_nan() || energy <= 1e-9 {
        return Tempo::default();
    }
    // Lags up to 4 periods of the slowest tempo considered (half the minimum).
    let max_lag = ((60.0 * fps / (min_bpm / 2.0)) * 4.0).ceil() as usize + 2;
    let acf = windowed_acf(&x, fps, max_lag);
    let sal = |bpm: f64| comb_salience(&acf, 60.0 * fps / bpm);

    // Candidate tempi: local maxima of the salience on a fine log grid over the range.
    let grid: Vec<f64> = log_grid(min_bpm, max_bpm, 0.002);
    let s: Vec<f64> = grid.iter().map(|&b| sal(b)).collect();
    let mut cands: Vec<(f64, f64)> = Vec::new();
    for i in 0..grid.len() {
        let l = if i > 0 { s[i - 1] } else { f64::NEG_INFINITY };
        let r = if i + 1 < grid.len() {
            s[i + 1]
        } else {
            f64::NEG_INFINITY
        };
        if s[i] >= l && s[i] >= r && s[i] > 0.0 {
            cands.push((grid[i], s[i]));
        }
    }
    if cands.is_empty() {
        return Tempo::default();
    }
    let smax = cands.iter().map(|c| c.1).fold(0.0, f64::max);
    // Keep the strong candidates: a metrical level is a clear periodicity, and a weak one
    // (such as 3/2 of the pulse, whose comb meets the pulse only every other tooth) must not
    // win on the subdivision cue or the prior alone.
    cands.retain(|c| c.1 >= CANDIDATE_MIN_SALIENCE * smax);
    // The prior's centre moves from slow to fast with the pulse clarity: a faint pulse (no
    // drums: chorales, strings, voices) is heard at the slower level, a clear one (a drum
    // kit) at the faster one.
    let clear = ((smax - PRIOR_CLARITY_LO) / (PRIOR_CLARITY_HI - PRIOR_CLARITY_LO)).clamp(0.0, 1.0);
    let xmax = local_max3(&x);
    let xmean = x.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
    // Attack sharpness: a sustained texture (bowed strings, voices, organ, winds) is heard at
    // the slow level and its sparse passing notes are no subdivision evidence.
    let attack = attack_weight(&env.strength, xmean);
    let center = PRIOR_SLOW_BPM + (PRIOR_FAST_BPM - PRIOR_SLOW_BPM) * clear * attack;
    let score = |bpm: f64, s: f64| -> f64 {
        let prior = (-0.5 * ((bpm / center).log2() / PRIOR_WIDTH_OCT).powi(2)).exp();
        let exact = refine_peak(&acf, fps, bpm, 0.03);
        let (sub, ternary) = subdivision_cue(&xmax, xmean, fps, exact);
        let meter = if ternary { TERNARY_FACTOR } else { 1.0 };
        s.max(0.0) * prior * sub.powf(attack) * meter
    };
    let mut best = (0.0, f64::NEG_INFINITY, 0.0);
    for &(b, sv) in &cands {
        let sc = score(b, sv);
        if sc > best.1 {
            best = (b, sc, sv);
        }
    }
    let (mut bpm0, best_score, mut best_sal) = best;
    // The other octave: the better of half and double tempo that lies in range. Octaves of
    // the best candidate are always eligible (whatever their salience share), so when the
    // other octave scores higher it becomes the estimate and the candidate its alternative.
    let mut alt = TempoAlternative::default();
    let mut alt_sal = 0.0;
    for f in [0.5, 2.0] {
        let b = bpm0 * f;
        if b < min_bpm || b > max_bpm {
            continue;
        }
        let b = refine_peak(&acf, fps, b, 0.04);
        let sv = sal(b);
        let sc = score(b, sv);
        let share = (sc / (sc + best_score)).clamp(0.0, 1.0);
        if share > alt.confidence || alt.bpm == 0.0 {
            alt = TempoAlternative {
                bpm: b,
                confidence: if share.is_finite() { share } else { 0.0 },
            };
            alt_sal = sv;
        }
    }
    if alt.confidence > 0.5 {
        alt = TempoAlternative {
            bpm: std::mem::replace(&mut bpm0, alt.bpm),
            confidence: 1.0 - alt.confidence,
        };
        best_sal = alt_sal;
    }
    let period = 60.0 * fps / refine_peak(&acf, fps, bpm0, 0.03);
    let beats_frames = track_beats(&x, period);
    let beats = refine_beats(&x, &beats_frames, fps);
    let mut bpm = grid_bpm(&beats).unwrap_or(60.0 * fps / period);
    // Guard: the beat tracker must agree with the periodicity estimate.
    let acf_bpm = 60.0 * fps / period;
    if (bpm / acf_bpm - 1.0).abs() > 0.04 {
        bpm = acf_bpm;
    }
    let curve = tempo_curve(&beats);
    let steady = curve.iter().all(|p| (p.bpm / bpm - 1.0).abs() <= 0.02);
    let clarity = (best_sal * 1.6).clamp(0.0, 1.0);
    let duration = n as f64 / fps;
    let length_factor = (duration / 8.0).min(1.0);
    let confidence = (clarity * (1.0 - alt.confidence) * length_factor).clamp(0.0, 1.0);
    let (beats_per_bar, downbeats) = downbeats(env, &beats, fps);
    Tempo {
        bpm: round2(bpm),
        confidence: finite_or_zero(confidence),
        alternative: TempoAlternative {
            bpm: round2(alt.bpm),
            confidence: finite_or_zero(alt.confidence),
        },
        beats,
        beats_per_bar,
        downbeats,
        curve,
        steady,
        pulse_clarity: finite_or_zero(smax.clamp(0.0, 1.0)),
    }
}

fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}

fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

fn sane_range(o: &TempoOptions) -> (f64, f64) {
    let lo = if o.min_bpm.is_finite() {
        o.min_bpm.clamp(20.0, 400.0)
    } else {
        50.0
    };
    let hi = if o.max_bpm.is_finite() {
        o.max_bpm.clamp(lo * 1.5, 600.0)
    } else {
        220.0
    };
    (lo, hi)
}

fn log_grid(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let n = ((hi / lo).ln() / (1.0 + step).ln()).ceil() as usize + 1;
    (0..n)
        .map(|i| lo * (1.0 + step).powi(i as i32))
        .filter(|&b| b <= hi * 1.0001)
        .collect()
}

/// Onset envelope minus its one-second centred moving average, half-wave rectified.
fn detrend(v: &[f32], fps: f64) -> Vec<f32> {
    let n = v.len();
    let half = ((fps * 0.5).round() as usize).max(1);
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0f64);
    for &x in v {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + f64::from(x));
    }
    (0..n)
        .map(|i| {
            let a = i.saturating_sub(half);
            let b = (i + half + 1).min(n);
            let mean = (prefix[b] - prefix[a]) / (b - a) as f64;
            (f64::from(v[i]) - mean).max(0.0) as f32
        })
        .collect()
}

/// Average of normalised autocorrelations over overlapping windows; `acf[0] == 1` unless the
/// signal is silent.
fn windowed_acf(x: &[f32], fps: f64, max_lag: usize) -> Vec<f64> {
    let n = x.len();
    let win = ((ACF_WINDOW_S * fps) as usize).min(n).max(1);
    let hop = ((ACF_HOP_S * fps) as usize).max(1);
    let max_lag = max_lag.min(win.saturating_sub(1));
    let mut acc = vec![0f64; max_lag + 1];
    let mut weight = 0.0;
    let mut start = 0;
    loop {
        let end = (start + win).min(n);
        let seg = &x[start..end];
        let mut a = vec![0f64; max_lag + 1];
        for (lag, out) in a.iter_mut().enumerate() {
            if lag >= seg.len() {
                break;
            }
            let s: f32 = seg[..seg.len() - lag]
                .iter()
                .zip(&seg[lag..])
                .map(|(p, q)| p * q)
                .sum();
            // Unbiased: the overlap shrinks with the lag.
            *out = f64::from(s) / (seg.len() - lag) as f64;
        }
        if a[0] > 1e-12 {
            for (o, v) in acc.iter_mut().zip(&a) {
                *o += v / a[0];
            }
            weight += 1.0;
        }
        if end >= n {
            break;
        }
        start += hop;
    }
    if weight > 0.0 {
        for o in acc.iter_mut() {
            *o /= weight;
        }
    }
    acc
}

fn acf_at(acf: &[f64], lag: f64) -> Option<f64> {
    if lag < 0.0 || lag + 1.0 >= acf.len() as f64 {
        return None;
    }
    let i = lag.floor() as usize;
    let f = lag - i as f64;
    Some(acf[i] * (1.0 - f) + acf[i + 1] * f)
}

/// Mean ACF at 1–4 multiples of `lag` (those within the ACF).
fn comb_salience(acf: &[f64], lag: f64) -> f64 {
    let mut s = 0.0;
    let mut k_used = 0.0;
    for k in 1..=4 {
        // Take the best value within ±1 frame of each multiple: real tempi are not integers
        // of frames, and the envelope peaks are a frame wide.
        let c = lag * k as f64;
        let v = [c - 0.5, c, c + 0.5]
            .iter()
            .filter_map(|&l| acf_at(acf, l))
            .fold(f64::NEG_INFINITY, f64::max);
        if v.is_finite() {
            s += v;
            k_used += 1.0;
        }
    }
    if k_used > 0.0 {
        s / k_used
    } else {
        0.0
    }
}

/// The ACF peak nearest `bpm` (within ±`tol` relative), to sub-frame precision, as BPM.
/// The peak is measured at the multiple (1–4 periods) where the ACF is strongest and divided
/// back: that is precise, and it still works when the requested tempo is a multiple of the
/// true pulse (forced by the BPM range) and the ACF has no peak at its own period.
fn refine_peak(acf: &[f64], fps: f64, bpm: f64, tol: f64) -> f64 {
    let lag = 60.0 * fps / bpm;
    let mut best: Option<(f64, f64)> = None; // (value, refined lag of one period)
    for k in 1..=4 {
        let c = lag * k as f64;
        let lo = (c * (1.0 - tol)).floor().max(1.0) as usize;
        let hi = ((c * (1.0 + tol)).ceil() as usize).min(acf.len().saturating_sub(2));
        if lo >= hi {
            continue;
        }
        let i = (lo..=hi)
            .max_by(|&a, &b| acf[a].total_cmp(&acf[b]))
            .unwrap_or(lo);
        if i == lo || i == hi {
            continue; // not a peak inside the window
        }
        let (a, b, cc) = (acf[i - 1], acf[i], acf[i + 1]);
        let den = a - 2.0 * b + cc;
        let d = if den.abs() > 1e-12 {
            (0.5 * (a - cc) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        if best.is_none_or(|(v, _)| b > v + 0.02) {
            best = Some((b, (i as f64 + d) / k as f64));
        }
    }
    match best {
        Some((_, l)) if l > 0.0 => 60.0 * fps / l,
        _ => bpm,
    }
}

/// Envelope maximum over each frame and its two neighbours (onset peaks are a frame wide and
/// a grid position falls between frames).
fn local_max3(x: &[f32]) -> Vec<f32> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let a = i.saturating_sub(1);
            let b = (i + 2).min(n);
            x[a..b].iter().cloned().fold(0.0f32, f32::max)
        })
        .collect()
}

/// Mean of `xmax` at `phase + (k + off) * period` over the whole envelope.
fn grid_mean(xmax: &[f32], period: f64, phase: f64, off: f64) -> f64 {
    let n = xmax.len() as f64;
    let mut t = phase + off * period;
    let (mut s, mut c) = (0.0, 0usize);
    while t < n - 2.0 {
        if t >= 1.0 {
            s += f64::from(xmax[t.round() as usize]);
            c += 1;
        }
        t += period;
    }
    if c > 0 {
        s / c as f64
    } else {
        0.0
    }
}

/// The tatum cue of the metrical-level choice: a beat is subdivided. At the beat phase that
/// best fits `bpm`, the onset strength half-way between beats (or at the thirds, or the
/// quarters) is measured against the envelope's mean. At the true beat level the
/// subdivisions carry onsets (off-beat hi-hats, eighth notes, swung or triplet notes); at
/// twice the true tempo they fall on sixteenths that are mostly empty, so the doubled level
/// is penalised (down to [`SUBDIVISION_FLOOR`]) while the true and the half levels keep
/// their comb salience. Returns a factor in `[SUBDIVISION_FLOOR, 1]`.
///
/// The penalty needs the doubled level's beats to alternate strong–weak as well (every
/// other one is an off-beat of the true beat, see [`beat_alternation`]). Music with nothing
/// between its beats (a walking bass and ride on every beat of a fast swing, the oom-pah-pah
/// of a fast waltz) has empty subdivisions at its true level too, but there the beats are
/// about equally strong, while the half level's "subdivision" is a beat as strong as its
/// own. Such an even level is penalised less (down to [`SUBDIVISION_FLOOR_EVEN`]), so the
/// tempo prior can pick the pulse itself rather than every other beat of it.
///
/// Also returns whether the level is **ternary**: its thirds are strong while its half-beat
/// and quarter positions are not. In binary music with a dense tatum (eighth notes at a fast
/// beat), the level at 2/3 of the beat tempo (three tatums) lines up with the tatum grid at
/// its thirds and compares well with the beat on comb salience alone; the caller weighs
/// ternary levels by [`TERNARY_FACTOR`], so a binary reading wins a near-tie (3/2 errors).
fn subdivision_cue(xmax: &[f32], xmean: f64, fps: f64, bpm: f64) -> (f64, bool) {
    if bpm.is_nan() || bpm <= 0.0 || xmean <= 0.0 {
        return (1.0, false);
    }
    let period = 60.0 * fps / bpm;
    let n = xmax.len() as f64;
    if period < 2.0 || n < 2.0 * period + 2.0 {
        return (1.0, false);
    }
    // Beat phase: the half-frame step that puts the most onset strength on the grid.
    let count = ((n - 2.0 - period) / period).floor().max(1.0) as usize;
    let mut best = (f64::NEG_INFINITY, 0.0);
    let mut phase = 0.0;
    while phase < period {
        let s: f64 = (0..count)
            .map(|k| {
                let i = (phase + period * k as f64).round() as usize;
                f64::from(xmax[i.min(xmax.len() - 1)])
            })
            .sum();
        if s > best.0 {
            best = (s, phase);
        }
        phase += 0.5;
    }
    let ph = best.1;
    let g = |off: f64| grid_mean(xmax, period, ph, off);
    let half = g(0.5);
    let thirds = 0.5 * (g(1.0 / 3.0) + g(2.0 / 3.0));
    let quarters = 0.5 * (g(0.25) + g(0.75));
    let ternary = thirds > TERNARY_OVER_HALF * half && thirds > TERNARY_OVER_QUARTERS * quarters;
    let sub = half.max(thirds).max(quarters) / xmean;
    let f = (sub - SUBDIVISION_LO) / (SUBDIVISION_HI - SUBDIVISION_LO);
    // Empty subdivisions mark a tatum only when the beats alternate strong–weak (the beats
    // and the off-beats of the slower level); a level of equal beats is a plain pulse.
    let even = ((beat_alternation(xmax, period, ph) - ALTERNATION_LO)
        / (ALTERNATION_HI - ALTERNATION_LO))
        .clamp(0.0, 1.0);
    let floor = SUBDIVISION_FLOOR + (SUBDIVISION_FLOOR_EVEN - SUBDIVISION_FLOOR) * even;
    if f.is_finite() {
        (f.clamp(floor, 1.0), ternary)
    } else {
        (1.0, ternary)
    }
}

/// How evenly strong the beats of the grid `phase + k * period` are: the mean of `xmax` on
/// the weaker of the even and the odd beats over that on the stronger, in `[0, 1]` (1 for
/// equal beats; about the off-beat's share of the beat when the grid is twice the beat
/// rate). 0 when the grid has fewer than four beats or no onset strength.
fn beat_alternation(xmax: &[f32], period: f64, phase: f64) -> f64 {
    let n = xmax.len() as f64;
    let mut sums = [0.0f64; 2];
    let mut counts = [0usize; 2];
    let mut t = phase;
    let mut k = 0usize;
    while t < n - 2.0 {
        if t >= 1.0 {
            sums[k % 2] += f64::from(xmax[t.round() as usize]);
            counts[k % 2] += 1;
            k += 1;
        }
        t += period;
    }
    if counts[0] < 2 || counts[1] < 2 {
        return 0.0;
    }
    let a = sums[0] / counts[0] as f64;
    let b = sums[1] / counts[1] as f64;
    let r = a.min(b) / a.max(b);
    if r.is_finite() {
        r
    } else {
        0.0
    }
}

/// How percussive the attacks are, in `[0, 1]`: the share of the onset strength that stands
/// out of its one-second moving average (`xmean`, the mean of the detrended envelope) over the
/// mean raw onset strength, mapped linearly from [`ATTACK_SOFT`] (0) to [`ATTACK_SHARP`] (1).
/// Drums, plucked and struck notes put most of the spectral rise into short peaks (about
/// 0.3–0.7); bowed strings, voices, organ and winds rise slowly, with continuous flux from
/// vibrato and legato (about 0.08–0.15), and such textures are heard at the slow metrical
/// level (a chorale's quarter note, not its passing eighths).
fn attack_weight(raw: &[f32], xmean: f64) -> f64 {
    if raw.is_empty() {
        return 1.0;
    }
    let raw_mean = raw.iter().map(|v| f64::from(*v)).sum::<f64>() / raw.len() as f64;
    if raw_mean.is_nan() || raw_mean <= 1e-12 {
        return 1.0;
    }
    let r = (xmean / raw_mean - ATTACK_SOFT) / (ATTACK_SHARP - ATTACK_SOFT);
    if r.is_finite() {
        r.clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// Ellis (2007) dynamic-programming beat tracker: maximise onset strength at beats minus a
/// penalty on log deviations of inter-beat intervals from `period` (frames).
fn track_beats(x: &[f32], period: f64) -> Vec<usize> {
    let n = x.len();
    if n == 0 || period.is_nan() || period <= 1.0 {
        return Vec::new();
    }
    let tightness = 100.0;
    let std = x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / n as f64;
    let norm = std.sqrt().max(1e-12);
    let local: Vec<f64> = x.iter().map(|v| f64::from(*v) / norm).collect();
    let mut score = vec![0f64; n];
    let mut back = vec![usize::MAX; n];
    let lo = (period / 2.0).round().max(1.0) as usize;
    let hi = (period * 2.0).round() as usize;
    let penalty: Vec<f64> = (0..=hi)
        .map(|d| {
            if d < lo {
                f64::NEG_INFINITY
            } else {
                -tightness * ((d as f64 / period).ln()).powi(2)
            }
        })
        .collect();
    for t in 0..n {
        let mut best = (0.0, usize::MAX);
        for d in lo..=hi.min(t) {
            let v = score[t - d] + penalty[d];
            if v > best.0 || best.1 == usize::MAX && v > 0.0 {
                best = (v, t - d);
            }
        }
        score[t] = local[t] + best.0.max(0.0);
        back[t] = if best.0 > 0.0 { best.1 } else { usize::MAX };
    }
    // Start from the best-scoring frame in the last period.
    let tail = (n as f64 - period).max(0.0) as usize;
    let mut t = (tail..n)
        .max_by(|&a, &b| score[a].total_cmp(&score[b]))
        .unwrap_or(n - 1);
    let mut beats = vec![t];
    while back[t] != usize::MAX {
        t = back[t];
        beats.push(t);
    }
    beats.reverse();
    // Drop weak beats at the ends (silence before the music starts / after it ends).
    let mean = local.iter().sum::<f64>() / n as f64;
    let strong = |b: &usize| {
        let a = b.saturating_sub(2);
        let e = (b + 3).min(n);
        local[a..e].iter().cloned().fold(0.0, f64::max) > 0.5 * mean
    };
    let first = beats.iter().position(strong).unwrap_or(0);
    let last = beats.iter().rposition(strong).unwrap_or(beats.len() - 1);
    beats[first..=last.max(first)].to_vec()
}

/// Move each beat to the sub-frame peak of the envelope near it, then smooth with a local
/// linear fit over ±4 beats. Returns seconds.
fn refine_beats(x: &[f32], beats: &[usize], fps: f64) -> Vec<f64> {
    let n = x.len();
    let peaks: Vec<f64> = beats
        .iter()
        .map(|&b| {
            let lo = b.saturating_sub(1);
            let hi = (b + 1).min(n - 1);
            let i = (lo..=hi)
                .max_by(|&a, &c| x[a].total_cmp(&x[c]))
                .unwrap_or(b);
            let d = if i > 0 && i + 1 < n {
                let (a, bb, c) = (f64::from(x[i - 1]), f64::from(x[i]), f64::from(x[i + 1]));
                let den = a - 2.0 * bb + c;
                if den.abs() > 1e-12 {
                    (0.5 * (a - c) / den).clamp(-0.5, 0.5)
                } else {
                    0.0
                }
            } else {
                0.0
            };
            (i as f64 + d) / fps - ONSET_LATENCY_S
        })
        .collect();
    let m = peaks.len();
    (0..m)
        .map(|k| {
            let a = k.saturating_sub(4);
            let b = (k + 5).min(m);
            if b - a < 3 {
                return peaks[k].max(0.0);
            }
            let (fit_a, fit_b) = linear_fit(&peaks[a..b], a);
            let fitted = fit_a + fit_b * k as f64;
            // Only smooth where the peak is close to the local grid (a real expressive
            // deviation or a tempo change is kept).
            let t = if (fitted - peaks[k]).abs() < 0.5 / fps {
                fitted
            } else {
                peaks[k]
            };
            (t.max(0.0) * 1e4).round() / 1e4
        })
        .collect()
}

/// Least-squares line `t = a + b k` through `(k0 + i, t[i])`.
fn linear_fit(t: &[f64], k0: usize) -> (f64, f64) {
    let n = t.len() as f64;
    let mk = k0 as f64 + (n - 1.0) / 2.0;
    let mt = t.iter().sum::<f64>() / n;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for (i, &v) in t.iter().enumerate() {
        let dk = (k0 + i) as f64 - mk;
        sxy += dk * (v - mt);
        sxx += dk * dk;
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mt - b * mk, b)
}

/// Tempo from a least-squares fit over the beat grid (robust to a few missed beats).
fn grid_bpm(beats: &[f64]) -> Option<f64> {
    if beats.len() < 4 {
        return None;
    }
    let (_, b) = linear_fit(beats, 0);
    (b > 0.0).then(|| 60.0 / b)
}

/// Local tempo about once per four beats: 60 / median inter-beat interval over ±4 beats.
fn tempo_curve(beats: &[f64]) -> Vec<TempoPoint> {
    if beats.len() < 3 {
        return Vec::new();
    }
    let ibi: Vec<f64> = beats.windows(2).map(|w| w[1] - w[0]).collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < ibi.len() {
        let a = k.saturating_sub(4);
        let b = (k + 4).min(ibi.len());
        let mut w: Vec<f64> = ibi[a..b].to_vec();
        w.sort_by(f64::total_cmp);
        let med = w[w.len() / 2];
        if med > 0.0 {
            out.push(TempoPoint {
                time_s: beats[k],
                bpm: round2(60.0 / med),
            });
        }
        k += 4;
    }
    out
}

/// Beats per bar and downbeat times from low-band accents and spectral change at the beats.
fn downbeats(env: &OnsetEnvelope, beats: &[f64], fps: f64) -> (u32, Vec<f64>) {
    if beats.len() < 8 {
        return (0, Vec::new());
    }
    let at = |v: &[f32], t: f64| -> f64 {
        let i = (t * fps).round() as usize;
        let a = i.saturating_sub(2);
        let b = (i + 3).min(v.len());
        v[a.min(b)..b].iter().cloned().fold(0.0f32, f32::max) as f64
    };
    let acc: Vec<f64> = beats
        .iter()
        .map(|&t| at(&env.low, t) + 0.5 * at(&env.strength, t))
        .collect();
    let mut best = (0u32, 0usize, 0.0f64);
    for m in [3usize, 4] {
        for phase in 0..m {
            let on: Vec<f64> = acc.iter().skip(phase).step_by(m).cloned().collect();
            let mean_on = on.iter().sum::<f64>() / on.len().max(1) as f64;
            let mean_all = acc.iter().sum::<f64>() / acc.len() as f64;
            let contrast = if mean_all > 0.0 {
                mean_on / mean_all
            } else {
                0.0
            };
            if contrast > best.2 {
                best = (m as u32, phase, contrast);
            }
        }
    }
    if best.2 < 1.15 {
        return (0, Vec::new());
    }
    let downs = beats
        .iter()
        .skip(best.1)
        .step_by(best.0 as usize)
        .cloned()
        .collect();
    (best.0, downs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f64 = 22_050.0 / 512.0;

    /// An envelope with a one-frame onset every `period` frames from `start`, of height `h`.
    fn pulses(n: usize, start: f64, period: f64, h: f32, into: &mut [f32]) {
        let mut t = start;
        while (t.round() as usize) < n {
            into[t.round() as usize] += h;
            t += period;
        }
    }

    #[test]
    fn attack_weight_tells_struck_from_sustained() {
        let n = (30.0 * FPS) as usize;
        let period = 60.0 * FPS / 100.0;
        // Struck: spikes on a silent floor.
        let mut struck = vec![0f32; n];
        pulses(n, 3.0, period, 1.0, &mut struck);
        // Sustained: the same pulse riding on a continuous flux about 13 times its mean.
        let sustained: Vec<f32> = struck.iter().map(|v| v + 0.5).collect();
        let w = |raw: &[f32]| {
            let x = detrend(raw, FPS);
            let xmean = x.iter().map(|v| f64::from(*v)).sum::<f64>() / x.len() as f64;
            attack_weight(raw, xmean)
        };
        assert_eq!(w(&struck), 1.0);
        assert_eq!(w(&sustained), 0.0);
        // Degenerate inputs are neutral and finite.
        assert_eq!(attack_weight(&[], 0.0), 1.0);
        assert_eq!(attack_weight(&[0.0; 16], 0.0), 1.0);
    }

    #[test]
    fn subdivision_cue_flags_ternary_levels_only() {
        let n = (30.0 * FPS) as usize;
        let period = 60.0 * FPS / 80.0;
        let cue = |subs: &[f64]| {
            let mut env = vec![0f32; n];
            pulses(n, 3.0, period, 1.0, &mut env);
            for &s in subs {
                pulses(n, 3.0 + s * period, period, 0.5, &mut env);
            }
            let xmax = local_max3(&env);
            let xmean = env.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
            subdivision_cue(&xmax, xmean, FPS, 80.0)
        };
        // Beats divided in three: ternary, fully subdivided.
        assert_eq!(cue(&[1.0 / 3.0, 2.0 / 3.0]), (1.0, true));
        // Beats divided in two or four: binary.
        assert_eq!(cue(&[0.5]), (1.0, false));
        assert_eq!(cue(&[0.25, 0.5, 0.75]), (1.0, false));
        // Undivided equal beats: a plain pulse, the milder penalty, not ternary.
        assert_eq!(cue(&[]), (SUBDIVISION_FLOOR_EVEN, false));
    }

    #[test]
    fn empty_subdivisions_weigh_by_beat_alternation() {
        let n = (30.0 * FPS) as usize;
        let period = 60.0 * FPS / 160.0;
        // Undivided beats at 160 BPM whose odd beats have `weak` times the strength of the
        // even ones (at `weak` = 0.3 the level is a tatum: beats and weaker off-beats).
        let cue = |weak: f32| {
            let mut env = vec![0f32; n];
            pulses(n, 3.0, 2.0 * period, 1.0, &mut env);
            pulses(n, 3.0 + period, 2.0 * period, weak, &mut env);
            let xmax = local_max3(&env);
            let xmean = env.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
            subdivision_cue(&xmax, xmean, FPS, 160.0).0
        };
        assert_eq!(cue(0.3), SUBDIVISION_FLOOR);
        assert_eq!(cue(1.0), SUBDIVISION_FLOOR_EVEN);
        let mid = cue(0.75);
        assert!(
            mid > SUBDIVISION_FLOOR && mid < SUBDIVISION_FLOOR_EVEN,
            "{mid}"
        );
        // The alternation ratio itself: equal beats 1, strong–weak beats their ratio.
        let mut env = vec![0f32; n];
        pulses(n, 3.0, 2.0 * period, 1.0, &mut env);
        pulses(n, 3.0 + period, 2.0 * period, 0.5, &mut env);
        let r = beat_alternation(&local_max3(&env), period, 3.0);
        assert!((r - 0.5).abs() < 0.05, "{r}");
        assert_eq!(beat_alternation(&[0.0; 8], 2.0, 0.0), 0.0);
    }
}
