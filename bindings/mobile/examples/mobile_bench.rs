//! What a phone does with a local track, through the mobile library's own API: analyse it,
//! draw its waveform, take a fingerprint snippet. Prints the best of `RUNS` wall times of each
//! in milliseconds — used by `benches/mobile_size.sh` to compare the size-optimised `mobile`
//! profile with `opt-level = 3`.
//!
//! `cargo run --profile mobile -p quaver-mobile --example mobile_bench -- FILE [RUNS]`
use std::time::Instant;

fn best_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: mobile_bench FILE [RUNS]");
    let runs: usize = args
        .next()
        .map_or(5, |r| r.parse().expect("RUNS is a number"));
    let analyze = best_ms(runs, || {
        quaver_mobile::analyze(path.clone(), None).expect("analyze");
    });
    let waveform = best_ms(runs, || {
        quaver_mobile::waveform(path.clone(), None).expect("waveform");
    });
    let snippet = best_ms(runs, || {
        quaver_mobile::fingerprint_snippet(path.clone()).expect("snippet");
    });
    println!("analyze_ms {analyze:.1} waveform_ms {waveform:.1} snippet_ms {snippet:.1}");
}
