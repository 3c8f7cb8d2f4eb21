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

/// `kill -9` at 50 pseudo-random points of `quaver fp index` (batches of 2 files per atomic
/// commit): after each kill the index opens, holds only whole batches, and every track it lists
/// is found by a query of its own audio; the next run resumes on top of it.
#[test]
fn index_survives_fifty_kills() {
    let dir = tempfile::tempdir().unwrap();
    // 16 distinct 3 s tracks (different tone mixtures), as WAV files.
    let mut files = Vec::new();
    for k in 0..16u32 {
        let p = dir.path().join(format!("t{k:02}.wav"));
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        let mut seed = 0x1234_5678u32 ^ k.wrapping_mul(0x9e37_79b9);
        let mut f = 300.0f64 + 40.0 * f64::from(k);
        let mut phase = 0.0f64;
        for i in 0..16_000 * 3 {
            if i % 2_000 == 0 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                f = 200.0 + f64::from(seed % 3_000);
            }
            phase += std::f64::consts::TAU * f / 16_000.0;
            w.write_sample((phase.sin() * 12_000.0) as i16).unwrap();
        }
        w.finalize().unwrap();
        files.push(p);
    }
    let list = dir.path().join("list.txt");
    let lines: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let db = dir.path().join("db");
    let spawn = || {
        quaver()
            .args(["fp", "index", "--batch", "2", "--db"])
            .arg(&db)
            .arg("--list")
            .arg(&list)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // The faster of two full runs (the first may pay cold caches); kills spread over 80 % of it.
    let mut full_ms = u64::MAX;
    for _ in 0..2 {
        let _ = std::fs::remove_dir_all(&db);
        let t = std::time::Instant::now();
        assert!(spawn().wait().unwrap().success());
        full_ms = full_ms.min(t.elapsed().as_millis() as u64);
    }
    let full_ms = (full_ms * 4 / 5).max(20);
    let mut seed = 0xdead_beefu32;
    let mut mid_run = 0;
    for round in 0..50 {
        if round % 5 == 0 {
            let _ = std::fs::remove_dir_all(&db);
        }
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let mut child = spawn();
        std::thread::sleep(std::time::Duration::from_millis(u64::from(seed) % full_ms));
        if child.try_wait().unwrap().is_none() {
            mid_run += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        if !db.exists() {
            continue;
        }
        let idx = quaver::FingerprintIndex::open(&db).unwrap();
        let ids: Vec<String> = files
            .iter()
            .map(|p| p.display().to_string())
            .filter(|id| idx.contains(id))
            .collect();
        assert_eq!(idx.stats().tracks, ids.len() as u64, "round {round}");
        // Whole commits only: a prefix of the list, in pairs.
        assert_eq!(ids.len() % 2, 0, "round {round}: half a batch: {ids:?}");
        assert_eq!(
            ids,
            lines[..ids.len()].to_vec(),
            "round {round}: not a prefix"
        );
        // Ids are added in list order, two per commit, re-added ones replaced in place.
        for id in &ids {
            let q = idx
                .query(std::path::Path::new(id), &Default::default())
                .unwrap();
            assert_eq!(
                q.matches.first().map(|m| m.track.as_str()),
                Some(id.as_str()),
                "round {round}: {id} not found"
            );
        }
    }
    assert!(
        mid_run >= 20,
        "only {mid_run} of 50 kills hit a running index"
    );
    assert!(spawn().wait().unwrap().success());
    let idx = quaver::FingerprintIndex::open(&db).unwrap();
    assert_eq!(idx.stats().tracks, files.len() as u64);
}
