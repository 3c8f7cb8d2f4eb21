//! The on-disk, sharded, crash-safe fingerprint index.
//!
//! ```text
//! DBDIR/MANIFEST.json          the commit point: shards, live segments, removed tracks
//! DBDIR/shard-000/seg-….qfp    immutable segments (see `segment`), memory-mapped
//! ```
//!
//! Tracks go to shard `fnv1a(id) % shards`. An `add` writes one new segment per touched shard
//! (atomically: temp file, fsync, rename) and then replaces `MANIFEST.json` atomically; a process
//! killed at any point leaves either the old manifest (the new segments are orphans, deleted at the
//! next write) or the new one. `remove` only rewrites the manifest (tombstones); `compact` merges a
//! shard's segments and drops tombstoned tracks. A shard directory plus its manifest entries is
//! self-contained, so shards can be served by different processes; [`crate::matcher`] merges their
//! answers.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use quaver_core::error::{Error, Result};
use quaver_core::output::write_atomic;
use serde::{Deserialize, Serialize};

use crate::hash::{Landmark, HASH_BITS};
use crate::segment::{write_segment, Segment, TrackLandmarks, MAX_FRAMES, MAX_TRACKS};

const MANIFEST: &str = "MANIFEST.json";
const FORMAT: &str = "quaver-fingerprint-index";

/// Options used when an index is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexOptions {
    /// Number of shards (fixed at creation).
    pub shards: u32,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions { shards: 4 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SegmentEntry {
    shard: u32,
    file: String,
    bytes: u64,
    /// Local indices of removed (or replaced) tracks.
    #[serde(default)]
    dead: Vec<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    shards: u32,
    generation: u64,
    segments: Vec<SegmentEntry>,
}

/// A segment with its tombstones, as the matcher sees it.
#[derive(Debug)]
pub(crate) struct LiveSegment {
    pub shard: u32,
    pub seg: Segment,
    pub dead: Vec<bool>,
}

/// The fingerprint of one track, ready to be added.
#[derive(Clone, Debug)]
pub struct TrackPrint {
    /// Length in frames.
    pub frames: u32,
    /// Landmarks.
    pub landmarks: Vec<Landmark>,
    /// Fine print (one code per 64 ms, see [`crate::fine`]; may be empty).
    pub fine: Vec<u16>,
}

/// Size and content of an index.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Live tracks.
    pub tracks: u64,
    /// Seconds of live audio.
    pub seconds: f64,
    /// Segment files.
    pub segments: u64,
    /// Postings (landmarks) in all segments, tombstoned ones included.
    pub postings: u64,
    /// Bytes of all segment files.
    pub bytes: u64,
    /// Shards.
    pub shards: u32,
}

/// A persistent fingerprint index in a directory.
#[derive(Debug)]
pub struct FingerprintIndex {
    dir: PathBuf,
    manifest: Manifest,
    pub(crate) segments: Vec<LiveSegment>,
    /// id -> (segment index, local index) of live tracks.
    ids: HashMap<String, (usize, u32)>,
    pub(crate) live_frames: u64,
}

