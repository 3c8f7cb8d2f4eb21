//! Immutable, memory-mapped segment files: sorted hash → packed `(track, frame)` postings.
//!
//! Layout (little-endian):
//!
//! ```text
//! header  "QFPSEG01" | u32 version | u32 n_tracks | u32 dir_bits | u32 n_entries | u32 crc32 of the rest
//!         | u32 tracks_bytes | u32 layout (entry bytes | track bits << 8 | frame bits << 16)
//! tracks  n_tracks × (u32 frames | u16 id_len | id bytes | u32 fine_len | fine_len × u16)
//!         (tracks_bytes in total; the u16s are the track's fine print, see [`crate::fine`])
//! pad     to a multiple of 4
//! dir     (2^dir_bits + 1) × u32: start of each top-`dir_bits` hash bucket in the entries
//! post    n_entries × `entry bytes`: low hash bits << (track bits + frame bits)
//!         | local track << frame bits | anchor frame
//! slack   8 zero bytes (every entry can be read as one unaligned u64)
//! ```
//!
//! Entries are sorted by hash, then track, then frame, so a lookup is a bucket slice plus a
//! binary search on the entries' top (low-hash) bits, and a hash's postings are sorted by
//! `(track, frame)`. Each segment packs its entries as tightly as its own contents allow: the
//! track field has the bits its track count needs, the frame field the bits of its longest
//! track, and the directory size is chosen to make the file smallest with at most
//! [`MAX_BUCKET_MEAN`] entries per bucket on average (a bucket then spans about two cache lines).
//! At the default density (about 60 landmarks/s) a posting costs about 4.1 bytes: version 2's
//! fixed 4-byte posting, separate low-hash byte and larger directory cost about 5.7.
//!
//! A segment holds at most [`MAX_TRACKS`] tracks of at most [`MAX_FRAMES`] frames (4.6 h).
//! The CRC is checked on open; a segment that fails it is reported as corrupt, never read.
//! (Hand-written: a compressed posting format from a crate, e.g. Elias–Fano or varint blocks,
//! would need a decode per list; these fixed-width entries are read in place from the map.)

use std::fs::File;
use std::io::Write;
use std::path::Path;

use memmap2::Mmap;
use quaver_core::error::{Error, Result};
use quaver_core::output::AtomicFile;

use crate::hash::{Landmark, HASH_BITS};

const MAGIC: &[u8; 8] = b"QFPSEG01";
/// 4: fine prints in the track table.
/// 3: bit-packed entries (hash low bits, track, frame) of per-segment width.
/// 2: fixed 4-byte postings and a separate low-hash byte. 1: point-sampled log bins.
const VERSION: u32 = 4;
const HEADER: usize = 8 + 7 * 4;
/// Bytes after the last entry, so any entry can be read as one u64.
const SLACK: usize = 8;
/// Most tracks in one segment.
pub const MAX_TRACKS: usize = 1 << 12;
/// Longest track (frames) a posting can address.
pub const MAX_FRAMES: u32 = 1 << 20;
/// Largest mean number of entries per directory bucket the writer accepts.
pub const MAX_BUCKET_MEAN: usize = 32;

/// One track to write into a segment.
#[derive(Debug, Clone)]
pub struct TrackLandmarks {
    /// The caller's id.
    pub id: String,
    /// Length in frames.
    pub frames: u32,
    /// Landmarks (any order).
    pub landmarks: Vec<Landmark>,
    /// Fine print (see [`crate::fine`]; may be empty).
    pub fine: Vec<u16>,
}

/// Bits needed to store values up to `max`.
fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

/// How one segment's entries are packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    width: usize,
    track_bits: u32,
    frame_bits: u32,
    mask: u64,
}

