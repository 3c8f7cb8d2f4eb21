use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use quaver::ingest::{Download, Hooks, IngestOptions, IngestReport, Progress};
use quaver::Ladder;
use serde_json::Value;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Audio file to ingest (with --batch: a directory of files, or a text file listing one
    /// path per line).
    input: PathBuf,
    /// Output directory (with --batch: the root; each input gets OUT_ROOT/<name>/).
    out_dir: PathBuf,
    /// Process many files: INPUT is a directory or a list file.
    #[arg(long)]
    batch: bool,
    /// Fingerprint catalog (index directory) to scan the upload against.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Add the upload to the catalog under this id (after the scan).
    #[arg(long, value_name = "ID")]
    add_to_catalog: Option<String>,
    /// Streaming ladder: `standard` (Opus 64/96/160), `hifi` (+ FLAC), `aac`, `apple`, `mp3`,
    /// `none`, or a JSON file.
    #[arg(long, default_value = "standard")]
    ladder: String,
    /// MP3 download bitrates (kbit/s, CBR), comma-separated; `none` for no downloads.
    #[arg(long, default_value = "128,320")]
    mp3: String,
    /// Skip the waveform files.
    #[arg(long)]
    no_waveform: bool,
    /// Skip tempo, key and features.
    #[arg(long)]
    no_music: bool,
    /// Full options as JSON (the facade's IngestOptions); flags above override it.
    #[arg(long, value_name = "FILE.json")]
    options: Option<PathBuf>,
    /// Threads (single file) or files at once (--batch).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the report (batch: one summary per input) as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// No summary or progress on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn options(a: &Args) -> quaver::Result<IngestOptions> {
    let mut o: IngestOptions = match &a.options {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| quaver::Error::io(p, e))?;
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| quaver::Error::invalid(format!("{}: {e}", p.display())))?;
            quaver::options::from_json(v)?
        }
        None => IngestOptions::default(),
    };
    if a.options.is_none() || a.ladder != "standard" {
        o.ladder = match a.ladder.as_str() {
            "none" => None,
            spec => Some(Ladder::named_or_file(spec)?),
        };
    }
    if a.options.is_none() || a.mp3 != "128,320" {
        o.downloads = if a.mp3 == "none" {
            Vec::new()
        } else {
            a.mp3
                .split(',')
                .map(|s| {
                    s.trim().parse::<u32>().map(Download::mp3).map_err(|_| {
                        quaver::Error::invalid(format!("--mp3: {s:?} is not a bitrate"))
                    })
                })
                .collect::<quaver::Result<_>>()?
        };
    }
    if a.no_waveform {
        o.waveform = None;
    }
    if a.no_music {
        o.analysis.music = None;
    }
    if a.catalog.is_some() {
        o.catalog = a.catalog.clone();
    }
    if a.add_to_catalog.is_some() {
        o.add_to_catalog = a.add_to_catalog.clone();
    }
    Ok(o)
}

pub fn run(a: Args) -> quaver::Result<()> {
    let o = options(&a)?;
    if a.batch {
        return run_batch(&a, &o);
    }
    if let Some(n) = a.jobs {
        quaver::runtime::set_num_threads(n)?;
    }
    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(1000);
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg:<12} [{bar:40}] {percent:>3}% {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b
    });
    let hooks = Hooks {
        progress: bar.clone().map(|b| {
            Arc::new(move |p: &Progress| {
                b.set_message(p.stage);
                b.set_position((p.fraction * 1000.0) as u64);
            }) as quaver::ingest::ProgressFn
        }),
        cancel: None,
    };
    let result = quaver::ingest::ingest_with(&a.input, &a.out_dir, &o, &hooks);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = result?;
    if !a.quiet {
        eprint!("{}", summary(&report, &a.out_dir));
    }
    if a.json {
        super::print_json(&report)?;
    }
    Ok(())
}

