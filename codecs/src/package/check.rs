//! A conformance checker for packages: reads a package directory back from disk — playlists,
//! MPD, init and media segments — and checks the rules the packager promises (RFC 8216 and
//! Apple's authoring spec, CMAF boxes, Opus/FLAC-in-ISOBMFF, gapless timing, alignment across
//! renditions, the RFC bandwidth window). Independent of the writer: it re-derives every
//! number from the bytes, so it also checks packages from other tools.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::segmenter::{average_bitrate, peak_bitrate};

/// The findings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Rules a client relies on (a MUST in a spec): each is a defect.
    pub errors: Vec<String>,
    /// Recommendations not met (a SHOULD, or a drift within tolerance).
    pub warnings: Vec<String>,
    /// Number of checks run.
    pub checks: usize,
}

impl CheckReport {
    fn check(&mut self, ok: bool, error: bool, msg: impl FnOnce() -> String) -> bool {
        self.checks += 1;
        if !ok {
            if error {
                self.errors.push(msg());
            } else {
                self.warnings.push(msg());
            }
        }
        ok
    }
}

/// A box: type and body range within the buffer.
#[derive(Clone, Copy, Debug)]
struct Bx {
    typ: [u8; 4],
    body: usize,
    end: usize,
}

fn boxes(b: &[u8], mut p: usize, end: usize) -> Vec<Bx> {
    let mut v = Vec::new();
    while p + 8 <= end {
        let size = u32::from_be_bytes(b[p..p + 4].try_into().unwrap()) as usize;
        let (hdr, size) = if size == 1 && p + 16 <= end {
            (
                16,
                u64::from_be_bytes(b[p + 8..p + 16].try_into().unwrap()) as usize,
            )
        } else if size == 0 {
            (8, end - p)
        } else {
            (8, size)
        };
        if size < hdr || p + size > end {
            break;
        }
        v.push(Bx {
            typ: b[p + 4..p + 8].try_into().unwrap(),
            body: p + hdr,
            end: p + size,
        });
        p += size;
    }
    v
}

fn child(b: &[u8], parent: Bx, typ: &[u8; 4]) -> Option<Bx> {
    boxes(b, parent.body, parent.end)
        .into_iter()
        .find(|x| &x.typ == typ)
}

fn path(b: &[u8], root: &[Bx], types: &[&[u8; 4]]) -> Option<Bx> {
    let mut cur = *root.iter().find(|x| &x.typ == types[0])?;
    for t in &types[1..] {
        cur = child(b, cur, t)?;
    }
    Some(cur)
}

fn be32(b: &[u8], p: usize) -> u32 {
    u32::from_be_bytes(b[p..p + 4].try_into().unwrap())
}

/// What an init segment says.
#[derive(Clone, Debug, Default)]
struct Init {
    entry: String,
    timescale: u32,
    edit_start: u64,
    edit_duration: Option<u64>,
    pre_skip: Option<u32>,
    roll: Option<i16>,
    /// The RFC 6381 codecs string the sample entry implies: its 4CC, or for `mp4a`
    /// `mp4a.<OTI hex>.<audio object type>` from the `esds`.
    codecs: String,
}

/// Object type indication and audio object type from an `esds` body (after the full-box
/// header): walks ES_Descriptor → DecoderConfigDescriptor → DecoderSpecificInfo.
fn esds_codec(d: &[u8]) -> Option<(u8, u8)> {
    // One descriptor: tag, expandable length (1–4 bytes); returns (tag, body range).
    fn desc(d: &[u8], mut p: usize) -> Option<(u8, usize, usize)> {
        let tag = *d.get(p)?;
        p += 1;
        let mut len = 0usize;
        for _ in 0..4 {
            let c = *d.get(p)?;
            p += 1;
            len = (len << 7) | usize::from(c & 0x7f);
            if c & 0x80 == 0 {
                break;
            }
        }
        (p + len <= d.len()).then_some((tag, p, p + len))
    }
    let (tag, es, es_end) = desc(d, 0)?;
    if tag != 0x03 {
        return None;
    }
    let flags = *d.get(es + 2)?;
    let mut p = es + 3;
    if flags & 0x80 != 0 {
        p += 2;
    }
    if flags & 0x40 != 0 {
        p += 1 + usize::from(*d.get(p)?);
    }
    if flags & 0x20 != 0 {
        p += 2;
    }
    let (tag, dcd, dcd_end) = desc(d, p)?;
    if tag != 0x04 || dcd_end > es_end {
        return None;
    }
    let oti = *d.get(dcd)?;
    let (tag, dsi, dsi_end) = desc(d, dcd + 13)?;
    if tag != 0x05 || dsi_end > dcd_end || dsi_end - dsi < 2 {
        return None;
    }
    let mut aot = d[dsi] >> 3;
    if aot == 31 {
        aot = 32 + (((d[dsi] & 0x07) << 3) | (d[dsi + 1] >> 5));
    }
    Some((oti, aot))
}

