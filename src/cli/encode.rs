use std::path::PathBuf;

use quaver::{EncodeOptions, OpusRateControl};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RateControl {
    /// Unconstrained VBR (Opus default).
    Vbr,
    /// Constrained VBR.
    Cvbr,
    /// Constant bitrate.
    Cbr,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to encode.
    file: PathBuf,
    /// Output file; its extension (.mp3, .opus, .flac) picks the codec.
    #[arg(short, long)]
    output: PathBuf,
    /// Bitrate in kbit/s (MP3 CBR: 32–320; Opus: 16–510).
    #[arg(short, long, conflicts_with = "vbr_quality")]
    bitrate: Option<u32>,
    /// MP3 VBR quality 0 (best) to 9, as LAME's -V.
    #[arg(short = 'V', long)]
    vbr_quality: Option<u8>,
    /// Output sample rate in Hz (resampled when it differs from the source's).
    #[arg(long)]
    rate: Option<u32>,
    /// Output channels (1 or 2 for MP3/Opus).
    #[arg(long)]
    channels: Option<u32>,
    /// Opus rate control.
    #[arg(long, value_enum)]
    opus_mode: Option<RateControl>,
    /// Opus complexity 0–10.
    #[arg(long)]
    complexity: Option<u8>,
    /// FLAC bits per sample (16 or 24).
    #[arg(long)]
    bits: Option<u32>,
    /// FLAC compression level 0–8.
    #[arg(long)]
    level: Option<u8>,
    /// MP3: also write an ID3v1 tag.
    #[arg(long)]
    id3v1: bool,
    /// Do not copy the source's tags.
    #[arg(long)]
    no_tags: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> quaver::Result<()> {
    let opts = EncodeOptions {
        bitrate_kbps: a.bitrate,
        vbr_quality: a.vbr_quality,
        sample_rate: a.rate,
        channels: a.channels,
        opus_rate_control: match a.opus_mode {
            Some(RateControl::Cvbr) => OpusRateControl::Cvbr,
            Some(RateControl::Cbr) => OpusRateControl::Cbr,
            _ => OpusRateControl::Vbr,
        },
        complexity: a.complexity,
        bits_per_sample: a.bits,
        compression_level: a.level,
        id3v1: a.id3v1,
        copy_tags: !a.no_tags,
        ..Default::default()
    };
    let report = quaver::encode(&a.file, &a.output, &opts)?;
    if a.json {
        return super::print_json(&report);
    }
    println!(
        "{}: {:?} {} Hz {} ch, {} frames ({:.3} s), {} bytes, {:.1} kbit/s audio, {:.2} s",
        a.output.display(),
        report.stream.codec,
        report.stream.sample_rate,
        report.stream.channels,
        report.frames,
        report.duration_s,
        report.bytes,
        report.audio_bitrate / 1000.0,
        report.seconds
    );
    for w in &report.warnings {
        eprintln!("quaver: warning: {w}");
    }
    Ok(())
}
