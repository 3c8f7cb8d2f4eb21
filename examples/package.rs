//! Encode and package for adaptive streaming (CMAF segments, HLS + DASH):
//! `cargo run --release --example package -- [FILE] [OUT_DIR] [standard|hifi|aac|apple|mp3|LADDER.json]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| "examples/data/calling_bogus_30s.flac".into());
    let out = args.next().unwrap_or_else(|| "out/example-package".into());
    let ladder = quaver::Ladder::named_or_file(&args.next().unwrap_or_else(|| "standard".into()))?;
    let report = quaver::package(input.as_str(), &out, &ladder)?;
    println!(
        "{out}: {:.3} s, {} files",
        report.duration_s,
        report.files.len()
    );
    for r in &report.renditions {
        println!(
            "  {:<10} {} segments, peak {} b/s",
            r.id,
            r.segments.len(),
            r.peak_bitrate
        );
    }
    Ok(())
}
