//! `ingest`: one decode gives the same bytes as the separate stages, outputs appear atomically
//! with report.json last, batch mode survives bad files, cancellation leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use quaver::ingest::{Hooks, IngestOptions, IngestReport, Progress};
use quaver::{AnalysisOptions, EncodeOptions, Error, FingerprintIndex, Ladder, WaveformOptions};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every file under `root`, relative, sorted.
fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    out.sort();
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A report that exists must describe exactly the files present, byte for byte.
fn assert_report_consistent(out: &Path) -> IngestReport {
    let report: IngestReport =
        serde_json::from_slice(&read(&out.join("report.json"))).expect("report.json parses");
    let mut listed: Vec<String> = report.outputs.iter().map(|o| o.path.clone()).collect();
    listed.sort();
    let mut present = tree(out);
    present.retain(|p| p != "report.json");
    assert_eq!(listed, present, "report lists exactly the files present");
    for o in &report.outputs {
        let bytes = read(&out.join(&o.path));
        assert_eq!(bytes.len() as u64, o.bytes, "{} size", o.path);
        assert_eq!(sha256_hex(&bytes), o.sha256, "{} sha256", o.path);
    }
    report
}

/// A catalog holding the fixture track and an unrelated synthetic one.
fn catalog(dir: &Path) -> PathBuf {
    let db = dir.join("catalog");
    let mut idx = FingerprintIndex::open(&db).unwrap();
    idx.add("bogus", data("master.wav")).unwrap();
    let other = dir.join("other.wav");
    write_wav(&other, 44_100, &chirps(44_100, 6.0));
    idx.add("other", other.as_path()).unwrap();
    db
}

/// A deterministic tonal signal unlike the fixture (rising chirps with a pulse).
fn chirps(rate: u32, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let f = 300.0 + 900.0 * (t % 1.5);
            phase += 2.0 * std::f64::consts::PI * f / f64::from(rate);
            let env = if (t * 4.0).fract() < 0.5 { 0.5 } else { 0.2 };
            (phase.sin() * env) as f32
        })
        .collect()
}

