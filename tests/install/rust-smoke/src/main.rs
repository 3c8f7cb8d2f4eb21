//! Smoke test of the packaged crates, built as a new project that depends on `quaver`
//! (tests/install/rust.sh): decode, analyse, ingest, and typed errors on corrupt input.
//! Usage: quaver-install-smoke SAMPLE EXPECTED_FRAMES WORKDIR
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (sample, frames, work) = (&args[1], args[2].parse::<usize>().unwrap(), Path::new(&args[3]));
    let buf = quaver::decode(sample.as_str(), &quaver::ConvertOptions::default()).expect("decode");
    assert_eq!((buf.sample_rate, buf.channels.len(), buf.channels[0].len()), (44100, 2, frames));

    let a = quaver::analyze(sample.as_str(), &quaver::AnalysisOptions::default()).expect("analyze");
    let lufs = a.loudness.as_ref().and_then(|l| l.integrated_lufs).expect("loudness");
    assert!((-30.0..-5.0).contains(&lufs), "{lufs}");
    let bpm = a.tempo.as_ref().expect("tempo").bpm;
    assert!((40.0..220.0).contains(&bpm), "{bpm}");

    let out = work.join("ingest");
    let report = quaver::ingest(sample.as_str(), &out, &quaver::IngestOptions::default()).expect("ingest");
    assert!(out.join("report.json").is_file() && out.join("stream/master.m3u8").is_file());
    assert!(report.outputs.iter().any(|o| o.path.ends_with(".mp3")), "no MP3 download");

    let bad = work.join("not-audio.mp3"); // text under an audio name
    std::fs::write(&bad, "<html><body>this is not audio</body></html>\n".repeat(100)).unwrap();
    match quaver::decode(bad.as_path(), &quaver::ConvertOptions::default()) {
        Err(quaver::Error::Unsupported(_)) => {}
        other => panic!("text as .mp3: expected Error::Unsupported, got {:?}", other.map(|b| b.channels.len())),
    }
    let head = std::fs::read(sample).unwrap()[..600].to_vec();
    let trunc = work.join("truncated.flac");
    std::fs::write(&trunc, head).unwrap();
    match quaver::decode(trunc.as_path(), &quaver::ConvertOptions::default()) {
        Err(quaver::Error::Corrupt { .. }) => {}
        other => panic!("truncated FLAC: expected Error::Corrupt, got {:?}", other.map(|b| b.channels.len())),
    }
    println!("smoke: quaver crate: decode, analyse ({bpm:.1} BPM, {lufs:.1} LUFS), ingest and typed errors ok");
}
