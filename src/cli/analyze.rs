use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to analyse.
    file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Loudness the normalisation gain aims for (LUFS).
    #[arg(long, default_value_t = -14.0, allow_negative_numbers = true)]
    target_lufs: f64,
    /// True-peak ceiling for the normalisation gain (dBTP).
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    ceiling_dbtp: f64,
    /// Lowest tempo reported (BPM).
    #[arg(long, default_value_t = 50.0)]
    min_bpm: f64,
    /// Highest tempo reported (BPM).
    #[arg(long, default_value_t = 220.0)]
    max_bpm: f64,
    /// Skip tempo, key and features (loudness only).
    #[arg(long)]
    no_music: bool,
}

fn show(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "-inf".to_string(), |v| format!("{v:.2} {unit}"))
}

pub fn run(a: Args) -> quaver::Result<()> {
    let options = quaver::AnalysisOptions {
        loudness: Some(quaver::LoudnessOptions {
            target_lufs: a.target_lufs,
            ceiling_dbtp: a.ceiling_dbtp,
            ..Default::default()
        }),
        waveform: None,
        music: (!a.no_music).then(|| quaver::MusicOptions {
            tempo_range: quaver::TempoOptions {
                min_bpm: a.min_bpm,
                max_bpm: a.max_bpm,
            },
            ..Default::default()
        }),
    };
    let analysis = quaver::analyze(&a.file, &options)?;
    if a.json {
        return super::print_json(&analysis);
    }
    println!("file:              {}", a.file.display());
    println!("duration:          {:.3} s", analysis.duration_s);
    println!(
        "format:            {} Hz, {} ch",
        analysis.sample_rate, analysis.channels
    );
    if let Some(l) = &analysis.loudness {
        println!("integrated:        {}", show(l.integrated_lufs, "LUFS"));
        println!("loudness range:    {}", show(l.range_lu, "LU"));
        println!("true peak:         {}", show(l.true_peak_dbtp, "dBTP"));
        println!("sample peak:       {}", show(l.sample_peak_dbfs, "dBFS"));
        println!("momentary max:     {}", show(l.momentary_max_lufs, "LUFS"));
        println!("short-term max:    {}", show(l.short_term_max_lufs, "LUFS"));
        println!("replaygain:        {}", show(l.replaygain_db, "dB"));
        let n = &l.normalization;
        println!(
            "normalise to {} LUFS (ceiling {} dBTP): {}{}",
            n.target_lufs,
            n.ceiling_dbtp,
            show(n.gain_db, "dB"),
            if n.peak_limited {
                " (limited by the peak)"
            } else {
                ""
            }
        );
    }
    if let Some(t) = &analysis.tempo {
        println!(
            "tempo:             {:.2} BPM (confidence {:.2}; alternative {:.2} BPM, {:.2}), {} beats",
            t.bpm,
            t.confidence,
            t.alternative.bpm,
            t.alternative.confidence,
            t.beats.len()
        );
    }
    if let Some(k) = &analysis.key {
        println!(
            "key:               {} ({} / {}, confidence {:.2}, tuning {:+.1} cents)",
            k.label,
            k.camelot.as_deref().unwrap_or("-"),
            k.open_key.as_deref().unwrap_or("-"),
            k.confidence,
            k.tuning_cents
        );
    }
    for w in &analysis.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}
