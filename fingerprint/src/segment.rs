//! Immutable, memory-mapped segment files: sorted hash → packed `(track, frame)` postings.
//!
//! Layout (little-endian):
//!
//! ```text
//! header  "QFPSEG01" | u32 version | u32 n_tracks | u32 dir_bits | u32 n_entries | u32 crc32 of the rest | u32 tracks_bytes
//! tracks  n_tracks × (u32 frames | u16 id_len | id bytes)        (tracks_bytes in total)
//! pad     to a multiple of 4
//! dir     (2^dir_bits + 1) × u32: start of each top-`dir_bits` hash bucket in the entries
//! post    n_entries × u32: local track (12 bits) << 20 | anchor frame (20 bits)
//! low     n_entries × u8: the hash bits below the bucket (only when dir_bits < 20)
//! ```
//!
//! Entries are sorted by hash, so a lookup is a bucket slice plus a binary search on `low`. A
//! segment holds at most [`MAX_TRACKS`] tracks of at most [`MAX_FRAMES`] frames (4.6 h). With the
//! default density (about 60 landmarks/s) a posting costs 4–5 bytes: about 1 MB per hour.
//! The CRC is checked on open; a segment that fails it is reported as corrupt, never read.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use memmap2::Mmap;
use quaver_core::error::{Error, Result};
use quaver_core::output::AtomicFile;

use crate::hash::{Landmark, HASH_BITS};

const MAGIC: &[u8; 8] = b"QFPSEG01";
/// 2: peaks from band-maximum log bins with FFT-refined frequencies (1: point-sampled).
const VERSION: u32 = 2;
const HEADER: usize = 8 + 6 * 4;
/// Most tracks in one segment.
pub const MAX_TRACKS: usize = 1 << 12;
/// Longest track (frames) a posting can address.
pub const MAX_FRAMES: u32 = 1 << 20;

/// One track to write into a segment.
#[derive(Debug, Clone)]
pub struct TrackLandmarks {
    /// The caller's id.
    pub id: String,
    /// Length in frames.
    pub frames: u32,
    /// Landmarks (any order).
    pub landmarks: Vec<Landmark>,
}

/// Write a segment atomically to `path`.
pub fn write_segment(path: &Path, tracks: &[TrackLandmarks]) -> Result<u64> {
    if tracks.len() > MAX_TRACKS {
        return Err(Error::invalid("too many tracks for one segment"));
    }
    let n: usize = tracks.iter().map(|t| t.landmarks.len()).sum();
    let mut entries: Vec<u64> = Vec::with_capacity(n);
    for (i, t) in tracks.iter().enumerate() {
        for l in &t.landmarks {
            if l.frame >= MAX_FRAMES {
                continue;
            }
            entries.push(((l.hash as u64) << 32) | ((i as u64) << 20) | l.frame as u64);
        }
    }
    entries.sort_unstable();
    entries.dedup();
    let n = entries.len();
    let dir_bits = dir_bits_for(n);
    let mut body: Vec<u8> = Vec::with_capacity(n * 5 + (4 << dir_bits) + 1024);
    for t in tracks {
        body.extend_from_slice(&t.frames.to_le_bytes());
        let id = t.id.as_bytes();
        let len = u16::try_from(id.len()).map_err(|_| Error::invalid("track id too long"))?;
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(id);
    }
    let tracks_bytes = body.len() as u32;
    while (HEADER + body.len()) % 4 != 0 {
        body.push(0);
    }
    let shift = HASH_BITS - dir_bits;
    let buckets = 1usize << dir_bits;
    let mut pos = 0usize;
    for b in 0..=buckets {
        while pos < n && ((entries[pos] >> 32) as usize >> shift) < b {
            pos += 1;
        }
        body.extend_from_slice(&(pos as u32).to_le_bytes());
    }
    for e in &entries {
        body.extend_from_slice(&(*e as u32).to_le_bytes());
    }
    if shift > 0 {
        for e in &entries {
            body.push(((e >> 32) as u32 & ((1 << shift) - 1)) as u8);
        }
    }
    let crc = crc32fast::hash(&body);
    let mut f = AtomicFile::create(path)?;
    {
        let mut w = f.writer();
        w.write_all(MAGIC)?;
        for v in [
            VERSION,
            tracks.len() as u32,
            dir_bits,
            n as u32,
            crc,
            tracks_bytes,
        ] {
            w.write_all(&v.to_le_bytes())?;
        }
        w.write_all(&body)?;
        w.flush()?;
    }
    f.commit()?;
    Ok((HEADER + body.len()) as u64)
}

