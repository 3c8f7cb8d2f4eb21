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
    /// Exact 2:1 downsampling runs on [`Decimate2`] instead of `inner` (same filter).
    decim: Option<Decimate2>,
    /// The `Linear` preset's blocks run on [`SincReplica`] (bit-identical to `inner`) when the
    /// CPU has AVX + FMA.
    linear: Option<SincReplica>,
    in_rate: u32,
    out_rate: u32,
    channels: usize,
    pending: Vec<Vec<f32>>,
    /// Frames of `pending` already consumed (dropped once there are many, not per call).
    pending_head: usize,
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
        let mut inner = inner;
        let decim = match inner.as_mut() {
            Some(r) if in_rate == out_rate.saturating_mul(2) => {
                let d = Decimate2::new(r, quality.params(in_rate, out_rate), channels)?;
                r.reset(); // back to a clean state in case rubato stays in use
                d
            }
            _ => None,
        };
        let linear = match inner.as_mut() {
            Some(r) if decim.is_none() => {
                let l = SincReplica::new(r, quality.params(in_rate, out_rate), in_rate, out_rate);
                r.reset();
                l
            }
            _ => None,
        };
        Ok(Resampler {
            inner: if decim.is_some() { None } else { inner },
            decim,
            linear,
            in_rate,
            out_rate,
            channels,
            pending: vec![Vec::new(); channels],
            pending_head: 0,
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
        if let Some(d) = self.decim.as_mut() {
            d.push(input);
            self.total_out += d.run(&mut out, u64::MAX) as u64;
            return Ok(out);
        }
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
        let mut consumed = self.pending_head;
        while self.pending[0].len() - consumed >= BLOCK && self.total_out < cap {
            let slices: Vec<&[f32]> = self
                .pending
                .iter()
                .map(|p| &p[consumed..consumed + BLOCK])
                .collect();
            let produced = match self.linear.as_mut() {
                Some(l) => l.process_block(&slices, &mut self.out_block),
                None => {
                    inner
                        .process_into_buffer(&slices, &mut self.out_block, None)
                        .map_err(|e| Error::Internal(format!("resampler: {e}")))?
                        .1
                }
            };
            consumed += BLOCK;
            let skip = self.delay_left.min(produced);
            self.delay_left -= skip;
            let take = ((produced - skip) as u64).min(cap - self.total_out) as usize;
            for (o, b) in out.iter_mut().zip(&self.out_block) {
                o.extend_from_slice(&b[skip..skip + take]);
            }
            self.total_out += take as u64;
        }
        if consumed >= 16 * BLOCK {
            for p in &mut self.pending {
                p.drain(..consumed);
            }
            consumed = 0;
        }
        self.pending_head = consumed;
        Ok(())
    }

    /// Flush the tail. Afterwards the total output is exactly [`Resampler::output_len`] of the
    /// total input.
    pub fn flush(&mut self) -> Result<Vec<Vec<f32>>> {
        let mut out = vec![Vec::new(); self.channels];
        let target = self.output_len(self.total_in);
        if let Some(d) = self.decim.as_mut().filter(|_| !self.finished) {
            self.finished = true;
            let missing = target.saturating_sub(self.total_out);
            // Silence after the end: enough for every missing output's window.
            let zeros = vec![0.0; d.taps_len() + 2 * missing as usize];
            d.push(&vec![zeros; self.channels]);
            self.total_out += d.run(&mut out, missing) as u64;
            return Ok(out);
        }
        if self.finished || self.inner.is_none() {
            self.finished = true;
            return Ok(out);
        }
        self.finished = true;
        while self.total_out < target {
            let need = BLOCK - (self.pending[0].len() - self.pending_head) % BLOCK;
            for p in &mut self.pending {
                p.resize(p.len() + need, 0.0);
            }
            self.run_blocks(&mut out, target)?;
        }
        Ok(out)
    }
}