fn write_wav(path: &Path, rate: u32, mono: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in mono {
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn one_decode_gives_the_bytes_of_the_separate_stages() {
    let tmp = tempfile::tempdir().unwrap();
    let db = catalog(tmp.path());
    let input = data("tagged.flac");
    let options = IngestOptions {
        catalog: Some(db.clone()),
        ..Default::default()
    };
    let out = tmp.path().join("out");
    let report = quaver::ingest(input.as_path(), &out, &options).unwrap();
    assert_eq!(report.status, "ok");
    // Exact, floats included: serde_json parses with `float_roundtrip`.
    let on_disk = assert_report_consistent(&out);
    assert_eq!(on_disk, report, "report.json is the returned report");

    // analyze (+ waveform files).
    let analysis = quaver::analyze(
        input.as_path(),
        &AnalysisOptions {
            waveform: Some(WaveformOptions::default()),
            ..Default::default()
        },
    )
    .unwrap();
    let mut separate = serde_json::to_value(&analysis).unwrap();
    separate.as_object_mut().unwrap().remove("warnings");
    assert_eq!(report.analysis.as_ref(), Some(&separate), "analysis");
    let w = analysis.waveform.as_ref().unwrap();
    let sep = tmp.path().join("sep");
    std::fs::create_dir_all(&sep).unwrap();
    for name in ["waveform.dat", "waveform.json", "waveform.png"] {
        w.write(sep.join(name), &options.waveform_render).unwrap();
        assert_eq!(read(&sep.join(name)), read(&out.join(name)), "{name}");
    }

    // The PNG has the fixed default width whatever the input's length.
    let png = read(&out.join("waveform.png"));
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, quaver::ingest::WAVEFORM_PNG_WIDTH);

    // encode: the two MP3 downloads.
    for kbps in [128, 320] {
        let p = sep.join(format!("mp3-{kbps}.mp3"));
        quaver::encode(
            input.as_path(),
            &p,
            &EncodeOptions {
                codec: Some(quaver::Codec::Mp3),
                bitrate_kbps: Some(kbps),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            read(&p),
            read(&out.join(format!("download/mp3-{kbps}.mp3"))),
            "mp3 {kbps}"
        );
    }

    // package: every file of the standard ladder.
    let pkg = sep.join("stream");
    quaver::package(input.as_path(), &pkg, &Ladder::standard()).unwrap();
    let files = tree(&pkg);
    assert_eq!(files, tree(&out.join("stream")));
    assert!(files.len() >= 10, "{files:?}");
    for f in &files {
        assert_eq!(read(&pkg.join(f)), read(&out.join("stream").join(f)), "{f}");
    }

    // fp scan: the same segments, and the fixture's track is found.
    let idx = FingerprintIndex::open(&db).unwrap();
    let scan = idx.scan(input.as_path(), &Default::default()).unwrap();
    let fp = report.fingerprint.as_ref().unwrap();
    assert_eq!(fp.matches, scan);
    assert!(
        fp.matches.iter().any(|m| m.track == "bogus"),
        "the catalog copy is found: {:?}",
        fp.matches
    );
    assert!(fp.matches.iter().all(|m| m.track != "other"));
}

#[test]
fn add_to_catalog_after_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let db = catalog(tmp.path());
    let options = IngestOptions {
        catalog: Some(db.clone()),
        add_to_catalog: Some("upload-1".into()),
        downloads: vec![],
        ladder: None,
        ..Default::default()
    };
    let r = quaver::ingest(
        data("mp3_vbr_v2.mp3").as_path(),
        tmp.path().join("o"),
        &options,
    )
    .unwrap();
    let fp = r.fingerprint.unwrap();
    assert_eq!(fp.added_as.as_deref(), Some("upload-1"));
    assert!(fp.matches.iter().all(|m| m.track != "upload-1"));
    let idx = FingerprintIndex::open(&db).unwrap();
    assert!(idx.contains("upload-1"));
    // The catalog print equals the standalone one: a query ranks the upload first or ties.
    let q = idx
        .query(data("mp3_vbr_v2.mp3").as_path(), &Default::default())
        .unwrap();
    assert!(
        q.matches
            .iter()
            .any(|m| m.track == "upload-1" || m.track == "bogus"),
        "{:?}",
        q.matches
    );
}

#[test]
fn silent_input_is_rejected_unless_allowed_and_out_dir_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let silent = tmp.path().join("silent.wav");
    write_wav(&silent, 44_100, &vec![0.0; 44_100 * 2]);
    let out = tmp.path().join("out");
    let quick = IngestOptions {
        downloads: vec![],
        ladder: None,
        ..Default::default()
    };
    let e = quaver::ingest(silent.as_path(), &out, &quick).unwrap_err();
    assert!(matches!(e, Error::NoAudio(_)), "{e}");
    assert!(!out.exists(), "nothing written for a rejected input");
    let staging: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".ingest-"))
        .collect();
    assert!(staging.is_empty(), "staging directory removed");
    let r = quaver::ingest(
        silent.as_path(),
        &out,
        &IngestOptions {
            allow_silent: true,
            ..quick
        },
    )
    .unwrap();
    assert_eq!(r.status, "ok");
    assert_report_consistent(&out);
}

