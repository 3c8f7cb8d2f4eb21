//! Packaging: the conformance checker on real packages (box, playlist, MPD, alignment and
//! bandwidth rules), the checker catching broken packages, and decode-back sample accuracy
//! with ffmpeg reading the HLS playlists and the MPD.

use std::path::{Path, PathBuf};
use std::process::Command;

use quaver_codecs::package::check::check_package;
use quaver_codecs::package::{package, Ladder, PackageReport, Rendition};
use quaver_core::{decode::decode_all, resample::resample, Quality};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
}

/// Short segments so a 4 s fixture spans several and the window/alignment rules bite.
fn ladder(segment_seconds: f64) -> Ladder {
    let mut l = Ladder::hifi();
    l.segment_seconds = segment_seconds;
    l
}

fn build(src: &Path, segment: f64) -> (tempfile::TempDir, PathBuf, PackageReport) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pkg");
    let report = package(src, &out, &ladder(segment)).unwrap();
    (tmp, out, report)
}

#[test]
fn hifi_package_is_conformant_and_exact() {
    let src = fixture("flac_s16.flac"); // 4 s, 44.1 kHz stereo
    for segment in [1.0, 2.0, 6.0] {
        let (_tmp, out, report) = build(&src, segment);
        let check = check_package(&out, Some(4.0));
        assert!(
            check.errors.is_empty() && check.warnings.is_empty(),
            "{segment} s: {check:#?}"
        );
        assert!(check.checks > 100, "{} checks", check.checks);
        assert!(report.alignment.iter().all(|a| a.aligned));
        for r in &report.renditions {
            let presented: u64 = r.segments.iter().map(|s| s.duration).sum();
            assert_eq!(presented, r.valid_samples, "{}", r.id);
            assert_eq!(r.valid_samples, 4 * u64::from(r.sample_rate), "{}", r.id);
            assert!(
                r.segments.iter().all(|s| s.duration > 0),
                "{}: empty segment",
                r.id
            );
            assert!(r.peak_bitrate >= r.average_bitrate);
        }
        for f in [
            "master.m3u8",
            "master_opus.m3u8",
            "master_flac.m3u8",
            "manifest.mpd",
        ] {
            assert!(out.join(f).is_file(), "{f}");
        }
        let mpd = std::fs::read_to_string(out.join("manifest.mpd")).unwrap();
        assert!(
            mpd.contains("mediaPresentationDuration=\"PT4.000000S\""),
            "{mpd}"
        );
    }
}

#[test]
fn opus_segments_sit_on_the_20ms_grid_and_skip_the_preskip() {
    let (_tmp, _out, report) = build(&fixture("flac_s16.flac"), 2.0);
    let opus: Vec<_> = report
        .renditions
        .iter()
        .filter(|r| r.codecs == "Opus")
        .collect();
    assert_eq!(opus.len(), 3);
    for r in &opus {
        assert_eq!(r.sample_rate, 48_000);
        assert_eq!(r.priming, 312);
        // 2 s = 100 packets of 960: the first segment presents 96000 − pre-skip.
        assert_eq!(r.segments[0].duration, 96_000 - 312);
        assert_eq!(r.segments[1].start, 96_000 - 312);
        assert!(r.segments[1..r.segments.len() - 1]
            .iter()
            .all(|s| s.duration == 96_000));
    }
    let media = std::fs::read_to_string(_out.join("opus_64/media.m3u8")).unwrap();
    assert!(media.contains("#EXTINF:1.993500,"), "{media}");
}

