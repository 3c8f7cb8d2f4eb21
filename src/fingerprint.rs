//! Audio fingerprinting: the facade over `quaver-fingerprint` that works on files and inputs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use quaver_fingerprint::{
    Chromaprint, IndexOptions, IndexStats, Match, QueryOptions, ScanOptions, ScanSegment,
};

use crate::{Input, Result};

/// A persistent, crash-safe, sharded fingerprint index in a directory.
///
/// ```no_run
/// let mut idx = quaver::FingerprintIndex::open("db")?;
/// idx.add("track-1", "song.flac")?;
/// let r = idx.query("clip.mp3", &Default::default())?;
/// if let Some(m) = r.matches.first() {
///     println!("{} at {:.3} s (score {:.1})", m.track, m.offset_s, m.score);
/// }
/// # Ok::<(), quaver::Error>(())
/// ```
#[derive(Debug)]
pub struct FingerprintIndex {
    inner: quaver_fingerprint::FingerprintIndex,
}

/// The answer to one query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    /// Matches, best first (empty: not in the catalog).
    pub matches: Vec<Match>,
    /// Duration of the query audio (s).
    pub duration_s: f64,
    /// Decode + resample time (ms).
    pub decode_ms: f64,
    /// Peak extraction + search time (ms), excluding decode.
    pub core_ms: f64,
}

impl FingerprintIndex {
    /// Open (or create, with 4 shards) the index in `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(dir, &IndexOptions::default())
    }

    /// Open (or create with `options`) the index in `dir`.
    pub fn open_with(dir: impl AsRef<Path>, options: &IndexOptions) -> Result<Self> {
        Ok(FingerprintIndex {
            inner: quaver_fingerprint::FingerprintIndex::open(dir, options)?,
        })
    }

    /// Fingerprint `input` and add it as `id` (replacing an existing `id`), atomically.
    pub fn add(&mut self, id: &str, input: impl Into<Input>) -> Result<()> {
        let p = quaver_fingerprint::fingerprint_track(input)?;
        self.inner.add(vec![(id.to_string(), p)])
    }

    /// Fingerprint files in parallel and add them in one atomic step; ids are the given strings.
    /// Returns the ids that could not be decoded, with their errors (the rest are added).
    pub fn add_files(
        &mut self,
        files: &[(String, PathBuf)],
    ) -> Result<Vec<(String, crate::Error)>> {
        let prints: Vec<_> = files
            .par_iter()
            .map(|(id, path)| {
                (
                    id.clone(),
                    quaver_fingerprint::fingerprint_track(path.as_path()),
                )
            })
            .collect();
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for (id, r) in prints {
            match r {
                Ok(p) => ok.push((id, p)),
                Err(e) => failed.push((id, e)),
            }
        }
        self.inner.add(ok)?;
        Ok(failed)
    }

    /// Remove tracks; returns how many were present.
    pub fn remove(&mut self, ids: &[&str]) -> Result<usize> {
        self.inner.remove(ids)
    }

    /// Merge segments and drop removed tracks.
    pub fn compact(&mut self) -> Result<()> {
        self.inner.compact()
    }

    /// Identify a (short, possibly degraded, sped-up or pitch-shifted) excerpt.
    pub fn query(&self, input: impl Into<Input>, options: &QueryOptions) -> Result<QueryResult> {
        let q = quaver_fingerprint::query_print(input)?;
        let t = Instant::now();
        let matches = self
            .inner
            .query_with_energies(&q.peaks, &q.energies, options);
        let search_s = t.elapsed().as_secs_f64();
        Ok(QueryResult {
            matches,
            duration_s: q.frames as f64 * quaver_fingerprint::extract::FRAME_SECONDS,
            decode_ms: q.decode_s * 1e3,
            core_ms: (q.extract_s + search_s) * 1e3,
        })
    }

    /// Identify mono PCM at [`quaver_fingerprint::SAMPLE_RATE`] (8 kHz).
    pub fn query_pcm(&self, samples: &[f32], options: &QueryOptions) -> Vec<Match> {
        let q = quaver_fingerprint::query_extract_pcm(samples);
        self.inner
            .query_with_energies(&q.peaks, &q.energies, options)
    }

    /// Find every catalog segment in a long input (DJ mix, compilation, long upload).
    pub fn scan(&self, input: impl Into<Input>, options: &ScanOptions) -> Result<Vec<ScanSegment>> {
        let q = quaver_fingerprint::query_print(input)?;
        Ok(self.inner.scan_peaks(&q.peaks, options))
    }

    /// Counts and sizes.
    pub fn stats(&self) -> IndexStats {
        self.inner.stats()
    }

    /// Scan already-extracted query peaks (what `ingest` gets from its shared decode).
    #[cfg(feature = "encoders")]
    pub(crate) fn scan_peaks(
        &self,
        peaks: &[quaver_fingerprint::Peak],
        options: &ScanOptions,
    ) -> Vec<ScanSegment> {
        self.inner.scan_peaks(peaks, options)
    }

    /// Add an already-extracted catalog print under `id` (replacing any track with that id).
    #[cfg(feature = "encoders")]
    pub(crate) fn add_print(
        &mut self,
        id: &str,
        print: quaver_fingerprint::TrackPrint,
    ) -> Result<()> {
        self.inner.add(vec![(id.to_string(), print)])
    }

    /// Is `id` in the index?
    pub fn contains(&self, id: &str) -> bool {
        self.inner.contains(id)
    }
}

