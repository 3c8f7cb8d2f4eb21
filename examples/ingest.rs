//! The main job from Rust, with a progress callback:
//! `cargo run --release --example ingest -- [FILE] [OUT_DIR]`.

use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| "examples/data/calling_bogus_30s.flac".into());
    let out = args.next().unwrap_or_else(|| "out/example-ingest".into());
    let hooks = quaver::ingest::Hooks {
        progress: Some(Arc::new(|p: &quaver::ingest::Progress| {
            eprint!("\r{:<12} {:>5.1} %", p.stage, p.fraction * 100.0);
        })),
        cancel: None,
    };
    let options = quaver::IngestOptions {
        // Keep the example quick: one MP3 download.
        downloads: vec![quaver::ingest::Download::mp3(192)],
        ..Default::default()
    };
    let report = quaver::ingest::ingest_with(input.as_str(), &out, &options, &hooks)?;
    eprintln!();
    let loud = report
        .analysis
        .as_ref()
        .and_then(|a| a.pointer("/loudness/integrated_lufs"))
        .and_then(|v| v.as_f64());
    println!(
        "{input} -> {out}: {:?} LUFS, {} files",
        loud,
        report.outputs.len()
    );
    for o in &report.outputs {
        println!("  {:<32} {:>9} bytes  {}", o.path, o.bytes, &o.sha256[..16]);
    }
    Ok(())
}