#[test]
fn cancel_and_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let quick = IngestOptions {
        ladder: None,
        downloads: vec![quaver::ingest::Download::mp3(128)],
        ..Default::default()
    };
    // A first good run, which a cancelled re-run must leave as it was.
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let s2 = seen.clone();
    let hooks = Hooks {
        progress: Some(Arc::new(move |p: &Progress| {
            s2.lock().unwrap().push(p.clone())
        })),
        cancel: None,
    };
    quaver::ingest::ingest_with(data("flac_s16.flac").as_path(), &out, &quick, &hooks).unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen
        .windows(2)
        .all(|w| w[1].fraction >= w[0].fraction && w[1].frames >= w[0].frames));
    assert_eq!(seen.last().unwrap().stage, "done");
    assert_eq!(seen.last().unwrap().fraction, 1.0);
    let before = read(&out.join("report.json"));

    let cancel = Arc::new(AtomicBool::new(true));
    let e = quaver::ingest::ingest_with(
        data("tagged.flac").as_path(),
        &out,
        &quick,
        &Hooks {
            progress: None,
            cancel: Some(cancel.clone()),
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Cancelled), "{e}");
    assert_eq!(
        read(&out.join("report.json")),
        before,
        "previous output kept"
    );
    assert_report_consistent(&out);
    cancel.store(false, Ordering::Relaxed);
}

#[test]
fn refuses_to_replace_a_directory_it_did_not_write_and_bad_options() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("precious");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("thesis.txt"), b"do not delete").unwrap();
    let e = quaver::ingest(data("tagged.flac").as_path(), &out, &Default::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    assert_eq!(read(&out.join("thesis.txt")), b"do not delete");

    let bad = IngestOptions {
        downloads: vec![quaver::ingest::Download {
            file: "../escape.mp3".into(),
            options: Default::default(),
        }],
        ..Default::default()
    };
    let e = quaver::ingest(data("tagged.flac").as_path(), tmp.path().join("o"), &bad).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    assert!(!tmp.path().join("escape.mp3").exists());

    let e = quaver::options::from_json::<IngestOptions>(serde_json::json!({"ladder_typo": 1}))
        .unwrap_err();
    assert!(e.to_string().contains("ladder_typo"), "{e}");
}

fn quaver_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quaver"))
}

#[test]
fn killed_at_random_points_never_leaves_a_report_with_missing_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    // A 24 s input so a run takes long enough to be killed mid-way.
    let pcm = quaver::decode(data("master.wav").as_path(), &Default::default()).unwrap();
    let mono = quaver::mix_to_mono(&pcm.channels);
    let long: Vec<f32> = std::iter::repeat_n(mono.as_slice(), 6)
        .flatten()
        .copied()
        .collect();
    let input = tmp.path().join("long.wav");
    write_wav(&input, pcm.sample_rate, &long);
    let out = tmp.path().join("out");
    let run = || {
        quaver_bin()
            .args(["ingest", "--quiet", "--no-music"])
            .arg(&input)
            .arg(&out)
            .spawn()
            .unwrap()
    };
    // How long one run takes here (the faster of two: the first may pay cold caches), so the
    // kills land inside runs: delays are spread over 80 % of it.
    let mut full_ms = u64::MAX;
    for _ in 0..2 {
        let t = std::time::Instant::now();
        assert!(run().wait().unwrap().success());
        full_ms = full_ms.min(t.elapsed().as_millis() as u64);
    }
    let full_ms = (full_ms * 4 / 5).max(10);
    // Deterministic pseudo-random kill times (xorshift), spread over a run's length.
    let mut seed = 0x9e37_79b9_u32;
    let mut killed_mid_run = 0;
    let mut had_output = false;
    for round in 0..50 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        if round % 5 == 4 {
            // Also from an empty start, not only over a previous output.
            let _ = std::fs::remove_dir_all(&out);
            had_output = false;
        }
        let delay_ms = 5 + u64::from(seed) % full_ms.max(10);
        let mut child = run();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        if out.join("report.json").exists() {
            assert_report_consistent(&out);
            had_output = true;
        } else {
            // A complete previous output is never lost: it is in place, or (where directories
            // cannot be swapped atomically) set aside for the next run to put back.
            let aside = std::fs::read_dir(tmp.path()).unwrap().flatten().any(|e| {
                e.file_name().to_string_lossy().ends_with(".old")
                    && e.path().join("report.json").exists()
            });
            assert!(
                !had_output || aside,
                "round {round}: the previous output was lost"
            );
            assert!(
                !out.exists() || tree(&out).is_empty(),
                "round {round}: {:?} without report.json",
                tree(&out)
            );
        }
    }
    assert!(
        killed_mid_run >= 25,
        "only {killed_mid_run} of 50 kills hit a running ingest"
    );
    // Re-running completes, and leaves no staging directories behind.
    let status = quaver_bin()
        .args(["ingest", "--quiet", "--no-music"])
        .arg(&input)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_report_consistent(&out);
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn batch_continues_past_bad_files_and_exits_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for f in ["tagged.flac", "mp3_cbr128.mp3", "opus_mono.opus"] {
        std::fs::copy(data(f), inputs.join(f)).unwrap();
    }
    std::fs::write(inputs.join("notes.txt"), b"this is not audio at all\n").unwrap();
    std::fs::write(inputs.join("empty.wav"), b"").unwrap();
    let flac = read(&data("flac_s16.flac"));
    std::fs::write(inputs.join("cut.flac"), &flac[..200]).unwrap();
    let out = tmp.path().join("out");
    let o = quaver_bin()
        .args([
            "ingest", "--batch", "--jobs", "2", "--ladder", "none", "--mp3", "128",
        ])
        .arg(&inputs)
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("6 files: 3 ok, 3 failed"), "{stderr}");
    for ok in ["tagged", "mp3_cbr128", "opus_mono"] {
        let r = assert_report_consistent(&out.join(ok));
        assert_eq!(r.status, "ok");
        assert!(r.outputs.iter().any(|o| o.path == "download/mp3-128.mp3"));
    }
    for (bad, code) in [("notes", "UNSUPPORTED"), ("empty", ""), ("cut", "")] {
        let r = assert_report_consistent(&out.join(bad));
        assert_eq!(r.status, "failed", "{bad}");
        let e = r.error.expect("error recorded");
        assert!(!e.message.is_empty());
        if !code.is_empty() {
            assert_eq!(e.code, code, "{bad}: {}", e.message);
        }
        assert!(r.outputs.is_empty());
    }
}

