//! Loudness, tempo, key and the feature vector of a file, plus the similarity of two files:
//! `cargo run --release --example analyze -- FILE [OTHER]`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let a = args
        .next()
        .unwrap_or_else(|| "examples/data/calling_bogus_30s.flac".into());
    let options = quaver::AnalysisOptions::default();
    let x = quaver::analyze(a.as_str(), &options)?;
    if let Some(l) = &x.loudness {
        println!(
            "{a}: {:?} LUFS, LRA {:?} LU, true peak {:?} dBTP, gain to -14 LUFS {:?} dB",
            l.integrated_lufs, l.range_lu, l.true_peak_dbtp, l.normalization.gain_db
        );
    }
    if let Some(t) = &x.tempo {
        println!(
            "tempo {:.2} BPM (confidence {:.2}), {} beats",
            t.bpm,
            t.confidence,
            t.beats.len()
        );
    }
    if let Some(k) = &x.key {
        println!("key {} ({:?})", k.label, k.camelot);
    }
    if let (Some(b), Some(fa)) = (args.next(), &x.features) {
        let y = quaver::analyze(b.as_str(), &options)?;
        if let Some(fb) = &y.features {
            println!("similarity({a}, {b}) = {:.3}", quaver::similarity(fa, fb));
        }
    }
    Ok(())
}