/// What a media segment says.
#[derive(Clone, Debug, Default)]
struct Seg {
    bytes: u64,
    tfdt: u64,
    duration: u64,
}

fn parse_init(b: &[u8], w: &str, r: &mut CheckReport) -> Init {
    let top = boxes(b, 0, b.len());
    let mut init = Init::default();
    let ftyp = top.iter().find(|x| &x.typ == b"ftyp");
    r.check(
        ftyp.is_some_and(|f| {
            let brands: Vec<&[u8]> = b[f.body..f.end].chunks(4).collect();
            brands.contains(&&b"iso6"[..]) && brands.contains(&&b"cmfc"[..])
        }),
        false,
        || format!("{w}: ftyp lacks the iso6 and cmfc brands"),
    );
    let traks = path(b, &top, &[b"moov"])
        .map(|m| {
            boxes(b, m.body, m.end)
                .iter()
                .filter(|x| &x.typ == b"trak")
                .count()
        })
        .unwrap_or(0);
    r.check(traks == 1, true, || {
        format!("{w}: {traks} tracks (CMAF: exactly one)")
    });
    r.check(
        path(b, &top, &[b"moov", b"mvex", b"trex"]).is_some(),
        true,
        || format!("{w}: no mvex/trex (not a fragmented MP4 init)"),
    );
    let hdlr = path(b, &top, &[b"moov", b"trak", b"mdia", b"hdlr"]);
    r.check(
        hdlr.is_some_and(|h| &b[h.body + 8..h.body + 12] == b"soun"),
        true,
        || format!("{w}: handler is not 'soun'"),
    );
    if let Some(m) = path(b, &top, &[b"moov", b"trak", b"mdia", b"mdhd"]) {
        let v = b[m.body];
        init.timescale = be32(b, m.body + if v == 1 { 20 } else { 12 });
    }
    if let Some(e) = path(b, &top, &[b"moov", b"trak", b"edts", b"elst"]) {
        let v = b[e.body];
        let n = be32(b, e.body + 4);
        r.check(n == 1, false, || {
            format!("{w}: elst has {n} entries (expected 1)")
        });
        let p = e.body + 8;
        if v == 1 {
            init.edit_duration = Some(u64::from_be_bytes(b[p..p + 8].try_into().unwrap()));
            init.edit_start = u64::from_be_bytes(b[p + 8..p + 16].try_into().unwrap());
        } else {
            init.edit_duration = Some(u64::from(be32(b, p)));
            init.edit_start = u64::from(be32(b, p + 4));
        }
    }
    if let Some(stsd) = path(
        b,
        &top,
        &[b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"],
    ) {
        if let Some(entry) = boxes(b, stsd.body + 8, stsd.end).first() {
            init.entry = String::from_utf8_lossy(&entry.typ).into_owned();
            init.codecs = init.entry.clone();
            for k in boxes(b, entry.body + 28, entry.end) {
                if &k.typ == b"esds" && k.body + 4 <= k.end {
                    match esds_codec(&b[k.body + 4..k.end]) {
                        Some((oti, aot)) => init.codecs = format!("mp4a.{oti:02X}.{aot}"),
                        None => {
                            r.check(false, true, || format!("{w}: unreadable esds"));
                        }
                    }
                }
                if &k.typ == b"dOps" {
                    init.pre_skip = Some(u32::from(u16::from_be_bytes([
                        b[k.body + 2],
                        b[k.body + 3],
                    ])));
                }
            }
        }
    }
    if let Some(stbl) = path(b, &top, &[b"moov", b"trak", b"mdia", b"minf", b"stbl"]) {
        for g in boxes(b, stbl.body, stbl.end) {
            if &g.typ == b"sgpd" && &b[g.body + 4..g.body + 8] == b"roll" {
                let off = g.body + 8 + if b[g.body] == 1 { 4 } else { 0 } + 4;
                init.roll = Some(i16::from_be_bytes([b[off], b[off + 1]]));
            }
        }
    }
    r.check(init.timescale > 0, true, || {
        format!("{w}: no mdhd timescale")
    });
    if init.entry == "Opus" {
        r.check(init.timescale == 48_000, false, || {
            format!("{w}: Opus timescale {} (expected 48000)", init.timescale)
        });
        r.check(init.pre_skip == Some(init.edit_start as u32), false, || {
            format!(
                "{w}: Opus pre-skip {:?} not expressed as elst media_time {}",
                init.pre_skip, init.edit_start
            )
        });
        r.check(init.roll.is_some_and(|d| d <= -4), false, || {
            format!(
                "{w}: Opus init has no 'roll' sample group of ≥ 80 ms (got {:?})",
                init.roll
            )
        });
    }
    if init.entry == "mp4a" {
        r.check(init.codecs.starts_with("mp4a.40."), true, || {
            format!(
                "{w}: mp4a entry without an MPEG-4 Audio esds ({})",
                init.codecs
            )
        });
        // Every AAC encoder primes at least one 1024-sample frame; an edit starting at 0
        // plays that priming as audio (ffmpeg's fMP4 AAC: +1024 samples).
        r.check(init.edit_start >= 1024, false, || {
            format!(
                "{w}: AAC elst media_time {} does not skip the encoder priming",
                init.edit_start
            )
        });
    }
    init
}

fn parse_segment(b: &[u8], init: &Init, w: &str, r: &mut CheckReport) -> Seg {
    let top = boxes(b, 0, b.len());
    let mut s = Seg {
        bytes: b.len() as u64,
        ..Default::default()
    };
    let moofs: Vec<&Bx> = top.iter().filter(|x| &x.typ == b"moof").collect();
    r.check(moofs.len() == 1, false, || {
        format!("{w}: {} moof boxes (CMAF segment: one)", moofs.len())
    });
    let mdat = top.iter().find(|x| &x.typ == b"mdat");
    let Some(moof) = moofs.first() else {
        return s;
    };
    let moof_start = moof.body - 8;
    let Some(traf) = child(b, **moof, b"traf") else {
        r.check(false, true, || format!("{w}: no traf"));
        return s;
    };
    let kids = boxes(b, traf.body, traf.end);
    match kids.iter().find(|x| &x.typ == b"tfdt") {
        Some(t) if b[t.body] == 1 => {
            s.tfdt = u64::from_be_bytes(b[t.body + 4..t.body + 12].try_into().unwrap())
        }
        Some(t) => {
            s.tfdt = u64::from(be32(b, t.body + 4));
            r.check(false, false, || {
                format!("{w}: tfdt version 0 (CMAF: version 1)")
            });
        }
        None => {
            r.check(false, true, || format!("{w}: no tfdt"));
        }
    }
    let tfhd = kids.iter().find(|x| &x.typ == b"tfhd");
    let tf_flags = tfhd.map_or(0, |t| be32(b, t.body) & 0xff_ffff);
    r.check(tf_flags & 0x02_0000 != 0, false, || {
        format!("{w}: tfhd without default-base-is-moof")
    });
    let mut default_flags = None;
    if let Some(t) = tfhd {
        let mut p = t.body + 8;
        for (bit, len) in [(1, 8), (2, 4), (8, 4), (0x10, 4)] {
            if tf_flags & bit != 0 {
                p += len;
            }
        }
        if tf_flags & 0x20 != 0 {
            default_flags = Some(be32(b, p));
        }
    }
    let mut sizes = 0u64;
    let mut count = 0u32;
    for trun in kids.iter().filter(|x| &x.typ == b"trun") {
        let fl = be32(b, trun.body) & 0xff_ffff;
        let n = be32(b, trun.body + 4);
        count += n;
        let mut p = trun.body + 8;
        if fl & 1 != 0 {
            let off = be32(b, p) as usize;
            r.check(
                mdat.is_some_and(|m| moof_start + off == m.body),
                true,
                || format!("{w}: trun data_offset does not point at the mdat payload"),
            );
            p += 4;
        }
        let first_flags = if fl & 4 != 0 {
            p += 4;
            Some(be32(b, p - 4))
        } else {
            None
        };
        for _ in 0..n {
            if fl & 0x100 != 0 {
                s.duration += u64::from(be32(b, p));
                p += 4;
            }
            if fl & 0x200 != 0 {
                sizes += u64::from(be32(b, p));
                p += 4;
            }
            if fl & 0x400 != 0 {
                let f = be32(b, p);
                r.check(f & 0x0001_0000 == 0, true, || {
                    format!("{w}: a non-sync sample")
                });
                p += 4;
            }
            if fl & 0x800 != 0 {
                p += 4;
            }
        }
        let flags = first_flags.or(default_flags).unwrap_or(0);
        r.check(flags & 0x0001_0000 == 0, true, || {
            format!("{w}: samples are not sync samples")
        });
    }
    r.check(
        mdat.is_some_and(|m| (m.end - m.body) as u64 == sizes),
        true,
        || format!("{w}: trun sample sizes ({sizes}) do not fill the mdat"),
    );
    r.check(count > 0, true, || format!("{w}: empty segment"));
    if init.entry == "Opus" {
        let sbgp = kids
            .iter()
            .find(|x| &x.typ == b"sbgp" && &b[x.body + 4..x.body + 8] == b"roll");
        r.check(
            sbgp.is_some_and(|g| be32(b, g.body + 12) == count),
            false,
            || format!("{w}: traf lacks an sbgp 'roll' covering its {count} samples"),
        );
    }
    s
}

/// One rendition read back: its init and segments, with presentation times.
#[derive(Clone, Debug)]
struct Track {
    name: String,
    init: Init,
    segs: Vec<Seg>,
}

impl Track {
    fn starts(&self) -> Vec<u64> {
        self.segs
            .iter()
            .map(|s| s.tfdt.saturating_sub(self.init.edit_start))
            .collect()
    }
    fn pdur(&self, i: usize) -> u64 {
        let s = &self.segs[i];
        (s.tfdt + s.duration).saturating_sub(self.init.edit_start)
            - s.tfdt.saturating_sub(self.init.edit_start)
    }
    fn end(&self) -> u64 {
        self.segs.last().map_or(0, |s| {
            (s.tfdt + s.duration).saturating_sub(self.init.edit_start)
        })
    }
}

fn read(p: &Path, r: &mut CheckReport) -> Option<Vec<u8>> {
    let v = std::fs::read(p).ok();
    r.check(v.is_some(), true, || format!("cannot read {}", p.display()));
    v
}

fn load_track(name: String, init: &Path, segs: &[PathBuf], r: &mut CheckReport) -> Option<Track> {
    let ib = read(init, r)?;
    let init = parse_init(&ib, &name, r);
    let mut out = Vec::new();
    for (i, p) in segs.iter().enumerate() {
        let b = read(p, r)?;
        out.push(parse_segment(
            &b,
            &init,
            &format!("{name} seg#{}", i + 1),
            r,
        ));
    }
    for i in 1..out.len() {
        let exp = out[i - 1].tfdt + out[i - 1].duration;
        r.check(out[i].tfdt == exp, true, || {
            format!(
                "{name} seg#{}: tfdt {} != previous end {exp}",
                i + 1,
                out[i].tfdt
            )
        });
    }
    let t = Track {
        name,
        init,
        segs: out,
    };
    let end = t.end();
    if let Some(d) = t.init.edit_duration {
        r.check(d == end, false, || {
            format!(
                "{}: elst segment_duration {d} != presented samples {end}",
                t.name
            )
        });
    }
    Some(t)
}

fn attrs(s: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut rest = s;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim_start_matches(',').trim().to_string();
        let v = &rest[eq + 1..];
        let (val, next) = if let Some(q) = v.strip_prefix('"') {
            let e = q.find('"').unwrap_or(q.len());
            (q[..e].to_string(), &q[(e + 1).min(q.len())..])
        } else {
            let e = v.find(',').unwrap_or(v.len());
            (v[..e].to_string(), &v[e..])
        };
        m.insert(key, val);
        rest = next;
    }
    m
}

