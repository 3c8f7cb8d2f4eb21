//! Round trips: every codec/setting decodes (with quaver and with ffmpeg) to exactly the
//! source's frame count at the output rate, aligned with the source (lag 0); FLAC is
//! bit-exact; tags survive; bad options are clear errors.

mod common;

use common::*;
use quaver_codecs::{
    encode_many, encode_to_file, new_encoder, Codec, EncodeOptions, EncodeTarget, OpusRateControl,
};
use quaver_core::{ConvertOptions, ConvertingDecoder, DecodeOptions, Error, Quality};

fn opts(f: impl FnOnce(&mut EncodeOptions)) -> EncodeOptions {
    let mut o = EncodeOptions::default();
    f(&mut o);
    o
}

/// The matrix: MP3 CBR 128/192/256/320, V0–V9, 48 kHz, mono; Opus 32–256 VBR, CVBR, CBR,
/// mono; FLAC 16-bit levels 0/5/8 and 24-bit.
fn matrix(dir: &std::path::Path) -> Vec<EncodeTarget> {
    let mut t = Vec::new();
    let mut add = |name: String, o: EncodeOptions| {
        t.push(EncodeTarget {
            path: dir.join(name),
            options: o,
        })
    };
    for b in [128, 192, 256, 320] {
        add(format!("cbr{b}.mp3"), opts(|o| o.bitrate_kbps = Some(b)));
    }
    for q in 0..=9u8 {
        add(format!("v{q}.mp3"), opts(|o| o.vbr_quality = Some(q)));
    }
    add(
        "r48.mp3".into(),
        opts(|o| {
            o.sample_rate = Some(48_000);
            o.bitrate_kbps = Some(192)
        }),
    );
    add("mono.mp3".into(), opts(|o| o.channels = Some(1)));
    for b in [32, 64, 96, 160, 256] {
        add(format!("o{b}.opus"), opts(|o| o.bitrate_kbps = Some(b)));
    }
    add(
        "cvbr.opus".into(),
        opts(|o| {
            o.bitrate_kbps = Some(96);
            o.opus_rate_control = OpusRateControl::Cvbr
        }),
    );
    add(
        "cbr.opus".into(),
        opts(|o| {
            o.bitrate_kbps = Some(128);
            o.opus_rate_control = OpusRateControl::Cbr
        }),
    );
    add("mono.opus".into(), opts(|o| o.channels = Some(1)));
    for l in [0u8, 5, 8] {
        add(
            format!("l{l}.flac"),
            opts(|o| o.compression_level = Some(l)),
        );
    }
    add("s24.flac".into(), opts(|o| o.bits_per_sample = Some(24)));
    t
}

#[test]
fn every_setting_is_sample_accurate_with_quaver_and_ffmpeg() {
    let src = data("master.wav");
    let src_frames = quaver_core::probe(&src).unwrap().frames;
    let dir = tempfile::tempdir().unwrap();
    let targets = matrix(dir.path());
    let reports = encode_many(&src, &targets).unwrap();
    let mut failures = Vec::new();
    for (t, r) in targets.iter().zip(&reports) {
        let rate = r.stream.sample_rate;
        let ch = r.stream.channels as usize;
        let expected = quaver_core::resample::output_len(src_frames, 44_100, rate);
        assert_eq!(r.frames, expected, "{}: report frames", t.path.display());
        let reference = ConvertingDecoder::open(
            &src,
            &DecodeOptions::default(),
            &ConvertOptions {
                sample_rate: Some(rate),
                mono: ch == 1,
                quality: Quality::Balanced,
            },
        )
        .unwrap()
        .read_all()
        .unwrap();
        let ours = quaver_core::decode_all(&t.path).unwrap();
        let theirs = ffmpeg_decode(&t.path, ch);
        for (who, dec) in [("quaver", &ours.channels), ("ffmpeg", &theirs)] {
            let n = dec[0].len() as u64;
            let lag = best_lag(&mono(&reference.channels), &mono(dec), 1200);
            let name = t.path.file_name().unwrap().to_string_lossy();
            eprintln!("{name:12} {who:6} frames {n} (expected {expected}) lag {lag}");
            if n != expected || lag != 0 || dec.len() != ch {
                failures.push(format!("{name} via {who}: {n} frames, lag {lag}"));
            }
        }
        assert_eq!(ours.sample_rate, rate);
    }
    assert!(failures.is_empty(), "not sample-accurate: {failures:#?}");
}