/// Chromaprint (AcoustID) fingerprint of the first `max_seconds` (120 like `fpcalc`; 0 = all).
pub fn chromaprint(input: impl Into<Input>, max_seconds: f64) -> Result<Chromaprint> {
    quaver_fingerprint::chromaprint(input, max_seconds)
}

pub use quaver_fingerprint::Snippet;

/// The compact query fingerprint of `input` (a short excerpt, e.g. a microphone snippet):
/// bytes to send to a server, which answers them with [`FingerprintIndex::query_snippet`].
/// A few KB for 10 s; see [`quaver_fingerprint::snippet`] for the layout.
///
/// ```no_run
/// let bytes = quaver::fingerprint::fingerprint_snippet("mic.wav")?;
/// let idx = quaver::FingerprintIndex::open("db")?;
/// let r = idx.query_snippet(&bytes, &Default::default())?;
/// # Ok::<(), quaver::Error>(())
/// ```
pub fn fingerprint_snippet(input: impl Into<Input>) -> Result<Vec<u8>> {
    let q = quaver_fingerprint::query_print(input)?;
    Ok(Snippet {
        peaks: q.peaks,
        frames: q.frames,
    }
    .to_bytes())
}

/// [`fingerprint_snippet`] of PCM already in memory (any rate and channel count; downmixed and
/// resampled to the fingerprinter's 8 kHz as a decode would be).
pub fn fingerprint_snippet_pcm(buffer: &crate::AudioBuffer) -> Result<Vec<u8>> {
    let mono = crate::AudioBuffer {
        sample_rate: buffer.sample_rate,
        channels: vec![crate::mix_to_mono(&buffer.channels)],
    };
    let at8k = crate::resample(&mono, quaver_fingerprint::SAMPLE_RATE, crate::Quality::Fast)?;
    let samples = at8k.channels.into_iter().next().unwrap_or_default();
    Ok(Snippet::from_pcm(&samples).to_bytes())
}

impl FingerprintIndex {
    /// Identify the excerpt a [`fingerprint_snippet`] was made from (`decode_ms` is 0: the
    /// audio was analysed where it was recorded). A snippet holds peaks only, not the energies
    /// [`FingerprintIndex::query`] compares with the catalog's fine prints, so among the copies
    /// of a repeated passage it is placed by its landmarks alone.
    pub fn query_snippet(&self, snippet: &[u8], options: &QueryOptions) -> Result<QueryResult> {
        let t = Instant::now();
        let s = Snippet::from_bytes(snippet)?;
        let matches = self.inner.query_peaks(&s.peaks, options);
        Ok(QueryResult {
            matches,
            duration_s: s.duration_s(),
            decode_ms: 0.0,
            core_ms: t.elapsed().as_secs_f64() * 1e3,
        })
    }
}