fn alignment(where_: &str, tracks: &[Track], r: &mut CheckReport) {
    if let Some((first, rest)) = tracks.split_first() {
        let a = first.starts();
        for t in rest {
            let ts_equal = t.init.timescale == first.init.timescale;
            r.check(ts_equal && t.starts() == a, true, || {
                format!(
                    "{where_}: segments of {} not aligned with {}",
                    t.name, first.name
                )
            });
        }
    }
}

/// Check an HLS multivariant playlist (`name`, relative to `dir`) and everything it points at.
/// `source_samples` (at the track timescale) checks that every playlist sums to the source.
pub fn check_hls(dir: &Path, name: &str, source_samples: Option<u64>, r: &mut CheckReport) {
    let Some(text) = read(&dir.join(name), r).map(|b| String::from_utf8_lossy(&b).into_owned())
    else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    r.check(lines.first() == Some(&"#EXTM3U"), true, || {
        format!("{name}: first line is not #EXTM3U")
    });
    r.check(text.contains("#EXT-X-INDEPENDENT-SEGMENTS"), false, || {
        format!("{name}: no EXT-X-INDEPENDENT-SEGMENTS")
    });
    let mut tracks = Vec::new();
    let mut legacy_sets: Vec<(String, Vec<f64>)> = Vec::new();
    let mut uris = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(a) = l.strip_prefix("#EXT-X-STREAM-INF:") else {
            continue;
        };
        let a = attrs(a);
        let Some(uri) = lines.get(i + 1).map(|s| s.trim().to_string()) else {
            continue;
        };
        r.check(!uris.contains(&uri), true, || {
            format!("{name}: {uri} listed twice")
        });
        uris.push(uri.clone());
        let w = format!("{name} -> {uri}");
        let media_path = dir.join(&uri);
        let base = media_path.parent().unwrap_or(dir).to_path_buf();
        let Some(mt) = read(&media_path, r).map(|b| String::from_utf8_lossy(&b).into_owned())
        else {
            continue;
        };
        let ml: Vec<&str> = mt.lines().collect();
        let tag = |t: &str| {
            ml.iter()
                .find_map(|l| l.strip_prefix(t))
                .map(str::to_string)
        };
        let target: Option<u64> = tag("#EXT-X-TARGETDURATION:").and_then(|v| v.parse().ok());
        let version: u32 = tag("#EXT-X-VERSION:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        r.check(ml.first() == Some(&"#EXTM3U"), true, || {
            format!("{w}: first line is not #EXTM3U")
        });
        let legacy = !mt.contains("#EXT-X-MAP");
        r.check(legacy || version >= 6, true, || {
            format!("{w}: EXT-X-MAP needs EXT-X-VERSION >= 6")
        });
        r.check(mt.contains("#EXT-X-ENDLIST"), false, || {
            format!("{w}: no EXT-X-ENDLIST")
        });
        r.check(
            tag("#EXT-X-PLAYLIST-TYPE:").as_deref() == Some("VOD"),
            false,
            || format!("{w}: no EXT-X-PLAYLIST-TYPE:VOD"),
        );
        r.check(!mt.contains("#EXT-X-PROGRAM-DATE-TIME"), false, || {
            format!("{w}: PROGRAM-DATE-TIME in VOD")
        });
        let map = tag("#EXT-X-MAP:")
            .map(|m| attrs(&m))
            .and_then(|m| m.get("URI").cloned());
        let mut extinf = Vec::new();
        let mut segs = Vec::new();
        let mut cur = None;
        for l in &ml {
            if let Some(v) = l.strip_prefix("#EXTINF:") {
                let num = v.split(',').next().unwrap_or("");
                let decimals = num.split('.').nth(1).map_or(0, str::len);
                r.check(decimals >= 3, false, || {
                    format!("{w}: EXTINF {num} has fewer than 3 decimals")
                });
                cur = num.parse::<f64>().ok();
            } else if !l.is_empty() && !l.starts_with('#') {
                extinf.push(cur.take().unwrap_or(f64::NAN));
                segs.push(base.join(l.trim()));
            }
        }
        let max_inf = extinf.iter().cloned().fold(0.0, f64::max);
        r.check(
            target.is_some_and(|t| max_inf.round() as u64 <= t),
            true,
            || format!("{w}: max EXTINF {max_inf} rounds above TARGETDURATION {target:?}"),
        );
        if legacy {
            let codecs = a.get("CODECS").cloned().unwrap_or_default();
            check_legacy(&w, &segs, &extinf, &codecs, r);
            legacy_sets.push((w.clone(), extinf.clone()));
            continue;
        }
        let Some(map) = map else {
            r.check(false, true, || format!("{w}: no EXT-X-MAP"));
            continue;
        };
        let Some(t) = load_track(w.clone(), &base.join(map), &segs, r) else {
            continue;
        };
        let ts = f64::from(t.init.timescale.max(1));
        for (i, inf) in extinf.iter().enumerate() {
            let real = t.pdur(i) as f64 / ts;
            r.check((real - inf).abs() <= 0.000_001 + 0.5 / ts, false, || {
                format!("{w} seg#{}: EXTINF {inf} vs presented {real:.6}", i + 1)
            });
        }
        if let Some(n) = source_samples {
            r.check(t.end() == n, true, || {
                format!("{w}: presents {} samples, source has {n}", t.end())
            });
        }
        let codecs = a.get("CODECS").cloned().unwrap_or_default();
        r.check(!codecs.is_empty(), true, || format!("{w}: no CODECS"));
        r.check(
            codecs
                .split(',')
                .any(|c| c.trim().eq_ignore_ascii_case(&t.init.codecs)),
            true,
            || {
                format!(
                    "{w}: CODECS={codecs} but the sample entry is {}",
                    t.init.codecs
                )
            },
        );
        let sizes: Vec<(u64, f64)> = t
            .segs
            .iter()
            .zip(&extinf)
            .map(|(s, &d)| (s.bytes, d))
            .collect();
        let peak = peak_bitrate(&sizes, target.unwrap_or(6) as f64);
        let avg = average_bitrate(&sizes);
        let bw: f64 = a
            .get("BANDWIDTH")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        r.check(bw > 0.0 && peak <= bw * 1.1, true, || {
            format!("{w}: measured peak {peak:.0} b/s exceeds BANDWIDTH {bw} by more than 10%")
        });
        r.check(bw >= peak.floor(), false, || {
            format!("{w}: BANDWIDTH {bw} below the measured peak {peak:.0}")
        });
        r.check(bw <= peak.ceil() * 1.1, false, || {
            format!("{w}: BANDWIDTH {bw} over-declared (peak {peak:.0})")
        });
        let ab: f64 = a
            .get("AVERAGE-BANDWIDTH")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        r.check((avg - ab).abs() <= 0.1 * ab, false, || {
            format!("{w}: AVERAGE-BANDWIDTH {ab} vs measured {avg:.0}")
        });
        tracks.push(t);
    }
    r.check(!tracks.is_empty() || !legacy_sets.is_empty(), true, || {
        format!("{name}: no variants")
    });
    alignment(name, &tracks, r);
    // Packed / TS variants: the same segment durations in every variant of the set.
    if let Some((first, rest)) = legacy_sets.split_first() {
        for (w, e) in rest {
            r.check(e == &first.1, true, || {
                format!("{name}: segments of {w} not aligned with {}", first.0)
            });
        }
    }
}

