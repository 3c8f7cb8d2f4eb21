//! Adaptive-streaming packaging: the facade over `quaver_codecs::package`.

use std::path::Path;

use crate::{runtime, Input, Result};

pub use quaver_codecs::package::{
    AlignmentReport, Ladder, PackageReport, Rendition, RenditionReport, SegmentReport,
};

/// Decode `input` once, encode every rendition of `ladder` in parallel on quaver's thread pool,
/// and write one CMAF segment set per rendition with HLS (`master.m3u8`, one `media.m3u8` per
/// rendition, `master_<codec>.m3u8` per switching set) and DASH (`manifest.mpd`) manifests over
/// it. Sample-accurate: the edit list skips the codec's priming and keeps exactly the source's
/// samples, and every playlist sums to the source duration. The directory appears complete or
/// not at all.
///
/// ```no_run
/// let report = quaver::package("song.flac", "out/song", &quaver::Ladder::standard())?;
/// for r in &report.renditions {
///     println!("{}: {} segments, peak {} b/s", r.id, r.segments.len(), r.peak_bitrate);
/// }
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn package(
    input: impl Into<Input>,
    out_dir: impl AsRef<Path>,
    ladder: &Ladder,
) -> Result<PackageReport> {
    let (input, out_dir) = (input.into(), out_dir.as_ref());
    runtime::install(|| quaver_codecs::package::package(input, out_dir, ladder))?
}
