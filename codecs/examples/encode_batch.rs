//! Times a batch of renditions encoded from one decode (`encode_many`, parallel on rayon)
//! against the same renditions encoded one by one, and prints the ratio.
//!
//! `cargo run --release -p quaver-codecs --example encode_batch -- SOURCE [SOURCE ...]`

use std::time::Instant;

use quaver_codecs::{encode_many, encode_to_file, EncodeOptions, EncodeTarget};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sources: Vec<String> = std::env::args().skip(1).collect();
    if sources.is_empty() {
        eprintln!("usage: encode_batch SOURCE [SOURCE ...]");
        std::process::exit(2);
    }
    let dir = tempfile::tempdir()?;
    let renditions: Vec<(&str, EncodeOptions)> = vec![
        (
            "320.mp3",
            EncodeOptions {
                bitrate_kbps: Some(320),
                ..Default::default()
            },
        ),
        (
            "128.mp3",
            EncodeOptions {
                bitrate_kbps: Some(128),
                ..Default::default()
            },
        ),
        (
            "160.opus",
            EncodeOptions {
                bitrate_kbps: Some(160),
                ..Default::default()
            },
        ),
        (
            "96.opus",
            EncodeOptions {
                bitrate_kbps: Some(96),
                ..Default::default()
            },
        ),
        (
            "64.opus",
            EncodeOptions {
                bitrate_kbps: Some(64),
                ..Default::default()
            },
        ),
    ];
    let targets: Vec<EncodeTarget> = renditions
        .iter()
        .map(|(n, o)| EncodeTarget {
            path: dir.path().join(n),
            options: o.clone(),
        })
        .collect();
    let (mut single, mut batch) = (0.0, 0.0);
    for src in &sources {
        let t = Instant::now();
        for tg in &targets {
            encode_to_file(src.as_str(), &tg.path, &tg.options)?;
        }
        single += t.elapsed().as_secs_f64();
        let t = Instant::now();
        encode_many(src.as_str(), &targets)?;
        batch += t.elapsed().as_secs_f64();
    }
    println!(
        "batch of {} renditions ({}), {} source(s): one by one {single:.3} s, one decode + parallel {batch:.3} s, ratio {:.2} (threads: {})",
        targets.len(),
        renditions.iter().map(|r| r.0).collect::<Vec<_>>().join(", "),
        sources.len(),
        batch / single,
        rayon::current_num_threads()
    );
    Ok(())
}
