//! `quaver fp`: the fingerprint index (index, query, scan, remove, stats).
//!
//! `index` and `query` follow the fingerprint-bench protocol: `--list` names one audio path per
//! line (the path is the track id); `query` prints one JSON object per line:
//! `{"query", "match", "offset_s", "score", "latency_ms", "core_ms", ...}`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use quaver::fingerprint::{IndexOptions, QueryOptions, ScanOptions};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    cmd: FpCommand,
}

#[derive(clap::Subcommand, Debug)]
enum FpCommand {
    /// Add audio files to the index (the path, as given, is the track id).
    Index {
        /// Index directory (created if absent).
        #[arg(long)]
        db: PathBuf,
        /// Text file with one audio path per line.
        #[arg(long)]
        list: Option<PathBuf>,
        /// Shards, when the index is created.
        #[arg(long, default_value_t = 4)]
        shards: u32,
        /// Files per atomic commit.
        #[arg(long, default_value_t = 256)]
        batch: usize,
        /// More audio files.
        files: Vec<PathBuf>,
    },
    /// Identify clips; one JSON line per clip.
    Query {
        /// Index directory.
        #[arg(long)]
        db: PathBuf,
        /// Text file with one audio path per line.
        #[arg(long)]
        list: Option<PathBuf>,
        /// Decision threshold on the score (default: calibrated for <= 0.1 % false positives).
        #[arg(long)]
        min_score: Option<f64>,
        /// Skip the speed / pitch / tempo search (faster, unscaled clips only).
        #[arg(long)]
        no_scales: bool,
        /// More audio files.
        files: Vec<PathBuf>,
    },
    /// Find every catalog segment in a long file (DJ mix, compilation).
    Scan {
        /// Index directory.
        #[arg(long)]
        db: PathBuf,
        /// Window length (s).
        #[arg(long, default_value_t = 8.0)]
        window: f64,
        /// The long audio file.
        file: PathBuf,
    },
    /// Remove tracks by id.
    Remove {
        /// Index directory.
        #[arg(long)]
        db: PathBuf,
        /// Text file with one track id per line.
        #[arg(long)]
        list: Option<PathBuf>,
        /// More track ids.
        ids: Vec<String>,
    },
    /// Merge segments and drop removed tracks.
    Compact {
        /// Index directory.
        #[arg(long)]
        db: PathBuf,
    },
    /// Print index counts and sizes as JSON.
    Stats {
        /// Index directory.
        #[arg(long)]
        db: PathBuf,
    },
}

fn read_list(list: &Option<PathBuf>, extra: Vec<String>) -> quaver::Result<Vec<String>> {
    let mut v = Vec::new();
    if let Some(l) = list {
        let text = std::fs::read_to_string(l).map_err(|e| quaver::Error::io(l, e))?;
        v.extend(
            text.lines()
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.starts_with('#'))
                .map(String::from),
        );
    }
    v.extend(extra);
    Ok(v)
}

fn existing(db: &PathBuf) -> quaver::Result<quaver::FingerprintIndex> {
    if !db.join("MANIFEST.json").exists() {
        return Err(quaver::Error::invalid(format!(
            "no fingerprint index in {} (create one with `quaver fp index`)",
            db.display()
        )));
    }
    quaver::FingerprintIndex::open(db)
}

fn paths(v: Vec<PathBuf>) -> Vec<String> {
    v.into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

pub fn run(a: Args) -> quaver::Result<()> {
    match a.cmd {
        FpCommand::Index {
            db,
            list,
            shards,
            batch,
            files,
        } => {
            let items = read_list(&list, paths(files))?;
            let mut idx = quaver::FingerprintIndex::open_with(&db, &IndexOptions { shards })?;
            let t = Instant::now();
            let mut failed = 0;
            let mut batches = 0;
            for chunk in items.chunks(batch.max(1)) {
                let files: Vec<(String, PathBuf)> = chunk
                    .iter()
                    .map(|p| (p.clone(), PathBuf::from(p)))
                    .collect();
                for (id, e) in idx.add_files(&files)? {
                    eprintln!("quaver: skipped {id}: {e}");
                    failed += 1;
                }
                batches += 1;
            }
            if batches > 1 {
                idx.compact()?;
            }
            let s = idx.stats();
            eprintln!(
                "indexed {} files ({} failed) in {:.1} s; index: {} tracks, {:.2} h, {} postings, {:.2} MB",
                items.len() - failed,
                failed,
                t.elapsed().as_secs_f64(),
                s.tracks,
                s.seconds / 3600.0,
                s.postings,
                s.bytes as f64 / 1e6
            );
            Ok(())
        }
        FpCommand::Query {
            db,
            list,
            min_score,
            no_scales,
            files,
        } => {
            let items = read_list(&list, paths(files))?;
            let idx = existing(&db)?;
            let mut opts = QueryOptions {
                search_scales: !no_scales,
                ..QueryOptions::default()
            };
            if let Some(m) = min_score {
                opts.min_score = m;
            }
            let stdout = std::io::stdout();
            for q in items {
                let t = Instant::now();
                let line = match idx.query(q.as_str(), &opts) {
                    Ok(r) => {
                        let latency = t.elapsed().as_secs_f64() * 1e3;
                        let m = r.matches.first();
                        serde_json::json!({
                            "query": q,
                            "match": m.map(|m| m.track.clone()),
                            "offset_s": m.map(|m| m.offset_s),
                            "score": m.map(|m| m.score).unwrap_or(0.0),
                            "latency_ms": latency,
                            "core_ms": r.core_ms,
                            "time_factor": m.map(|m| m.time_factor),
                            "pitch_factor": m.map(|m| m.pitch_factor),
                            "query_span_s": m.map(|m| [m.query_start_s, m.query_end_s]),
                            "track_span_s": m.map(|m| [m.track_start_s, m.track_end_s]),
                        })
                    }
                    Err(e) => serde_json::json!({
                        "query": q, "match": null, "offset_s": null, "score": 0.0,
                        "latency_ms": t.elapsed().as_secs_f64() * 1e3, "error": e.to_string(),
                    }),
                };
                let mut out = stdout.lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            Ok(())
        }
        FpCommand::Scan { db, window, file } => {
            let idx = existing(&db)?;
            let segs = idx.scan(
                file.as_path(),
                &ScanOptions {
                    window_s: window,
                    ..ScanOptions::default()
                },
            )?;
            super::print_json(&segs)
        }
        FpCommand::Remove { db, list, ids } => {
            let ids = read_list(&list, ids)?;
            let mut idx = existing(&db)?;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            let n = idx.remove(&refs)?;
            eprintln!("removed {n} of {} ids", ids.len());
            Ok(())
        }
        FpCommand::Compact { db } => existing(&db)?.compact(),
        FpCommand::Stats { db } => super::print_json(&existing(&db)?.stats()),
    }
}
