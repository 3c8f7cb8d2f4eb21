//! Adaptive-streaming packaging: one CMAF (fragmented MP4) segment set per rendition, served
//! by both an HLS multivariant playlist and a DASH MPD, sample-accurate.
//!
//! ```text
//! input ─decode once─┬─> Opus 64 ─┐
//!                    ├─> Opus 96 ─┼─> segmenter (shared frame grid) ─> init.mp4 + seg_N.m4s
//!                    └─> FLAC ────┘        ─> media.m3u8 per rendition, master.m3u8, manifest.mpd
//! ```
//!
//! Gapless: the init's edit list starts at the priming (Opus pre-skip) and lasts exactly the
//! source's sample count; the last `trun` duration ends at the valid end; EXTINF and the MPD
//! SegmentTimeline are presentation times after that edit, so they sum to the source duration.
//! Renditions of one codec share a frame grid (Opus 20 ms at 48 kHz; FLAC's fixed block size at
//! the source rate), so segment *n* covers the same interval in every one of them.
//!
//! Layout of `out_dir`: `<id>/init.mp4`, `<id>/seg_<n>.m4s`, `<id>/media.m3u8`,
//! `master.m3u8` (the first codec's switching set), `master_<codec>.m3u8` (one per codec),
//! `manifest.mpd`. It is built in a temporary sibling directory, manifests last, and renamed
//! into place.

pub mod check;
pub mod dash;
pub mod fmp4;
pub mod hls;
pub mod ladder;
pub mod legacy;
pub mod segmenter;

use std::path::{Path, PathBuf};
use std::time::Instant;

use quaver_core::{Error, Input, Result};
use serde::{Deserialize, Serialize};

pub use ladder::{Container, Ladder, Rendition};

use crate::options::Codec;
use crate::pipeline::{EncodeSession, EncodedStream, PacketCollector, StageResult};
use fmp4::{Sample, TrackConfig};

/// Name of each rendition's init segment.
pub const INIT_NAME: &str = "init.mp4";
/// Name of each rendition's media playlist.
pub const PLAYLIST_NAME: &str = "media.m3u8";
/// The multivariant playlist over every rendition.
pub const MASTER_NAME: &str = "master.m3u8";
/// The DASH manifest.
pub const MPD_NAME: &str = "manifest.mpd";

/// One segment in a [`RenditionReport`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentReport {
    /// File name, relative to the rendition's directory.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Presentation start after the edit, in samples.
    pub start: u64,
    /// Presentation duration after the edit, in samples.
    pub duration: u64,
    /// Presentation duration in seconds (the EXTINF).
    pub duration_s: f64,
    /// Coded (tfdt/trun) duration in seconds.
    pub decode_duration_s: f64,
}

/// One packaged rendition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenditionReport {
    /// Id: directory name and DASH Representation id.
    pub id: String,
    /// Codec.
    pub codec: Codec,
    /// The `CODECS` / `@codecs` string (from the sample entry; `mp4a.40.34` for MP3).
    pub codecs: String,
    /// Sample rate = timescale.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u32,
    /// Priming samples skipped by the edit list (Opus pre-skip, AAC encoder delay); for
    /// packed / TS MP3 the encoder delay the stream carries (no edit list there).
    pub priming: u32,
    /// Segment container (CMAF, or packed audio / MPEG-TS for MP3).
    #[serde(default)]
    pub container: Container,
    /// Valid samples: the source's length at this rate.
    pub valid_samples: u64,
    /// Measured peak bit rate, RFC 8216 window, in bit/s (HLS `BANDWIDTH`, DASH `@bandwidth`).
    pub peak_bitrate: u64,
    /// Measured average bit rate of the media segments, in bit/s (`AVERAGE-BANDWIDTH`).
    pub average_bitrate: u64,
    /// Init segment size in bytes.
    pub init_bytes: u64,
    /// The segments.
    pub segments: Vec<SegmentReport>,
}

/// Whether the renditions of each codec cover the same intervals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlignmentReport {
    /// Codec of the switching set.
    pub codec: Codec,
    /// Ids of its renditions.
    pub renditions: Vec<String>,
    /// Segments per rendition.
    pub segments: usize,
    /// True when every segment starts at the same presentation time (to the sample) in every
    /// rendition and the counts agree.
    pub aligned: bool,
}

