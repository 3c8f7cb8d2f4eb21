//! `quaver chromaprint`: an AcoustID-compatible fingerprint, printed like `fpcalc`.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file.
    file: PathBuf,
    /// Seconds of audio to fingerprint (0 = all), like `fpcalc -length`.
    #[arg(long, default_value_t = 120.0)]
    length: f64,
    /// Print the raw 32-bit items instead of the compressed string (`fpcalc -raw`).
    #[arg(long)]
    raw: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> quaver::Result<()> {
    let fp = quaver::chromaprint(a.file.as_path(), a.length)?;
    if a.json {
        return super::print_json(&fp);
    }
    println!("DURATION={}", fp.duration_s as u64);
    if a.raw {
        let items: Vec<String> = fp.raw.iter().map(|v| v.to_string()).collect();
        println!("FINGERPRINT={}", items.join(","));
    } else {
        println!("FINGERPRINT={}", fp.fingerprint);
    }
    Ok(())
}
