//! Every JSON options parser the bindings and the CLI use: arbitrary text must give options or
//! a typed InvalidArgument, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quaver::options::from_json;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let check = |r: quaver::Result<()>| {
        if let Err(e) = r {
            assert!(matches!(e, quaver::Error::InvalidArgument(_)), "{e}");
        }
    };
    check(from_json::<quaver::ingest::IngestOptions>(v.clone()).map(|_| ()));
    check(from_json::<quaver::AnalysisOptions>(v.clone()).map(|_| ()));
    check(from_json::<quaver::EncodeOptions>(v.clone()).map(|_| ()));
    check(from_json::<quaver::WaveformOptions>(v.clone()).map(|_| ()));
    if let Ok(l) = serde_json::from_value::<quaver::Ladder>(v) {
        let _ = l.validate();
    }
});
