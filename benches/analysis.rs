//! Criterion benches: loudness (EBU R128 meter with true peak) and waveform peaks at 256
//! samples per pixel, both on decoded audio (throughput in frames: divide by the sample rate
//! for "× realtime"), and the whole `analyze` (decode included) on a FLAC file.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use quaver::{AudioBuffer, StreamInfo};
use quaver_core::analysis::{LoudnessMeter, LoudnessOptions, WaveformBuilder, WaveformOptions};

fn data(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The 4 s fixture decoded and repeated to 60 s, in decoder-sized chunks.
fn minute() -> (StreamInfo, Vec<AudioBuffer>) {
    let one = quaver::decode(data("master.wav"), &Default::default()).unwrap();
    let info = StreamInfo {
        sample_rate: one.sample_rate,
        channels: one.num_channels(),
        frames: Some(one.frames() as u64 * 15),
    };
    let mut chunks = Vec::new();
    for _ in 0..15 {
        for start in (0..one.frames()).step_by(4096) {
            let end = (start + 4096).min(one.frames());
            chunks.push(AudioBuffer {
                sample_rate: one.sample_rate,
                channels: one
                    .channels
                    .iter()
                    .map(|c| c[start..end].to_vec())
                    .collect(),
            });
        }
    }
    (info, chunks)
}

fn analysis(c: &mut Criterion) {
    let (info, chunks) = minute();
    let frames = info.frames.unwrap();
    let mut g = c.benchmark_group("analysis_60s_stereo_44k1");
    g.sample_size(10);
    g.throughput(Throughput::Elements(frames));
    g.bench_function("loudness_true_peak", |b| {
        b.iter(|| {
            let mut m = LoudnessMeter::new(&info, &LoudnessOptions::default()).unwrap();
            for ch in &chunks {
                m.push(&ch.channels).unwrap();
            }
            m.loudness().unwrap()
        })
    });
    for (name, split) in [
        ("waveform_256spp_merged", false),
        ("waveform_256spp_split", true),
    ] {
        let opts = WaveformOptions {
            samples_per_pixel: 256,
            split_channels: split,
            ..Default::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut w = WaveformBuilder::new(&info, &opts).unwrap();
                for ch in &chunks {
                    w.push(&ch.channels).unwrap();
                }
                w.finish_levels()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("analyze_file");
    g.sample_size(10);
    let info = quaver::info(data("flac_s16.flac")).unwrap();
    g.throughput(Throughput::Elements(info.frames));
    g.bench_function("flac_s16_loudness_and_waveform", |b| {
        let opts = quaver::AnalysisOptions {
            waveform: Some(Default::default()),
            ..Default::default()
        };
        b.iter(|| quaver::analyze(data("flac_s16.flac"), &opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
