//! Every format of the matrix decodes like ffmpeg: bit-exact for PCM, FLAC and ALAC; for lossy
//! codecs the same length (gapless trimming applied) and ≥ 60 dB SNR against ffmpeg's decode.

mod common;

use common::{ffmpeg_decode, ffprobe, fixture, snr_db};
use quaver_core::{decode_all, probe, Decoder, Input};

/// (file, lossless?, container, codec)
const MATRIX: &[(&str, bool, &str, &str)] = &[
    ("master.wav", true, "wav", "pcm_s16le"),
    ("wav_u8.wav", true, "wav", "pcm_u8"),
    ("wav_s24.wav", true, "wav", "pcm_s24le"),
    ("wav_s32.wav", true, "wav", "pcm_s32le"),
    ("wav_f32.wav", true, "wav", "pcm_f32le"),
    ("wav_f64.wav", true, "wav", "pcm_f64le"),
    ("wav_mono.wav", true, "wav", "pcm_s16le"),
    ("wav_51_ext.wav", true, "wav", "pcm_s16le"),
    ("aiff_s16.aiff", true, "aiff", "pcm_s16be"),
    ("aiff_s24.aiff", true, "aiff", "pcm_s24be"),
    ("flac_s16.flac", true, "flac", "flac"),
    ("flac_s24_96k.flac", true, "flac", "flac"),
    ("flac_s24_192k.flac", true, "flac", "flac"),
    ("flac_51.flac", true, "flac", "flac"),
    ("alac.m4a", true, "mp4", "alac"),
    ("mp3_cbr128.mp3", false, "mp3", "mp3"),
    ("mp3_vbr_v2.mp3", false, "mp3", "mp3"),
    ("mp3_mono_22k.mp3", false, "mp3", "mp3"),
    ("aac_lc.m4a", false, "mp4", "aac"),
    ("vorbis.ogg", false, "ogg", "vorbis"),
    ("opus_stereo.opus", false, "ogg", "opus"),
    ("opus_mono.opus", false, "ogg", "opus"),
];

#[test]
fn every_format_matches_ffmpeg() {
    let mut report = Vec::new();
    for &(name, lossless, container, codec) in MATRIX {
        let path = fixture(name);
        let info = probe(&path).unwrap_or_else(|e| panic!("{name}: probe failed: {e}"));
        assert_eq!(info.container, container, "{name}: container");
        assert_eq!(info.codec, codec, "{name}: codec");
        let ours = decode_all(&path).unwrap_or_else(|e| panic!("{name}: decode failed: {e}"));
        assert_eq!(
            ours.num_channels() as u32,
            info.channels,
            "{name}: channels"
        );
        assert_eq!(
            ours.frames() as u64,
            info.frames,
            "{name}: probe frames == decoded frames"
        );
        let reference = ffmpeg_decode(&path, ours.num_channels());
        let ref_frames = reference[0].len();
        if codec == "aac" {
            // ffmpeg 5.1 applies the edit list's media_time (priming) but not its
            // segment_duration, so it keeps the encoder's end padding; quaver keeps exactly the
            // edit's duration (4.000 s here, asserted in `gapless_lengths_equal_the_source`).
            let extra = ref_frames - ours.frames();
            assert!(
                extra < 2048,
                "{name}: ffmpeg keeps {extra} frames of end padding (expected < 2048)"
            );
            report.push(format!(
                "{name}: ffmpeg keeps {extra} frames of AAC end padding that the edit list removes"
            ));
        } else {
            assert_eq!(
                ours.frames(),
                ref_frames,
                "{name}: length differs from ffmpeg's decode (samples)"
            );
        }
        let reference: Vec<Vec<f32>> = reference
            .into_iter()
            .map(|mut c| {
                c.truncate(ours.frames());
                c
            })
            .collect();
        if lossless {
            for (c, (a, b)) in ours.channels.iter().zip(&reference).enumerate() {
                if let Some(i) = a
                    .iter()
                    .zip(b)
                    .position(|(x, y)| x.to_bits() != y.to_bits())
                {
                    panic!(
                        "{name}: channel {c} differs from ffmpeg at frame {i}: {} vs {}",
                        a[i], b[i]
                    );
                }
            }
            report.push(format!("{name}: bit-exact, {} frames", ours.frames()));
        } else {
            let snr = snr_db(&reference, &ours.channels);
            assert!(snr >= 60.0, "{name}: SNR vs ffmpeg {snr:.1} dB < 60 dB");
            report.push(format!(
                "{name}: {} frames, SNR vs ffmpeg {snr:.1} dB",
                ours.frames()
            ));
        }
    }
    println!("{}", report.join("\n"));
}

