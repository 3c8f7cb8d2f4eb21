//! Tempo, key and features of audio files, one JSON object per line:
//! `cargo run --release -p quaver-core --example music -- [--only tempo|key|features] FILE...`

use quaver_core::analysis::{analyze, AnalysisOptions};
use quaver_core::mir::MusicOptions;

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
    // The library's pipeline: decode, downmix, resample to 22 050 Hz once for the music
    // analysers (a key-only run skips the resampler: the key estimator decimates itself).
    let analysis_options = AnalysisOptions {
        loudness: None,
        waveform: None,
        music: Some(options),
    };
    for path in args {
        let r = analyze(path.as_str(), &analysis_options)?;
        let json = serde_json::json!({"path": path, "tempo": r.tempo, "key": r.key});
        println!("{json}");
    }
    Ok(())
}