impl Layout {
    fn new(width: usize, track_bits: u32, frame_bits: u32) -> Layout {
        Layout {
            width,
            track_bits,
            frame_bits,
            mask: if width >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * width)) - 1
            },
        }
    }

    /// The raw entry `i` of `data` (which holds [`SLACK`] bytes past its last entry).
    #[inline]
    fn entry(&self, data: &[u8], i: usize) -> u64 {
        let at = i * self.width;
        let b: [u8; 8] = data[at..at + 8].try_into().expect("8 bytes");
        u64::from_le_bytes(b) & self.mask
    }

    /// (local track, frame) of a raw entry.
    #[inline]
    fn split(&self, e: u64) -> (u32, u32) {
        let frame = (e & ((1u64 << self.frame_bits) - 1)) as u32;
        let track = ((e >> self.frame_bits) & ((1u64 << self.track_bits) - 1)) as u32;
        (track, frame)
    }

    /// The low hash bits of a raw entry.
    #[inline]
    fn low(&self, e: u64) -> u32 {
        (e >> (self.track_bits + self.frame_bits)) as u32
    }
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
            if l.frame >= MAX_FRAMES || l.hash >= 1 << HASH_BITS {
                continue;
            }
            entries.push(((l.hash as u64) << 32) | ((i as u64) << 20) | l.frame as u64);
        }
    }
    entries.sort_unstable();
    entries.dedup();
    let n = entries.len();
    let track_bits = bits_for(tracks.len().saturating_sub(1) as u64);
    let frame_bits = bits_for(entries.iter().map(|e| e & 0xF_FFFF).max().unwrap_or(0));
    let (dir_bits, width) = choose_dir_bits(n, track_bits + frame_bits);
    let lay = Layout::new(width, track_bits, frame_bits);
    let mut body: Vec<u8> = Vec::with_capacity(n * width + (4 << dir_bits) + 1024);
    for t in tracks {
        body.extend_from_slice(&t.frames.to_le_bytes());
        let id = t.id.as_bytes();
        let len = u16::try_from(id.len()).map_err(|_| Error::invalid("track id too long"))?;
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(id);
        let fine_len = u32::try_from(t.fine.len())
            .ok()
            .filter(|&n| n <= MAX_FRAMES)
            .ok_or_else(|| Error::invalid("fine print too long"))?;
        body.extend_from_slice(&fine_len.to_le_bytes());
        for c in &t.fine {
            body.extend_from_slice(&c.to_le_bytes());
        }
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
        let hash = e >> 32;
        let low = hash & ((1u64 << shift) - 1);
        let track = (e >> 20) & 0xFFF;
        let frame = e & 0xF_FFFF;
        let packed = (low << (track_bits + frame_bits)) | (track << frame_bits) | frame;
        body.extend_from_slice(&packed.to_le_bytes()[..width]);
    }
    body.extend_from_slice(&[0u8; SLACK]);
    debug_assert!(entries.iter().enumerate().all(|(i, e)| {
        let off = body.len() - SLACK - n * width;
        lay.split(lay.entry(&body[off..], i)) == (((e >> 20) & 0xFFF) as u32, (e & 0xF_FFFF) as u32)
    }));
    let crc = crc32fast::hash(&body);
    let layout = width as u32 | track_bits << 8 | frame_bits << 16;
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
            layout,
        ] {
            w.write_all(&v.to_le_bytes())?;
        }
        w.write_all(&body)?;
        w.flush()?;
    }
    f.commit()?;
    Ok((HEADER + body.len()) as u64)
}

/// Directory bits and entry bytes for `n` entries whose (track, frame) part takes `tf_bits`:
/// the smallest directory + entries with at most [`MAX_BUCKET_MEAN`] entries per bucket on
/// average, or the full directory when even that has more.
fn choose_dir_bits(n: usize, tf_bits: u32) -> (u32, usize) {
    let mut best = (u64::MAX, HASH_BITS, 8);
    for d in 0..=HASH_BITS {
        // (the full directory is always allowed: a hash then is its bucket)
        if n >> d > MAX_BUCKET_MEAN && d < HASH_BITS {
            continue;
        }
        let width = ((HASH_BITS - d + tf_bits).div_ceil(8) as usize).max(1);
        let size = 4 * ((1u64 << d) + 1) + (n * width) as u64;
        if size < best.0 {
            best = (size, d, width);
        }
    }
    (best.1, best.2)
}

/// A track entry of an open segment.
#[derive(Debug, Clone)]
pub struct SegmentTrack {
    /// The caller's id.
    pub id: String,
    /// Length in frames.
    pub frames: u32,
    /// Where its fine print starts in the map, and its codes.
    fine_at: usize,
    fine_len: usize,
}

/// The postings of one hash (or a part of them) in a segment: `(local track, frame)` pairs,
/// sorted, read in place from the map.
#[derive(Debug, Clone, Copy)]
pub struct Postings<'a> {
    /// The entries, plus [`SLACK`] bytes.
    data: &'a [u8],
    len: usize,
    lay: Layout,
}