/// Exact 2:1 downsampling (44.1 -> 22.05 kHz, 48 -> 24 kHz: the analysis front-end's usual
/// case) with the very filter taps rubato's `SincFixedIn` applies at that ratio.
///
/// Hand-written on purpose: at 2:1 every rubato output is one dot product of the preset's
/// sinc with the input (the `Nearest` table entry, see [`Quality::params`]), but rubato
/// computes it one output at a time (a horizontal sum per output, index arithmetic and a
/// copy per block), which made the resampler about a quarter of `quaver analyze`. Here the
/// taps are read back from rubato itself (its response to an impulse), and eight outputs
/// are computed together, one lane each, over the input split into even and odd samples:
/// plain vector multiply-adds. Each output still sums the same products in one fixed order
/// (even taps, then odd taps), so streamed and one-shot results stay equal bit for bit; they
/// differ from rubato's only by f32 rounding of that order (the tests bound it).
#[derive(Debug)]
struct Decimate2 {
    /// Taps acting on the even / odd samples of an output's window.
    even: Vec<f32>,
    odd: Vec<f32>,
    /// Per channel: the inputs from the first window not yet computed onwards (the window of
    /// output `m` starts at input `2m + lo`, `lo` ≤ 0; before input 0 the signal is zero).
    buf: Vec<Vec<f32>>,
    scratch_even: Vec<f32>,
    scratch_odd: Vec<f32>,
}

impl Decimate2 {
    /// `None` when rubato's response does not have the expected 2:1 shape (never with the
    /// presets; the caller then keeps rubato).
    ///
    /// `r` is the resampler built with `params` for the 2:1 ratio; it is left dirty (reset it).
    fn new(
        r: &mut SincFixedIn<f32>,
        params: SincInterpolationParameters,
        channels: usize,
    ) -> Result<Option<Self>> {
        if !matches!(params.interpolation, SincInterpolationType::Nearest) {
            return Ok(None);
        }
        let sinc_len = params.sinc_len as isize;
        // Output m of a first block with a unit impulse at input j is g(j - 2m): two impulses
        // (even and odd j) give every tap g(d).
        let span = 2 * sinc_len;
        let mut g = vec![0f32; 2 * span as usize + 1]; // d in -span..=span
        let mut out = vec![vec![0.0; r.output_frames_max()]; r.nbr_channels()];
        let j0 = (BLOCK / 2) as isize;
        let mut x = vec![vec![0f32; BLOCK]; r.nbr_channels()];
        for j in [j0, j0 + 1] {
            r.reset();
            for c in x.iter_mut() {
                c.fill(0.0);
                c[j as usize] = 1.0;
            }
            let (_, produced) = r
                .process_into_buffer(&x, &mut out, None)
                .map_err(|e| Error::Internal(format!("resampler: {e}")))?;
            for (m, &v) in out[0][..produced].iter().enumerate() {
                let d = j - 2 * m as isize;
                if (-span..=span).contains(&d) {
                    g[(d + span) as usize] = v;
                } else if v != 0.0 {
                    return Ok(None);
                }
            }
        }
        let (Some(first), Some(last)) = (
            g.iter().position(|&v| v != 0.0),
            g.iter().rposition(|&v| v != 0.0),
        ) else {
            return Ok(None);
        };
        let lo = first as isize - span;
        if lo > 0 {
            return Ok(None);
        }
        let taps = &g[first..=last];
        Ok(Some(Decimate2 {
            even: taps.iter().step_by(2).copied().collect(),
            odd: taps.iter().skip(1).step_by(2).copied().collect(),
            buf: vec![vec![0.0; (-lo) as usize]; channels],
            scratch_even: Vec::new(),
            scratch_odd: Vec::new(),
        }))
    }

    /// Window length in input frames.
    fn taps_len(&self) -> usize {
        self.even.len() + self.odd.len()
    }

    fn push<S: AsRef<[f32]>>(&mut self, input: &[S]) {
        for (b, i) in self.buf.iter_mut().zip(input) {
            b.extend_from_slice(i.as_ref());
        }
    }