/// `info` agrees with ffprobe on rate and channels everywhere, and on duration to ±1 frame for
/// PCM/FLAC/ALAC. For lossy formats ffprobe's `duration_ts` counts the encoded stream (MP3:
/// in the stream's 1/14112000 timebase including delay and padding; Opus: 48 kHz including the
/// 312-frame pre-skip), so the test checks quaver's gapless length against ffmpeg's decoded
/// length instead (above), and states the Opus difference here.
#[test]
fn info_agrees_with_ffprobe() {
    for &(name, lossless, _, codec) in MATRIX {
        let path = fixture(name);
        let info = probe(&path).unwrap();
        let (rate, channels, duration_ts) = ffprobe(&path);
        assert_eq!(info.sample_rate, rate, "{name}: sample rate");
        assert_eq!(info.channels, channels, "{name}: channels");
        if lossless {
            assert!(
                info.frames.abs_diff(duration_ts) <= 1,
                "{name}: frames {} vs ffprobe {duration_ts}",
                info.frames
            );
        }
        if codec == "opus" {
            // ffprobe reports pre-skip + audio; quaver reports audio only.
            assert_eq!(
                duration_ts - info.frames,
                u64::from(info.encoder_delay),
                "{name}: opus pre-skip accounting"
            );
        }
    }
}

#[test]
fn gapless_lengths_equal_the_source() {
    // Every lossy fixture was encoded from the same 4.000 s master: after trimming, each must
    // hold exactly 4 s of frames at its own rate.
    for name in [
        "mp3_cbr128.mp3",
        "mp3_vbr_v2.mp3",
        "mp3_mono_22k.mp3",
        "aac_lc.m4a",
        "vorbis.ogg",
        "opus_stereo.opus",
    ] {
        let info = probe(fixture(name)).unwrap();
        assert_eq!(
            info.frames,
            u64::from(info.sample_rate) * 4,
            "{name}: gapless length"
        );
    }
}

#[test]
fn tags_are_read() {
    for name in ["tagged.flac", "tagged.mp3"] {
        let t = probe(fixture(name)).unwrap().tags;
        assert_eq!(t.title.as_deref(), Some("Calling Bogus"), "{name}");
        assert_eq!(t.artist.as_deref(), Some("Nexuiz Team"), "{name}");
        assert_eq!(t.album.as_deref(), Some("Nexuiz"), "{name}");
        assert_eq!(t.track_number, Some(3), "{name}");
        assert_eq!(t.isrc.as_deref(), Some("QZABC2600001"), "{name}");
        assert!(!t.has_cover_art, "{name}");
    }
    let riff = probe(fixture("master.wav")).unwrap().tags;
    assert_eq!(
        riff.title.as_deref(),
        Some("nexuiz__calling_bogus"),
        "RIFF INFO NUL padding is stripped"
    );
}

#[test]
fn bytes_reader_and_path_inputs_agree() {
    let path = fixture("flac_s16.flac");
    let bytes = std::fs::read(&path).unwrap();
    let a = decode_all(&path).unwrap();
    let b = decode_all(Input::bytes(bytes.clone())).unwrap();
    let c = decode_all(Input::reader(std::io::Cursor::new(bytes), Some("flac"))).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn streaming_chunks_are_bounded_and_concatenate_to_decode_all() {
    for name in [
        "master.wav",
        "flac_s24_96k.flac",
        "mp3_vbr_v2.mp3",
        "aac_lc.m4a",
        "opus_stereo.opus",
    ] {
        let whole = decode_all(fixture(name)).unwrap();
        let mut dec = Decoder::open(fixture(name)).unwrap();
        let mut joined = quaver_core::AudioBuffer::new(whole.sample_rate, whole.num_channels());
        let mut largest = 0;
        for chunk in &mut dec {
            let chunk = chunk.unwrap();
            largest = largest.max(chunk.frames());
            joined.append(&chunk).unwrap();
        }
        assert_eq!(joined, whole, "{name}");
        assert!(largest <= 16_384, "{name}: a chunk of {largest} frames");
    }
}
