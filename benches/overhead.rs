//! The Rust-API side of `benches/binding_overhead.sh`: `quaver::analyze` (decode included) and
//! `quaver::decode` of one file, from a path and from bytes in memory, in-process after one
//! warm-up call: the best wall time of N calls, and the mean CPU time per call (user + system of
//! the whole process, from /proc/self/stat: all of quaver's threads, and less disturbed than wall
//! time by other work on a busy machine). Prints one JSON line that the script compares with the
//! Python and Node bindings doing the same calls.
//!
//!   OVERHEAD_FILE=clip.flac OVERHEAD_REPS=40 cargo bench --bench overhead -- --nocapture
//!
//! A libtest target (Cargo finds it in benches/ on its own); without OVERHEAD_FILE the one test
//! does nothing, so `cargo test --all-targets` stays quick.

use std::time::Instant;

/// User + system CPU seconds of this process (clock ticks of 10 ms: measure many calls at once).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// (best wall seconds, mean CPU seconds) per call.
fn measure<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    std::hint::black_box(f()); // warm-up: page cache, thread pool, FFT plans
    let cpu0 = cpu_seconds();
    let best = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let r = std::hint::black_box(f());
            let e = t.elapsed().as_secs_f64();
            drop(r); // freeing the result is not timed (Node frees it later, in its GC)
            e
        })
        .fold(f64::INFINITY, f64::min);
    (best, (cpu_seconds() - cpu0) / reps as f64)
}

#[test]
fn rust_api_best_of_n() {
    let Ok(file) = std::env::var("OVERHEAD_FILE") else {
        return;
    };
    let reps: usize = std::env::var("OVERHEAD_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let bytes = std::fs::read(&file).unwrap();
    let opts = quaver::AnalysisOptions::default();
    let (analyze_path, analyze_path_cpu) =
        measure(reps, || quaver::analyze(file.as_str(), &opts).unwrap());
    let (analyze_bytes, analyze_bytes_cpu) =
        measure(reps, || quaver::analyze(bytes.clone(), &opts).unwrap());
    let (decode_path, decode_path_cpu) = measure(reps, || {
        quaver::decode(file.as_str(), &Default::default()).unwrap()
    });
    println!(
        "OVERHEAD_JSON {{\"impl\": \"rust\", \"reps\": {reps}, \"analyze_path\": {analyze_path}, \
         \"analyze_bytes\": {analyze_bytes}, \"decode_path\": {decode_path}, \
         \"analyze_path_cpu\": {analyze_path_cpu}, \"analyze_bytes_cpu\": {analyze_bytes_cpu}, \
         \"decode_path_cpu\": {decode_path_cpu}}}"
    );
}
