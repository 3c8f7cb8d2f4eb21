//! Tempo, key and features of audio files, one JSON object per line:
//! `cargo run --release -p quaver-core --example music -- [--only tempo|key|features] FILE...`

use quaver_core::mir::{KeyEstimator, MusicAnalyzer, MusicOptions, ANALYSIS_RATE};
use quaver_core::{ConvertOptions, ConvertingDecoder, DecodeOptions, Quality};

fn main() -> quaver_core::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = MusicOptions::default();
    // `--only tempo|key` times one analyser alone (benches/accuracy/accuracy.py uses it).
    if args.first().map(String::as_str) == Some("--only") && args.len() >= 2 {
        let only = args[1].clone();
        args.drain(..2);
        options.tempo = only == "tempo";
        options.key = only == "key";
        options.features = only == "features";
    }
    let key_only = options.key && !options.tempo && !options.features;
    for path in args {
        if key_only {
            // The key estimator takes any input rate (it decimates internally), so the
            // key-only path skips the resampler: decode, downmix, estimate.
            let mut dec = ConvertingDecoder::open(
                path.as_str(),
                &DecodeOptions::default(),
                &ConvertOptions {
                    sample_rate: None,
                    mono: true,
                    quality: Quality::Fast,
                },
            )?;
            let mut k = KeyEstimator::new(dec.sample_rate());
            while let Some(chunk) = dec.next_chunk()? {
                k.push(&chunk.channels[0]);
            }
            let json = serde_json::json!({"path": path, "tempo": null, "key": k.finish()});
            println!("{json}");
            continue;
        }
        let mut dec = ConvertingDecoder::open(
            path.as_str(),
            &DecodeOptions::default(),
            &ConvertOptions {
                sample_rate: Some(ANALYSIS_RATE),
                mono: true,
                quality: Quality::Fast,
            },
        )?;
        let mut a = MusicAnalyzer::new(&options);
        while let Some(chunk) = dec.next_chunk()? {
            a.push(&chunk.channels[0]);
        }
        let r = a.finish();
        let json = serde_json::json!({"path": path, "tempo": r.tempo, "key": r.key});
        println!("{json}");
    }
    Ok(())
}