    /// Compute every output whose window is complete, at most `cap`; returns how many.
    fn run(&mut self, out: &mut [Vec<f32>], cap: u64) -> usize {
        let k = self.taps_len();
        let have = self.buf.first().map_or(0, Vec::len);
        if have < k {
            return 0;
        }
        let n = ((have - k) / 2 + 1).min(usize::try_from(cap).unwrap_or(usize::MAX));
        if n == 0 {
            return 0;
        }
        let used = 2 * (n - 1) + k;
        for (b, o) in self.buf.iter_mut().zip(out.iter_mut()) {
            self.scratch_even.clear();
            self.scratch_odd.clear();
            self.scratch_even.extend(b[..used].iter().step_by(2));
            self.scratch_odd.extend(b[..used].iter().skip(1).step_by(2));
            o.reserve(n);
            decimate_into(
                &self.even,
                &self.odd,
                &self.scratch_even,
                &self.scratch_odd,
                n,
                o,
            );
            b.drain(..2 * n);
        }
        n
    }
}

/// `n` outputs: `out[m] = Σ_j even[j]·xe[m + j] + Σ_j odd[j]·xo[m + j]`, summed in that order
/// for every output (the grouped and the leftover outputs alike), so the result is the same
/// whichever kernel width runs: each lane is one output, and there is no fused multiply-add.
fn decimate_into(even: &[f32], odd: &[f32], xe: &[f32], xo: &[f32], n: usize, out: &mut Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX (checked just above).
        let m = unsafe { decimate_avx(even, odd, xe, xo, n, out) };
        return decimate_tail(even, odd, xe, xo, m..n, out);
    }
    let m = decimate_lanes::<16>(even, odd, xe, xo, n, out);
    decimate_tail(even, odd, xe, xo, m..n, out);
}

/// [`decimate_lanes`] compiled for AVX: 32 outputs in four 8-lane registers.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn decimate_avx(
    even: &[f32],
    odd: &[f32],
    xe: &[f32],
    xo: &[f32],
    n: usize,
    out: &mut Vec<f32>,
) -> usize {
    decimate_lanes::<32>(even, odd, xe, xo, n, out)
}

/// Outputs in groups of `L` (enough independent accumulators to hide the add latency);
/// returns how many were written (a multiple of `L`).
#[inline(always)]
fn decimate_lanes<const L: usize>(
    even: &[f32],
    odd: &[f32],
    xe: &[f32],
    xo: &[f32],
    n: usize,
    out: &mut Vec<f32>,
) -> usize {
    let mut m = 0;
    while m + L <= n {
        let mut acc = [0f32; L];
        for (taps, x) in [(even, xe), (odd, xo)] {
            for (j, &c) in taps.iter().enumerate() {
                let s: &[f32; L] = x[m + j..m + j + L].try_into().expect("L samples");
                for (a, &v) in acc.iter_mut().zip(s) {
                    *a += c * v;
                }
            }
        }
        out.extend_from_slice(&acc);
        m += L;
    }
    m
}

/// The outputs `range` one at a time, in the same order of operations as the lanes.
fn decimate_tail(
    even: &[f32],
    odd: &[f32],
    xe: &[f32],
    xo: &[f32],
    range: std::ops::Range<usize>,
    out: &mut Vec<f32>,
) {
    for m in range {
        let mut acc = 0f32;
        for (taps, x) in [(even, xe), (odd, xo)] {
            for (&c, &v) in taps.iter().zip(&x[m..]) {
                acc += c * v;
            }
        }
        out.push(acc);
    }
}

