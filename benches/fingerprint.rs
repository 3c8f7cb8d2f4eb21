//! Query latency against a large fingerprint index (single thread, core = peak extraction +
//! search from 8 kHz PCM, decode excluded).
//!
//! The index is synthetic but built from real peak statistics: the peaks of the 30 s real-music
//! clips that `scripts/corpus/clips.py` makes (`$QUAVER_CORPUS_CLIPS`, else
//! `target/corpus/clips`; the bench panics when they are missing) are cut into 30 s blocks, and
//! each catalog track is 8 blocks chosen pseudo-randomly, each transposed by a random amount
//! within ±1/3 octave and time-scaled by a random factor in 0.8–1.25. That gives
//! `QFP_BENCH_TRACKS` (default 2000; the scaling point is 10000) four-minute tracks with
//! the hash statistics of real music (peaks that fall outside the analysed band are dropped).
//! Queries are 5 s excerpts of the clips with white noise at 10 dB SNR, so the true track is
//! among the catalog (track 0 holds the clips unshifted), and a second set of excerpts sped up
//! or slowed down by 2 or 5 % (tempo and pitch together) with white noise at 15 dB, which only
//! the scale search finds. `QFP_BENCH_SHARDS` (default 4) sets the index's shard count.
//! Every track carries a fine print of its length (the blocks' own, time-scaled), and queries
//! go through [`FingerprintIndex::query_with_energies`], as the facade's do.

use criterion::{criterion_group, criterion_main, Criterion};
use quaver_fingerprint::extract::{extract_all, ExtractConfig, Peak, SAMPLE_RATE};
use quaver_fingerprint::fine::FINE_FRAMES;
use quaver_fingerprint::{
    query_extract_pcm, track_print_from_peaks, FingerprintIndex, IndexOptions, QueryOptions,
};

#[path = "../tests/support/corpus.rs"]
mod corpus;

