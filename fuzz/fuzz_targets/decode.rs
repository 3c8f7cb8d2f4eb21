//! Probe and decode arbitrary bytes through quaver's own glue (format guard, header repair,
//! MP4 edit lists, Ogg Opus, symphonia under catch_unwind), with an extension hint chosen by
//! the first byte so every container path is reached. Must end in Ok or a typed error, fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quaver_core::{DecodeOptions, Decoder, Input, Limits};

const HINTS: [&str; 10] = ["wav", "aiff", "flac", "mp3", "m4a", "ogg", "opus", "caf", "mkv", ""];

fuzz_target!(|data: &[u8]| {
    // quaver catches panics inside symphonia and returns typed errors; libFuzzer's panic hook
    // would abort on those caught panics too. An uncaught panic still aborts: libfuzzer-sys
    // wraps each run in catch_unwind and aborts when it unwinds out.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&h, body)) = data.split_first() else {
        return;
    };
    let hint = HINTS[h as usize % HINTS.len()];
    let options = DecodeOptions {
        limits: Limits {
            max_duration_s: 600.0,
            ..Limits::default()
        },
        ..Default::default()
    };
    let input = if hint.is_empty() {
        Input::bytes(body.to_vec())
    } else {
        Input::reader(std::io::Cursor::new(body.to_vec()), Some(hint))
    };
    let _ = quaver_core::decode::probe(Input::bytes(body.to_vec()));
    if let Ok(mut dec) = Decoder::with_options(input, &options) {
        let mut chunk = quaver_core::AudioBuffer::default();
        // Bounded: at most 10 000 chunks (the limits bound the total anyway).
        for _ in 0..10_000 {
            match dec.next_chunk_into(&mut chunk) {
                Ok(true) => {
                    let n = chunk.frames();
                    assert!(chunk.channels.iter().all(|c| c.len() == n), "ragged chunk");
                    assert!(chunk.channels.iter().flatten().all(|s| s.is_finite()), "non-finite sample");
                }
                _ => break,
            }
        }
    }
});
