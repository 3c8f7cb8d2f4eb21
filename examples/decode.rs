//! Decode a file and print what it holds: `cargo run --release --example decode -- FILE [RATE]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "tests/data/mp3_vbr_v2.mp3".into());
    let rate: Option<u32> = args.next().map(|r| r.parse()).transpose()?;

    let info = quaver::info(path.as_str())?;
    println!(
        "{}: {} / {}, {} Hz, {} ch, {:.3} s",
        path, info.container, info.codec, info.sample_rate, info.channels, info.duration_s
    );

    // Stream the file chunk by chunk: memory stays bounded by one chunk.
    let opts = quaver::ConvertOptions {
        sample_rate: rate,
        mono: true,
        ..Default::default()
    };
    let mut dec =
        quaver::ConvertingDecoder::open(path.as_str(), &quaver::DecodeOptions::default(), &opts)?;
    let (mut frames, mut peak) = (0usize, 0f32);
    while let Some(chunk) = dec.next_chunk()? {
        frames += chunk.frames();
        peak = chunk.channels[0].iter().fold(peak, |p, s| p.max(s.abs()));
    }
    println!(
        "decoded {frames} mono frames at {} Hz, sample peak {:.1} dBFS",
        dec.sample_rate(),
        20.0 * peak.log10()
    );
    Ok(())
}
