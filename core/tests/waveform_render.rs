//! Waveform images of a real track: the PNG has the asked size and real content (a waveform
//! that varies along the track, drawn in the waveform colour around a centre line), and the
//! SVG is well-formed with one path per channel.

use quaver_core::analysis::{analyze, AnalysisOptions, RenderOptions, WaveformOptions};

fn master() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/master.wav")
}

fn waveform(split: bool) -> quaver_core::analysis::Waveform {
    let opts = AnalysisOptions {
        loudness: None,
        music: None,
        waveform: Some(WaveformOptions {
            width: Some(600),
            split_channels: split,
            ..Default::default()
        }),
    };
    analyze(master(), &opts).unwrap().waveform.unwrap()
}

#[test]
fn png_of_a_real_track_has_size_and_content() {
    let w = waveform(false);
    let opts = RenderOptions {
        width: Some(600),
        height: 120,
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.png");
    w.write_png(&path, &opts).unwrap();
    let decoder = png::Decoder::new(std::fs::File::open(&path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut img = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut img).unwrap();
    assert_eq!((info.width, info.height), (600, 120));
    let px = |x: usize, y: usize| &img[(y * 600 + x) * 4..(y * 600 + x) * 4 + 4];
    // Per column: how many pixels are in the waveform colour.
    let heights: Vec<usize> = (0..600)
        .map(|x| (0..120).filter(|&y| px(x, y) == opts.waveform).count())
        .collect();
    let filled: usize = heights.iter().sum();
    let share = filled as f64 / (600.0 * 120.0);
    println!("waveform covers {:.1} % of the image", share * 100.0);
    assert!(share > 0.15 && share < 0.9, "coverage {share}");
    // Music is not a constant: column heights vary a lot across the track.
    let (lo, hi) = (heights.iter().min().unwrap(), heights.iter().max().unwrap());
    assert!(hi - lo > 30, "heights {lo}..{hi}");
    // Every column has some waveform (the track has no silence), and the corners are
    // background.
    assert!(heights.iter().all(|&h| h > 0));
    assert_eq!(px(0, 0), opts.background);
    assert_eq!(px(599, 119), opts.background);
    // The waveform is drawn symmetrically enough around the centre: both halves are used.
    let top: usize = (0..600)
        .map(|x| (0..59).filter(|&y| px(x, y) == opts.waveform).count())
        .sum();
    let bottom: usize = (0..600)
        .map(|x| (61..120).filter(|&y| px(x, y) == opts.waveform).count())
        .sum();
    assert!(top > filled / 4 && bottom > filled / 4, "{top} {bottom}");
}

#[test]
fn svg_has_one_path_per_channel() {
    let w = waveform(true);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.svg");
    w.write_svg(
        &path,
        &RenderOptions {
            width: Some(300),
            ..Default::default()
        },
    )
    .unwrap();
    let s = std::fs::read_to_string(&path).unwrap();
    assert!(s.starts_with("<svg ") && s.trim_end().ends_with("</svg>"));
    assert_eq!(s.matches("<path ").count(), 2);
    assert!(s.contains("width=\"300\""));
    assert!(!s.contains("NaN"));
}
