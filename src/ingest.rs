//! `ingest`: the whole upload pipeline from one decode — the project's main job.
//!
//! One [`Decoder`] feeds every consumer through the analysis pipeline
//! ([`quaver_core::analysis::run`]): loudness, tempo/key/features and waveform analysers, the
//! fingerprint extractor, the MP3 download encoders and the HLS/DASH ladder's encoders all
//! read the same decoded chunks (each converting them the way its standalone counterpart
//! does, so every output is byte-identical to running `analyze`, `encode`, `package` and
//! `fp scan` separately — one decode changes nothing but time).
//!
//! Outputs are written into a hidden staging directory next to `out_dir`; `report.json` is
//! written last, then the staging directory replaces `out_dir` with two renames. A killed
//! process therefore never leaves an `out_dir` whose `report.json` describes missing or partial
//! files, and re-running completes (stale staging directories of dead processes are removed).
//!
//! ```no_run
//! let report = quaver::ingest::ingest("upload.flac", "out/upload", &Default::default())?;
//! let lufs = report.analysis.as_ref().and_then(|a| a.pointer("/loudness/integrated_lufs"));
//! println!("{lufs:?} LUFS, {} outputs", report.outputs.len());
//! # Ok::<(), quaver::Error>(())
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use quaver_codecs::package::PackageSession;
use quaver_codecs::{EncodeSession, FileSink};
use quaver_core::analysis::{
    build_analyzers, Analysis, AnalysisOptions, Analyzer, RenderOptions, StreamFormat, StreamInfo,
    WaveformOptions,
};
use quaver_fingerprint::{PrintStage, ScanOptions, ScanSegment};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    runtime, AudioBuffer, AudioInfo, Codec, DecodeOptions, Decoder, EncodeOptions, Error, Input,
    Ladder, Limits, Result,
};

/// Width of `waveform.png` by default (pixels).
pub const WAVEFORM_PNG_WIDTH: u32 = 1800;

/// Version of the `report.json` layout.
pub const REPORT_VERSION: u32 = 1;

/// One download file of an ingest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Download {
    /// File name inside `OUT_DIR/download/` (its extension picks the codec unless
    /// `options.codec` is set). A bare name: no directories.
    pub file: String,
    /// Encoder options (tags are copied from the source unless `options.copy_tags` is off).
    #[serde(default)]
    pub options: EncodeOptions,
}

impl Download {
    /// An MP3 download at a constant `kbps`.
    pub fn mp3(kbps: u32) -> Self {
        Download {
            file: format!("mp3-{kbps}.mp3"),
            options: EncodeOptions {
                codec: Some(Codec::Mp3),
                bitrate_kbps: Some(kbps),
                ..Default::default()
            },
        }
    }
}

/// What [`ingest`] does. Every part can be switched off; the defaults are what an upload
/// service wants: full analysis, waveform files, MP3 128 + 320 downloads, the `standard`
/// HLS + DASH ladder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestOptions {
    /// Loudness and music analysis (the waveform is configured by `waveform`).
    pub analysis: AnalysisOptions,
    /// Waveform peaks, written as `waveform.dat`, `waveform.json` and `waveform.png`;
    /// `None` skips them.
    pub waveform: Option<WaveformOptions>,
    /// How the waveform PNG is drawn (default [`WAVEFORM_PNG_WIDTH`] × 200 pixels).
    pub waveform_render: RenderOptions,
    /// Download files in `download/` (default MP3 128 and 320 kbit/s CBR).
    pub downloads: Vec<Download>,
    /// The adaptive-streaming ladder packaged into `stream/`; `None` skips packaging.
    pub ladder: Option<Ladder>,
    /// A fingerprint catalog (index directory) to scan the upload against.
    pub catalog: Option<PathBuf>,
    /// Add the upload to `catalog` under this id (after the scan, so it never matches itself).
    pub add_to_catalog: Option<String>,
    /// Scan options for the catalog check.
    pub scan: ScanOptions,
    /// Accept inputs whose every sample is below -100 dBFS (rejected by default).
    pub allow_silent: bool,
    /// Resource limits: what the input may claim (channels, rate, duration) and the most
    /// bytes this call may write ([`Limits::max_output_bytes`]).
    pub limits: Limits,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            analysis: AnalysisOptions::default(),
            waveform: Some(WaveformOptions::default()),
            // A fixed-width image: one column per peak would exceed any image size limit for
            // a long input (a 60-minute upload is 620 157 peaks at 256 samples per pixel).
            waveform_render: RenderOptions {
                width: Some(WAVEFORM_PNG_WIDTH),
                ..RenderOptions::default()
            },
            downloads: vec![Download::mp3(128), Download::mp3(320)],
            ladder: Some(Ladder::standard()),
            catalog: None,
            add_to_catalog: None,
            scan: ScanOptions::default(),
            allow_silent: false,
            limits: Limits::default(),
        }
    }
}