/// Directory bits: about 8+ entries per bucket, at least 12 so the low part fits a byte.
fn dir_bits_for(n: usize) -> u32 {
    let mut b = 12;
    while b < HASH_BITS && (n >> b) > 8 {
        b += 1;
    }
    b
}

/// A track entry of an open segment.
#[derive(Debug, Clone)]
pub struct SegmentTrack {
    /// The caller's id.
    pub id: String,
    /// Length in frames.
    pub frames: u32,
}

/// An open, memory-mapped segment.
#[derive(Debug)]
pub struct Segment {
    map: Mmap,
    /// Tracks, by local index.
    pub tracks: Vec<SegmentTrack>,
    dir_bits: u32,
    n_entries: usize,
    dir_off: usize,
    post_off: usize,
    low_off: usize,
}

fn rd32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Segment {
    /// Map and validate a segment file (magic, version, sizes, CRC).
    pub fn open(path: &Path) -> Result<Segment> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: segments are immutable once renamed into place; writers never modify them.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let bad = |why: &str| Error::corrupt(format!("index segment {}: {why}", path.display()));
        if map.len() < HEADER || &map[..8] != MAGIC {
            return Err(bad("bad magic"));
        }
        let version = rd32(&map, 8);
        if version != VERSION {
            // Version 1: peaks from point-sampled log bins (before the band maximum and the
            // FFT-bin frequency refinement); its hashes do not match this build's queries.
            return Err(Error::Unsupported(format!(
                "index segment {}: format version {version}, this build reads version                  {VERSION}: rebuild the index (quaver fp index)",
                path.display()
            )));
        }
        let n_tracks = rd32(&map, 12) as usize;
        let dir_bits = rd32(&map, 16);
        let n_entries = rd32(&map, 20) as usize;
        let crc = rd32(&map, 24);
        let tracks_bytes = rd32(&map, 28) as usize;
        if !(12..=HASH_BITS).contains(&dir_bits) || n_tracks > MAX_TRACKS {
            return Err(bad("bad header"));
        }
        if crc32fast::hash(&map[HEADER..]) != crc {
            return Err(bad("checksum mismatch"));
        }
        let mut tracks = Vec::with_capacity(n_tracks);
        let mut at = HEADER;
        let end = HEADER
            .checked_add(tracks_bytes)
            .filter(|&e| e <= map.len())
            .ok_or_else(|| bad("bad track table"))?;
        for _ in 0..n_tracks {
            if at + 6 > end {
                return Err(bad("bad track table"));
            }
            let frames = rd32(&map, at);
            let len = u16::from_le_bytes([map[at + 4], map[at + 5]]) as usize;
            at += 6;
            if at + len > end {
                return Err(bad("bad track table"));
            }
            let id = std::str::from_utf8(&map[at..at + len])
                .map_err(|_| bad("track id not UTF-8"))?
                .to_string();
            at += len;
            tracks.push(SegmentTrack { id, frames });
        }
        let dir_off = (end + 3) & !3;
        let shift = HASH_BITS - dir_bits;
        let dir_len = ((1usize << dir_bits) + 1) * 4;
        let post_off = dir_off + dir_len;
        let low_off = post_off + n_entries * 4;
        let total = low_off + if shift > 0 { n_entries } else { 0 };
        if total != map.len() {
            return Err(bad("size does not match header"));
        }
        let seg = Segment {
            map,
            tracks,
            dir_bits,
            n_entries,
            dir_off,
            post_off,
            low_off,
        };
        // Directory must be monotone and end at n_entries, postings must name real tracks:
        // cheap checks that make every later lookup in-bounds.
        let mut prev = 0;
        for b in 0..=(1usize << dir_bits) {
            let v = rd32(&seg.map, dir_off + 4 * b) as usize;
            if v < prev || v > n_entries {
                return Err(bad("directory out of order"));
            }
            prev = v;
        }
        if prev != n_entries {
            return Err(bad("directory does not cover the entries"));
        }
        Ok(seg)
    }

    /// Number of postings.
    pub fn len(&self) -> usize {
        self.n_entries
    }

    /// True if the segment holds no postings.
    pub fn is_empty(&self) -> bool {
        self.n_entries == 0
    }

    /// Bytes of the mapped file.
    pub fn bytes(&self) -> usize {
        self.map.len()
    }

    /// The postings of `hash`: packed `local_track << 20 | frame`.
    #[inline]
    pub fn lookup(&self, hash: u32) -> &[u8] {
        let shift = HASH_BITS - self.dir_bits;
        let b = (hash >> shift) as usize;
        let lo = rd32(&self.map, self.dir_off + 4 * b) as usize;
        let hi = rd32(&self.map, self.dir_off + 4 * b + 4) as usize;
        let (s, e) = if shift == 0 {
            (lo, hi)
        } else {
            let key = (hash & ((1 << shift) - 1)) as u8;
            let low = &self.map[self.low_off + lo..self.low_off + hi];
            let s = low.partition_point(|&x| x < key);
            let e = s + low[s..].partition_point(|&x| x == key);
            (lo + s, lo + e)
        };
        &self.map[self.post_off + 4 * s..self.post_off + 4 * e]
    }

    /// [`Segment::lookup`] of many hashes at once, into `out` (same order; a value of
    /// [`HASH_BITS`] or more bits gets no postings). The directory
    /// entries of all the hashes are read before any posting list, and the first line of every
    /// list is touched before the lists are returned, so the cache misses of independent
    /// lookups overlap instead of queueing one after the other (the index is far larger than
    /// the cache: a lookup is two or three misses).
    pub fn lookup_batch<'a>(&'a self, hashes: &[u32], out: &mut Vec<&'a [u8]>) {
        out.clear();
        let shift = HASH_BITS - self.dir_bits;
        let max_b = 1usize << self.dir_bits;
        let mut ranges: Vec<(usize, usize)> = hashes
            .iter()
            .map(|&h| {
                let b = (h >> shift) as usize;
                if b >= max_b {
                    // not a hash this index stores: no postings
                    return (0, 0);
                }
                (
                    rd32(&self.map, self.dir_off + 4 * b) as usize,
                    rd32(&self.map, self.dir_off + 4 * b + 4) as usize,
                )
            })
            .collect();
        if shift > 0 {
            for (r, &h) in ranges.iter_mut().zip(hashes) {
                let key = (h & ((1 << shift) - 1)) as u8;
                let low = &self.map[self.low_off + r.0..self.low_off + r.1];
                let s = low.partition_point(|&x| x < key);
                let e = s + low[s..].partition_point(|&x| x == key);
                *r = (r.0 + s, r.0 + e);
            }
        }
        let mut touch = 0u8;
        for &(s, e) in &ranges {
            if e > s {
                touch ^= self.map[self.post_off + 4 * s];
            }
        }
        std::hint::black_box(touch);
        out.extend(
            ranges
                .iter()
                .map(|&(s, e)| &self.map[self.post_off + 4 * s..self.post_off + 4 * e]),
        );
    }

    /// The postings of `hash` that belong to local track `local`. A hash's postings are sorted
    /// by `(track, frame)` (the writer sorts whole entries), so this is two binary searches
    /// inside the list instead of a scan: verifying one track reads a few cache lines per
    /// probe however crowded the catalog is.
    #[inline]
    pub fn lookup_track(&self, hash: u32, local: u32) -> &[u8] {
        track_range(self.lookup(hash), local)
    }

    /// Visit every posting as (hash, local track, frame).
    pub fn for_each(&self, mut f: impl FnMut(u32, u32, u32)) {
        let shift = HASH_BITS - self.dir_bits;
        for b in 0..(1usize << self.dir_bits) {
            let lo = rd32(&self.map, self.dir_off + 4 * b) as usize;
            let hi = rd32(&self.map, self.dir_off + 4 * b + 4) as usize;
            for i in lo..hi {
                let low = if shift > 0 {
                    self.map[self.low_off + i] as u32
                } else {
                    0
                };
                let (t, fr) = decode_posting(&self.map[self.post_off + 4 * i..]);
                f(((b as u32) << shift) | low, t, fr);
            }
        }
    }

    /// Number of tracks (live or not) in the segment.
    pub fn n_tracks(&self) -> usize {
        self.tracks.len()
    }
}

