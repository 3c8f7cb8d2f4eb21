//! quaver-fingerprint: identify short, degraded, sped-up or pitch-shifted excerpts of catalog
//! audio, and where they come from.
//!
//! * [`extract`]: streaming spectral peaks on a log-frequency axis at 8 kHz mono.
//! * [`hash`]: 20-bit peak-pair landmarks; query-side search over speed / pitch / tempo scale
//!   hypotheses (the index stores only unscaled landmarks).
//! * [`segment`] + [`index`]: immutable memory-mapped segments (sorted hash → packed postings)
//!   under an atomically replaced manifest; sharded by track id; incremental add / remove.
//! * [`matcher`]: offset voting, a length-aware significance score, line-fit verification.
//! * [`fine`]: per-track band-energy codes that place a query among the copies of a repeated
//!   passage.
//! * [`scan`]: every catalog segment in a long input.
//! * [`chromaprint`]: AcoustID-compatible fingerprints.
//!
//! ```no_run
//! use quaver_fingerprint::{FingerprintIndex, IndexOptions, QueryOptions, fingerprint_track, query_print};
//! let mut idx = FingerprintIndex::open("db", &IndexOptions::default())?;
//! idx.add(vec![("song-1".into(), fingerprint_track("song1.flac")?)])?;
//! let q = query_print("clip.wav")?;
//! let best = idx.query_with_energies(&q.peaks, &q.energies, &QueryOptions::default());
//! # Ok::<(), quaver_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod chromaprint;
pub mod extract;
pub mod fine;
pub mod hash;
pub mod index;
pub mod matcher;
pub mod scan;
pub mod segment;
pub mod snippet;
pub mod stage;

pub use chromaprint::{chromaprint, Chromaprint};
pub use extract::{ExtractConfig, Extracted, Peak, PeakExtractor, SAMPLE_RATE};
pub use fine::QueryEnergies;
pub use index::{FingerprintIndex, IndexOptions, IndexStats, TrackPrint};
pub use matcher::{Match, QueryOptions, DEFAULT_MIN_SCORE};
pub use scan::{ScanOptions, ScanSegment};
pub use snippet::Snippet;
pub use stage::{PrintStage, Prints};

use quaver_core::convert::{ConvertOptions, ConvertingDecoder};
use quaver_core::decode::{DecodeOptions, Input};
use quaver_core::error::Result;
use quaver_core::resample::Quality;

/// Peaks of an input, decoded, downmixed and resampled to [`SAMPLE_RATE`] as a stream.
#[derive(Clone, Debug)]
pub struct QueryPrint {
    /// Peaks in time order.
    pub peaks: Vec<Peak>,
    /// Frames analysed.
    pub frames: u32,
    /// The fine print (catalog tracks: see [`fine`]).
    pub fine: Vec<u16>,
    /// Log-bin energies of the first frames (queries: see [`fine`]).
    pub energies: QueryEnergies,
    /// Seconds spent decoding and resampling.
    pub decode_s: f64,
    /// Seconds spent extracting peaks.
    pub extract_s: f64,
}

/// Decode `input` and extract peaks with `config`, streaming (memory bounded by the peaks).
pub fn extract_input(input: impl Into<Input>, config: ExtractConfig) -> Result<QueryPrint> {
    let mut dec = ConvertingDecoder::open(
        input,
        &DecodeOptions::default(),
        &ConvertOptions {
            sample_rate: Some(SAMPLE_RATE),
            mono: true,
            quality: Quality::Fast,
        },
    )?;
    let mut ex = PeakExtractor::new(config);
    let (mut decode_s, mut extract_s) = (0.0, 0.0);
    loop {
        let t = std::time::Instant::now();
        let chunk = dec.next_chunk()?;
        decode_s += t.elapsed().as_secs_f64();
        let Some(chunk) = chunk else { break };
        let t = std::time::Instant::now();
        ex.push(&chunk.channels[0]);
        extract_s += t.elapsed().as_secs_f64();
    }
    let t = std::time::Instant::now();
    let e = ex.finish_all();
    extract_s += t.elapsed().as_secs_f64();
    Ok(QueryPrint {
        peaks: e.peaks,
        frames: e.frames,
        fine: e.fine,
        energies: e.energies,
        decode_s,
        extract_s,
    })
}

/// Peaks of a query input (the denser query set).
pub fn query_print(input: impl Into<Input>) -> Result<QueryPrint> {
    extract_input(input, ExtractConfig::QUERY)
}

/// The print of a catalog track, ready for [`FingerprintIndex::add`].
pub fn fingerprint_track(input: impl Into<Input>) -> Result<TrackPrint> {
    let p = extract_input(input, ExtractConfig::INDEX)?;
    Ok(track_print_from_extracted(Extracted {
        peaks: p.peaks,
        frames: p.frames,
        fine: p.fine,
        energies: p.energies,
    }))
}

/// Landmarks of already-extracted index-density peaks (no fine print: such a track's repeated
/// passages are placed by landmarks alone).
pub fn track_print_from_peaks(peaks: &[Peak], frames: u32) -> TrackPrint {
    TrackPrint {
        frames,
        landmarks: hash::index_landmarks(peaks),
        fine: Vec::new(),
    }
}

/// The catalog print of an index-density extraction: its landmarks and fine print.
pub fn track_print_from_extracted(e: Extracted) -> TrackPrint {
    TrackPrint {
        frames: e.frames,
        landmarks: hash::index_landmarks(&e.peaks),
        fine: e.fine,
    }
}

/// Track print of mono PCM at [`SAMPLE_RATE`].
pub fn track_print_from_pcm(samples: &[f32]) -> TrackPrint {
    track_print_from_extracted(extract::extract_all(samples, ExtractConfig::INDEX))
}

/// Query peaks of mono PCM at [`SAMPLE_RATE`].
pub fn query_peaks_from_pcm(samples: &[f32]) -> Vec<Peak> {
    extract::extract_peaks(samples, ExtractConfig::QUERY_PEAKS).0
}

/// Query peaks and energies of mono PCM at [`SAMPLE_RATE`] (for
/// [`FingerprintIndex::query_with_energies`]).
pub fn query_extract_pcm(samples: &[f32]) -> Extracted {
    extract::extract_all(samples, ExtractConfig::QUERY)
}
