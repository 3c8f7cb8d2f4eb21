//! The `quaver` binary: `info --json` keys, `decode` options, errors on stderr with exit codes.

use std::path::PathBuf;
use std::process::Command;

fn quaver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quaver"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn info_json_has_the_documented_keys() {
    let out = quaver()
        .args(["info", "--json"])
        .arg(data("tagged.mp3"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "container",
        "codec",
        "sample_rate",
        "channels",
        "frames",
        "duration_s",
        "bits_per_sample",
        "bitrate",
        "tags",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["container"], "mp3");
    assert_eq!(v["sample_rate"], 44_100);
    assert_eq!(v["frames"], 176_400);
    assert!(v["bits_per_sample"].is_null());
    assert_eq!(v["tags"]["isrc"], "QZABC2600001");
    let br = v["bitrate"].as_u64().unwrap();
    assert!((190_000..=200_000).contains(&br), "bitrate {br}");
}

#[test]
fn info_text_is_readable() {
    let out = quaver()
        .arg("info")
        .arg(data("flac_s24_96k.flac"))
        .output()
        .unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("96000 Hz, 2 ch, 24-bit"), "{s}");
    assert!(s.contains("4.000 s (384000 frames)"), "{s}");
}

#[test]
fn decode_resamples_downmixes_and_writes_s16() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wav");
    let st = quaver()
        .args(["decode"])
        .arg(data("opus_stereo.opus"))
        .args(["--rate", "22050", "--mono", "--format", "s16", "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let r = hound::WavReader::open(&out).unwrap();
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (22_050, 1, 16)
    );
    // 4.000 s at 48 kHz -> exactly 88 200 frames at 22.05 kHz.
    assert_eq!(r.duration(), 88_200);
    // Only the final file exists: no temporary leftovers.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn decode_f32_round_trips_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wav");
    assert!(quaver()
        .arg("decode")
        .arg(data("flac_s16.flac"))
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap()
        .success());
    let a = quaver::decode(data("flac_s16.flac"), &Default::default()).unwrap();
    let b = quaver::decode(out, &Default::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn errors_go_to_stderr_with_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.mp3");
    std::fs::write(&junk, b"<html>not audio</html>").unwrap();
    let out = quaver().args(["info"]).arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("quaver: error: unsupported format"), "{err}");

    let out = quaver()
        .args(["info", "/nonexistent/file.flac"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.flac"));

    let out = quaver()
        .args(["decode"])
        .arg(data("master.wav"))
        .args(["--rate", "1", "-o"])
        .arg(dir.path().join("y.wav"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "invalid argument exit code");
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid argument"));
    assert!(!dir.path().join("y.wav").exists());
}
