//! Loudness against ffmpeg's `ebur128` filter (integrated within 0.1 LU on every fixture and
//! the real-music clips of `scripts/corpus/clips.py`), analysis of silent / empty / bad inputs,
//! and the CLI.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[path = "support/corpus.rs"]
mod corpus;
use corpus::corpus_clips;

/// ffmpeg's Summary: (I, LRA, true peak), or None when ffmpeg printed none.
fn ffmpeg_ebur128(path: &Path) -> Option<(f64, f64, f64)> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-nostats", "-hide_banner", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg must be installed (scripts/setup.sh installs it)");
    let err = String::from_utf8_lossy(&out.stderr);
    let summary = &err[err.rfind("Summary:")?..];
    let field = |key: &str| -> Option<f64> {
        let at = summary.find(key)? + key.len();
        summary[at..].split_whitespace().next()?.parse().ok()
    };
    Some((field("I:")?, field("LRA:")?, field("Peak:")?))
}

fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    v.extend_from_slice(&(channels * 2).to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v
}

#[test]
fn integrated_loudness_agrees_with_ffmpeg_within_0_1_lu() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    files.extend(corpus_clips());
    files.sort();
    let mut worst: f64 = 0.0;
    let mut failures = Vec::new();
    for f in &files {
        let a = quaver::analyze(f.as_path(), &quaver::AnalysisOptions::default()).unwrap();
        let l = a.loudness.unwrap();
        let Some((i, lra, tp)) = ffmpeg_ebur128(f) else {
            failures.push(format!(
                "{}: ffmpeg printed no ebur128 summary",
                f.display()
            ));
            continue;
        };
        let ours = l.integrated_lufs.unwrap();
        let d = ours - i;
        worst = worst.max(d.abs());
        println!(
            "{:<45} I {ours:8.2} ffmpeg {i:6.1} (Δ {d:+.2})  LRA {:5.2}/{lra:4.1}  TP {:6.2}/{tp:5.1}",
            f.file_name().unwrap().to_string_lossy(),
            l.range_lu.unwrap_or(0.0),
            l.true_peak_dbtp.unwrap_or(f64::NEG_INFINITY),
        );
        // ffmpeg prints one decimal: allow its rounding (0.05) on top of the 0.1 LU bar.
        if d.abs() > 0.15 {
            failures.push(format!("{}: {ours:.2} vs {i:.1}", f.display()));
        }
    }
    println!("worst |Δ I| = {worst:.3} LU over {} files", files.len());
    assert!(
        files.len() >= 20,
        "expected the fixtures, got {}",
        files.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn silent_and_empty_inputs_give_null_loudness() {
    let silent = wav(44_100, 2, &vec![0i16; 44_100 * 2 * 2]);
    let a = quaver::analyze(quaver::Input::bytes(silent), &Default::default()).unwrap();
    assert_eq!(a.frames, 88_200);
    let l = a.loudness.clone().unwrap();
    assert_eq!(l.integrated_lufs, None);
    assert_eq!(l.true_peak_dbtp, None);
    let json = serde_json::to_string(&a).unwrap();
    assert!(json.contains("\"integrated_lufs\":null"), "{json}");
    assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");

    let empty = wav(44_100, 2, &[]);
    let opts = quaver::AnalysisOptions {
        waveform: Some(Default::default()),
        ..Default::default()
    };
    let a = quaver::analyze(quaver::Input::bytes(empty), &opts).unwrap();
    assert_eq!(a.frames, 0);
    assert_eq!(a.duration_s, 0.0);
    assert_eq!(a.loudness.unwrap().integrated_lufs, None);
    let w = a.waveform.unwrap();
    assert!(w.is_empty());
    assert_eq!(w.to_dat(1).unwrap().len(), 20);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let e = quaver::analyze(
        quaver::Input::bytes(vec![0x42u8; 4096]),
        &Default::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "UNSUPPORTED", "{e}");
    let e = quaver::analyze("/nonexistent/x.flac", &Default::default()).unwrap_err();
    assert_eq!(e.code(), "IO", "{e}");
    let e =
        quaver::analyze(quaver::Input::bytes(Vec::<u8>::new()), &Default::default()).unwrap_err();
    assert_eq!(e.code(), "NO_AUDIO", "{e}");
    let bad = quaver::WaveformOptions {
        bits: 4,
        ..Default::default()
    };
    let e = quaver::waveform(data("master.wav"), &bad).unwrap_err();
    assert_eq!(e.code(), "INVALID_ARGUMENT", "{e}");
    let w = quaver::waveform(data("master.wav"), &Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = w
        .write(dir.path().join("x.txt"), &Default::default())
        .unwrap_err();
    assert_eq!(e.code(), "INVALID_ARGUMENT", "{e}");
}

#[test]
fn zoom_levels_come_from_one_pass_and_agree() {
    let opts = quaver::WaveformOptions {
        samples_per_pixel: 256,
        zoom_levels: vec![512, 1000],
        split_channels: true,
        ..Default::default()
    };
    let all = quaver::waveform_zooms(data("master.wav"), &opts).unwrap();
    assert_eq!(all.len(), 3);
    let (fine, coarse) = (&all[0], &all[1]);
    assert_eq!(fine.len(), 176_400usize.div_ceil(256));
    assert_eq!(coarse.len(), 176_400usize.div_ceil(512));
    // A 512-pixel is the envelope of two 256-pixels.
    for p in 0..coarse.len() {
        for c in 0..2 {
            let (a, b) = fine.pair(2 * p, c);
            let (x, y) = if 2 * p + 1 < fine.len() {
                fine.pair(2 * p + 1, c)
            } else {
                (a, b)
            };
            assert_eq!(coarse.pair(p, c), (a.min(x), b.max(y)));
        }
    }
}

#[test]
fn cli_analyze_and_waveform() {
    let exe = env!("CARGO_BIN_EXE_quaver");
    let out = Command::new(exe)
        .args(["analyze", "--json"])
        .arg(data("flac_s16.flac"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "integrated_lufs",
        "range_lu",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "replaygain_db",
        "momentary_max_lufs",
        "short_term_max_lufs",
    ] {
        assert!(v["loudness"][k].is_f64(), "{k}: {v}");
    }
    assert_eq!(v["sample_rate"], 44_100);
    assert_eq!(v["channels"], 2);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("w.json");
    let out = Command::new(exe)
        .args([
            "waveform",
            "--samples-per-pixel",
            "512",
            "--bits",
            "8",
            "-o",
        ])
        .arg(&json)
        .arg(data("master.wav"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["bits"], 8);
    assert_eq!(v["samples_per_pixel"], 512);
    assert_eq!(v["length"], 345);
    assert_eq!(v["data"].as_array().unwrap().len(), 345 * 2);
    let out = Command::new(exe)
        .args(["waveform", "--bits", "12", "-o"])
        .arg(dir.path().join("w.dat"))
        .arg(data("master.wav"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// A panic inside the facade's thread pool comes back as a typed internal error, not an unwind.
#[test]
fn a_panic_inside_the_facade_is_an_internal_error() {
    let e = quaver::runtime::debug_panic("boom").unwrap_err();
    assert!(matches!(e, quaver::Error::Internal(_)), "{e}");
    assert!(e.to_string().contains("debug_panic: boom"), "{e}");
    assert_eq!(e.code(), "INTERNAL");
    // The pool still works afterwards.
    assert!(quaver::runtime::map(vec![1, 2, 3], |_, x| x * 2).unwrap() == vec![2, 4, 6]);
}

#[test]
fn an_impossible_tempo_range_is_an_invalid_argument() {
    for (lo, hi) in [
        (300.0, 100.0),
        (0.0, 100.0),
        (120.0, f64::NAN),
        (60.0, 5000.0),
    ] {
        let o = quaver::AnalysisOptions {
            music: Some(quaver::MusicOptions {
                tempo_range: quaver::TempoOptions {
                    min_bpm: lo,
                    max_bpm: hi,
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        let data =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/flac_s16.flac");
        let e = quaver::analyze(data.as_path(), &o).unwrap_err();
        assert!(
            matches!(e, quaver::Error::InvalidArgument(_)),
            "{lo}..{hi}: {e}"
        );
    }
}
