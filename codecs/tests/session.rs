//! The push-based encode session gives the same bytes however the source is chunked — what
//! lets `ingest` feed the encoders from its one shared decode.

mod common;

use common::data;
use quaver_codecs::{Codec, EncodeOptions, EncodeSession, PacketCollector};
use quaver_core::{AudioBuffer, ConvertOptions, ConvertingDecoder, DecodeOptions};

fn encode_in_chunks(
    info: &quaver_core::AudioInfo,
    pcm: &AudioBuffer,
    options: &[EncodeOptions],
    chunk: usize,
) -> Vec<(Vec<Vec<u8>>, Vec<u8>)> {
    let mut s =
        EncodeSession::new(info, options, &[], |_, _| Ok(PacketCollector::default())).unwrap();
    let n = pcm.frames();
    let mut pos = 0;
    while pos < n {
        let end = (pos + chunk).min(n);
        s.push(&AudioBuffer {
            sample_rate: pcm.sample_rate,
            channels: pcm.channels.iter().map(|c| c[pos..end].to_vec()).collect(),
        })
        .unwrap();
        pos = end;
    }
    s.finish(&[])
        .unwrap()
        .into_iter()
        .map(|(_, (packets, header))| (packets.into_iter().map(|p| p.data).collect(), header))
        .collect()
}

#[test]
fn output_is_independent_of_chunking() {
    let path = data("flac_s16.flac");
    let dec = ConvertingDecoder::open(
        path.as_path(),
        &DecodeOptions::default(),
        &ConvertOptions::default(),
    )
    .unwrap();
    let info = dec.info().clone();
    let pcm = dec.read_all().unwrap();
    assert_eq!(info.sample_rate, 44_100, "the Opus rendition resamples");
    let options = [
        EncodeOptions {
            codec: Some(Codec::Mp3),
            bitrate_kbps: Some(128),
            ..Default::default()
        },
        EncodeOptions {
            codec: Some(Codec::Opus),
            bitrate_kbps: Some(96),
            ..Default::default()
        },
        EncodeOptions {
            codec: Some(Codec::Flac),
            ..Default::default()
        },
    ];
    let reference = encode_in_chunks(&info, &pcm, &options, pcm.frames());
    for (i, (packets, _)) in reference.iter().enumerate() {
        assert!(
            packets.len() > 10,
            "rendition {i}: {} packets",
            packets.len()
        );
    }
    for chunk in [1, 997, 4096, 16_391] {
        if chunk == 1 {
            // One frame at a time over the first second only (slow otherwise): compare a prefix
            // encode against the same prefix in one piece.
            let head = AudioBuffer {
                sample_rate: pcm.sample_rate,
                channels: pcm.channels.iter().map(|c| c[..44_100].to_vec()).collect(),
            };
            assert_eq!(
                encode_in_chunks(&info, &head, &options, 1),
                encode_in_chunks(&info, &head, &options, head.frames()),
                "frame-by-frame"
            );
            continue;
        }
        assert_eq!(
            encode_in_chunks(&info, &pcm, &options, chunk),
            reference,
            "chunks of {chunk}"
        );
    }
}
