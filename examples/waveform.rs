//! Waveform peaks for peaks.js / waveform-data.js (.dat + .json) and a PNG, at two zoom levels
//! from one decode: `cargo run --release --example waveform -- [FILE] [OUT_DIR]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| "examples/data/calling_bogus_30s.flac".into());
    let out =
        std::path::PathBuf::from(args.next().unwrap_or_else(|| "out/example-waveform".into()));
    std::fs::create_dir_all(&out)?;
    let options = quaver::WaveformOptions {
        zoom_levels: vec![4096],
        ..Default::default()
    };
    let levels = quaver::waveform_zooms(input.as_str(), &options)?;
    for (i, w) in levels.iter().enumerate() {
        for ext in ["dat", "json", "png"] {
            let p = out.join(format!("level{i}.{ext}"));
            w.write(&p, &quaver::RenderOptions::default())?;
            println!("{}", p.display());
        }
    }
    Ok(())
}
