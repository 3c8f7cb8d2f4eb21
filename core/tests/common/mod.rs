//! Shared helpers for quaver-core's integration tests: fixture paths and the ffmpeg oracle.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// `tests/data/NAME` at the repository root.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

/// Decode with ffmpeg to planar f32 (`channels` channels). Panics with a clear message when
/// ffmpeg is missing: scripts/setup.sh installs it.
pub fn ffmpeg_decode(path: &std::path::Path, channels: usize) -> Vec<Vec<f32>> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-f", "f32le", "-c:a", "pcm_f32le", "-"])
        .output()
        .expect("ffmpeg is required for this test (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "ffmpeg failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let mut planar = vec![Vec::with_capacity(samples.len() / channels); channels];
    for frame in samples.chunks_exact(channels) {
        for (c, s) in planar.iter_mut().zip(frame) {
            c.push(*s);
        }
    }
    planar
}

/// ffprobe's view of the first audio stream: (sample_rate, channels, duration_ts or 0).
pub fn ffprobe(path: &std::path::Path) -> (u32, u32, u64) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "stream=sample_rate,channels,duration_ts",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is required for this test (scripts/setup.sh installs it)");
    let s = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = s.trim().split(',').collect();
    (
        f[0].parse().unwrap(),
        f[1].parse().unwrap(),
        f.get(2).and_then(|d| d.parse().ok()).unwrap_or(0),
    )
}

/// Signal-to-noise ratio in dB of `test` against `reference` (all channels).
pub fn snr_db(reference: &[Vec<f32>], test: &[Vec<f32>]) -> f64 {
    let (mut sig, mut noise) = (0f64, 0f64);
    for (r, t) in reference.iter().zip(test) {
        for (a, b) in r.iter().zip(t) {
            sig += f64::from(*a) * f64::from(*a);
            noise += (f64::from(*a) - f64::from(*b)).powi(2);
        }
    }
    10.0 * (sig / noise.max(1e-30)).log10()
}