/// The 90 kHz timestamp of a packed-audio segment (its ID3 PRIV
/// `com.apple.streaming.transportStreamTimestamp`) and where the audio starts after the tag.
fn packed_timestamp(b: &[u8]) -> Option<(u64, usize)> {
    if b.len() < 10 || &b[..3] != b"ID3" {
        return None;
    }
    let size = b[6..10]
        .iter()
        .fold(0usize, |n, &c| (n << 7) | usize::from(c & 0x7f));
    let tag = b.get(10..10 + size)?;
    let owner = b"com.apple.streaming.transportStreamTimestamp\0";
    let at = tag.windows(owner.len()).position(|w| w == owner)? + owner.len();
    let ts = u64::from_be_bytes(tag.get(at..at + 8)?.try_into().ok()?);
    Some((ts & ((1 << 33) - 1), 10 + size))
}

/// The PTS of a TS segment's first PES packet, after checking its packet structure: 188-byte
/// packets with sync bytes, a PAT first, a PMT, and continuity on the audio PID.
fn ts_first_pts(b: &[u8], w: &str, r: &mut CheckReport) -> Option<u64> {
    use mpeg2ts::ts::{ReadTsPacket, TsPacketReader, TsPayload};
    r.check(b.len() % 188 == 0 && !b.is_empty(), true, || {
        format!(
            "{w}: {} bytes is not a whole number of 188-byte TS packets",
            b.len()
        )
    });
    let mut reader = TsPacketReader::new(b);
    let (mut first, mut pmt, mut pts) = (true, false, None);
    loop {
        match reader.read_ts_packet() {
            Ok(Some(p)) => {
                if first {
                    r.check(matches!(p.payload, Some(TsPayload::Pat(_))), true, || {
                        format!("{w}: does not start with a PAT")
                    });
                    first = false;
                }
                match &p.payload {
                    Some(TsPayload::Pmt(_)) => pmt = true,
                    Some(TsPayload::PesStart(pes)) if pts.is_none() => {
                        pts = pes.header.pts.map(|t| t.as_u64());
                    }
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                r.check(false, true, || format!("{w}: unreadable TS packet: {e}"));
                break;
            }
        }
    }
    r.check(pmt, true, || format!("{w}: no PMT in the segment"));
    pts
}

/// Packed-audio / MPEG-TS segments (MP3): each carries its timestamp (ID3 PRIV or PES PTS),
/// the audio starts with an MPEG audio sync word, and every segment after the first starts
/// exactly where the playlist puts it (the first segment's timestamp + the EXTINFs before
/// it, ±1 tick); the first holds the priming, so it starts at or before that position.
fn check_legacy(w: &str, segs: &[PathBuf], extinf: &[f64], codecs: &str, r: &mut CheckReport) {
    r.check(codecs == "mp4a.40.34", true, || {
        format!("{w}: CODECS={codecs:?} for MPEG audio (expected mp4a.40.34)")
    });
    let mut stamps = Vec::new();
    for (i, p) in segs.iter().enumerate() {
        let Some(b) = read(p, r) else {
            continue;
        };
        let sw = format!("{w} seg#{}", i + 1);
        let ts = if p.extension().is_some_and(|e| e == "ts") {
            ts_first_pts(&b, &sw, r)
        } else {
            packed_timestamp(&b).map(|(ts, audio)| {
                r.check(
                    b.get(audio..audio + 2)
                        .is_some_and(|s| s[0] == 0xff && s[1] & 0xe0 == 0xe0),
                    true,
                    || format!("{sw}: no MPEG audio frame right after the ID3 tag"),
                );
                ts
            })
        };
        r.check(ts.is_some(), true, || format!("{sw}: no timestamp"));
        stamps.push(ts.unwrap_or(0));
    }
    if stamps.len() < 2 {
        return;
    }
    // Where segment 2 starts on the media timeline fixes the origin: origin + EXTINF_1.
    let origin = stamps[1] as f64 - extinf[0] * 90_000.0;
    r.check(stamps[0] as f64 <= origin + 1.0, true, || {
        format!("{w}: segment 1 starts after the playlist's origin")
    });
    let mut at = 0.0;
    for (i, s) in stamps.iter().enumerate().skip(1) {
        at += extinf[i - 1];
        let want = origin + at * 90_000.0;
        r.check((*s as f64 - want).abs() <= 1.0 + 1e-6, true, || {
            format!(
                "{w} seg#{}: timestamp {s} but the playlist puts it at {want:.1}",
                i + 1
            )
        });
    }
}

fn xml_attrs(tag: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string();
        let v = &rest[eq + 2..];
        let e = v.find('"').unwrap_or(v.len());
        m.insert(key, v[..e].to_string());
        rest = &v[(e + 1).min(v.len())..];
    }
    m
}