#[test]
fn flac_is_bit_exact_and_its_md5_matches_the_reference_encoder() {
    let dir = tempfile::tempdir().unwrap();
    // 16-bit stereo (tagged.flac was written by the reference `flac`), and 24-bit 96 kHz.
    for (name, bits) in [("tagged.flac", 16u32), ("flac_s24_96k.flac", 24)] {
        let src = data(name);
        let out = dir.path().join(format!("{bits}.flac"));
        let r = encode_to_file(&src, &out, &EncodeOptions::default()).unwrap();
        assert_eq!(r.options.bits_per_sample, bits);
        let a = quaver_core::decode_all(&src).unwrap();
        let b = quaver_core::decode_all(&out).unwrap();
        assert_eq!(a.sample_rate, b.sample_rate);
        assert!(a.channels == b.channels, "{name}: decoded samples differ");
        // STREAMINFO: MD5 of the PCM at bytes 26..42 and total samples equal the source's.
        let ours = std::fs::read(&out).unwrap();
        let theirs = std::fs::read(&src).unwrap();
        assert_eq!(&ours[26..42], &theirs[26..42], "{name}: STREAMINFO MD5");
        assert_ne!(&ours[26..42], &[0u8; 16], "{name}: MD5 must be set");
        let status = std::process::Command::new("flac")
            .args(["-t", "-s"])
            .arg(&out)
            .status()
            .expect("flac must be installed");
        assert!(status.success(), "{name}: flac -t failed");
    }
}

#[test]
fn tags_survive_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let src = data("tagged.flac");
    for ext in ["mp3", "opus", "flac", "m4a"] {
        let out = dir.path().join(format!("t.{ext}"));
        encode_to_file(
            &src,
            &out,
            &opts(|o| {
                o.id3v1 = true;
                if ext == "opus" {
                    o.bitrate_kbps = Some(64)
                }
            }),
        )
        .unwrap();
        let tags = ffprobe_tags(&out);
        assert_eq!(
            tags.get("TITLE").map(String::as_str),
            Some("Calling Bogus"),
            "{ext}: {tags:?}"
        );
        assert_eq!(
            tags.get("ARTIST").map(String::as_str),
            Some("Nexuiz Team"),
            "{ext}"
        );
        assert_eq!(
            tags.get("ALBUM").map(String::as_str),
            Some("Nexuiz"),
            "{ext}"
        );
        // ffmpeg shows the ID3v2 ISRC frame under its frame id.
        let isrc = tags.get("ISRC").or_else(|| tags.get("TSRC"));
        assert_eq!(
            isrc.map(String::as_str),
            Some("QZABC2600001"),
            "{ext}: {tags:?}"
        );
        // And quaver's own reader agrees, track number included.
        let back = quaver_core::probe(&out).unwrap().tags;
        assert_eq!(back.isrc.as_deref(), Some("QZABC2600001"), "{ext}");
        assert_eq!(back.track_number, Some(3), "{ext}");
        if ext == "mp3" {
            let bytes = std::fs::read(&out).unwrap();
            assert_eq!(&bytes[bytes.len() - 128..bytes.len() - 125], b"TAG");
            assert_eq!(&bytes[..3], b"ID3");
            assert_eq!(bytes[3], 4, "ID3v2.4");
        }
    }
}