/// rubato 0.16's `SincFixedIn` with `Linear` or `Nearest` interpolation and its AVX + FMA
/// interpolator, re-run bit for bit (the [`Quality::Fast`] preset at ratios off the table:
/// 44.1 kHz to the fingerprinter's 8 kHz, for one; `Nearest` at table-aligned ratios other than
/// 2:1, such as 48 -> 8 kHz).
///
/// Hand-written because rubato computes one output at a time: two 64-tap dot products, each a
/// single chain of eight dependent FMAs plus a horizontal sum, behind a trait object and bounds
/// asserts, so the core waits on FMA latency (the resampler was ~14 % of `quaver fp index`).
/// Here the output positions of a block are computed first (the same f64 steps as rubato),
/// then four outputs run together: eight independent accumulator chains, each doing exactly
/// rubato's operations in rubato's order (same FMA lanes, same horizontal sum, same
/// interpolation formula), so every output has the same bits. The filter table is read back
/// from rubato's own interpolator (its response to unit impulses), and [`SincReplica::new`]
/// checks the whole thing against the rubato resampler on test blocks; any difference (another
/// rubato version, say) and the caller keeps rubato.
struct SincReplica {
    /// `nbr_sincs` filters of `len` taps, flat; filter `s` is `table[s * len..(s + 1) * len]`.
    table: Vec<f32>,
    len: usize,
    nbr_sincs: usize,
    /// Input frames per output frame (rubato's `t_ratio`).
    t_ratio: f64,
    /// Per channel: `2 * len` frames of history, then the current block (rubato's `buffer`).
    buffer: Vec<Vec<f32>>,
    /// rubato's `last_index`: position of the previous output relative to the block start.
    last_index: f64,
    /// Scratch: the current block's output positions.
    pos: Vec<SincPos>,
    /// `Nearest` interpolation: one filter per output (`w1`, `s1`, `frac` unused).
    nearest: bool,
}

impl std::fmt::Debug for SincReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SincReplica({} taps x {})", self.len, self.nbr_sincs)
    }
}

/// One output of a block: the two filters' starts in `buffer` / `table`, and the fraction.
#[derive(Clone, Copy, Debug)]
struct SincPos {
    w0: usize,
    s0: usize,
    w1: usize,
    s1: usize,
    frac: f32,
}