/// What [`package`] wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PackageReport {
    /// The output directory.
    pub out_dir: PathBuf,
    /// Files written, relative to `out_dir`.
    pub files: Vec<String>,
    /// Source duration in seconds (what every playlist sums to).
    pub duration_s: f64,
    /// Target segment length in seconds.
    pub segment_seconds: f64,
    /// Per rendition.
    pub renditions: Vec<RenditionReport>,
    /// Per switching set.
    pub alignment: Vec<AlignmentReport>,
    /// Seconds spent encoding (decode included).
    pub encode_seconds: f64,
    /// Seconds spent muxing and writing.
    pub package_seconds: f64,
}

/// Decode `input` once, encode every rendition of `ladder` in parallel and package them into
/// `out_dir` (replaced if it holds a previous package; created otherwise).
pub fn package(
    input: impl Into<Input>,
    out_dir: impl AsRef<Path>,
    ladder: &Ladder,
) -> Result<PackageReport> {
    let dec = quaver_core::Decoder::with_options(input, &quaver_core::DecodeOptions::default())?;
    let session = PackageSession::new(dec.info(), out_dir.as_ref(), ladder)?;
    let (stage, result) = session.into_stage();
    quaver_core::analysis::run(dec, vec![stage])?;
    result.take()
}

/// A streaming [`package`]: push the source's decoded chunks, then `finish` encodes the last
/// packets and writes the package. Byte-identical to [`package`] however the source is
/// chunked (the encoders see fixed blocks), so `ingest` can feed it from its shared decode.
pub struct PackageSession {
    encode: EncodeSession<PacketCollector>,
    ids: Vec<String>,
    containers: Vec<Container>,
    out_dir: PathBuf,
    segment_seconds: f64,
    t0: Instant,
}

impl PackageSession {
    /// Validate `ladder` against the source `info` and set up its encoders.
    pub fn new(info: &quaver_core::AudioInfo, out_dir: &Path, ladder: &Ladder) -> Result<Self> {
        ladder.validate()?;
        let options: Vec<_> = ladder
            .renditions
            .iter()
            .map(Rendition::encode_options)
            .collect();
        Ok(PackageSession {
            encode: EncodeSession::new(info, &options, &[], |_, _| Ok(PacketCollector::default()))?,
            ids: ladder.renditions.iter().map(Rendition::id).collect(),
            containers: ladder.renditions.iter().map(Rendition::container).collect(),
            out_dir: out_dir.to_path_buf(),
            segment_seconds: ladder.segment_seconds,
            t0: Instant::now(),
        })
    }

    /// Encode the next decoded chunk.
    pub fn push(&mut self, chunk: &quaver_core::AudioBuffer) -> Result<()> {
        self.encode.push(chunk)
    }

    /// Finish the encoders and write the package (`warnings`: the decoder's).
    pub fn finish(self, warnings: &[String]) -> Result<PackageReport> {
        let streams: Vec<EncodedStream> = self
            .encode
            .finish(warnings)?
            .into_iter()
            .map(|(report, (packets, header))| EncodedStream {
                report,
                packets,
                header,
            })
            .collect();
        let encode_seconds = self.t0.elapsed().as_secs_f64();
        let mut report = package_streams(
            &streams,
            &self.ids,
            &self.containers,
            &self.out_dir,
            self.segment_seconds,
        )?;
        report.encode_seconds = encode_seconds;
        Ok(report)
    }

    /// This session as a stage of the one-decode analysis pipeline, and its result slot.
    pub fn into_stage(
        self,
    ) -> (
        Box<dyn quaver_core::analysis::Analyzer>,
        StageResult<PackageReport>,
    ) {
        let slot = StageResult::default();
        (
            Box::new(PackageStage {
                session: self,
                slot: slot.clone(),
            }),
            slot,
        )
    }
}

struct PackageStage {
    session: PackageSession,
    slot: StageResult<PackageReport>,
}

impl quaver_core::analysis::Analyzer for PackageStage {
    fn name(&self) -> &'static str {
        "package"
    }

    fn process(&mut self, chunk: &quaver_core::AudioBuffer) -> Result<()> {
        self.session.push(chunk)
    }

    fn finish(self: Box<Self>, analysis: &mut quaver_core::analysis::Analysis) -> Result<()> {
        let PackageStage { session, slot } = *self;
        slot.set(session.finish(&analysis.warnings)?);
        Ok(())
    }
}

