use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to draw.
    file: PathBuf,
    /// Output: .dat or .json (audiowaveform formats), .png or .svg (images).
    #[arg(short, long)]
    output: PathBuf,
    /// Frames per min/max pair (default 256 for data; images default to --width 1000).
    #[arg(long, conflicts_with = "width")]
    samples_per_pixel: Option<u32>,
    /// Fit the whole track into this many pixels (image width for .png/.svg).
    #[arg(long)]
    width: Option<u32>,
    /// Image height in pixels (.png/.svg).
    #[arg(long, default_value_t = 200)]
    height: u32,
    /// Resolution of the data: 8 or 16 bits.
    #[arg(long, default_value_t = 16, value_parser = parse_bits)]
    bits: u8,
    /// One waveform per channel instead of one merged waveform.
    #[arg(long)]
    split_channels: bool,
    /// Data format version for .dat/.json (1 holds one channel only).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
    data_version: Option<u32>,
}

fn parse_bits(s: &str) -> Result<u8, String> {
    match s {
        "8" => Ok(8),
        "16" => Ok(16),
        _ => Err(format!("bits must be 8 or 16, got {s}")),
    }
}

pub fn run(a: Args) -> quaver::Result<()> {
    let ext = a
        .output
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let image = matches!(ext.as_str(), "png" | "svg");
    let width = match (a.width, a.samples_per_pixel) {
        (None, None) if image => Some(1000),
        (w, _) => w,
    };
    let options = quaver::WaveformOptions {
        samples_per_pixel: a.samples_per_pixel.unwrap_or(256),
        width,
        bits: a.bits,
        split_channels: a.split_channels,
        zoom_levels: Vec::new(),
    };
    let w = quaver::waveform(&a.file, &options)?;
    let render = quaver::RenderOptions {
        width: if image { width } else { None },
        height: a.height,
        ..Default::default()
    };
    match (ext.as_str(), a.data_version) {
        ("dat", Some(v)) => w.write_dat(&a.output, v)?,
        ("json", Some(v)) => w.write_json(&a.output, v)?,
        _ => w.write(&a.output, &render)?,
    }
    eprintln!(
        "{}: {} pixels x {} ch at {} samples/pixel, {}-bit",
        a.output.display(),
        w.len(),
        w.channels,
        w.samples_per_pixel,
        w.bits
    );
    Ok(())
}