#[test]
fn bad_options_are_invalid_argument_errors_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = data("master.wav");
    let cases: Vec<(&str, EncodeOptions)> = vec![
        ("a.mp3", opts(|o| o.bitrate_kbps = Some(7))),
        ("a.opus", opts(|o| o.bitrate_kbps = Some(7))),
        ("b.mp3", opts(|o| o.channels = Some(11))),
        ("b.opus", opts(|o| o.channels = Some(11))),
        ("c.mp3", opts(|o| o.sample_rate = Some(1))),
        ("c.opus", opts(|o| o.sample_rate = Some(1))),
        ("c.flac", opts(|o| o.sample_rate = Some(1))),
        ("d.mp3", opts(|o| o.vbr_quality = Some(10))),
        ("e.flac", opts(|o| o.bits_per_sample = Some(12))),
        ("f.flac", opts(|o| o.compression_level = Some(9))),
        ("g.opus", opts(|o| o.complexity = Some(11))),
        ("a.m4a", opts(|o| o.bitrate_kbps = Some(7))),
        ("b.m4a", opts(|o| o.channels = Some(11))),
        ("c.m4a", opts(|o| o.sample_rate = Some(1))),
        ("d.m4a", opts(|o| o.vbr_quality = Some(2))),
        // 320 kbit/s does not fit mono AAC-LC at 8 kHz (6144 bits per frame per channel).
        (
            "e.m4a",
            opts(|o| {
                o.sample_rate = Some(8_000);
                o.channels = Some(1);
                o.bitrate_kbps = Some(320)
            }),
        ),
        ("h.wav", EncodeOptions::default()),
    ];
    for (name, o) in cases {
        let out = dir.path().join(name);
        match encode_to_file(&src, &out, &o) {
            Err(Error::InvalidArgument(msg)) => eprintln!("{name}: {msg}"),
            other => panic!("{name}: expected InvalidArgument, got {other:?}"),
        }
        assert!(!out.exists(), "{name} must not be created");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temp files left"
    );
}

#[test]
fn streaming_is_independent_of_chunk_size() {
    let pcm = quaver_core::decode_all(data("master.wav")).unwrap();
    let n = 44_100 * 2;
    for codec in [Codec::Mp3, Codec::Opus, Codec::Flac] {
        let o = opts(|o| o.codec = Some(codec));
        let r = o
            .resolve(None, 44_100, 2, Some(16), &Default::default())
            .unwrap();
        let rate = r.sample_rate;
        let src = if rate == 44_100 {
            pcm.channels
                .iter()
                .map(|c| c[..n].to_vec())
                .collect::<Vec<_>>()
        } else {
            quaver_core::resample(&pcm, rate, Quality::Balanced)
                .unwrap()
                .channels
        };
        let run = |chunk: usize| {
            let mut e = new_encoder(&r, 44_100).unwrap();
            let len = src[0].len();
            let mut at = 0;
            while at < len {
                let end = (at + chunk).min(len);
                let planes: Vec<&[f32]> = src.iter().map(|c| &c[at..end]).collect();
                e.push(&planes).unwrap();
                at = end;
            }
            e.finish().unwrap();
            let mut v = Vec::new();
            while let Some(p) = e.pull() {
                v.push(p);
            }
            (v, e.header().to_vec(), e.frames(), e.info().priming)
        };
        let whole = run(usize::MAX);
        for chunk in [1, 333, 4096] {
            let part = run(chunk);
            assert!(part == whole, "{codec:?}: chunk {chunk} changes the output");
        }
        let (packets, _, frames, priming) = whole;
        // Timestamps are contiguous and cover priming + every frame.
        let mut next = 0;
        for p in &packets {
            assert_eq!(p.pts, next, "{codec:?}: gap in pts");
            next += u64::from(p.duration);
        }
        assert!(
            next >= frames + u64::from(priming),
            "{codec:?}: packets cover the audio"
        );
        assert!(
            next - (frames + u64::from(priming)) < 5000,
            "{codec:?}: padding is bounded"
        );
    }
}

#[test]
fn multichannel_sources_are_downmixed_for_lossy_and_kept_for_flac() {
    let dir = tempfile::tempdir().unwrap();
    let src = data("wav_51_ext.wav");
    let targets: Vec<EncodeTarget> = ["a.mp3", "a.opus", "a.flac"]
        .iter()
        .map(|n| EncodeTarget {
            path: dir.path().join(n),
            options: EncodeOptions::default(),
        })
        .collect();
    let r = encode_many(&src, &targets).unwrap();
    assert_eq!(r[0].stream.channels, 2);
    assert_eq!(r[1].stream.channels, 2);
    assert_eq!(r[2].stream.channels, 6);
    let a = quaver_core::decode_all(&src).unwrap();
    let b = quaver_core::decode_all(dir.path().join("a.flac")).unwrap();
    assert!(a == b, "6-channel FLAC is bit-exact");
}