impl<'a> Postings<'a> {
    /// No postings.
    pub const EMPTY: Postings<'static> = Postings {
        data: &[],
        len: 0,
        lay: Layout {
            width: 1,
            track_bits: 0,
            frame_bits: 0,
            mask: 0,
        },
    };

    /// Number of postings.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Posting `i` as (local track, frame).
    #[inline]
    pub fn get(&self, i: usize) -> (u32, u32) {
        self.lay.split(self.lay.entry(self.data, i))
    }

    /// Every posting as (local track, frame), in order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        let p = *self;
        (0..p.len).map(move |i| p.get(i))
    }

    /// Call `f(local track, frame)` on every posting, in order: the hot loops' form of
    /// [`Postings::iter`], with the common entry widths (3 and 4 bytes) read as such.
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(u32, u32)) {
        let lay = self.lay;
        let body = &self.data[..self.len * lay.width];
        match lay.width {
            4 => {
                for c in body.chunks_exact(4) {
                    let (t, fr) = lay.split(u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as u64);
                    f(t, fr);
                }
            }
            3 => {
                for c in body.chunks_exact(3) {
                    let (t, fr) = lay.split(u32::from_le_bytes([c[0], c[1], c[2], 0]) as u64);
                    f(t, fr);
                }
            }
            _ => (0..self.len).for_each(|i| {
                let (t, fr) = self.get(i);
                f(t, fr);
            }),
        }
    }

    /// Postings `s..e`.
    fn slice(&self, s: usize, e: usize) -> Postings<'a> {
        debug_assert!(s <= e && e <= self.len);
        Postings {
            data: &self.data[s * self.lay.width..],
            len: e - s,
            lay: self.lay,
        }
    }

    /// The postings of track `local`. They are sorted by `(track, frame)` (the writer sorts
    /// whole entries), so this is two binary searches instead of a scan: verifying one track
    /// reads a few cache lines per probe however crowded the catalog is.
    pub fn track(&self, local: u32) -> Postings<'a> {
        if self.len == 0 || local as u64 >= 1u64 << self.lay.track_bits {
            return self.slice(0, 0);
        }
        // One hash's entries share their low-hash bits, so whole raw entries compare as
        // (track, frame): the bounds are the raw values of (local, 0) and (local + 1, 0).
        let lay = self.lay;
        let e0 = lay.entry(self.data, 0);
        let high = e0 >> (lay.track_bits + lay.frame_bits) << (lay.track_bits + lay.frame_bits);
        let lo_key = high + ((local as u64) << lay.frame_bits);
        let hi_key = high + ((local as u64 + 1) << lay.frame_bits);
        let raw = |i: usize| lay.entry(self.data, i);
        let s = partition(self.len, |i| raw(i) < lo_key);
        let e = s + partition(self.len - s, |i| raw(s + i) < hi_key);
        self.slice(s, e)
    }
}