fn fnv1a(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

impl FingerprintIndex {
    /// Open the index in `dir`, creating an empty one (with `options`) if there is none.
    pub fn open(dir: impl AsRef<Path>, options: &IndexOptions) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mpath = dir.join(MANIFEST);
        let manifest = match std::fs::read(&mpath) {
            Ok(bytes) => {
                let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
                    Error::corrupt(format!("index manifest {}: {e}", mpath.display()))
                })?;
                if m.format != FORMAT || m.version != 1 || m.shards == 0 {
                    return Err(Error::corrupt(format!(
                        "index manifest {}: not a version-1 quaver index",
                        mpath.display()
                    )));
                }
                m
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if options.shards == 0 || options.shards > 1024 {
                    return Err(Error::invalid("shards must be 1..=1024"));
                }
                Manifest {
                    format: FORMAT.into(),
                    version: 1,
                    shards: options.shards,
                    generation: 0,
                    segments: Vec::new(),
                }
            }
            Err(e) => return Err(Error::io(&mpath, e)),
        };
        let mut idx = FingerprintIndex {
            dir,
            manifest,
            segments: Vec::new(),
            ids: HashMap::new(),
            live_frames: 0,
        };
        idx.load()?;
        Ok(idx)
    }

    fn load(&mut self) -> Result<()> {
        let mut segments = Vec::with_capacity(self.manifest.segments.len());
        for e in &self.manifest.segments {
            if e.file.contains('/') || e.file.contains("..") || e.shard >= self.manifest.shards {
                return Err(Error::corrupt("index manifest: bad segment entry"));
            }
            let path = self.shard_dir(e.shard).join(&e.file);
            let seg = Segment::open(&path)?;
            let mut dead = vec![false; seg.n_tracks()];
            for &d in &e.dead {
                *dead
                    .get_mut(d as usize)
                    .ok_or_else(|| Error::corrupt("index manifest: bad tombstone"))? = true;
            }
            segments.push(LiveSegment {
                shard: e.shard,
                seg,
                dead,
            });
        }
        self.segments = segments;
        self.reindex();
        Ok(())
    }

    fn reindex(&mut self) {
        self.ids.clear();
        self.live_frames = 0;
        for (si, s) in self.segments.iter().enumerate() {
            for (li, t) in s.seg.tracks.iter().enumerate() {
                if !s.dead[li] {
                    self.ids.insert(t.id.clone(), (si, li as u32));
                    self.live_frames += t.frames as u64;
                }
            }
        }
    }

    fn shard_dir(&self, shard: u32) -> PathBuf {
        self.dir.join(format!("shard-{shard:03}"))
    }

    /// The directory of this index.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Is `id` in the index?
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// The fine print stored for track `id` ([`crate::fine`]; empty when it was added without
    /// one), `None` if the track is absent.
    pub fn fine_print(&self, id: &str) -> Option<Vec<u16>> {
        let &(si, li) = self.ids.get(id)?;
        Some(self.segments.get(si)?.seg.fine(li).collect())
    }

    /// Ids of all live tracks (unordered).
    pub fn track_ids(&self) -> Vec<String> {
        self.ids.keys().cloned().collect()
    }

    /// Counts and sizes.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            tracks: self.ids.len() as u64,
            seconds: self.live_frames as f64 * crate::extract::FRAME_SECONDS,
            segments: self.segments.len() as u64,
            postings: self.segments.iter().map(|s| s.seg.len() as u64).sum(),
            bytes: self.segments.iter().map(|s| s.seg.bytes() as u64).sum(),
            shards: self.manifest.shards,
        }
    }

    fn commit(&mut self, manifest: Manifest) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::Internal(format!("manifest: {e}")))?;
        write_atomic(self.dir.join(MANIFEST), &bytes)?;
        sync_dir(&self.dir);
        self.manifest = manifest;
        self.load()
    }

    /// Add tracks (id, print) in one atomic step; an id already present is replaced.
    pub fn add(&mut self, tracks: Vec<(String, TrackPrint)>) -> Result<()> {
        if tracks.is_empty() {
            return Ok(());
        }
        let mut seen = HashSet::new();
        for (id, p) in &tracks {
            if id.is_empty() || id.len() > u16::MAX as usize {
                return Err(Error::invalid("track id must be 1..=65535 bytes"));
            }
            if !seen.insert(id.as_str()) {
                return Err(Error::invalid(format!("track id {id:?} given twice")));
            }
            if p.frames >= MAX_FRAMES {
                return Err(Error::LimitExceeded {
                    what: "track length (frames)",
                    value: p.frames as u64,
                    limit: MAX_FRAMES as u64,
                });
            }
            if p.fine.len() > (p.frames / crate::fine::FINE_FRAMES) as usize + 1 {
                return Err(Error::invalid("fine print longer than the track"));
            }
            if p.landmarks.iter().any(|l| l.hash >= 1 << HASH_BITS) {
                return Err(Error::invalid("landmark hash out of range"));
            }
        }
        self.remove_orphans();
        let mut m = self.manifest.clone();
        // Tombstone replaced tracks.
        for (id, _) in &tracks {
            if let Some(&(si, li)) = self.ids.get(id) {
                m.segments[si].dead.push(li);
            }
        }
        let mut per_shard: Vec<Vec<TrackLandmarks>> = vec![Vec::new(); m.shards as usize];
        for (id, p) in tracks {
            let s = (fnv1a(&id) % m.shards) as usize;
            per_shard[s].push(TrackLandmarks {
                id,
                frames: p.frames,
                landmarks: p.landmarks,
                fine: p.fine,
            });
        }
        for (shard, list) in per_shard.into_iter().enumerate() {
            for chunk in list.chunks(MAX_TRACKS) {
                m.generation += 1;
                let dir = self.shard_dir(shard as u32);
                std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                let file = format!("seg-{:010}.qfp", m.generation);
                let bytes = write_segment(&dir.join(&file), chunk)?;
                sync_dir(&dir);
                m.segments.push(SegmentEntry {
                    shard: shard as u32,
                    file,
                    bytes,
                    dead: Vec::new(),
                });
            }
        }
        self.commit(m)
    }

    /// Remove tracks by id; returns how many were present.
    pub fn remove(&mut self, ids: &[&str]) -> Result<usize> {
        let mut m = self.manifest.clone();
        let mut n = 0;
        for id in ids {
            if let Some(&(si, li)) = self.ids.get(*id) {
                if !m.segments[si].dead.contains(&li) {
                    m.segments[si].dead.push(li);
                    n += 1;
                }
            }
        }
        if n > 0 {
            self.commit(m)?;
        }
        Ok(n)
    }

    /// Merge each shard's segments into one and drop removed tracks (atomically, like `add`).
    pub fn compact(&mut self) -> Result<()> {
        let mut m = self.manifest.clone();
        let mut keep = Vec::new();
        let mut old_files = Vec::new();
        for shard in 0..m.shards {
            let segs: Vec<usize> = (0..self.segments.len())
                .filter(|&i| self.segments[i].shard == shard)
                .collect();
            let all_live = segs.len() == 1 && !self.segments[segs[0]].dead.iter().any(|&d| d);
            if segs.is_empty() || all_live {
                keep.extend(
                    segs.iter()
                        .map(|&i| self.manifest.segments[i].clone())
                        .collect::<Vec<_>>(),
                );
                continue;
            }
            let mut tracks: Vec<TrackLandmarks> = Vec::new();
            for &si in &segs {
                let s = &self.segments[si];
                let base = tracks.len();
                let mut map = vec![usize::MAX; s.seg.n_tracks()];
                for (li, t) in s.seg.tracks.iter().enumerate() {
                    if !s.dead[li] {
                        map[li] = tracks.len() - base;
                        tracks.push(TrackLandmarks {
                            id: t.id.clone(),
                            frames: t.frames,
                            landmarks: Vec::new(),
                            fine: s.seg.fine(li as u32).collect(),
                        });
                    }
                }
                s.seg.for_each(|hash, local, frame| {
                    if let Some(&j) = map.get(local as usize) {
                        if j != usize::MAX {
                            tracks[base + j].landmarks.push(Landmark { hash, frame });
                        }
                    }
                });
                old_files.push(self.shard_dir(shard).join(&self.manifest.segments[si].file));
            }
            let dir = self.shard_dir(shard);
            for chunk in tracks.chunks(MAX_TRACKS) {
                m.generation += 1;
                let file = format!("seg-{:010}.qfp", m.generation);
                let bytes = write_segment(&dir.join(&file), chunk)?;
                keep.push(SegmentEntry {
                    shard,
                    file,
                    bytes,
                    dead: Vec::new(),
                });
            }
            sync_dir(&dir);
        }
        m.segments = keep;
        self.commit(m)?;
        for f in old_files {
            let _ = std::fs::remove_file(f);
        }
        Ok(())
    }

    /// Delete segment files no manifest refers to (left by a crashed `add`).
    fn remove_orphans(&self) {
        let live: HashSet<(u32, &str)> = self
            .manifest
            .segments
            .iter()
            .map(|e| (e.shard, e.file.as_str()))
            .collect();
        for shard in 0..self.manifest.shards {
            let dir = self.shard_dir(shard);
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for ent in rd.flatten() {
                let name = ent.file_name().to_string_lossy().into_owned();
                let orphan = (name.starts_with("seg-") && name.ends_with(".qfp"))
                    && !live.contains(&(shard, name.as_str()));
                let temp = name.starts_with(".seg-") && name.ends_with(".part");
                if orphan || temp {
                    let _ = std::fs::remove_file(ent.path());
                }
            }
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
}