/// Progress of an ingest, given to [`Hooks::progress`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    /// `"decode"` while the shared decode runs (every stage works during it), then
    /// `"fingerprint"`, `"write"`, `"done"`.
    pub stage: &'static str,
    /// Overall fraction done, 0..=1 (the decode is 0..0.9 when the length is known).
    pub fraction: f64,
    /// Source frames decoded so far.
    pub frames: u64,
}

/// A progress callback (called from worker threads).
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Callbacks for a running ingest: progress reports and cooperative cancellation.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Called from worker threads, a few hundred times per input at most.
    pub progress: Option<ProgressFn>,
    /// Set to `true` to stop: the ingest returns [`Error::Cancelled`] at the next chunk and
    /// leaves `out_dir` as it was.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Hooks {
    fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// One file `ingest` wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Path relative to `out_dir`, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Duration of the audio in it (downloads), in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Average bitrate of the file in bit/s (downloads: whole file over the duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<f64>,
}

/// The catalog check's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FingerprintReport {
    /// The catalog scanned.
    pub catalog: PathBuf,
    /// Every catalog segment found in the upload.
    pub matches: Vec<ScanSegment>,
    /// The id the upload was added under, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_as: Option<String>,
}

/// The HLS + DASH package's summary (the full per-segment report is in the package's files).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamReport {
    /// Directory relative to `out_dir` (`stream`).
    pub dir: String,
    /// Multivariant HLS playlist, relative to `out_dir`.
    pub hls: String,
    /// DASH manifest, relative to `out_dir`.
    pub dash: String,
    /// Source duration every playlist sums to.
    pub duration_s: f64,
    /// Per rendition: id, codec, bitrates, segment count.
    pub renditions: Vec<RenditionSummary>,
    /// Every switching set is segment-aligned to the sample.
    pub aligned: bool,
}

/// One rendition of [`StreamReport`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenditionSummary {
    /// Rendition id (its directory name).
    pub id: String,
    /// Codec name.
    pub codec: String,
    /// Peak bitrate (HLS `BANDWIDTH`), bit/s.
    pub peak_bitrate: u64,
    /// Average bitrate, bit/s.
    pub average_bitrate: u64,
    /// Segments.
    pub segments: usize,
}

/// Busy seconds per stage (stages run concurrently, so these may sum to more than `wall_s`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Wall time of the whole ingest.
    pub wall_s: f64,
    /// Wall time of the shared decode pass (every stage fed, encoders flushed).
    pub decode_pass_s: f64,
    /// Per stage: name and seconds spent in it.
    pub stages: Vec<(String, f64)>,
}

/// What [`ingest`] did: `report.json`, written last.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    /// Layout version ([`REPORT_VERSION`]).
    pub version: u32,
    /// `"ok"`, or `"failed"` (batch mode records failures this way).
    pub status: String,
    /// The input path (`<memory>` for bytes and readers).
    pub input: String,
    /// The error, when `status` is `"failed"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
    /// Input facts and tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<AudioInfo>,
    /// Loudness (with the normalisation gain), tempo, key, features — as `quaver analyze`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<serde_json::Value>,
    /// The catalog check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<FingerprintReport>,
    /// The HLS + DASH package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamReport>,
    /// Every file written (report.json aside), with size and SHA-256.
    pub outputs: Vec<OutputFile>,
    /// Seconds per stage.
    pub timings: Timings,
    /// Non-fatal problems (damaged input decoded anyway, ...).
    pub warnings: Vec<String>,
}