/// AAC-LC in `.m4a` (plain MP4, the priming and the valid length in the edit list, the last
/// sample's duration trimmed): quaver decodes exactly the source's frame count, ffmpeg that
/// or (5.1 applies an MP4 edit's start, not its end) plus the last frame's padding; both
/// aligned (lag 0); CBR within 5 % of its bitrate; 256 kbit/s ≥ 25 dB SNR; ffprobe reads
/// iTunSMPB with the same priming, padding and length.
#[test]
fn aac_m4a_is_gapless_and_aligned() {
    let src = data("master.wav");
    let src_frames = quaver_core::probe(&src).unwrap().frames;
    let dir = tempfile::tempdir().unwrap();
    let targets = vec![
        EncodeTarget {
            path: dir.path().join("a128.m4a"),
            options: opts(|o| o.bitrate_kbps = Some(128)),
        },
        EncodeTarget {
            path: dir.path().join("a256_48k.m4a"),
            options: opts(|o| {
                o.bitrate_kbps = Some(256);
                o.sample_rate = Some(48_000)
            }),
        },
        EncodeTarget {
            path: dir.path().join("mono64.m4a"),
            options: opts(|o| {
                o.bitrate_kbps = Some(64);
                o.channels = Some(1)
            }),
        },
    ];
    let reports = encode_many(&src, &targets).unwrap();
    let mut failures = Vec::new();
    for (t, r) in targets.iter().zip(&reports) {
        assert_eq!(r.stream.codec, Codec::Aac);
        let rate = r.stream.sample_rate;
        let ch = r.stream.channels as usize;
        let expected = quaver_core::resample::output_len(src_frames, 44_100, rate);
        assert_eq!(r.frames, expected);
        let kbps = r.audio_bitrate / 1000.0;
        let nominal = f64::from(r.options.aac_bitrate.unwrap()) / 1000.0;
        assert!(
            (kbps / nominal - 1.0).abs() < 0.05,
            "{}: {kbps} kbit/s",
            t.path.display()
        );
        let reference = ConvertingDecoder::open(
            &src,
            &DecodeOptions::default(),
            &ConvertOptions {
                sample_rate: Some(rate),
                mono: ch == 1,
                quality: Quality::Balanced,
            },
        )
        .unwrap()
        .read_all()
        .unwrap();
        let ours = quaver_core::decode_all(&t.path).unwrap();
        let theirs = ffmpeg_decode(&t.path, ch);
        let name = t.path.file_name().unwrap().to_string_lossy().into_owned();
        for (who, dec, pad) in [
            ("quaver", &ours.channels, 0),
            ("ffmpeg", &theirs, r.padding),
        ] {
            let n = dec[0].len() as u64;
            let lag = best_lag(&mono(&reference.channels), &mono(dec), 1200);
            eprintln!("{name:14} {who:6} frames {n} (expected {expected}) lag {lag}");
            if (n != expected && n != expected + pad) || lag != 0 || dec.len() != ch {
                failures.push(format!("{name} via {who}: {n} frames, lag {lag}"));
            }
        }
        if name == "a256_48k.m4a" {
            let snr = snr_db(&reference.channels, &ours.channels);
            assert!(snr >= 25.0, "{name}: SNR {snr:.1} dB");
        }
        let tags = ffprobe_tags(&t.path);
        let smpb = tags.get("ITUNSMPB").cloned().unwrap_or_default();
        let fields: Vec<u64> = smpb
            .split_whitespace()
            .take(4)
            .map(|h| u64::from_str_radix(h, 16).unwrap())
            .collect();
        assert_eq!(
            fields.get(1..4),
            Some(&[u64::from(r.stream.priming), r.padding, expected][..]),
            "{name}: iTunSMPB {smpb:?}"
        );
    }
    assert!(failures.is_empty(), "not sample-accurate: {failures:#?}");
}