#[test]
fn cli_prints_a_summary_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let o = quaver_bin()
        .args(["ingest", "--json", "--ladder", "none"])
        .arg(data("tagged.mp3"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    for needle in [
        "loudness",
        "LUFS",
        "tempo",
        "download/mp3-320.mp3",
        "report.json",
    ] {
        assert!(stderr.contains(needle), "{needle} in {stderr}");
    }
    let printed: IngestReport = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, assert_report_consistent(&out));
    assert_eq!(
        printed.info.as_ref().unwrap().tags.isrc.as_deref(),
        Some("QZABC2600001")
    );
}

/// Issue 12, "max output size": `limits.max_output_bytes` bounds what one ingest may write.
/// A declared (or estimated) length whose outputs cannot fit is refused before anything is
/// written and no staging directory is left; the same input passes under the default limit.
#[test]
fn output_size_limit_is_enforced_before_and_during_the_decode() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("chirps.wav");
    write_wav(&wav, 44_100, &chirps(44_100, 20.0));
    let limits = quaver::Limits {
        max_output_bytes: 600_000,
        ..Default::default()
    };
    let opts = IngestOptions {
        limits: limits.clone(),
        ..Default::default()
    };
    // 20 s with two MP3s (128 + 320) and the standard ladder: ~2.6 MB of outputs
    let out = tmp.path().join("out");
    match quaver::ingest(wav.as_path(), &out, &opts) {
        Err(Error::LimitExceeded { value, limit, .. }) => {
            assert_eq!(limit, 600_000);
            assert!(value > 2_000_000, "bound {value}");
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert!(!out.exists());
    // An MP3 without a Xing/LAME header does not state its length: the decoder estimates it
    // from the file size and bitrate, and the bound applies to the estimate. (A decode that
    // outgrows its declared length is stopped by the ingest's first stage: a unit test in
    // src/ingest.rs.)
    let mp3 = tmp.path().join("noxing.mp3");
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"])
        .arg(&mp3)
        .status()
        .expect("ffmpeg (installed by scripts/setup.sh)");
    assert!(st.success());
    let e = quaver::ingest(mp3.as_path(), &out, &opts).unwrap_err();
    assert!(
        matches!(e, Error::LimitExceeded { limit: 600_000, .. }),
        "{e}"
    );
    assert!(!out.exists());
    let staging = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".ingest-"))
        .count();
    assert_eq!(staging, 0, "staging directory removed");
    let r = quaver::ingest(wav.as_path(), &out, &IngestOptions::default()).unwrap();
    let written: u64 = r.outputs.iter().map(|o| o.bytes).sum();
    assert!(written > 600_000 && written < 5_000_000, "{written}");
}