/// An error as recorded in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// Stable code (`UNSUPPORTED`, `CORRUPT`, ...).
    pub code: String,
    /// Message.
    pub message: String,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        ErrorReport {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// Run the whole upload pipeline on `input` into `out_dir` (see the module docs).
pub fn ingest(
    input: impl Into<Input>,
    out_dir: impl AsRef<Path>,
    options: &IngestOptions,
) -> Result<IngestReport> {
    ingest_with(input, out_dir, options, &Hooks::default())
}

/// [`ingest`] with progress reports and cancellation.
pub fn ingest_with(
    input: impl Into<Input>,
    out_dir: impl AsRef<Path>,
    options: &IngestOptions,
    hooks: &Hooks,
) -> Result<IngestReport> {
    let (input, out_dir) = (input.into(), out_dir.as_ref());
    runtime::install(|| ingest_inner(input, out_dir, options, hooks))?
}

/// Names of the files in `out_dir`.
pub const REPORT_NAME: &str = "report.json";
const DOWNLOAD_DIR: &str = "download";
const STREAM_DIR: &str = "stream";

fn ingest_inner(
    input: Input,
    out_dir: &Path,
    options: &IngestOptions,
    hooks: &Hooks,
) -> Result<IngestReport> {
    let t0 = Instant::now();
    validate(options)?;
    let input_name = match &input {
        Input::Path(p) => p.display().to_string(),
        _ => "<memory>".to_string(),
    };
    // Open the catalog first: a bad catalog path fails before any work.
    let catalog = match &options.catalog {
        Some(dir) => Some(crate::FingerprintIndex::open(dir)?),
        None => None,
    };
    let decode_options = DecodeOptions {
        limits: options.limits.clone(),
        ..DecodeOptions::default()
    };
    let decoder = Decoder::with_options(input, &decode_options)?;
    let info = decoder.info().clone();
    // Refuse before writing anything when the declared length would take the outputs past
    // the limit; `Watch` enforces the same bound if the decode outgrows the declared length.
    let max_frames = max_frames_for_output(&info, options);
    if info.frames > max_frames {
        return Err(Error::LimitExceeded {
            what: "output size bound (bytes)",
            value: output_bound(info.frames, &info, options),
            limit: options.limits.max_output_bytes,
        });
    }
    let staging = Staging::create(out_dir)?;
    let root = staging.dir.clone();

    // Every consumer of the one decode, each wrapped to time its work.
    let timings: Arc<Mutex<Vec<(String, f64)>>> = Arc::default();
    let mut stages: Vec<Box<dyn Analyzer>> = Vec::new();
    let (mut watch, watch_result) = Watch::new(&info, hooks.clone());
    watch.max_frames = max_frames;
    watch.max_output_bytes = options.limits.max_output_bytes;
    stages.push(Box::new(watch));
    let native = StreamInfo {
        sample_rate: info.sample_rate,
        channels: info.channels as usize,
        frames: (info.frames > 0).then_some(info.frames),
    };
    let analysis_options = AnalysisOptions {
        waveform: options.waveform.clone(),
        ..options.analysis.clone()
    };
    for a in build_analyzers(&analysis_options, &native)? {
        stages.push(Timed::wrap(a, &timings));
    }
    let prints = if catalog.is_some() {
        let (stage, slot) = PrintStage::new(info.sample_rate, options.add_to_catalog.is_some())?;
        stages.push(Timed::wrap(Box::new(stage), &timings));
        Some(slot)
    } else {
        None
    };
    let downloads = if options.downloads.is_empty() {
        None
    } else {
        let dir = root.join(DOWNLOAD_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let paths: Vec<PathBuf> = options
            .downloads
            .iter()
            .map(|d| dir.join(&d.file))
            .collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let opts: Vec<EncodeOptions> = options
            .downloads
            .iter()
            .map(|d| d.options.clone())
            .collect();
        let session = EncodeSession::new(&info, &opts, &refs, |i, r| FileSink::create(refs[i], r))?;
        let (stage, slot) = session.into_stage();
        stages.push(Timed::wrap(stage, &timings));
        Some(slot)
    };
    let stream = match &options.ladder {
        Some(ladder) => {
            let session = PackageSession::new(&info, &root.join(STREAM_DIR), ladder)?;
            let (stage, slot) = session.into_stage();
            stages.push(Timed::wrap(stage, &timings));
            Some(slot)
        }
        None => None,
    };

    // The one decode.
    let t_pass = Instant::now();
    let analysis: Analysis = quaver_core::analysis::run(decoder, stages)?;
    let decode_pass_s = t_pass.elapsed().as_secs_f64();
    let watched = watch_result.take()?;
    if !options.allow_silent && watched.peak < SILENCE_PEAK {
        return Err(Error::NoAudio(format!(
            "the input is silent (sample peak {:.1} dBFS, below -100 dBFS); \
             set allow_silent to accept it",
            20.0 * f64::from(watched.peak.max(1e-12)).log10()
        )));
    }

    // Waveform files.
    let mut warnings = analysis.warnings.clone();
    if let Some(w) = &analysis.waveform {
        let t = Instant::now();
        for name in ["waveform.dat", "waveform.json", "waveform.png"] {
            w.write(root.join(name), &options.waveform_render)?;
        }
        add_timing(&timings, "waveform-files", t.elapsed().as_secs_f64());
    }

    // Catalog check, then (optionally) add the upload.
    hooks.report(Progress {
        stage: "fingerprint",
        fraction: 0.92,
        frames: analysis.frames,
    });
    let mut fingerprint = None;
    if let (Some(mut index), Some(slot)) = (catalog, prints) {
        let t = Instant::now();
        let prints = slot.take()?;
        let matches = index.scan_peaks(&prints.query_peaks, &options.scan);
        let mut added_as = None;
        if let (Some(id), Some(track)) = (&options.add_to_catalog, prints.track) {
            index.add_print(id, track)?;
            added_as = Some(id.clone());
        }
        fingerprint = Some(FingerprintReport {
            catalog: options.catalog.clone().unwrap_or_default(),
            matches,
            added_as,
        });
        add_timing(&timings, "catalog", t.elapsed().as_secs_f64());
    }

    hooks.report(Progress {
        stage: "write",
        fraction: 0.96,
        frames: analysis.frames,
    });
    let mut download_facts = Vec::new();
    if let Some(slot) = downloads {
        for (rep, (path, bytes)) in slot.take()? {
            let rel = relative(&root, &path);
            download_facts.push((rel, rep.duration_s, bytes));
        }
    }
    let stream = match stream {
        Some(slot) => {
            let p = slot.take()?;
            let aligned = p.alignment.iter().all(|a| a.aligned);
            Some(StreamReport {
                dir: STREAM_DIR.into(),
                hls: format!("{STREAM_DIR}/master.m3u8"),
                dash: format!("{STREAM_DIR}/manifest.mpd"),
                duration_s: p.duration_s,
                renditions: p
                    .renditions
                    .iter()
                    .map(|r| RenditionSummary {
                        id: r.id.clone(),
                        codec: format!("{:?}", r.codec).to_lowercase(),
                        peak_bitrate: r.peak_bitrate,
                        average_bitrate: r.average_bitrate,
                        segments: r.segments.len(),
                    })
                    .collect(),
                aligned,
            })
        }
        None => None,
    };

    // Every file, hashed.
    let t = Instant::now();
    let mut outputs = Vec::new();
    for rel in list_files(&root)? {
        let path = root.join(&rel);
        let (bytes, sha256) = hash_file(&path)?;
        let facts = download_facts.iter().find(|(r, _, _)| *r == rel);
        outputs.push(OutputFile {
            duration_s: facts.map(|f| f.1),
            bitrate: facts.and_then(|f| (f.1 > 0.0).then(|| f.2 as f64 * 8.0 / f.1)),
            path: rel,
            bytes,
            sha256,
        });
    }
    add_timing(&timings, "hash", t.elapsed().as_secs_f64());
    warnings.dedup();

    let mut analysis_json =
        serde_json::to_value(&analysis).map_err(|e| Error::Internal(e.to_string()))?;
    if let Some(o) = analysis_json.as_object_mut() {
        o.remove("warnings");
    }
    let mut stage_times = timings.lock().unwrap_or_else(|p| p.into_inner()).clone();
    stage_times.sort_by(|a, b| a.0.cmp(&b.0));
    let report = IngestReport {
        version: REPORT_VERSION,
        status: "ok".into(),
        input: input_name,
        error: None,
        info: Some(info),
        analysis: Some(analysis_json),
        fingerprint,
        stream,
        outputs,
        timings: Timings {
            wall_s: t0.elapsed().as_secs_f64(),
            decode_pass_s,
            stages: stage_times,
        },
        warnings,
    };
    staging.commit(&report)?;
    hooks.report(Progress {
        stage: "done",
        fraction: 1.0,
        frames: analysis.frames,
    });
    Ok(report)
}

/// Peak below which an input counts as silent (-100 dBFS).
const SILENCE_PEAK: f32 = 1e-5;

fn validate(o: &IngestOptions) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for d in &o.downloads {
        let ok = !d.file.is_empty()
            && d.file != "."
            && d.file != ".."
            && !d.file.contains(['/', '\\'])
            && !d.file.starts_with('.');
        if !ok {
            return Err(Error::invalid(format!(
                "download file {:?} must be a plain file name",
                d.file
            )));
        }
        if !seen.insert(d.file.as_str()) {
            return Err(Error::invalid(format!(
                "download file {:?} given twice",
                d.file
            )));
        }
    }
    if o.add_to_catalog.is_some() && o.catalog.is_none() {
        return Err(Error::invalid("add_to_catalog needs a catalog"));
    }
    if let Some(l) = &o.ladder {
        l.validate()?;
    }
    Ok(())
}

fn add_timing(t: &Mutex<Vec<(String, f64)>>, name: &str, s: f64) {
    let mut v = t.lock().unwrap_or_else(|p| p.into_inner());
    match v.iter_mut().find(|(n, _)| n == name) {
        Some(e) => e.1 += s,
        None => v.push((name.to_string(), s)),
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every regular file under `root`, relative, `/`-separated, sorted.
fn list_files(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let e = e.map_err(|e| Error::io(&dir, e))?;
            let ty = e.file_type().map_err(|x| Error::io(e.path(), x))?;
            if ty.is_dir() {
                stack.push(e.path());
            } else if ty.is_file() {
                out.push(relative(root, &e.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    let digest = h.finalize();
    Ok((n, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

/// The hidden directory an ingest writes into before it replaces `out_dir`.
struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    committed: bool,
}

static STAGING_SEQ: AtomicUsize = AtomicUsize::new(0);

impl Staging {
    fn create(out_dir: &Path) -> Result<Self> {
        let name = out_dir
            .file_name()
            .ok_or_else(|| {
                Error::invalid(format!("{} is not a directory name", out_dir.display()))
            })?
            .to_string_lossy()
            .into_owned();
        let parent = match out_dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        // First: a previous output a killed run left set aside goes back in place.
        quaver_core::output::clear_stale_staging(&parent, &format!(".{name}.ingest-"), out_dir);
        if out_dir.exists() && !replaceable(out_dir)? {
            return Err(Error::invalid(format!(
                "{} exists and is not an ingest output (no {REPORT_NAME}); refusing to replace it",
                out_dir.display()
            )));
        }
        let seq = STAGING_SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".{name}.ingest-{}-{seq}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Staging {
            dir,
            out_dir: out_dir.to_path_buf(),
            committed: false,
        })
    }

    /// Write `report.json` last, then swap the staging directory into place.
    fn commit(mut self, report: &IngestReport) -> Result<()> {
        let json = serde_json::to_vec_pretty(report).map_err(|e| Error::Internal(e.to_string()))?;
        quaver_core::output::write_atomic(self.dir.join(REPORT_NAME), &json)?;
        quaver_core::output::replace_dir(&self.dir, &self.out_dir)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// An existing `out_dir` may be replaced when it is empty or a previous ingest's output.
fn replaceable(out_dir: &Path) -> Result<bool> {
    if out_dir.join(REPORT_NAME).is_file() {
        return Ok(true);
    }
    let mut entries = std::fs::read_dir(out_dir).map_err(|e| Error::io(out_dir, e))?;
    Ok(entries.next().is_none())
}

/// What [`Watch`] saw.
struct Watched {
    peak: f32,
}

/// An upper bound of the bytes `ingest` writes for `frames` source frames with `o`'s outputs:
/// lossy outputs at 1.5 × their bitrate (320 kbit/s when VBR or unset), FLAC at 32-bit PCM
/// size at the higher of the source rate and 48 kHz, waveforms at 18 bytes per peak per
/// channel plus the PNG, and 1 MiB of playlists, headers and report.
fn output_bound(frames: u64, info: &AudioInfo, o: &IngestOptions) -> u64 {
    let rate = f64::from(info.sample_rate.max(1));
    let ch = f64::from(info.channels.max(1));
    let secs = frames as f64 / rate;
    let flac = secs * rate.max(48_000.0) * ch * 4.0 * 1.05 + 65_536.0;
    let lossy = |kbps: Option<u32>| secs * f64::from(kbps.unwrap_or(320)) * 125.0 * 1.5 + 65_536.0;
    let mut bound = f64::from(1u32 << 20);
    for d in &o.downloads {
        bound += match d.options.codec {
            Some(Codec::Flac) => flac,
            _ => lossy(d.options.bitrate_kbps),
        };
    }
    if let Some(ladder) = &o.ladder {
        for r in &ladder.renditions {
            bound += match r.codec {
                Codec::Flac => flac,
                _ => lossy(r.bitrate_kbps),
            };
        }
    }
    if let Some(w) = &o.waveform {
        let spp = w
            .zoom_levels
            .iter()
            .copied()
            .chain([w.samples_per_pixel])
            .min()
            .unwrap_or(256)
            .max(1);
        bound += frames as f64 / f64::from(spp) * ch * 18.0;
        let r = &o.waveform_render;
        bound += f64::from(r.width.unwrap_or(WAVEFORM_PNG_WIDTH)) * f64::from(r.height) * 4.0;
    }
    bound.min(u64::MAX as f64) as u64
}

/// The longest source (in frames) whose [`output_bound`] fits `limits.max_output_bytes`.
fn max_frames_for_output(info: &AudioInfo, o: &IngestOptions) -> u64 {
    let limit = o.limits.max_output_bytes;
    // the bound is affine in frames: fixed part + per-frame part
    let fixed = output_bound(0, info, o);
    if fixed >= limit {
        return 0;
    }
    let per = (output_bound(1 << 30, info, o) - fixed) as f64 / f64::from(1u32 << 30);
    if per <= 0.0 {
        return u64::MAX;
    }
    ((limit - fixed) as f64 / per) as u64
}

/// First stage: counts frames for progress, checks cancellation, tracks the sample peak, and
/// stops a decode that outgrows the output bound.
struct Watch {
    hooks: Hooks,
    total: u64,
    frames: u64,
    next_report: u64,
    peak: f32,
    slot: quaver_core::analysis::StageResult<Watched>,
    /// Most frames whose outputs fit `max_output_bytes`.
    max_frames: u64,
    max_output_bytes: u64,
}

impl Watch {
    fn new(info: &AudioInfo, hooks: Hooks) -> (Self, quaver_core::analysis::StageResult<Watched>) {
        let slot = quaver_core::analysis::StageResult::default();
        (
            Watch {
                hooks,
                total: info.frames,
                frames: 0,
                next_report: 0,
                peak: 0.0,
                slot: slot.clone(),
                max_frames: u64::MAX,
                max_output_bytes: u64::MAX,
            },
            slot,
        )
    }
}

impl Analyzer for Watch {
    fn name(&self) -> &'static str {
        "watch"
    }

    fn format(&self) -> StreamFormat {
        StreamFormat::NATIVE
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        if self.hooks.cancelled() {
            return Err(Error::Cancelled);
        }
        for c in &chunk.channels {
            for &s in c {
                let a = s.abs();
                if a > self.peak {
                    self.peak = a;
                }
            }
        }
        self.frames += chunk.frames() as u64;
        if self.frames > self.max_frames {
            return Err(Error::LimitExceeded {
                what: "output size bound (bytes; the decode outgrew the declared length)",
                value: (self.max_output_bytes as f64 * self.frames as f64
                    / self.max_frames.max(1) as f64) as u64,
                limit: self.max_output_bytes,
            });
        }
        if self.frames >= self.next_report {
            let step = (self.total / 200).max(48_000);
            self.next_report = self.frames + step;
            let fraction = if self.total > 0 {
                0.9 * (self.frames as f64 / self.total as f64).min(1.0)
            } else {
                0.0
            };
            self.hooks.report(Progress {
                stage: "decode",
                fraction,
                frames: self.frames,
            });
        }
        Ok(())
    }

    fn finish(self: Box<Self>, _analysis: &mut Analysis) -> Result<()> {
        self.slot.set(Watched { peak: self.peak });
        Ok(())
    }
}

/// Times an inner stage's `process` and `finish`.
struct Timed {
    inner: Option<Box<dyn Analyzer>>,
    name: &'static str,
    seconds: f64,
    sink: Arc<Mutex<Vec<(String, f64)>>>,
}

impl Timed {
    fn wrap(inner: Box<dyn Analyzer>, sink: &Arc<Mutex<Vec<(String, f64)>>>) -> Box<dyn Analyzer> {
        Box::new(Timed {
            name: inner.name(),
            inner: Some(inner),
            seconds: 0.0,
            sink: sink.clone(),
        })
    }
}

impl Analyzer for Timed {
    fn name(&self) -> &'static str {
        self.name
    }

    fn format(&self) -> StreamFormat {
        self.inner
            .as_ref()
            .map_or(StreamFormat::NATIVE, |a| a.format())
    }

    fn process(&mut self, chunk: &AudioBuffer) -> Result<()> {
        let t = Instant::now();
        let r = match self.inner.as_mut() {
            Some(a) => a.process(chunk),
            None => Ok(()),
        };
        self.seconds += t.elapsed().as_secs_f64();
        r
    }

    fn finish(mut self: Box<Self>, analysis: &mut Analysis) -> Result<()> {
        let t = Instant::now();
        let r = match self.inner.take() {
            Some(a) => a.finish(analysis),
            None => Ok(()),
        };
        let s = self.seconds + t.elapsed().as_secs_f64();
        add_timing(&self.sink, self.name, s);
        r
    }
}

/// One input of [`ingest_batch`] and what became of it.
#[derive(Debug)]
pub struct BatchItem {
    /// The input file.
    pub input: PathBuf,
    /// Its output directory.
    pub out_dir: PathBuf,
    /// The report, or the error (also recorded in `out_dir/report.json` as `"failed"`).
    pub result: Result<IngestReport>,
}

/// Ingest many files into `out_root/<stem>/`, `jobs` at a time (default: half the threads,
/// at least 1), continuing past failures: a failed input gets a `report.json` with
/// `"status": "failed"` and its error. Each job streams its input; the returned items hold
/// every report, so memory grows with the number of inputs (about 60 KB per report) — use
/// [`ingest_batch_each`] to keep only what you need. `on_done(done, total, item)` is called as
/// each input finishes.
pub fn ingest_batch(
    inputs: &[PathBuf],
    out_root: impl AsRef<Path>,
    options: &IngestOptions,
    jobs: Option<usize>,
    on_done: &(dyn Fn(usize, usize, &BatchItem) + Sync),
) -> Result<Vec<BatchItem>> {
    let results: Mutex<Vec<Option<BatchItem>>> =
        Mutex::new((0..inputs.len()).map(|_| None).collect());
    ingest_batch_each(inputs, out_root, options, jobs, &|i, done, total, item| {
        on_done(done, total, &item);
        results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(item);
    })?;
    Ok(results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect())
}

/// [`ingest_batch`] without collecting: `on_item(index, done, total, item)` receives each
/// input's item (by value) as it finishes, in completion order, and keeps what it wants — the
/// CLI keeps one summary row per file, so a batch of any size runs in flat memory (every
/// report is on disk in `out_dir/report.json`).
pub fn ingest_batch_each(
    inputs: &[PathBuf],
    out_root: impl AsRef<Path>,
    options: &IngestOptions,
    jobs: Option<usize>,
    on_item: &(dyn Fn(usize, usize, usize, BatchItem) + Sync),
) -> Result<()> {
    let out_root = out_root.as_ref();
    std::fs::create_dir_all(out_root).map_err(|e| Error::io(out_root, e))?;
    let dirs = batch_dirs(inputs, out_root);
    let jobs = jobs
        .unwrap_or_else(|| (runtime::num_threads() / 2).max(1))
        .clamp(1, 64);
    let done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let cancel_all = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..jobs.min(inputs.len().max(1)) {
            s.spawn(|| loop {
                if cancel_all.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= inputs.len() {
                    break;
                }
                let input = &inputs[i];
                let out_dir = &dirs[i];
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    ingest(input.as_path(), out_dir, options)
                }))
                .unwrap_or_else(|_| Err(Error::Internal("ingest panicked".into())));
                if let Err(e) = &result {
                    let _ = write_failure(input, out_dir, e);
                }
                let item = BatchItem {
                    input: input.clone(),
                    out_dir: out_dir.clone(),
                    result,
                };
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                on_item(i, n, inputs.len(), item);
                release_free_memory();
            });
        }
    });
    Ok(())
}

/// Hand freed heap memory back to the OS between batch inputs. Each ingest frees everything
/// it allocated (valgrind: 0 bytes lost over a batch), but glibc's malloc keeps freed pages in
/// its per-thread arenas, and with a new decode thread per input the RSS of a long batch crept
/// up by ~100 KB per file (benches/ingest_batch.sh). `malloc_trim` returns them.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim takes no pointers and is thread-safe.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// `out_root/<stem>`, with `-2`, `-3`... for repeated stems.
fn batch_dirs(inputs: &[PathBuf], out_root: &Path) -> Vec<PathBuf> {
    let mut used = std::collections::HashMap::<String, usize>::new();
    inputs
        .iter()
        .map(|p| {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty() && !s.starts_with('.'))
                .unwrap_or_else(|| "input".into());
            let n = used.entry(stem.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                out_root.join(stem)
            } else {
                out_root.join(format!("{stem}-{n}"))
            }
        })
        .collect()
}