fn clips() -> Vec<Vec<f32>> {
    let paths = corpus::corpus_clips();
    paths
        .iter()
        .map(|p| {
            quaver::decode(
                p.as_path(),
                &quaver::ConvertOptions {
                    sample_rate: Some(SAMPLE_RATE),
                    mono: true,
                    quality: quaver::Quality::Fast,
                },
            )
            .unwrap()
            .channels
            .remove(0)
        })
        .collect()
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// A 5 s excerpt of `x` at a pseudo-random position, played `speed` times as fast (linear
/// interpolation: tempo and pitch change together), with white noise at `snr_db`.
fn noisy_excerpt(x: &[f32], speed: f32, snr_db: f32, rng: &mut Lcg) -> Vec<f32> {
    let len = 5 * SAMPLE_RATE as usize;
    let need = (len as f32 * speed) as usize + 2;
    let s = rng.next() as usize % (x.len() - need);
    let q: Vec<f32> = (0..len)
        .map(|i| {
            let p = i as f32 * speed;
            let (k, fr) = (p as usize, p.fract());
            x[s + k] * (1.0 - fr) + x[s + k + 1] * fr
        })
        .collect();
    let p = q.iter().map(|v| v * v).sum::<f32>() / len as f32;
    let sd = (p / 10f32.powf(snr_db / 10.0)).sqrt();
    q.iter()
        .map(|v| v + sd * ((rng.next() % 2001) as f32 / 1000.0 - 1.0) * 1.73)
        .collect()
}

/// Shards of the bench index: `QFP_BENCH_SHARDS` (default 4).
fn shards() -> u32 {
    std::env::var("QFP_BENCH_SHARDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

fn build(dir: &std::path::Path, audio: &[Vec<f32>], n_tracks: usize) -> FingerprintIndex {
    let blocks: Vec<(Vec<Peak>, f32, Vec<u16>)> = audio
        .iter()
        .map(|x| {
            let e = extract_all(x, ExtractConfig::INDEX);
            (e.peaks, e.frames as f32, e.fine)
        })
        .collect();
    let mut idx = FingerprintIndex::open(dir, &IndexOptions { shards: shards() }).unwrap();
    let mut rng = Lcg(42);
    let t = std::time::Instant::now();
    for start in (0..n_tracks).step_by(1000) {
        let batch: Vec<_> = (start..(start + 1000).min(n_tracks))
            .map(|k| {
                let mut peaks = Vec::new();
                let mut fine: Vec<u16> = Vec::new();
                let mut t0 = 0.0f32;
                for b in 0..8 {
                    let (src, len, src_fine) = &blocks[if k == 0 {
                        b % blocks.len()
                    } else {
                        rng.next() as usize % blocks.len()
                    }];
                    // Each block of a variant is the clip transposed by up to ±1/3 octave and
                    // time-scaled by 0.8–1.25: a "resampled / shifted" copy whose landmarks
                    // differ from every other variant's (only variants within a few % of each
                    // other in both factors collide, as real near-duplicates would).
                    let (df, st) = if k == 0 {
                        (0.0, 1.0)
                    } else {
                        (
                            (rng.next() % 2401) as f32 / 100.0 - 12.0,
                            0.8 + (rng.next() % 4501) as f32 / 10000.0,
                        )
                    };
                    peaks.extend(
                        src.iter()
                            .map(|p| Peak {
                                t: p.t * st + t0,
                                f: p.f + df,
                                ..*p
                            })
                            .filter(|p| p.f >= 0.0 && p.f < 139.0),
                    );
                    let len = len * st;
                    t0 += len;
                    // The fine print, time-scaled like the peaks (its codes are not those of
                    // a transposed copy, but its size and the matcher's work are).
                    let want = (t0 / FINE_FRAMES as f32) as usize;
                    while fine.len() < want && !src_fine.is_empty() {
                        let j = ((fine.len() as f32 * FINE_FRAMES as f32 - (t0 - len))
                            / st
                            / FINE_FRAMES as f32)
                            .max(0.0) as usize;
                        fine.push(src_fine[j.min(src_fine.len() - 1)]);
                    }
                }
                let mut print = track_print_from_peaks(&peaks, t0 as u32);
                print.fine = fine;
                (format!("track-{k}"), print)
            })
            .collect();
        idx.add(batch).unwrap();
    }
    idx.compact().unwrap();
    let s = idx.stats();
    eprintln!(
        "synthetic index: {} tracks, {:.0} h, {} postings, {:.1} MB ({:.2} MB/h), built in {:.0} s",
        s.tracks,
        s.seconds / 3600.0,
        s.postings,
        s.bytes as f64 / 1e6,
        s.bytes as f64 / 1e6 / (s.seconds / 3600.0),
        t.elapsed().as_secs_f64()
    );
    idx
}

/// CPU time of the calling thread (ms): the query's own cost, without the time it waited for a
/// core on a busy machine. The wall-clock figures are the ones quoted; this one makes A/B
/// comparisons possible while other work runs.
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

fn latency(c: &mut Criterion) {
    let n: usize = std::env::var("QFP_BENCH_TRACKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let audio = clips();
    // QFP_BENCH_DB=DIR keeps the synthetic index in DIR and reuses it on the next run (the
    // 10 000-track build takes about a minute); by default it lives in a temporary directory.
    let tmp = tempfile::tempdir().unwrap();
    let idx = match std::env::var_os("QFP_BENCH_DB") {
        Some(d) => {
            let d = std::path::PathBuf::from(d).join(format!("tracks-{n}"));
            match FingerprintIndex::open(&d, &IndexOptions { shards: shards() }) {
                Ok(idx) if idx.stats().tracks == n as u64 => idx,
                _ => {
                    let _ = std::fs::remove_dir_all(&d);
                    build(&d, &audio, n)
                }
            }
        }
        None => build(tmp.path(), &audio, n),
    };
    let mut rng = Lcg(7);
    let queries: Vec<Vec<f32>> = (0..32)
        .map(|i| noisy_excerpt(&audio[i % audio.len()], 1.0, 10.0, &mut rng))
        .collect();
    // The same kind of excerpts sped up or slowed down (tempo and pitch together) by 2 or 5 %,
    // with white noise at 15 dB: they are found only by the scale search, so they also time
    // the full search (every hypothesis voted when no early one is sure).
    let mut rng = Lcg(11);
    let sped: Vec<Vec<f32>> = (0..32)
        .map(|i| {
            let f = [1.02, 0.98, 1.05, 0.95][i % 4];
            noisy_excerpt(&audio[(i * 7 + 3) % audio.len()], f, 15.0, &mut rng)
        })
        .collect();
    // Per-query wall times for p50 / p95, on one thread: the query runs inside a one-thread
    // rayon pool, so the per-shard parallelism of `query_peaks` cannot use the other core.
    let opts = QueryOptions::default();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for (what, set) in [
        ("5 s query, white noise 10 dB", &queries),
        ("5 s query, speed ±2/±5 % + noise 15 dB", &sped),
    ] {
        let mut times = Vec::new();
        let mut cpu = Vec::new();
        // thread CPU time of the query's extraction alone (part of the core latency)
        let mut ext = Vec::new();
        let mut hits = 0;
        for q in set.iter().cycle().take(128) {
            let t = std::time::Instant::now();
            let (m, c) = one.install(|| {
                let c0 = thread_cpu_ms();
                let e = query_extract_pcm(q);
                ext.push(thread_cpu_ms() - c0);
                let m = if std::env::var_os("NOE").is_some() {
                    idx.query_peaks(&e.peaks, &opts)
                } else {
                    idx.query_with_energies(&e.peaks, &e.energies, &opts)
                };
                (m, thread_cpu_ms() - c0)
            });
            times.push(t.elapsed().as_secs_f64() * 1e3);
            cpu.push(c);
            hits += !m.is_empty() as usize;
        }
        times.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        ext.sort_by(f64::total_cmp);
        eprintln!(
            "core latency, {what}, {n} tracks: p50 {:.2} ms, p95 {:.2} ms; {hits}/128 matched \
             (thread CPU time p50 {:.2} ms, p95 {:.2} ms; extraction alone p50 {:.2} ms)",
            times[times.len() / 2],
            times[times.len() * 95 / 100],
            cpu[cpu.len() / 2],
            cpu[cpu.len() * 95 / 100],
            ext[ext.len() / 2]
        );
    }
    let mut g = c.benchmark_group("fingerprint");
    g.sample_size(20);
    let mut i = 0;
    g.bench_function(format!("query_5s_{n}_tracks"), |b| {
        b.iter(|| {
            i += 1;
            one.install(|| {
                let e = query_extract_pcm(&queries[i % queries.len()]);
                idx.query_with_energies(&e.peaks, &e.energies, &opts)
            })
        })
    });
    g.finish();
}

criterion_group!(benches, latency);
criterion_main!(benches);
