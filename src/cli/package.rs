use std::path::PathBuf;

use quaver::Ladder;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to package.
    file: PathBuf,
    /// Output directory (created; a previous package there is replaced).
    out_dir: PathBuf,
    /// Ladder: `standard` (Opus 64/96/160), `hifi` (+ FLAC), `aac` (AAC 64/128/256), `apple`
    /// (AAC, then Opus and FLAC), `mp3` (MP3 128/320 packed audio) or a JSON file.
    #[arg(long, default_value = "standard")]
    ladder: String,
    /// Target segment length in seconds.
    #[arg(long)]
    segment: Option<f64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> quaver::Result<()> {
    let mut ladder = Ladder::named_or_file(&a.ladder)?;
    if let Some(s) = a.segment {
        ladder.segment_seconds = s;
    }
    let report = quaver::package(&a.file, &a.out_dir, &ladder)?;
    if a.json {
        return super::print_json(&report);
    }
    println!(
        "{}: {:.6} s, {} renditions, {} files (encode {:.2} s, package {:.3} s)",
        report.out_dir.display(),
        report.duration_s,
        report.renditions.len(),
        report.files.len(),
        report.encode_seconds,
        report.package_seconds
    );
    for r in &report.renditions {
        println!(
            "  {:<10} {:<5} {} segments  peak {} b/s  average {} b/s",
            r.id,
            r.codecs,
            r.segments.len(),
            r.peak_bitrate,
            r.average_bitrate
        );
    }
    for al in &report.alignment {
        println!(
            "  {:?}: {} renditions × {} segments, aligned: {}",
            al.codec,
            al.renditions.len(),
            al.segments,
            al.aligned
        );
    }
    Ok(())
}