fn run_batch(a: &Args, o: &IngestOptions) -> quaver::Result<()> {
    let inputs = quaver::ingest::batch_inputs(&a.input)?;
    if inputs.is_empty() {
        return Err(quaver::Error::invalid(format!(
            "{}: no input files",
            a.input.display()
        )));
    }
    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(inputs.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:40}] {pos}/{len} files {elapsed} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        b
    });
    let quiet = a.quiet;
    // One summary row per file, not the reports (those are on disk): flat memory for any batch.
    struct Row {
        name: String,
        input: std::path::PathBuf,
        out_dir: std::path::PathBuf,
        result: std::result::Result<(f64, f64), (String, String)>,
    }
    let rows: std::sync::Mutex<Vec<Option<Row>>> =
        std::sync::Mutex::new((0..inputs.len()).map(|_| None).collect());
    let on_item = |i: usize, _n: usize, _total: usize, item: quaver::ingest::BatchItem| {
        if let Some(b) = &bar {
            b.inc(1);
            b.set_message(short_name(&item.input));
        } else if !quiet {
            let status = match &item.result {
                Ok(_) => "ok".to_string(),
                Err(e) => format!("FAILED ({})", e.code()),
            };
            eprintln!("{}: {status}", item.input.display());
        }
        let row = Row {
            name: short_name(&item.input),
            input: item.input,
            out_dir: item.out_dir,
            result: match item.result {
                Ok(r) => Ok((
                    r.info.as_ref().map_or(0.0, |x| x.duration_s),
                    r.timings.wall_s,
                )),
                Err(e) => Err((e.code().to_string(), e.to_string())),
            },
        };
        rows.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(row);
    };
    quaver::ingest::ingest_batch_each(&inputs, &a.out_dir, o, a.jobs, &on_item)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let items: Vec<Row> = rows
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let failed = items.iter().filter(|i| i.result.is_err()).count();
    if !a.quiet {
        eprintln!(
            "{:<40} {:<8} {:>9} {:>8}  detail",
            "input", "status", "duration", "seconds"
        );
        for i in &items {
            match &i.result {
                Ok((duration, wall)) => eprintln!(
                    "{:<40} {:<8} {:>8.1}s {:>8.2}  {}",
                    i.name,
                    "ok",
                    duration,
                    wall,
                    i.out_dir.display()
                ),
                Err((code, message)) => eprintln!(
                    "{:<40} {:<8} {:>9} {:>8}  {code}: {message}",
                    i.name, "FAILED", "-", "-"
                ),
            }
        }
        eprintln!(
            "{} files: {} ok, {failed} failed",
            items.len(),
            items.len() - failed
        );
    }
    if a.json {
        let rows: Vec<Value> = items
            .iter()
            .map(|i| {
                serde_json::json!({
                    "input": i.input,
                    "out_dir": i.out_dir,
                    "status": if i.result.is_ok() { "ok" } else { "failed" },
                    "error": i.result.as_ref().err().map(|(code, message)| serde_json::json!({"code": code, "message": message})),
                })
            })
            .collect();
        super::print_json(&rows)?;
    }
    if failed > 0 {
        // Exit code 1 (not the usage error's 2): the batch ran, some inputs were bad.
        eprintln!(
            "quaver: {failed} of {} inputs failed (see their report.json)",
            items.len()
        );
        std::process::exit(1);
    }
    Ok(())
}

fn short_name(p: &Path) -> String {
    let s = p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if s.chars().count() > 38 {
        format!("{}…", s.chars().take(37).collect::<String>())
    } else {
        s
    }
}

fn num(v: &Value, path: &str) -> Option<f64> {
    v.pointer(path).and_then(Value::as_f64)
}

fn text<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    v.pointer(path).and_then(Value::as_str)
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / 1048576.0)
    } else {
        format!("{:.0} kB", n as f64 / 1024.0)
    }
}

/// The person-readable summary printed on stderr.
fn summary(r: &IngestReport, out_dir: &Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ingest: {} -> {} ({:.2} s)",
        r.input,
        out_dir.display(),
        r.timings.wall_s
    );
    if let Some(i) = &r.info {
        let title = match (&i.tags.title, &i.tags.artist) {
            (Some(t), Some(a)) => format!(", \"{t}\" by {a}"),
            (Some(t), None) => format!(", \"{t}\""),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  input      {} {} Hz {} ch, {:.2} s{title}",
            i.codec, i.sample_rate, i.channels, i.duration_s
        );
    }
    if let Some(a) = &r.analysis {
        if a.get("loudness").is_some() {
            let f = |p: &str, unit: &str| {
                num(a, p).map_or_else(|| "-inf".into(), |v| format!("{v:.1} {unit}"))
            };
            let _ = writeln!(
                s,
                "  loudness   {}, range {}, true peak {}, normalise {}",
                f("/loudness/integrated_lufs", "LUFS"),
                f("/loudness/range_lu", "LU"),
                f("/loudness/true_peak_dbtp", "dBTP"),
                f("/loudness/normalization/gain_db", "dB"),
            );
        }
        if let Some(bpm) = num(a, "/tempo/bpm") {
            let _ = writeln!(
                s,
                "  tempo      {bpm:.2} BPM (confidence {:.2})",
                num(a, "/tempo/confidence").unwrap_or(0.0)
            );
        }
        if let Some(k) = text(a, "/key/label") {
            let _ = writeln!(
                s,
                "  key        {k} ({})",
                text(a, "/key/camelot").unwrap_or("-")
            );
        }
    }
    if let Some(f) = &r.fingerprint {
        let _ = writeln!(
            s,
            "  catalog    {} match(es) in {}{}",
            f.matches.len(),
            f.catalog.display(),
            f.added_as
                .as_ref()
                .map_or(String::new(), |id| format!("; added as {id:?}"))
        );
        for m in &f.matches {
            let _ = writeln!(
                s,
                "             {} at {:.1}-{:.1} s (track {:.1}-{:.1} s, speed {:.3}, score {:.2})",
                m.track, m.start_s, m.end_s, m.track_start_s, m.track_end_s, m.time_factor, m.score
            );
        }
    }
    for o in r.outputs.iter().filter(|o| o.path.starts_with("download/")) {
        let _ = writeln!(
            s,
            "  download   {} ({}, {:.0} kbit/s)",
            o.path,
            human_bytes(o.bytes),
            o.bitrate.unwrap_or(0.0) / 1000.0
        );
    }
    if let Some(st) = &r.stream {
        let ids: Vec<String> = st
            .renditions
            .iter()
            .map(|x| format!("{} ({} seg)", x.id, x.segments))
            .collect();
        let _ = writeln!(
            s,
            "  stream     {} + {}: {}",
            st.hls,
            st.dash,
            ids.join(", ")
        );
    }
    let total: u64 = r.outputs.iter().map(|o| o.bytes).sum();
    let _ = writeln!(
        s,
        "  outputs    {} files, {} + report.json",
        r.outputs.len(),
        human_bytes(total)
    );
    for w in &r.warnings {
        let _ = writeln!(s, "  warning    {w}");
    }
    s
}
