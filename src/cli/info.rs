use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to inspect.
    file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> quaver::Result<()> {
    let info = quaver::info(&a.file)?;
    if a.json {
        return super::print_json(&info);
    }
    println!("file:        {}", a.file.display());
    println!("container:   {}", info.container);
    println!("codec:       {}", info.codec);
    println!(
        "format:      {} Hz, {} ch{}",
        info.sample_rate,
        info.channels,
        info.bits_per_sample
            .map(|b| format!(", {b}-bit"))
            .unwrap_or_default()
    );
    println!(
        "duration:    {:.3} s ({} frames)",
        info.duration_s, info.frames
    );
    if let Some(b) = info.bitrate {
        println!("bitrate:     {:.0} kbit/s", b as f64 / 1000.0);
    }
    let t = &info.tags;
    for (k, v) in [
        ("title", &t.title),
        ("artist", &t.artist),
        ("album", &t.album),
        ("isrc", &t.isrc),
    ] {
        if let Some(v) = v {
            println!("{k:<12} {v}");
        }
    }
    if let Some(n) = t.track_number {
        println!("track:       {n}");
    }
    println!(
        "cover art:   {}",
        if t.has_cover_art { "yes" } else { "no" }
    );
    Ok(())
}