/// Package already-encoded renditions (`ids[i]` names `streams[i]`, stored in
/// `containers[i]`) into `out_dir`.
pub fn package_streams(
    streams: &[EncodedStream],
    ids: &[String],
    containers: &[Container],
    out_dir: &Path,
    segment_seconds: f64,
) -> Result<PackageReport> {
    let t0 = Instant::now();
    if streams.len() != ids.len() || streams.len() != containers.len() || streams.is_empty() {
        return Err(Error::invalid(
            "package_streams: one id and container per stream, at least one stream",
        ));
    }
    let tmp = temp_sibling(out_dir)?;
    let result = (|| {
        let mut files = Vec::new();
        let mut renditions = Vec::new();
        for ((s, id), &c) in streams.iter().zip(ids).zip(containers) {
            renditions.push(match c {
                Container::Cmaf => write_rendition(s, id, &tmp, segment_seconds, &mut files)?,
                _ => write_legacy_rendition(s, id, c, &tmp, segment_seconds, &mut files)?,
            });
        }
        let alignment = check_alignment(&renditions);
        if let Some(a) = alignment.iter().find(|a| !a.aligned) {
            return Err(Error::Internal(format!(
                "{:?} renditions {:?} are not segment-aligned",
                a.codec, a.renditions
            )));
        }
        // Manifests last: media playlists, per-codec and full multivariant playlists, MPD.
        for r in &renditions {
            let rel = format!("{}/{PLAYLIST_NAME}", r.id);
            write(&tmp, &rel, hls::media_playlist(r).as_bytes(), &mut files)?;
        }
        for a in &alignment {
            let set = renditions.iter().filter(|r| r.codec == a.codec);
            let rel = format!("master_{}.m3u8", a.codec.name());
            write(
                &tmp,
                &rel,
                hls::multivariant_playlist(set).as_bytes(),
                &mut files,
            )?;
        }
        // master.m3u8 is the first switching set (the ladder's first codec). HLS variants of
        // one playlist are one switching set to a client, and a switch between codecs at
        // different rates and primings cannot be aligned, so other codecs (the FLAC tier)
        // get their own master_<codec>.m3u8; DASH carries every set as AdaptationSets.
        let default_set = renditions.iter().filter(|r| r.codec == renditions[0].codec);
        write(
            &tmp,
            MASTER_NAME,
            hls::multivariant_playlist(default_set).as_bytes(),
            &mut files,
        )?;
        // DASH carries the CMAF sets; packed / TS MP3 is HLS-only.
        let cmaf: Vec<RenditionReport> = renditions
            .iter()
            .filter(|r| r.container == Container::Cmaf)
            .cloned()
            .collect();
        if !cmaf.is_empty() {
            write(
                &tmp,
                MPD_NAME,
                dash::mpd(&cmaf, segment_seconds).as_bytes(),
                &mut files,
            )?;
        }
        // The duration from the rendition at the highest rate: a resampled one holds the
        // source length rounded to its own rate (fuzz-found: 4 449 frames at 96 kHz are
        // 2 224.5 at 48 kHz, so an Opus-first ladder reported 2 225 / 48 000 s, half a
        // 48 kHz sample — one 96 kHz sample — more than the FLAC tier and the source hold).
        let finest = renditions
            .iter()
            .rev()
            .max_by_key(|r| r.sample_rate)
            .expect("at least one rendition");
        Ok(PackageReport {
            out_dir: out_dir.to_path_buf(),
            files,
            duration_s: finest.valid_samples as f64 / f64::from(finest.sample_rate),
            segment_seconds,
            renditions,
            alignment,
            encode_seconds: 0.0,
            package_seconds: 0.0,
        })
    })();
    match result {
        Ok(mut r) => {
            replace_dir(&tmp, out_dir)?;
            r.package_seconds = t0.elapsed().as_secs_f64();
            Ok(r)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

fn write(root: &Path, rel: &str, bytes: &[u8], files: &mut Vec<String>) -> Result<()> {
    let p = root.join(rel);
    std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))?;
    files.push(rel.to_string());
    Ok(())
}

/// The track description of an encoded stream, from its final header.
pub fn track_config(s: &EncodedStream) -> Result<TrackConfig> {
    let info = &s.report.stream;
    let decoder_config = match info.codec {
        Codec::Opus => fmp4::dops_from_opus_head(&s.header)?,
        Codec::Flac => fmp4::dfla_from_flac_header(&s.header)?,
        Codec::Aac => {
            fmp4::esds_from_asc(&s.header, info.channels, info.nominal_bitrate.unwrap_or(0))?
        }
        Codec::Mp3 => return Err(Error::Unsupported(
            "MP3 cannot be streamed in fMP4 by MSE players; the TS fallback is not implemented yet"
                .into(),
        )),
    };
    Ok(TrackConfig {
        codec: info.codec,
        sample_rate: info.sample_rate,
        channels: info.channels,
        bits_per_sample: s.report.options.bits_per_sample,
        priming: info.priming,
        valid_samples: s.report.frames,
        decoder_config,
    })
}

fn write_rendition(
    s: &EncodedStream,
    id: &str,
    root: &Path,
    segment_seconds: f64,
    files: &mut Vec<String>,
) -> Result<RenditionReport> {
    let t = track_config(s)?;
    let dir = root.join(id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let init = fmp4::init_segment(&t);
    write(root, &format!("{id}/{INIT_NAME}"), &init, files)?;

    let (durations, plan) = segment_plan(
        s,
        t.priming,
        t.valid_samples,
        t.sample_rate,
        segment_seconds,
    )?;
    let mut segments = Vec::with_capacity(plan.len());
    for (n, p) in plan.iter().enumerate() {
        let samples: Vec<Sample<'_>> = (p.first_packet..p.first_packet + p.packets)
            .map(|i| Sample {
                data: &s.packets[i].data,
                duration: durations[i],
            })
            .collect();
        let bytes = fmp4::media_segment(t.codec, n as u32 + 1, p.decode_start, &samples);
        let file = format!("seg_{}.m4s", n + 1);
        write(root, &format!("{id}/{file}"), &bytes, files)?;
        segments.push(SegmentReport::new(
            file,
            bytes.len() as u64,
            p,
            t.sample_rate,
        ));
    }
    let mut r = RenditionReport {
        id: id.to_string(),
        codec: t.codec,
        codecs: t.codecs_string().to_string(),
        container: Container::Cmaf,
        sample_rate: t.sample_rate,
        channels: t.channels,
        priming: t.priming,
        valid_samples: t.valid_samples,
        peak_bitrate: 0,
        average_bitrate: 0,
        init_bytes: init.len() as u64,
        segments,
    };
    // Bit rates exactly as a client measures them: media segment bytes over EXTINF, the peak
    // over the RFC window of the playlist's target duration; rounded up.
    measure_bitrates(&mut r);
    Ok(r)
}

/// Trimmed packet durations and the segment plan of a stream: whole frames nearest the
/// target segment length, on the grid every rendition of its codec shares.
fn segment_plan(
    s: &EncodedStream,
    priming: u32,
    valid: u64,
    rate: u32,
    segment_seconds: f64,
) -> Result<(Vec<u32>, Vec<segmenter::SegmentPlan>)> {
    let durations = segmenter::trimmed_durations(&s.packets, priming, valid);
    let frame = s.packets.first().map_or(1, |p| p.duration);
    let target = (segment_seconds * f64::from(rate)).round() as u64;
    let per = segmenter::packets_per_segment(frame, target);
    let plan = segmenter::plan(&durations, per, priming)?;
    Ok((durations, plan))
}

impl SegmentReport {
    fn new(file: String, bytes: u64, p: &segmenter::SegmentPlan, rate: u32) -> Self {
        let rate = f64::from(rate);
        SegmentReport {
            file,
            bytes,
            start: p.start,
            duration: p.duration,
            duration_s: p.duration as f64 / rate,
            decode_duration_s: p.decode_duration as f64 / rate,
        }
    }
}

/// Bit rates exactly as a client measures them: media segment bytes over EXTINF, the peak
/// over the RFC window of the playlist's target duration; rounded up.
fn measure_bitrates(r: &mut RenditionReport) {
    let sizes: Vec<(u64, f64)> = r.segments.iter().map(|s| (s.bytes, s.duration_s)).collect();
    let target_duration = hls::target_duration(r) as f64;
    r.peak_bitrate = segmenter::peak_bitrate(&sizes, target_duration).ceil() as u64;
    r.average_bitrate = segmenter::average_bitrate(&sizes).ceil() as u64;
}

/// An MP3 rendition as HLS packed audio or MPEG-TS segments on the same frame-grid plan as
/// CMAF (EXTINF = presentation durations; the first segment also holds the priming).
fn write_legacy_rendition(
    s: &EncodedStream,
    id: &str,
    container: Container,
    root: &Path,
    segment_seconds: f64,
    files: &mut Vec<String>,
) -> Result<RenditionReport> {
    let info = &s.report.stream;
    let (rate, priming, valid) = (info.sample_rate, info.priming, s.report.frames);
    let dir = root.join(id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let (_, plan) = segment_plan(s, priming, valid, rate, segment_seconds)?;
    let mut cc = legacy::TsCounters::default();
    let mut segments = Vec::with_capacity(plan.len());
    for (n, p) in plan.iter().enumerate() {
        let pk = &s.packets[p.first_packet..p.first_packet + p.packets];
        let (file, bytes) = match container {
            Container::Ts => {
                let frames: Vec<(&[u8], u64)> =
                    pk.iter().map(|q| (q.data.as_slice(), q.pts)).collect();
                (
                    format!("seg_{}.ts", n + 1),
                    legacy::ts_segment(&frames, priming, rate, rate < 32_000, &mut cc)?,
                )
            }
            _ => {
                let frames: Vec<&[u8]> = pk.iter().map(|q| q.data.as_slice()).collect();
                let ts = legacy::pts90k(pk[0].pts, priming, rate);
                (
                    format!("seg_{}.mp3", n + 1),
                    legacy::packed_segment(ts, &frames),
                )
            }
        };
        write(root, &format!("{id}/{file}"), &bytes, files)?;
        segments.push(SegmentReport::new(file, bytes.len() as u64, p, rate));
    }
    let mut r = RenditionReport {
        id: id.to_string(),
        codec: info.codec,
        codecs: "mp4a.40.34".into(),
        container,
        sample_rate: rate,
        channels: info.channels,
        priming,
        valid_samples: valid,
        peak_bitrate: 0,
        average_bitrate: 0,
        init_bytes: 0,
        segments,
    };
    measure_bitrates(&mut r);
    Ok(r)
}

/// Group renditions by codec and compare their segment starts.
pub fn check_alignment(renditions: &[RenditionReport]) -> Vec<AlignmentReport> {
    let mut out: Vec<AlignmentReport> = Vec::new();
    for r in renditions {
        if out.iter().any(|a| a.codec == r.codec) {
            continue;
        }
        let set: Vec<&RenditionReport> = renditions.iter().filter(|x| x.codec == r.codec).collect();
        let starts = |x: &RenditionReport| -> Vec<(u64, u64)> {
            x.segments.iter().map(|s| (s.start, s.duration)).collect()
        };
        let reference = starts(r);
        let aligned = set
            .iter()
            .all(|x| x.sample_rate == r.sample_rate && starts(x) == reference);
        out.push(AlignmentReport {
            codec: r.codec,
            renditions: set.iter().map(|x| x.id.clone()).collect(),
            segments: r.segments.len(),
            aligned,
        });
    }
    out
}

fn temp_sibling(out_dir: &Path) -> Result<PathBuf> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let name = out_dir
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{} is not a directory name", out_dir.display())))?
        .to_string_lossy()
        .into_owned();
    let prefix = format!(".{name}.tmp-");
    quaver_core::output::clear_stale_staging(&parent, &prefix, out_dir);
    // Unique per process and call: two packagers in one process may target one directory.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!("{prefix}{}-{seq}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    Ok(tmp)
}

/// Move `tmp` to `out_dir`. An existing `out_dir` is replaced only when it is empty or holds
/// a previous package (a `master.m3u8` or `manifest.mpd`), never an unrelated directory.
fn replace_dir(tmp: &Path, out_dir: &Path) -> Result<()> {
    if out_dir.exists() {
        let empty = std::fs::read_dir(out_dir)
            .map_err(|e| Error::io(out_dir, e))?
            .next()
            .is_none();
        let previous = out_dir.join(MASTER_NAME).exists() || out_dir.join(MPD_NAME).exists();
        if !empty && !previous {
            let _ = std::fs::remove_dir_all(tmp);
            return Err(Error::invalid(format!(
                "{} exists and is not a quaver package; refusing to replace it",
                out_dir.display()
            )));
        }
    }
    quaver_core::output::replace_dir(tmp, out_dir)
}