/// Outputs are ordinary files (0644), readable by the web server that serves them: the
/// temporary files they are written through are private (0600) until renamed into place.
#[cfg(unix)]
#[test]
fn outputs_are_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let r = quaver::ingest(
        data("flac_s16.flac").as_path(),
        &out,
        &IngestOptions {
            downloads: vec![quaver::ingest::Download::mp3(128)],
            ..Default::default()
        },
    )
    .unwrap();
    let mut files: Vec<String> = r.outputs.iter().map(|o| o.path.clone()).collect();
    files.push("report.json".into());
    for f in files {
        let mode = std::fs::metadata(out.join(&f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode & 0o644, 0o644, "{f}: {mode:o}");
    }
}

/// Issue 12, "paths": output names that come from user data — download file names, rendition
/// ids, batch input names — can never escape the output directory: `../`, absolute paths,
/// separators, NUL and over-long names are refused (typed errors) or kept inside, and nothing
/// is written outside `OUT_DIR`.
#[test]
fn user_supplied_names_never_escape_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let long = "x".repeat(300);
    let bad_files = [
        "../escape.mp3",
        "/tmp/abs.mp3",
        "a/b.mp3",
        "a\\b.mp3",
        "..",
        ".hidden.mp3",
        "nul\0.mp3",
        long.as_str(),
    ];
    for (i, f) in bad_files.iter().enumerate() {
        let o = IngestOptions {
            downloads: vec![quaver::ingest::Download {
                file: (*f).into(),
                options: Default::default(),
            }],
            ladder: None,
            ..Default::default()
        };
        let out = root.join(format!("o{i}"));
        let e = quaver::ingest(data("tagged.flac").as_path(), &out, &o).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument(_) | Error::Io { .. }),
            "{f:?}: {e}"
        );
        assert!(!out.exists(), "{f:?}: nothing written");
    }
    for id in ["../up", "/abs", "a/b", "a\0b", "", long.as_str()] {
        let mut r = quaver::Rendition::opus(64);
        r.id = Some(id.into());
        let o = IngestOptions {
            downloads: vec![],
            ladder: Some(Ladder {
                renditions: vec![r],
                ..Ladder::standard()
            }),
            ..Default::default()
        };
        let out = root.join("r");
        let e = quaver::ingest(data("tagged.flac").as_path(), &out, &o).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument(_) | Error::Io { .. }),
            "{id:?}: {e}"
        );
        assert!(!out.exists(), "{id:?}: nothing written");
    }
    // batch: inputs whose names are hostile land in out_root/<safe stem>
    let inputs = tmp.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let weird = inputs.join("..weird name..flac");
    std::fs::copy(data("tagged.flac"), &weird).unwrap();
    let batch_root = root.join("batch");
    let items = quaver::ingest_batch(
        &[weird, inputs.join("..")],
        &batch_root,
        &IngestOptions {
            downloads: vec![],
            ladder: None,
            ..Default::default()
        },
        Some(1),
        &|_, _, _| {},
    )
    .unwrap();
    for it in &items {
        assert!(it.out_dir.starts_with(&batch_root), "{:?}", it.out_dir);
        assert!(
            !it.out_dir
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir)),
            "{:?}",
            it.out_dir
        );
    }
    // nothing appeared beside root
    let beside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut beside = beside;
    beside.sort();
    assert_eq!(beside, ["in", "root"]);
}
