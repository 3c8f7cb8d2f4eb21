//! Encode one file to MP3, Opus and FLAC from a single decode:
//! `cargo run --release --example encode -- [FILE] [OUT_DIR]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| "examples/data/calling_bogus_30s.flac".into());
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "out/example-encode".into()));
    std::fs::create_dir_all(&out)?;
    let target = |name: &str, kbps: Option<u32>| quaver::EncodeTarget {
        path: out.join(name),
        options: quaver::EncodeOptions {
            bitrate_kbps: kbps,
            ..Default::default()
        },
    };
    let targets = [
        target("song-320.mp3", Some(320)),
        target("song-128.opus", Some(128)),
        target("song.flac", None),
    ];
    for r in quaver::encode_many(input.as_str(), &targets)? {
        println!(
            "{}: {} frames at {} Hz, {} bytes",
            r.path
                .as_ref()
                .map_or("?".into(), |p| p.display().to_string()),
            r.frames,
            r.stream.sample_rate,
            r.bytes
        );
    }
    Ok(())
}
