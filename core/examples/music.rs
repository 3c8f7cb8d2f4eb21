//! Tempo, key and features of audio files, one JSON object per line:
//! `cargo run --release -p quaver-core --example music -- FILE...`

use quaver_core::mir::{MusicAnalyzer, MusicOptions, ANALYSIS_RATE};
use quaver_core::{ConvertOptions, ConvertingDecoder, DecodeOptions, Quality};

fn main() -> quaver_core::Result<()> {
    let options = MusicOptions::default();
    for path in std::env::args().skip(1) {
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
