//! Our fMP4 / HLS / DASH writers fed random ladders, segment lengths, rates, channel counts and
//! lengths; every package they write must pass our own conformance checker.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Case {
    rate_pick: u8,
    stereo: bool,
    frames: u16,
    segment_ms: u16,
    renditions: Vec<(bool, u8)>,
    seed: u32,
}

fuzz_target!(|c: Case| {
    let rate = [8_000u32, 16_000, 22_050, 32_000, 44_100, 48_000, 96_000][c.rate_pick as usize % 7];
    let channels = if c.stereo { 2 } else { 1 };
    let frames = (c.frames as usize % 40_000) + 1;
    let mut s = c.seed | 1;
    let mut noise = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        (s as f32 / u32::MAX as f32 - 0.5) * 0.5
    };
    let pcm: Vec<Vec<f32>> = (0..channels).map(|_| (0..frames).map(|_| noise()).collect()).collect();
    let mut renditions: Vec<quaver::Rendition> = c
        .renditions
        .iter()
        .take(4)
        .map(|&(flac, k)| {
            if flac {
                quaver::Rendition::flac()
            } else {
                quaver::Rendition::opus(32 + u32::from(k) % 225)
            }
        })
        .collect();
    if renditions.is_empty() {
        renditions.push(quaver::Rendition::opus(64));
    }
    let ladder = quaver::Ladder {
        renditions,
        segment_seconds: 0.5 + f64::from(c.segment_ms % 10_000) / 1000.0,
    };
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    let spec = hound::WavSpec {
        channels: channels as u16,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..frames {
        for ch in &pcm {
            w.write_sample(ch[i]).unwrap();
        }
    }
    w.finalize().unwrap();
    let out = dir.path().join("pkg");
    match quaver::package(wav.as_path(), &out, &ladder) {
        Ok(report) => {
            let check = quaver_codecs::package::check::check_package(&out, Some(report.duration_s));
            assert!(check.errors.is_empty(), "{ladder:?}: {:?}", check.errors);
        }
        Err(e) => assert!(
            !matches!(e, quaver::Error::Internal(_)),
            "{ladder:?} rate {rate}: internal error {e}"
        ),
    }
});