impl SincReplica {
    /// `None` unless the CPU has AVX + FMA (what makes rubato pick its AVX interpolator), the
    /// preset is `Linear`, and the replica matches `r` bit for bit on test blocks.
    ///
    /// `r` is the resampler built with `params` for this ratio; it is left dirty (reset it).
    fn new(
        r: &mut SincFixedIn<f32>,
        params: SincInterpolationParameters,
        in_rate: u32,
        out_rate: u32,
    ) -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            use rubato::sinc_interpolator::{
                sinc_interpolator_avx::AvxInterpolator, SincInterpolator,
            };
            let nearest = match params.interpolation {
                SincInterpolationType::Linear => false,
                SincInterpolationType::Nearest => true,
                _ => return None,
            };
            if !std::arch::is_x86_feature_detected!("avx")
                || !std::arch::is_x86_feature_detected!("fma")
            {
                return None;
            }
            let ratio = f64::from(out_rate) / f64::from(in_rate);
            // What rubato's `make_interpolator` does with the parameters.
            let len = 8 * ((params.sinc_len as f32 / 8.0).ceil() as usize);
            let f_cutoff = if ratio >= 1.0 {
                params.f_cutoff
            } else {
                params.f_cutoff * ratio as f32
            };
            let interp = AvxInterpolator::<f32>::new(
                len,
                params.oversampling_factor,
                f_cutoff,
                params.window,
            )
            .ok()?;
            let nbr_sincs = interp.nbr_sincs();
            if interp.len() != len || nbr_sincs == 0 {
                return None;
            }
            // Tap p of filter s is the filter's dot product with a unit impulse at p: one exact
            // FMA of 1.0 and zeros elsewhere.
            let mut table = vec![0f32; nbr_sincs * len];
            let mut wave = vec![0f32; 2 * len + 1];
            wave[len] = 1.0;
            for s in 0..nbr_sincs {
                for p in 0..len {
                    table[s * len + p] = interp.get_sinc_interpolated(&wave, len - p, s);
                }
            }
            let mut me = SincReplica {
                table,
                len,
                nbr_sincs,
                t_ratio: 1.0 / ratio,
                buffer: vec![vec![0.0; BLOCK + 2 * len]; r.nbr_channels()],
                last_index: -((len / 2) as f64),
                pos: Vec::new(),
                nearest,
            };
            // Check against rubato itself on a few blocks of a deterministic broadband signal.
            let ch = r.nbr_channels();
            let mut theirs = vec![vec![0f32; r.output_frames_max()]; ch];
            let mut mine = vec![vec![0f32; r.output_frames_max()]; ch];
            let mut seed = 0x9E37_79B9u32;
            for _ in 0..3 {
                let block: Vec<Vec<f32>> = (0..ch)
                    .map(|_| {
                        (0..BLOCK)
                            .map(|_| {
                                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                                (seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0
                            })
                            .collect()
                    })
                    .collect();
                let (_, n) = r.process_into_buffer(&block, &mut theirs, None).ok()?;
                let m = me.process_block(&block, &mut mine);
                let same = n == m
                    && theirs.iter().zip(&mine).all(|(a, b)| {
                        a[..n]
                            .iter()
                            .zip(&b[..n])
                            .all(|(x, y)| x.to_bits() == y.to_bits())
                    });
                if !same {
                    return None;
                }
            }
            me.buffer.iter_mut().for_each(|b| b.fill(0.0));
            me.last_index = -((len / 2) as f64);
            Some(me)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (r, params, in_rate, out_rate);
            None
        }
    }

    /// One block of exactly [`BLOCK`] frames per channel (rubato's `process_into_buffer`);
    /// returns the number of outputs written at the start of each `out` channel.
    fn process_block<S: AsRef<[f32]>, O: AsMut<[f32]>>(
        &mut self,
        input: &[S],
        out: &mut [O],
    ) -> usize {
        let len = self.len;
        // rubato's `end_idx` with a constant ratio (its per-output ratio increment is 0).
        let end_idx = BLOCK as isize - (len as isize + 1) - self.t_ratio.ceil() as isize;
        for (b, i) in self.buffer.iter_mut().zip(input) {
            b.copy_within(BLOCK..BLOCK + 2 * len, 0);
            b[2 * len..2 * len + BLOCK].copy_from_slice(&i.as_ref()[..BLOCK]);
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `new` only builds a `SincReplica` when the CPU has AVX and FMA.
        unsafe {
            self.positions_avx(end_idx)
        };
        #[cfg(not(target_arch = "x86_64"))]
        self.positions(end_idx);
        let n = self.pos.len();
        // The kernel reads `len` frames from each start and `len` taps from each filter.
        let buf_len = BLOCK + 2 * len;
        assert!(self
            .pos
            .iter()
            .all(|p| p.w0.max(p.w1) + len <= buf_len && p.s0.max(p.s1) + len <= self.table.len()));
        for (b, o) in self.buffer.iter().zip(out.iter_mut()) {
            let o = &mut o.as_mut()[..n];
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `new` only builds a `SincReplica` when the CPU has AVX and FMA; every read
            // is in bounds (asserted just above; `len` is a multiple of 8).
            unsafe {
                if self.nearest {
                    nearest_avx(b, &self.table, len, &self.pos, o)
                } else {
                    linear_avx(b, &self.table, len, &self.pos, o)
                }
            };
            #[cfg(not(target_arch = "x86_64"))]
            let _ = (b, o);
        }
        n
    }

    /// [`SincReplica::positions`] compiled with AVX, so that `floor` is one instruction rather
    /// than a libm call (the same exact result).
    ///
    /// # Safety
    /// The CPU must support AVX.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    unsafe fn positions_avx(&mut self, end_idx: isize) {
        self.positions(end_idx)
    }

    /// The block's output positions, rubato's f64 steps one for one.
    #[inline(always)]
    fn positions(&mut self, end_idx: isize) {
        let len = self.len;
        let factor = self.nbr_sincs as isize;
        self.pos.clear();
        let mut idx = self.last_index;
        let w = |i: isize| (i + 2 * len as isize) as usize;
        while idx < end_idx as f64 {
            idx += self.t_ratio;
            if self.nearest {
                // rubato's `get_nearest_time`, step for step.
                let mut index = idx.floor() as isize;
                let mut sub = ((idx - idx.floor()) * factor as f64).round() as isize;
                if sub >= factor {
                    sub -= factor;
                    index += 1;
                }
                let (w0, s0) = (w(index), sub as usize * len);
                self.pos.push(SincPos {
                    w0,
                    s0,
                    w1: w0,
                    s1: s0,
                    frac: 0.0,
                });
                continue;
            }
            // rubato's `get_nearest_times_2` and fraction, step for step.
            let mut index = idx.floor() as isize;
            let mut sub = ((idx - idx.floor()) * factor as f64).floor() as isize;
            let (i0, s0) = (index, sub);
            sub += 1;
            if sub >= factor {
                sub -= factor;
                index += 1;
            }
            let scaled = idx * factor as f64;
            let frac = (scaled - scaled.floor()) as f32;
            self.pos.push(SincPos {
                w0: w(i0),
                s0: s0 as usize * len,
                w1: w(index),
                s1: sub as usize * len,
                frac,
            });
        }
        self.last_index = idx - BLOCK as f64;
    }
}

