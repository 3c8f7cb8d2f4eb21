use std::path::PathBuf;

use quaver::{ConvertOptions, ConvertingDecoder, DecodeOptions, Error, Quality};
use quaver_core::output::AtomicFile;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SampleFormat {
    /// 32-bit float WAV.
    F32,
    /// 16-bit integer WAV (rounded, clipped).
    S16,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to decode.
    file: PathBuf,
    /// Output WAV file.
    #[arg(short, long)]
    output: PathBuf,
    /// Resample to this rate (Hz).
    #[arg(long)]
    rate: Option<u32>,
    /// Downmix to mono.
    #[arg(long)]
    mono: bool,
    /// Sample format of the WAV.
    #[arg(long, value_enum, default_value = "f32")]
    format: SampleFormat,
    /// Resampler quality: fast, balanced, best.
    #[arg(long, default_value = "best")]
    quality: Quality,
}

pub fn run(a: Args) -> quaver::Result<()> {
    let opts = ConvertOptions {
        sample_rate: a.rate,
        mono: a.mono,
        quality: a.quality,
    };
    let mut dec = ConvertingDecoder::open(&a.file, &DecodeOptions::default(), &opts)?;
    let spec = hound::WavSpec {
        channels: dec.channels() as u16,
        sample_rate: dec.sample_rate(),
        bits_per_sample: match a.format {
            SampleFormat::F32 => 32,
            SampleFormat::S16 => 16,
        },
        sample_format: match a.format {
            SampleFormat::F32 => hound::SampleFormat::Float,
            SampleFormat::S16 => hound::SampleFormat::Int,
        },
    };
    let mut out = AtomicFile::create(&a.output)?;
    let hound_err = |e: hound::Error| Error::Internal(format!("WAV writer: {e}"));
    {
        let mut w = hound::WavWriter::new(out.writer(), spec).map_err(hound_err)?;
        while let Some(chunk) = dec.next_chunk()? {
            for i in 0..chunk.frames() {
                for ch in &chunk.channels {
                    match a.format {
                        SampleFormat::F32 => w.write_sample(ch[i]).map_err(hound_err)?,
                        SampleFormat::S16 => {
                            let s = (ch[i] * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                            w.write_sample(s).map_err(hound_err)?
                        }
                    }
                }
            }
        }
        w.finalize().map_err(hound_err)?;
    }
    out.commit()?;
    for w in dec.warnings() {
        eprintln!("quaver: warning: {w}");
    }
    Ok(())
}
