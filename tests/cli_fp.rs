//! `quaver fp` and `quaver chromaprint` through the binary: the fingerprint-bench protocol.

use std::process::Command;

fn quaver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quaver"))
}

#[test]
fn index_query_remove_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let catalog = [data.join("master.wav"), data.join("flac_s16.flac")];
    let list = dir.path().join("catalog.txt");
    let lines: Vec<String> = catalog.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let db = dir.path().join("db");
    let st = quaver()
        .args(["fp", "index", "--db"])
        .arg(&db)
        .arg("--list")
        .arg(&list)
        .status()
        .unwrap();
    assert!(st.success());
    // Query: a 3 s excerpt (from 0.5 s) of the master, as WAV, via sox-free Rust cut.
    let pcm = quaver::decode(catalog[0].as_path(), &Default::default()).unwrap();
    let q = dir.path().join("q.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: pcm.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&q, spec).unwrap();
    let sr = pcm.sample_rate as usize;
    for i in sr / 2..sr / 2 + 3 * sr {
        let v = (pcm.channels[0][i] + pcm.channels[1][i]) * 0.5;
        w.write_sample((v * 20000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    let qlist = dir.path().join("queries.txt");
    std::fs::write(&qlist, format!("{}\n", q.display())).unwrap();
    let out = quaver()
        .args(["fp", "query", "--db"])
        .arg(&db)
        .arg("--list")
        .arg(&qlist)
        .output()
        .unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(v["query"], q.display().to_string());
    for k in ["score", "latency_ms", "core_ms"] {
        assert!(v[k].is_number(), "{k} missing: {v}");
    }
    // The 4 s fixtures are one piece of music in several formats: whichever matches, the offset
    // is 0.5 s.
    assert!(v["match"].is_string(), "no match: {v}");
    assert!((v["offset_s"].as_f64().unwrap() - 0.5).abs() < 0.05, "{v}");

    let st = quaver()
        .args(["fp", "remove", "--db"])
        .arg(&db)
        .args(&lines)
        .status()
        .unwrap();
    assert!(st.success());
    let out = quaver()
        .args(["fp", "query", "--db"])
        .arg(&db)
        .arg(&q)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["match"].is_null(), "removed tracks still match: {v}");

    let out = quaver()
        .arg("chromaprint")
        .arg(&catalog[0])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("DURATION=4") && text.contains("FINGERPRINT=AQAA"),
        "{text}"
    );
}