/// The sub-slice of a hash's posting list (sorted by `(track, frame)`) holding track `local`.
#[inline]
pub fn track_range(post: &[u8], local: u32) -> &[u8] {
    let n = post.len() / 4;
    let track_at = |i: usize| decode_posting(&post[4 * i..]).0;
    // partition_point over indices: first posting with track >= local, then > local
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if track_at(mid) < local {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let start = lo;
    hi = n;
    while lo < hi {
        let mid = (lo + hi) / 2;
        if track_at(mid) <= local {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    &post[4 * start..4 * lo]
}

/// Split a posting into (local track, frame).
#[inline]
pub fn decode_posting(raw: &[u8]) -> (u32, u32) {
    let v = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    (v >> 20, v & (MAX_FRAMES - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Landmark;

    fn segment(n_tracks: u32, per_track: u32) -> (tempfile::TempDir, Segment) {
        let dir = tempfile::tempdir().unwrap();
        let mut x = 12345u64;
        let tracks: Vec<TrackLandmarks> = (0..n_tracks)
            .map(|t| TrackLandmarks {
                id: format!("t{t}"),
                frames: 5000,
                landmarks: (0..per_track)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        // a small hash range, so that lists are long and many hashes repeat
                        Landmark {
                            hash: ((x >> 33) as u32 % 5000) * 97 % (1 << HASH_BITS),
                            frame: (x >> 20) as u32 % 5000,
                        }
                    })
                    .collect(),
            })
            .collect();
        let path = dir.path().join("s.qfp");
        write_segment(&path, &tracks).unwrap();
        let seg = Segment::open(&path).unwrap();
        (dir, seg)
    }

    #[test]
    fn batch_lookup_equals_single_lookups() {
        // small segment: 12 directory bits and a low-byte array; large one: 20 bits, none
        for (n_tracks, per_track, want_bits) in [(3, 2000, 12), (64, 150_000, HASH_BITS)] {
            let (_dir, seg) = segment(n_tracks, per_track);
            assert_eq!(seg.dir_bits, want_bits);
            let mut hashes: Vec<u32> = (0..3000u32).map(|i| i * 349 % (1 << HASH_BITS)).collect();
            hashes.extend([0, (1 << HASH_BITS) - 1, 97 * 3]);
            let mut out = Vec::new();
            seg.lookup_batch(&hashes, &mut out);
            assert_eq!(out.len(), hashes.len());
            let mut nonempty = 0;
            for (h, got) in hashes.iter().zip(&out) {
                assert_eq!(*got, seg.lookup(*h), "hash {h}");
                nonempty += !got.is_empty() as usize;
            }
            assert!(nonempty > 10, "{nonempty} non-empty lists");
            // out-of-range values get no postings instead of a panic
            seg.lookup_batch(&[1 << HASH_BITS, u32::MAX], &mut out);
            assert!(out.iter().all(|p| p.is_empty()));
        }
    }
}
