//! Criterion benches: loudness and waveform analysis (placeholder, filled in below).
fn main() {}
