//! `quaver encode`: writes each format, copies tags, exits 2 with a clear message on bad options.

use std::process::Command;

fn quaver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quaver"))
}

#[test]
fn encode_writes_mp3_opus_flac_with_tags() {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tagged.flac");
    for (name, extra) in [
        ("a.mp3", vec!["--bitrate", "192"]),
        ("b.mp3", vec!["--vbr-quality", "2"]),
        ("c.opus", vec!["--bitrate", "96"]),
        ("d.flac", vec![]),
    ] {
        let out = dir.path().join(name);
        let o = quaver()
            .args(["encode", src, "-o"])
            .arg(&out)
            .args(&extra)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rate = report["stream"]["sample_rate"].as_u64().unwrap();
        assert_eq!(report["frames"].as_u64().unwrap(), 4 * rate, "{name}");
        let info = quaver::info(&out).unwrap();
        assert_eq!(info.frames, 4 * rate, "{name}: gapless length");
        assert_eq!(info.tags.title.as_deref(), Some("Calling Bogus"), "{name}");
    }
}

#[test]
fn bad_options_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/master.wav");
    for (name, extra) in [
        ("a.mp3", ["--bitrate", "7"]),
        ("b.mp3", ["--channels", "11"]),
        ("c.opus", ["--rate", "1"]),
    ] {
        let out = dir.path().join(name);
        let o = quaver()
            .args(["encode", src, "-o"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("invalid argument"), "{name}: {err}");
        assert!(!out.exists());
    }
}