/// rubato's AVX dot product of `len` taps at `w` with filter `s` (one FMA chain over 8 lanes,
/// then its horizontal sum), for four outputs at a time (eight independent chains), and its
/// linear interpolation `y0 + frac * (y1 - y0)`.
///
/// # Safety
/// The CPU must support AVX and FMA; `w* + len` ≤ `buf.len()`, `s* + len` ≤ `table.len()`,
/// `len` a multiple of 8.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
unsafe fn linear_avx(buf: &[f32], table: &[f32], len: usize, pos: &[SincPos], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let hsum = |a| hsum_rubato(a);
    let (b, t) = (buf.as_ptr(), table.as_ptr());
    let mut chunks = pos.chunks_exact(4);
    let mut o = 0;
    for group in &mut chunks {
        let mut acc = [_mm256_setzero_ps(); 8];
        let mut k = 0;
        while k < len {
            for (j, p) in group.iter().enumerate() {
                acc[2 * j] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(b.add(p.w0 + k)),
                    _mm256_loadu_ps(t.add(p.s0 + k)),
                    acc[2 * j],
                );
                acc[2 * j + 1] = _mm256_fmadd_ps(
                    _mm256_loadu_ps(b.add(p.w1 + k)),
                    _mm256_loadu_ps(t.add(p.s1 + k)),
                    acc[2 * j + 1],
                );
            }
            k += 8;
        }
        for (j, p) in group.iter().enumerate() {
            let (y0, y1) = (hsum(acc[2 * j]), hsum(acc[2 * j + 1]));
            *out.get_unchecked_mut(o + j) = y0 + p.frac * (y1 - y0);
        }
        o += 4;
    }
    for p in chunks.remainder() {
        let (mut a0, mut a1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut k = 0;
        while k < len {
            a0 = _mm256_fmadd_ps(
                _mm256_loadu_ps(b.add(p.w0 + k)),
                _mm256_loadu_ps(t.add(p.s0 + k)),
                a0,
            );
            a1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(b.add(p.w1 + k)),
                _mm256_loadu_ps(t.add(p.s1 + k)),
                a1,
            );
            k += 8;
        }
        let (y0, y1) = (hsum(a0), hsum(a1));
        *out.get_unchecked_mut(o) = y0 + p.frac * (y1 - y0);
        o += 1;
    }
}

/// rubato's `Nearest` step: one dot product per output (see [`linear_avx`]), eight outputs at
/// a time.
///
/// # Safety
/// As for [`linear_avx`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
unsafe fn nearest_avx(buf: &[f32], table: &[f32], len: usize, pos: &[SincPos], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let (b, t) = (buf.as_ptr(), table.as_ptr());
    let mut chunks = pos.chunks_exact(8);
    let mut o = 0;
    for group in &mut chunks {
        let mut acc = [_mm256_setzero_ps(); 8];
        let mut k = 0;
        while k < len {
            for (a, p) in acc.iter_mut().zip(group) {
                *a = _mm256_fmadd_ps(
                    _mm256_loadu_ps(b.add(p.w0 + k)),
                    _mm256_loadu_ps(t.add(p.s0 + k)),
                    *a,
                );
            }
            k += 8;
        }
        for (j, a) in acc.iter().enumerate() {
            *out.get_unchecked_mut(o + j) = hsum_rubato(*a);
        }
        o += 8;
    }
    for p in chunks.remainder() {
        let mut a = _mm256_setzero_ps();
        let mut k = 0;
        while k < len {
            a = _mm256_fmadd_ps(
                _mm256_loadu_ps(b.add(p.w0 + k)),
                _mm256_loadu_ps(t.add(p.s0 + k)),
                a,
            );
            k += 8;
        }
        *out.get_unchecked_mut(o) = hsum_rubato(a);
        o += 1;
    }
}