/// Record a failed input: a `report.json` with `"status": "failed"` and no outputs.
fn write_failure(input: &Path, out_dir: &Path, e: &Error) -> Result<()> {
    let report = IngestReport {
        version: REPORT_VERSION,
        status: "failed".into(),
        input: input.display().to_string(),
        error: Some(e.into()),
        info: None,
        analysis: None,
        fingerprint: None,
        stream: None,
        outputs: Vec::new(),
        timings: Timings::default(),
        warnings: Vec::new(),
    };
    let staging = Staging::create(out_dir)?;
    staging.commit(&report)
}

/// Expand a batch argument: a directory (its audio files, sorted, not recursive) or a text
/// file listing one path per line (relative paths are relative to the list's directory).
pub fn batch_inputs(spec: &Path) -> Result<Vec<PathBuf>> {
    if spec.is_dir() {
        let mut v = Vec::new();
        for e in std::fs::read_dir(spec).map_err(|e| Error::io(spec, e))? {
            let e = e.map_err(|e| Error::io(spec, e))?;
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_file() && !name.starts_with('.') {
                v.push(p);
            }
        }
        v.sort();
        Ok(v)
    } else {
        let text = std::fs::read_to_string(spec).map_err(|e| Error::io(spec, e))?;
        let base = spec.parent().unwrap_or(Path::new("."));
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| base.join(l))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(frames: u64) -> AudioInfo {
        AudioInfo {
            container: "wav".into(),
            codec: "pcm_s16le".into(),
            sample_rate: 44_100,
            channels: 2,
            frames,
            duration_s: frames as f64 / 44_100.0,
            bits_per_sample: Some(16),
            bitrate: None,
            encoder_delay: 0,
            encoder_padding: 0,
            tags: Default::default(),
        }
    }

    /// The output bound grows with the length and the configured outputs, and the frame cap
    /// derived from it is the longest input whose bound fits.
    #[test]
    fn output_bound_and_frame_cap_agree() {
        let o = IngestOptions::default();
        let i = info(0);
        let minute = output_bound(44_100 * 60, &i, &o);
        // 2 MP3s (128 + 320) + Opus 64/96/160 = 768 kbit/s, at 1.5x: ~8.6 MB per minute
        assert!((5_000_000..15_000_000).contains(&minute), "{minute}");
        let none = IngestOptions {
            downloads: vec![],
            ladder: None,
            waveform: None,
            ..Default::default()
        };
        assert!(output_bound(44_100 * 60, &i, &none) < minute / 4);
        let o = IngestOptions {
            limits: Limits {
                max_output_bytes: 100_000_000,
                ..Default::default()
            },
            ..Default::default()
        };
        let cap = max_frames_for_output(&i, &o);
        assert!(output_bound(cap, &i, &o) <= 100_000_000);
        assert!(output_bound(cap + 44_100, &i, &o) > 100_000_000);
    }

    /// A decode that outgrows the declared length is stopped by the first stage once the
    /// frames seen exceed the cap.
    #[test]
    fn watch_stops_a_decode_past_the_output_cap() {
        let (mut w, _slot) = Watch::new(&info(1000), Hooks::default());
        w.max_frames = 10_000;
        w.max_output_bytes = 1_000_000;
        let chunk = AudioBuffer {
            sample_rate: 44_100,
            channels: vec![vec![0.1; 4096]; 2],
        };
        for _ in 0..2 {
            w.process(&chunk).unwrap();
        }
        match w.process(&chunk) {
            Err(Error::LimitExceeded { limit, value, .. }) => {
                assert_eq!(limit, 1_000_000);
                assert!(value > limit);
            }
            other => panic!("expected LimitExceeded, got {other:?}"),
        }
    }
}
