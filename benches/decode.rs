//! Criterion benches: decode per format (the 4 s fixtures) and resample per preset.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quaver::{AudioBuffer, Quality};

fn data(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(20);
    for name in [
        "master.wav",
        "aiff_s16.aiff",
        "flac_s16.flac",
        "flac_s24_96k.flac",
        "alac.m4a",
        "mp3_cbr128.mp3",
        "mp3_vbr_v2.mp3",
        "aac_lc.m4a",
        "vorbis.ogg",
        "opus_stereo.opus",
    ] {
        let bytes = std::fs::read(data(name)).unwrap();
        let info = quaver::info(data(name)).unwrap();
        // Throughput in seconds of audio decoded (shown as "elements" = frames).
        g.throughput(Throughput::Elements(info.frames));
        g.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, bytes| {
            b.iter(|| {
                let mut d = quaver::Decoder::open(quaver::Input::bytes(bytes.clone())).unwrap();
                let mut chunk = AudioBuffer::default();
                let mut n = 0;
                while d.next_chunk_into(&mut chunk).unwrap() {
                    n += chunk.frames();
                }
                n
            })
        });
    }
    g.finish();
}

fn resample(c: &mut Criterion) {
    let mut g = c.benchmark_group("resample_10s_stereo_44k1_to_48k");
    g.sample_size(10);
    let n = 441_000;
    let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.0627).sin() * 0.5).collect();
    let buf = AudioBuffer::from_planar(44_100, vec![x.clone(), x]).unwrap();
    g.throughput(Throughput::Elements(n as u64));
    for q in [Quality::Fast, Quality::Balanced, Quality::Best] {
        g.bench_function(format!("{q:?}").to_lowercase(), |b| {
            b.iter(|| quaver::resample(&buf, 48_000, q).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, decode, resample);
criterion_main!(benches);