fn iso_seconds(s: &str) -> Option<f64> {
    let t = s.strip_prefix("PT")?.strip_suffix('S')?;
    t.parse().ok()
}

/// Check a DASH MPD written by this packager (SegmentTemplate + SegmentTimeline with
/// `$Number$`, per Representation).
pub fn check_dash(dir: &Path, name: &str, source_seconds: Option<f64>, r: &mut CheckReport) {
    let Some(x) = read(&dir.join(name), r).map(|b| String::from_utf8_lossy(&b).into_owned()) else {
        return;
    };
    let mpd_tag = x
        .split("<MPD")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .unwrap_or("");
    let mpd = xml_attrs(mpd_tag);
    r.check(
        mpd.get("type").map(String::as_str) == Some("static"),
        false,
        || format!("{name}: not static"),
    );
    r.check(mpd.contains_key("profiles"), false, || {
        format!("{name}: no @profiles")
    });
    let duration = mpd
        .get("mediaPresentationDuration")
        .and_then(|d| iso_seconds(d));
    for (ai, set) in x.split("<AdaptationSet").skip(1).enumerate() {
        let set = set.split("</AdaptationSet>").next().unwrap_or("");
        let sa = xml_attrs(set.split('>').next().unwrap_or(""));
        r.check(
            sa.get("segmentAlignment").map(String::as_str) == Some("true"),
            false,
            || format!("{name} AS{ai}: no segmentAlignment=true"),
        );
        r.check(
            sa.get("startWithSAP").map(String::as_str) == Some("1"),
            false,
            || format!("{name} AS{ai}: no startWithSAP=1"),
        );
        let mut tracks = Vec::new();
        for rep in set.split("<Representation").skip(1) {
            let ra = xml_attrs(rep.split('>').next().unwrap_or(""));
            let id = ra.get("id").cloned().unwrap_or_default();
            let w = format!("{name} rep {id}");
            r.check(rep.contains("<AudioChannelConfiguration"), false, || {
                format!("{w}: no AudioChannelConfiguration")
            });
            r.check(ra.contains_key("audioSamplingRate"), false, || {
                format!("{w}: no audioSamplingRate")
            });
            let st = xml_attrs(
                rep.split("<SegmentTemplate")
                    .nth(1)
                    .and_then(|s| s.split('>').next())
                    .unwrap_or(""),
            );
            let ts: u64 = st
                .get("timescale")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let start_number: usize = st
                .get("startNumber")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let mut times: Vec<(u64, u64)> = Vec::new();
            for s in rep.split("<S ").skip(1) {
                let a = xml_attrs(s.split("/>").next().unwrap_or(""));
                let d: u64 = a.get("d").and_then(|v| v.parse().ok()).unwrap_or(0);
                let rr: usize = a.get("r").and_then(|v| v.parse().ok()).unwrap_or(0);
                let mut t = a
                    .get("t")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| times.last().map_or(0, |l: &(u64, u64)| l.0 + l.1));
                for _ in 0..=rr {
                    times.push((t, d));
                    t += d;
                }
            }
            let sub = |tpl: &str, n: usize| {
                tpl.replace("$RepresentationID$", &id)
                    .replace("$Number$", &n.to_string())
            };
            let init = dir.join(sub(st.get("initialization").map_or("", String::as_str), 0));
            let media = st.get("media").cloned().unwrap_or_default();
            let segs: Vec<PathBuf> = (0..times.len())
                .map(|i| dir.join(sub(&media, start_number + i)))
                .collect();
            let Some(t) = load_track(w.clone(), &init, &segs, r) else {
                continue;
            };
            r.check(ts == u64::from(t.init.timescale), false, || {
                format!("{w}: timescale {ts} != media {}", t.init.timescale)
            });
            let starts = t.starts();
            let same = times.len() == t.segs.len()
                && times
                    .iter()
                    .enumerate()
                    .all(|(i, &(st, d))| st == starts[i] && d == t.pdur(i));
            r.check(same, true, || {
                format!("{w}: SegmentTimeline disagrees with tfdt/trun minus the edit")
            });
            let codecs = ra.get("codecs").cloned().unwrap_or_default();
            r.check(codecs.eq_ignore_ascii_case(&t.init.codecs), true, || {
                format!(
                    "{w}: @codecs={codecs} but the sample entry is {}",
                    t.init.codecs
                )
            });
            let end = t.end() as f64 / ts as f64;
            r.check(
                duration.is_some_and(|d| (d - end).abs() < 0.000_001),
                false,
                || format!("{w}: mediaPresentationDuration {duration:?} vs media end {end:.7}"),
            );
            if let Some(src) = source_seconds {
                // A resampled rendition holds round(frames * ts / source rate) samples: up to
                // half a sample off, exactly half when the product ends in .5 (fuzz-found:
                // 25 531 frames at 96 kHz -> 12 765.5 at 48 kHz).
                r.check((end - src).abs() <= 0.5 / ts as f64 + 1e-12, true, || {
                    format!("{w}: media end {end} vs source {src}")
                });
            }
            let sizes: Vec<(u64, f64)> = t
                .segs
                .iter()
                .map(|s| (s.bytes, s.duration as f64 / ts as f64))
                .collect();
            let peak = peak_bitrate(&sizes, 6.0);
            let bw: f64 = ra
                .get("bandwidth")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            r.check(bw > 0.0 && peak <= bw * 1.1, true, || {
                format!("{w}: measured peak {peak:.0} > bandwidth {bw} + 10%")
            });
            tracks.push(t);
        }
        alignment(&format!("{name} AS{ai}"), &tracks, r);
    }
}

/// Check a whole package directory written by [`super::package`]: every `master*.m3u8` and
/// `manifest.mpd`. `source_seconds` (optional) is the source's duration.
pub fn check_package(dir: &Path, source_seconds: Option<f64>) -> CheckReport {
    let mut r = CheckReport::default();
    let mut masters: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("master") && n.ends_with(".m3u8"))
                .collect()
        })
        .unwrap_or_default();
    masters.sort();
    r.check(!masters.is_empty(), true, || {
        format!("{}: no master*.m3u8", dir.display())
    });
    for m in &masters {
        // The source length at each track's rate is checked through the MPD's duration; here
        // only the per-playlist rules and alignment.
        check_hls(dir, m, None, &mut r);
    }
    check_dash(dir, super::MPD_NAME, source_seconds, &mut r);
    r
}