/// First index in `0..n` where `pred` is false (`pred` true then false): `partition_point`
/// over entry indices (the entries are packed bytes, not a slice of a type std can search).
#[inline]
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
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
    lay: Layout,
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
        if map.len() < 12 || &map[..8] != MAGIC {
            return Err(bad("bad magic"));
        }
        let version = rd32(&map, 8);
        if version != VERSION {
            // Version 1: peaks from point-sampled log bins; version 2: fixed-width postings.
            return Err(Error::Unsupported(format!(
                "index segment {}: format version {version}, this build reads version \
                 {VERSION}: rebuild the index (quaver fp index)",
                path.display()
            )));
        }
        if map.len() < HEADER {
            return Err(bad("truncated header"));
        }
        let n_tracks = rd32(&map, 12) as usize;
        let dir_bits = rd32(&map, 16);
        let n_entries = rd32(&map, 20) as usize;
        let crc = rd32(&map, 24);
        let tracks_bytes = rd32(&map, 28) as usize;
        let layout = rd32(&map, 32);
        let (width, track_bits, frame_bits) = (
            (layout & 0xFF) as usize,
            (layout >> 8) & 0xFF,
            (layout >> 16) & 0xFF,
        );
        let shift = HASH_BITS.checked_sub(dir_bits);
        let fits = shift.is_some_and(|s| {
            track_bits <= 12 && frame_bits <= 20 && (1..=8).contains(&width) && {
                let bits = s + track_bits + frame_bits;
                bits <= 8 * width as u32
            }
        });
        if !fits || n_tracks > MAX_TRACKS || layout >> 24 != 0 {
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
            if at + 4 > end {
                return Err(bad("bad track table"));
            }
            let fine_len = rd32(&map, at) as usize;
            at += 4;
            if fine_len > MAX_FRAMES as usize || at + 2 * fine_len > end {
                return Err(bad("bad track table"));
            }
            tracks.push(SegmentTrack {
                id,
                frames,
                fine_at: at,
                fine_len,
            });
            at += 2 * fine_len;
        }
        let dir_off = (end + 3) & !3;
        let dir_len = ((1usize << dir_bits) + 1) * 4;
        let post_off = dir_off + dir_len;
        let total = n_entries
            .checked_mul(width)
            .and_then(|b| b.checked_add(post_off + SLACK));
        if total != Some(map.len()) {
            return Err(bad("size does not match header"));
        }
        let seg = Segment {
            map,
            tracks,
            dir_bits,
            n_entries,
            dir_off,
            post_off,
            lay: Layout::new(width, track_bits, frame_bits),
        };
        // Directory must be monotone and end at n_entries: a cheap check that makes every
        // later lookup in-bounds. (A posting naming a track the segment lacks is skipped by
        // the readers, which look tracks up with `get`.)
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

    /// Fine-print code `j` of local track `local` (`None` past its end).
    #[inline]
    pub fn fine_code(&self, local: u32, j: usize) -> Option<u16> {
        let t = self.tracks.get(local as usize)?;
        (j < t.fine_len).then(|| {
            let at = t.fine_at + 2 * j;
            u16::from_le_bytes([self.map[at], self.map[at + 1]])
        })
    }

    /// The fine print of local track `local` (empty if it has none).
    pub fn fine(&self, local: u32) -> impl Iterator<Item = u16> + '_ {
        let n = self.tracks.get(local as usize).map_or(0, |t| t.fine_len);
        (0..n).filter_map(move |j| self.fine_code(local, j))
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

    /// All entries (with the slack).
    #[inline]
    fn entries(&self) -> Postings<'_> {
        Postings {
            data: &self.map[self.post_off..],
            len: self.n_entries,
            lay: self.lay,
        }
    }

    /// Entry range `lo..hi` of directory bucket `b`.
    #[inline]
    fn bucket(&self, b: usize) -> (usize, usize) {
        (
            rd32(&self.map, self.dir_off + 4 * b) as usize,
            rd32(&self.map, self.dir_off + 4 * b + 4) as usize,
        )
    }

    /// The entries of `hash` inside its bucket's range `(lo, hi)`.
    #[inline]
    fn narrow(&self, hash: u32, (lo, hi): (usize, usize)) -> (usize, usize) {
        let shift = HASH_BITS - self.dir_bits;
        if shift == 0 {
            return (lo, hi);
        }
        let key = hash & ((1 << shift) - 1);
        let all = self.entries();
        let low = |i: usize| self.lay.low(self.lay.entry(all.data, i));
        let s = lo + partition(hi - lo, |i| low(lo + i) < key);
        let e = s + partition(hi - s, |i| low(s + i) == key);
        (s, e)
    }

    /// The postings of `hash`.
    #[inline]
    pub fn lookup(&self, hash: u32) -> Postings<'_> {
        let b = (hash >> (HASH_BITS - self.dir_bits)) as usize;
        if b >= 1 << self.dir_bits {
            return Postings::EMPTY;
        }
        let (s, e) = self.narrow(hash, self.bucket(b));
        self.entries().slice(s, e)
    }

    /// [`Segment::lookup`] of many hashes at once, into `out` (same order; a value of
    /// [`HASH_BITS`] or more bits gets no postings). The directory
    /// entries of all the hashes are read, then each bucket's first line touched, before any
    /// bucket is searched, so the cache misses of independent lookups overlap instead of
    /// queueing one after the other (the index is far larger than the cache: a lookup is two
    /// or three misses).
    pub fn lookup_batch<'a>(&'a self, hashes: &[u32], out: &mut Vec<Postings<'a>>) {
        out.clear();
        let shift = HASH_BITS - self.dir_bits;
        let max_b = 1usize << self.dir_bits;
        let ranges: Vec<(usize, usize)> = hashes
            .iter()
            .map(|&h| {
                let b = (h >> shift) as usize;
                if b >= max_b {
                    // not a hash this index stores: no postings
                    return (0, 0);
                }
                self.bucket(b)
            })
            .collect();
        let all = self.entries();
        // Touch each bucket where its search starts (the whole bucket is the list when there
        // are no low bits; the binary search's first probe otherwise) before any is searched.
        let mut touch = 0u8;
        for &(lo, hi) in &ranges {
            if hi > lo {
                let at = if shift == 0 { lo } else { (lo + hi) / 2 };
                touch ^= all.data[at * self.lay.width];
            }
        }
        std::hint::black_box(touch);
        out.extend(hashes.iter().zip(&ranges).map(|(&h, &r)| {
            let (s, e) = self.narrow(h, r);
            all.slice(s, e)
        }));
    }

    /// The postings of `hash` that belong to local track `local` (see [`Postings::track`]).
    #[inline]
    pub fn lookup_track(&self, hash: u32, local: u32) -> Postings<'_> {
        self.lookup(hash).track(local)
    }

    /// Visit every posting as (hash, local track, frame).
    pub fn for_each(&self, mut f: impl FnMut(u32, u32, u32)) {
        let shift = HASH_BITS - self.dir_bits;
        let all = self.entries();
        for b in 0..(1usize << self.dir_bits) {
            let (lo, hi) = self.bucket(b);
            for i in lo..hi {
                let e = self.lay.entry(all.data, i);
                let (t, fr) = self.lay.split(e);
                f(((b as u32) << shift) | self.lay.low(e), t, fr);
            }
        }
    }

    /// Number of tracks (live or not) in the segment.
    pub fn n_tracks(&self) -> usize {
        self.tracks.len()
    }
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
                fine: vec![t as u16; 3],
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

    /// Every (hash, track, frame) of the segment's input, deduplicated and sorted.
    fn expected(seg: &Segment, n_tracks: u32, per_track: u32) -> Vec<(u32, u32, u32)> {
        let _ = seg;
        let mut x = 12345u64;
        let mut v = Vec::new();
        for t in 0..n_tracks {
            for _ in 0..per_track {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.push((
                    ((x >> 33) as u32 % 5000) * 97 % (1 << HASH_BITS),
                    t,
                    (x >> 20) as u32 % 5000,
                ));
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn packed_entries_round_trip_and_lookups_find_every_posting() {
        // 3 tracks: a small directory and many low-hash bits per entry; 64 tracks of 150 000:
        // a large directory, few or no low bits
        for (n_tracks, per_track) in [(3, 2000), (64, 150_000)] {
            let (_dir, seg) = segment(n_tracks, per_track);
            let want = expected(&seg, n_tracks, per_track);
            assert_eq!(seg.len(), want.len());
            assert!(seg.len() >> seg.dir_bits <= MAX_BUCKET_MEAN);
            // 6 track bits at most, 13 frame bits (frames < 5000)
            assert!(seg.lay.width <= 4, "{:?}", seg.lay);
            let mut got = Vec::new();
            seg.for_each(|h, t, f| got.push((h, t, f)));
            assert_eq!(got, want);
            // every hash's list, per track too
            let mut at = 0;
            while at < want.len() {
                let h = want[at].0;
                let end = at + want[at..].iter().take_while(|e| e.0 == h).count();
                let list: Vec<(u32, u32)> = seg.lookup(h).iter().collect();
                let exp: Vec<(u32, u32)> = want[at..end].iter().map(|e| (e.1, e.2)).collect();
                assert_eq!(list, exp, "hash {h}");
                for t in [0, 1, n_tracks - 1, n_tracks] {
                    let one: Vec<(u32, u32)> = seg.lookup_track(h, t).iter().collect();
                    let exp_t: Vec<(u32, u32)> = exp.iter().copied().filter(|e| e.0 == t).collect();
                    assert_eq!(one, exp_t, "hash {h} track {t}");
                }
                at = end;
            }
            // a hash with no postings
            assert!(seg.lookup(1).is_empty());
            // the fine prints
            for t in 0..n_tracks {
                assert_eq!(seg.fine(t).collect::<Vec<_>>(), vec![t as u16; 3]);
                assert_eq!(seg.fine_code(t, 3), None);
            }
            assert_eq!(seg.fine(n_tracks).count(), 0);
        }
    }

    #[test]
    fn a_posting_costs_about_four_bytes_at_catalog_scale() {
        // 8 tracks of 6 min at 60 landmarks/s (frame field 15 bits): 4-byte entries and a
        // directory of under 0.25 byte per entry
        let dir = tempfile::tempdir().unwrap();
        let mut x = 99u64;
        let frames = 22_500u32;
        let tracks: Vec<TrackLandmarks> = (0..8)
            .map(|t| TrackLandmarks {
                id: format!("t{t}"),
                frames,
                fine: Vec::new(),
                landmarks: (0..21_600)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        Landmark {
                            hash: (x >> 44) as u32,
                            frame: (x >> 20) as u32 % frames,
                        }
                    })
                    .collect(),
            })
            .collect();
        let path = dir.path().join("s.qfp");
        let bytes = write_segment(&path, &tracks).unwrap();
        let seg = Segment::open(&path).unwrap();
        let per = bytes as f64 / seg.len() as f64;
        assert!(per < 4.3, "{per:.2} bytes per posting, {:?}", seg.lay);
    }

    #[test]
    fn directory_size_minimises_the_file() {
        // 113 000 entries of 3 track + 16 frame bits: 4-byte entries either way, so the
        // smallest directory with <= 32 entries per bucket (12 bits)
        assert_eq!(choose_dir_bits(113_000, 19), (12, 4));
        // 3-byte entries need 15 directory bits: 128 KiB of directory costs more than the
        // byte saves for 100 000 entries, less for 300 000
        assert_eq!(choose_dir_bits(100_000, 19), (12, 4));
        assert_eq!(choose_dir_bits(300_000, 19), (15, 3));
        // a shard of 2500 four-minute tracks (12 + 14 bits, 35 M entries): more than 32 per
        // bucket even with a full directory, which it then takes (4-byte entries, no low bits)
        assert_eq!(choose_dir_bits(35_000_000, 26), (HASH_BITS, 4));
        assert_eq!(choose_dir_bits(0, 0), (0, 3));
    }

    #[test]
    fn hostile_layouts_are_refused() {
        let (dir, seg) = segment(3, 2000);
        let path = dir.path().join("s.qfp");
        drop(seg);
        let good = std::fs::read(&path).unwrap();
        // layout word: width 1 cannot hold the fields; width 9; frame bits 21
        for layout in [1u32, 9 | 2 << 8 | 13 << 16, 4 | 21 << 16, 1 << 24] {
            let mut b = good.clone();
            b[32..36].copy_from_slice(&layout.to_le_bytes());
            std::fs::write(&path, &b).unwrap();
            let e = Segment::open(&path).unwrap_err();
            assert!(e.to_string().contains("bad header"), "{e}");
        }
        // truncated: the size check (the CRC covers the body only)
        let mut b = good.clone();
        b.truncate(good.len() - 3);
        std::fs::write(&path, &b).unwrap();
        assert!(Segment::open(&path).is_err());
        // an older version is a typed Unsupported error asking for a rebuild
        let mut b = good;
        b[8..12].copy_from_slice(&2u32.to_le_bytes());
        std::fs::write(&path, &b).unwrap();
        let e = Segment::open(&path).unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e}");
        assert!(e.to_string().contains("rebuild"), "{e}");
    }

    #[test]
    fn batch_lookup_equals_single_lookups() {
        for (n_tracks, per_track) in [(3, 2000), (64, 150_000)] {
            let (_dir, seg) = segment(n_tracks, per_track);
            let mut hashes: Vec<u32> = (0..3000u32).map(|i| i * 349 % (1 << HASH_BITS)).collect();
            hashes.extend([0, (1 << HASH_BITS) - 1, 97 * 3]);
            let mut out = Vec::new();
            seg.lookup_batch(&hashes, &mut out);
            assert_eq!(out.len(), hashes.len());
            let mut nonempty = 0;
            for (h, got) in hashes.iter().zip(&out) {
                let single: Vec<_> = seg.lookup(*h).iter().collect();
                assert_eq!(got.iter().collect::<Vec<_>>(), single, "hash {h}");
                nonempty += !got.is_empty() as usize;
            }
            assert!(nonempty > 10, "{nonempty} non-empty lists");
            // out-of-range values get no postings instead of a panic
            seg.lookup_batch(&[1 << HASH_BITS, u32::MAX], &mut out);
            assert!(out.iter().all(|p| p.is_empty()));
        }
    }
}