/// Exactly rubato's reduction of an AVX accumulator: high half + low half, then two
/// horizontal adds.
///
/// # Safety
/// The CPU must support AVX.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx")]
unsafe fn hsum_rubato(acc: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let high = _mm256_extractf128_ps(acc, 1);
    let low = _mm_add_ps(high, _mm256_castps256_ps128(acc));
    let t2 = _mm_hadd_ps(low, low);
    let t1 = _mm_hadd_ps(t2, t2);
    _mm_cvtss_f32(t1)
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

    /// Two sines and a little deterministic noise.
    fn test_signal(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f32;
                (t * 0.031).sin() * 0.5 + (t * 0.77).sin() * 0.3 + ((i * 7919) % 101) as f32 * 1e-3
            })
            .collect()
    }

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
    fn decimate2_matches_rubato_to_f32_rounding() {
        let x = test_signal(BLOCK * 12 + 321);
        for q in [Quality::Fast, Quality::Balanced, Quality::Best] {
            for (i, o) in [(44_100, 22_050), (48_000, 24_000)] {
                let reference = interpolated(&x, i, o, q);
                let mut r = Resampler::new(i, o, 1, q).unwrap();
                assert!(r.decim.is_some() && r.inner.is_none(), "{q:?} {i} -> {o}");
                // Uneven chunks: the result must not depend on them.
                let mut y = Vec::new();
                for c in x.chunks(777) {
                    y.extend(r.process(&[c]).unwrap().remove(0));
                }
                y.extend(r.flush().unwrap().remove(0));
                assert_eq!(y.len() as u64, output_len(x.len() as u64, i, o));
                let one_shot =
                    resample(&AudioBuffer::from_planar(i, vec![x.clone()]).unwrap(), o, q).unwrap();
                assert_eq!(one_shot.channels[0], y, "{q:?}: streamed != one-shot");
                let worst = reference
                    .iter()
                    .zip(&y)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                // Same taps, another summation order: a few f32 ulps of the ~1.0 signal.
                assert!(worst < 2e-6, "{q:?} {i} -> {o}: {worst}");
                assert!(reference.len() > x.len() / 2 - BLOCK);
            }
        }
        // Other ratios keep rubato.
        let r = Resampler::new(44_100, 48_000, 1, Quality::Fast).unwrap();
        assert!(r.decim.is_none() && r.inner.is_some());
    }

    #[test]
    fn sinc_replica_is_bit_identical_to_rubato() {
        let x = test_signal(BLOCK * 9 + 100);
        // Linear (Fast off the table) and Nearest (table-aligned, not 2:1) cases; `interpolated`
        // runs rubato with the preset's own interpolation, which equals `Nearest` bit for bit on
        // the table (fraction 0).
        for (q, i, o) in [
            (Quality::Fast, 44_100, 8_000),
            (Quality::Fast, 48_000, 8_000),
            (Quality::Fast, 22_050, 8_000),
            (Quality::Fast, 32_000, 44_100),
            (Quality::Balanced, 44_100, 11_025),
            (Quality::Best, 48_000, 12_000),
        ] {
            let reference = interpolated(&x, i, o, q);
            let mut r = Resampler::new(i, o, 1, q).unwrap();
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx")
                && std::arch::is_x86_feature_detected!("fma")
            {
                assert!(r.linear.is_some(), "{q:?} {i} -> {o}");
            }
            let mut y = Vec::new();
            for c in x.chunks(777) {
                y.extend(r.process(&[c]).unwrap().remove(0));
            }
            assert!(y.len() <= reference.len() && y.len() > reference.len() - BLOCK);
            for (a, b) in y.iter().zip(&reference) {
                assert_eq!(a.to_bits(), b.to_bits(), "{q:?} {i} -> {o}");
            }
        }
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
        let x = test_signal(BLOCK * 12);
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