#[test]
fn checker_catches_broken_packages() {
    let (_tmp, out, _r) = build(&fixture("flac_s16.flac"), 2.0);
    let edit = |file: &str, f: &dyn Fn(String) -> String| {
        let p = out.join(file);
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, f(s)).unwrap();
    };
    // Under-declared BANDWIDTH (ffmpeg's defect) is an error.
    let master = std::fs::read_to_string(out.join("master_opus.m3u8")).unwrap();
    let bad = master
        .lines()
        .map(|l| match l.find("BANDWIDTH=") {
            Some(i) if l.starts_with("#EXT-X-STREAM-INF") => {
                let rest = &l[i + 10..];
                let end = rest.find(',').unwrap();
                format!("{}BANDWIDTH=1000{}", &l[..i], &rest[end..])
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(out.join("master_opus.m3u8"), bad).unwrap();
    let c = check_package(&out, Some(4.0));
    assert!(
        c.errors.iter().any(|e| e.contains("exceeds BANDWIDTH")),
        "{c:#?}"
    );

    // A rounded MPD duration (as ffmpeg's 0.1 s rounding does) is flagged.
    edit("manifest.mpd", &|s| {
        s.replace(
            "mediaPresentationDuration=\"PT4.000000S\"",
            "mediaPresentationDuration=\"PT3.9S\"",
        )
    });
    let c = check_package(&out, Some(4.0));
    assert!(
        c.warnings
            .iter()
            .any(|e| e.contains("mediaPresentationDuration")),
        "{c:#?}"
    );

    // A playlist without ENDLIST, and a missing segment.
    edit("opus_96/media.m3u8", &|s| s.replace("#EXT-X-ENDLIST\n", ""));
    std::fs::remove_file(out.join("flac/seg_2.m4s")).unwrap();
    let c = check_package(&out, Some(4.0));
    assert!(c.warnings.iter().any(|e| e.contains("ENDLIST")), "{c:#?}");
    assert!(c.errors.iter().any(|e| e.contains("seg_2.m4s")), "{c:#?}");
}

#[test]
fn custom_ladders_are_validated() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("l.json");
    std::fs::write(
        &p,
        r#"{"renditions":[{"codec":"opus","bitrate_kbps":48}],"segment_seconds":4}"#,
    )
    .unwrap();
    let l = Ladder::named_or_file(p.to_str().unwrap()).unwrap();
    assert_eq!(l.renditions, vec![Rendition::opus(48)]);
    // MP3 defaults to packed audio; in CMAF it is refused (no MSE player streams it), and TS
    // or packed audio are refused for the CMAF codecs.
    std::fs::write(&p, r#"{"renditions":[{"codec":"mp3","bitrate_kbps":128}]}"#).unwrap();
    let l = Ladder::named_or_file(p.to_str().unwrap()).unwrap();
    assert_eq!(
        l.renditions[0].container(),
        quaver_codecs::package::Container::Packed
    );
    for bad in [
        r#"{"renditions":[{"codec":"mp3","bitrate_kbps":128,"container":"cmaf"}]}"#,
        r#"{"renditions":[{"codec":"opus","bitrate_kbps":96,"container":"ts"}]}"#,
        r#"{"renditions":[{"codec":"aac","bitrate_kbps":96,"container":"packed"}]}"#,
    ] {
        std::fs::write(&p, bad).unwrap();
        assert!(
            matches!(
                Ladder::named_or_file(p.to_str().unwrap()),
                Err(quaver_core::Error::InvalidArgument(_))
            ),
            "{bad}"
        );
    }
    for name in Ladder::NAMES {
        let l = Ladder::named_or_file(name).unwrap();
        l.validate().unwrap();
    }
    std::fs::write(&p, r#"{"renditions":[],"bogus":1}"#).unwrap();
    assert!(Ladder::named_or_file(p.to_str().unwrap()).is_err());
    // An unrelated non-empty directory is never replaced.
    let dir = tmp.path().join("keep");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    assert!(package(fixture("flac_s16.flac"), &dir, &Ladder::standard()).is_err());
    assert!(dir.join("notes.txt").is_file());
}

// ---------- decode-back with ffmpeg ----------

fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// ffmpeg decodes `input` (stream `map`) to interleaved stereo f32 at its own rate.
fn ffmpeg_decode(input: &Path, map: &str) -> Vec<f32> {
    let o = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-allowed_extensions",
            "ALL",
            "-i",
        ])
        .arg(input)
        .args(["-map", map, "-f", "f32le", "-ac", "2", "-"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ffmpeg {}: {}",
        input.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Lag (in samples) of `x` against `r` around `at`, by normalised cross-correlation.
fn lag(r: &[f32], x: &[f32], at: usize) -> i64 {
    let n = 4096usize;
    let mut best = (f64::MIN, 0i64);
    for l in -64i64..=64 {
        let (mut xy, mut xx, mut yy) = (0.0f64, 0.0f64, 0.0f64);
        for i in at..at + n {
            let j = i as i64 + l;
            if j < 0 || j as usize >= x.len() || i >= r.len() {
                continue;
            }
            let (a, b) = (f64::from(r[i]), f64::from(x[j as usize]));
            xy += a * b;
            xx += a * a;
            yy += b * b;
        }
        let c = xy / (xx * yy).sqrt().max(1e-12);
        if c > best.0 {
            best = (c, l);
        }
    }
    best.1
}

#[test]
fn decode_back_is_sample_accurate() {
    if !have_ffmpeg() {
        eprintln!("skipped: no ffmpeg");
        return;
    }
    let src = fixture("flac_s16.flac");
    let (_tmp, out, report) = build(&src, 2.0);
    let source = decode_all(&src).unwrap();
    let src48 = resample(&source, 48_000, Quality::Balanced).unwrap();
    let left = |b: &quaver_core::AudioBuffer| b.channels[0].clone();
    let (ref44, ref48) = (left(&source), left(&src48));

    // HLS: every variant of each switching set; DASH: every Representation.
    let mut targets: Vec<(String, PathBuf, String, usize)> = Vec::new();
    for (i, r) in report.renditions.iter().enumerate() {
        targets.push((
            format!("hls {}", r.id),
            out.join(&r.id).join("media.m3u8"),
            "0:a:0".into(),
            i,
        ));
        targets.push((
            format!("dash {}", r.id),
            out.join("manifest.mpd"),
            format!("0:a:{i}"),
            i,
        ));
    }
    for (name, input, map, i) in targets {
        let r = &report.renditions[i];
        let pcm = ffmpeg_decode(&input, &map);
        let ch0: Vec<f32> = pcm.chunks_exact(2).map(|f| f[0]).collect();
        let got = ch0.len() as i64;
        let want = r.valid_samples as i64;
        if r.codecs == "fLaC" {
            // ffmpeg's dash demuxer resamples nothing but reports the set's rate; compare at
            // the track's rate where it is the source's.
            if r.sample_rate == source.sample_rate && name.starts_with("hls") {
                assert_eq!(got, want, "{name}: frame count");
                let max = ch0
                    .iter()
                    .zip(&ref44)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(max < 1e-6, "{name}: lossless tier differs by {max}");
            }
            continue;
        }
        // Opus: lag 0 at both ends against the 48 kHz source the encoder was fed.
        let reference = &ref48;
        assert_eq!(lag(reference, &ch0, 24_000), 0, "{name}: start lag");
        assert_eq!(
            lag(reference, &ch0, reference.len() - 4096 - 2_000),
            0,
            "{name}: end lag"
        );
        // Count: exact (±2) when the demuxer honours the edit's segment_duration and the
        // trimmed last trun; ffmpeg 5.1's fragmented-MP4 path applies only the start of the
        // edit and decodes the last 20 ms packet whole, so allow exactly that tail.
        let coded = i64::from(r.priming) + want;
        let tail = (coded + 959) / 960 * 960 - coded;
        assert!(
            (got - want).abs() <= 2 || got - want == tail,
            "{name}: {got} samples, source {want} (untrimmed tail would be {tail})"
        );
    }
}

/// Found by the package fuzz target: 25 531 frames at 96 kHz are 12 765.5 frames at 48 kHz,
/// so the Opus rendition is exactly half a sample off the source length; the checker allows
/// up to and including half a sample.
#[test]
fn resampled_rendition_half_a_sample_off_is_conformant() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 96_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..25_531 {
        w.write_sample(((i as f32 * 0.05).sin() * 8000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let out = dir.path().join("pkg");
    let ladder = Ladder {
        renditions: vec![Rendition::flac(), Rendition::opus(32)],
        segment_seconds: 6.035,
    };
    let report = package(wav.as_path(), &out, &ladder).unwrap();
    assert_eq!(report.duration_s, 25_531.0 / 96_000.0);
    let check = check_package(&out, Some(report.duration_s));
    assert!(check.errors.is_empty(), "{:?}", check.errors);
}

/// Found by the package fuzz target (fuzz/regressions/package-opus-first-duration): 4 449
/// frames at 96 kHz with an Opus-first ladder. The report took its duration from the first
/// rendition — Opus at 48 kHz, 2 224.5 frames rounded to 2 225 — one 96 kHz sample more than
/// the source and the FLAC tier. The duration now comes from the highest-rate rendition.
#[test]
fn report_duration_is_the_source_length_whatever_the_ladder_order() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 96_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..4_449 {
        let v = ((i as f32 * 0.05).sin() * 8000.0) as i16;
        w.write_sample(v).unwrap();
        w.write_sample(-v).unwrap();
    }
    w.finalize().unwrap();
    for (k, renditions) in [
        vec![Rendition::opus(202), Rendition::flac()],
        vec![Rendition::flac(), Rendition::opus(202)],
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("pkg{k}"));
        let ladder = Ladder {
            renditions,
            segment_seconds: 4.862,
        };
        let report = package(wav.as_path(), &out, &ladder).unwrap();
        assert_eq!(report.duration_s, 4_449.0 / 96_000.0, "ladder order {k}");
        let check = check_package(&out, Some(report.duration_s));
        assert!(check.errors.is_empty(), "{:?}", check.errors);
    }
}

/// AAC-LC (FDK) in CMAF: the `apple` ladder (AAC 64/128/256 first, then Opus and FLAC) passes
/// the checker, declares `mp4a.40.2`, skips the encoder priming with the edit list, and
/// decodes back through ffmpeg (HLS and DASH) with lag 0 at both ends against the source.
#[test]
fn aac_renditions_are_conformant_and_sample_accurate() {
    let src = fixture("flac_s16.flac"); // 4 s, 44.1 kHz stereo
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pkg");
    let mut ladder = Ladder::named_or_file("apple").unwrap();
    ladder.segment_seconds = 2.0;
    let report = package(&src, &out, &ladder).unwrap();
    let check = check_package(&out, Some(4.0));
    assert!(
        check.errors.is_empty() && check.warnings.is_empty(),
        "{check:#?}"
    );
    let aac: Vec<_> = report
        .renditions
        .iter()
        .filter(|r| r.codecs == "mp4a.40.2")
        .collect();
    assert_eq!(aac.len(), 3);
    for r in &aac {
        assert_eq!(
            r.sample_rate, 44_100,
            "{}: AAC keeps the 44.1 kHz family",
            r.id
        );
        assert!(r.priming >= 1024, "{}: priming {}", r.id, r.priming);
        assert_eq!(r.valid_samples, 4 * 44_100);
        assert_eq!(
            r.segments.iter().map(|s| s.duration).sum::<u64>(),
            r.valid_samples
        );
    }
    // The AAC set is one switching set with identical boundaries, and it is master.m3u8.
    assert!(report.alignment.iter().all(|a| a.aligned));
    let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
    assert!(master.contains("CODECS=\"mp4a.40.2\""), "{master}");
    assert!(!master.contains("Opus"), "{master}");
    let mpd = std::fs::read_to_string(out.join("manifest.mpd")).unwrap();
    assert!(mpd.contains("codecs=\"mp4a.40.2\""), "{mpd}");
    // Average bitrates (segment bytes over presented time, as a client measures them) at
    // the nominal CBR plus the container: 8 trun bytes per 1024-sample frame (2.8 kbit/s at
    // 44.1 kHz), the moof/styp headers and the coded priming frames over 4 s.
    for (r, kbps) in aac.iter().zip([64.0, 128.0, 256.0]) {
        let got = r.average_bitrate as f64 / 1000.0;
        assert!(
            got >= kbps && got <= kbps * 1.03 + 4.0,
            "{}: {got} kbit/s",
            r.id
        );
    }

    if !have_ffmpeg() {
        eprintln!("decode-back skipped: no ffmpeg");
        return;
    }
    let source = decode_all(&src).unwrap();
    let reference = source.channels[0].clone();
    for (i, r) in report.renditions.iter().enumerate() {
        if r.codecs != "mp4a.40.2" {
            continue;
        }
        // quaver's decoder on the CMAF track (init + every segment, one fragmented MP4): it
        // applies the whole edit, so the count is exact and both ends align.
        let mut track = std::fs::read(out.join(&r.id).join("init.mp4")).unwrap();
        for s in &r.segments {
            track.extend(std::fs::read(out.join(&r.id).join(&s.file)).unwrap());
        }
        let joined = tmp.path().join(format!("{}.mp4", r.id));
        std::fs::write(&joined, &track).unwrap();
        let ours = decode_all(&joined).unwrap();
        let ch0 = &ours.channels[0];
        assert_eq!(
            ch0.len() as u64,
            r.valid_samples,
            "quaver {}: frame count",
            r.id
        );
        assert_eq!(
            lag(&reference, ch0, 22_050),
            0,
            "quaver {}: start lag",
            r.id
        );
        assert_eq!(
            lag(&reference, ch0, reference.len() - 4096 - 2_000),
            0,
            "quaver {}: end lag",
            r.id
        );

        // ffmpeg, an independent AAC decoder, through the HLS playlist and the MPD. ffmpeg 5.1
        // applies no edit list to fragmented MP4 AAC (it takes Opus's pre-skip from dOps, but
        // nothing for AAC), so it returns every coded sample: dropping exactly `priming` must
        // align it with the source — which checks the priming the edit list declares.
        for (name, input, map) in [
            (
                format!("hls {}", r.id),
                out.join(&r.id).join("media.m3u8"),
                "0:a:0".to_string(),
            ),
            (
                format!("dash {}", r.id),
                out.join("manifest.mpd"),
                format!("0:a:{i}"),
            ),
        ] {
            let pcm = ffmpeg_decode(&input, &map);
            let all: Vec<f32> = pcm.chunks_exact(2).map(|f| f[0]).collect();
            let ch0 = &all[r.priming as usize..];
            assert_eq!(lag(&reference, ch0, 22_050), 0, "{name}: start lag");
            assert_eq!(
                lag(&reference, ch0, reference.len() - 4096 - 2_000),
                0,
                "{name}: end lag"
            );
            let (got, want) = (ch0.len() as i64, r.valid_samples as i64);
            let coded = i64::from(r.priming) + want;
            let tail = (coded + 1023) / 1024 * 1024 - coded;
            assert!(
                got == want || got - want == tail,
                "{name}: {got} samples after the priming, source {want} (tail {tail})"
            );
        }
    }
}

/// MP3 for HLS clients without MSE-fMP4 MP3: packed audio (`.mp3` + ID3 timestamp) and
/// MPEG-TS renditions pass the checker (timestamps where the playlist puts each segment, TS
/// packet structure, CODECS `mp4a.40.34`), stay out of the MPD, and decode back through
/// ffmpeg aligned with the source once the LAME priming is dropped.
#[test]
fn mp3_packed_and_ts_renditions_are_conformant() {
    use quaver_codecs::package::Container;
    let src = fixture("flac_s16.flac"); // 4 s, 44.1 kHz stereo
    let source = decode_all(&src).unwrap();
    let reference = source.channels[0].clone();
    for container in [Container::Packed, Container::Ts] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("pkg");
        let ladder = Ladder {
            renditions: vec![
                Rendition::mp3(128, container),
                Rendition::mp3(320, container),
                Rendition::opus(96),
            ],
            segment_seconds: 1.0,
        };
        let report = package(&src, &out, &ladder).unwrap();
        let check = check_package(&out, Some(4.0));
        assert!(
            check.errors.is_empty() && check.warnings.is_empty(),
            "{container:?}: {check:#?}"
        );
        let mp3: Vec<_> = report
            .renditions
            .iter()
            .filter(|r| r.codecs == "mp4a.40.34")
            .collect();
        assert_eq!(mp3.len(), 2);
        let ext = if container == Container::Ts {
            ".ts"
        } else {
            ".mp3"
        };
        for r in &mp3 {
            assert_eq!(r.container, container);
            assert!(
                r.segments.len() >= 3,
                "{}: {} segments",
                r.id,
                r.segments.len()
            );
            assert!(r.segments.iter().all(|s| s.file.ends_with(ext)));
            let total: f64 = r.segments.iter().map(|s| s.duration_s).sum();
            assert!(
                (total - 4.0).abs() < 1e-9,
                "{}: EXTINFs sum to {total}",
                r.id
            );
        }
        let master = std::fs::read_to_string(out.join("master.m3u8")).unwrap();
        assert!(master.contains("CODECS=\"mp4a.40.34\""), "{master}");
        let media = std::fs::read_to_string(out.join(&mp3[0].id).join("media.m3u8")).unwrap();
        assert!(
            !media.contains("EXT-X-MAP") && media.contains("#EXT-X-VERSION:3"),
            "{media}"
        );
        let mpd = std::fs::read_to_string(out.join("manifest.mpd")).unwrap();
        assert!(!mpd.contains("mp4a.40.34") && mpd.contains("Opus"), "{mpd}");

        // The checker catches a segment that is not where the playlist says (packed: its ID3
        // timestamp moved by 10 ms) or not whole TS packets (truncated by 10 bytes).
        let broken = tmp.path().join("broken");
        copy_dir(&out, &broken);
        let seg = broken.join(&mp3[0].id).join(&mp3[0].segments[2].file);
        let mut b = std::fs::read(&seg).unwrap();
        let want = if container == Container::Ts {
            b.truncate(b.len() - 10);
            "188-byte"
        } else {
            let owner = b"com.apple.streaming.transportStreamTimestamp\0";
            let at = b.windows(owner.len()).position(|w| w == owner).unwrap() + owner.len();
            let ts = u64::from_be_bytes(b[at..at + 8].try_into().unwrap()) + 900;
            b[at..at + 8].copy_from_slice(&ts.to_be_bytes());
            "playlist puts it"
        };
        std::fs::write(&seg, b).unwrap();
        let bad = check_package(&broken, Some(4.0));
        assert!(
            bad.errors.iter().any(|e| e.contains(want)),
            "{container:?}: {:#?}",
            bad.errors
        );

        if !have_ffmpeg() {
            continue;
        }
        for r in &mp3 {
            let pcm = ffmpeg_decode(&out.join(&r.id).join("media.m3u8"), "0:a:0");
            let all: Vec<f32> = pcm.chunks_exact(2).map(|f| f[0]).collect();
            let ch0 = &all[r.priming as usize..];
            let name = format!("{container:?} {}", r.id);
            assert_eq!(lag(&reference, ch0, 22_050), 0, "{name}: start lag");
            assert_eq!(
                lag(&reference, ch0, reference.len() - 4096 - 2_000),
                0,
                "{name}: end lag"
            );
            let coded = r.priming as usize + r.valid_samples as usize;
            let frames = coded.div_ceil(1152) * 1152;
            assert!(
                all.len() >= coded && all.len() <= frames,
                "{name}: {} samples decoded, {coded} coded",
                all.len()
            );
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
