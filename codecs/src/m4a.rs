//! The `.m4a` download: a plain (non-fragmented) MP4 — `ftyp`, one `mdat` with every AAC
//! access unit, then `moov` with the sample tables, the priming edit list, iTunes metadata and
//! an `iTunSMPB` gapless record.
//!
//! Plain rather than fragmented because players apply edit lists reliably only there (ffmpeg
//! 5.1 ignores an AAC edit in fragmented MP4, so a fragmented download would play the 1 600–
//! 2 048 samples of encoder priming). The sample tables are written by hand with the
//! packager's box helpers — a one-track audio file needs six small tables, and owning the
//! bytes keeps the single-chunk layout and the 64-bit offsets explicit.

use quaver_core::Tags;

use crate::package::fmp4::{
    bx, full, sample_entry, sound_handler, sound_media_header_and_dinf, u16be, u32be, u64be,
    TrackConfig, MATRIX,
};

/// Samples per AAC-LC access unit.
pub const AAC_FRAME_SAMPLES: u32 = 1024;

/// The file's start: `ftyp` and a 64-bit `mdat` header whose size is patched at the end.
/// Returns the bytes; the media data starts right after them.
pub fn head() -> Vec<u8> {
    let mut o = Vec::with_capacity(48);
    bx(&mut o, b"ftyp", |o| {
        o.extend_from_slice(b"M4A ");
        u32be(o, 0);
        for b in [b"M4A ", b"mp42", b"isom"] {
            o.extend_from_slice(b);
        }
    });
    o.extend_from_slice(&mdat_header(0));
    o
}

/// The 16-byte `mdat` header (largesize form) for `payload` bytes of media data.
pub fn mdat_header(payload: u64) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&1u32.to_be_bytes());
    h[4..8].copy_from_slice(b"mdat");
    h[8..].copy_from_slice(&(payload + 16).to_be_bytes());
    h
}

/// The `moov` box for AAC access units of `sizes` bytes (each `frame` samples, the last
/// `last_duration`), stored as one chunk at file offset `data_offset`.
pub fn moov(
    t: &TrackConfig,
    sizes: &[u32],
    frame: u32,
    last_duration: u32,
    data_offset: u64,
    tags: &Tags,
) -> Vec<u8> {
    let rate = t.sample_rate;
    let n = sizes.len() as u32;
    let coded: u64 = u64::from(n.saturating_sub(1)) * u64::from(frame)
        + if n > 0 { u64::from(last_duration) } else { 0 };
    let valid = t.valid_samples;
    let big = valid > u64::from(u32::MAX) || coded > u64::from(u32::MAX);
    let version = u8::from(big);
    let dur = |o: &mut Vec<u8>, d: u64| {
        if big {
            u64be(o, d)
        } else {
            u32be(o, d as u32)
        }
    };
    let mut o = Vec::with_capacity(1024 + sizes.len() * 4);
    bx(&mut o, b"moov", |o| {
        full(o, b"mvhd", version, 0, |o| {
            dur(o, 0);
            dur(o, 0);
            u32be(o, rate);
            dur(o, valid);
            u32be(o, 0x0001_0000);
            u16be(o, 0x0100);
            o.extend_from_slice(&[0; 10]);
            MATRIX.iter().for_each(|&m| u32be(o, m));
            o.extend_from_slice(&[0; 24]);
            u32be(o, 2);
        });
        bx(o, b"trak", |o| {
            full(o, b"tkhd", version, 3, |o| {
                dur(o, 0);
                dur(o, 0);
                u32be(o, 1);
                u32be(o, 0);
                dur(o, valid);
                o.extend_from_slice(&[0; 8]);
                u16be(o, 0);
                u16be(o, 0);
                u16be(o, 0x0100);
                u16be(o, 0);
                MATRIX.iter().for_each(|&m| u32be(o, m));
                u32be(o, 0);
                u32be(o, 0);
            });
            bx(o, b"edts", |o| {
                full(o, b"elst", version, 0, |o| {
                    u32be(o, 1);
                    dur(o, valid);
                    dur(o, u64::from(t.priming));
                    u16be(o, 1);
                    u16be(o, 0);
                });
            });
            bx(o, b"mdia", |o| {
                full(o, b"mdhd", version, 0, |o| {
                    dur(o, 0);
                    dur(o, 0);
                    u32be(o, rate);
                    dur(o, coded);
                    u16be(o, 0x55c4); // "und"
                    u16be(o, 0);
                });
                sound_handler(o);
                bx(o, b"minf", |o| {
                    sound_media_header_and_dinf(o);
                    bx(o, b"stbl", |o| {
                        full(o, b"stsd", 0, 0, |o| {
                            u32be(o, 1);
                            sample_entry(o, t);
                        });
                        full(o, b"stts", 0, 0, |o| {
                            if n == 0 {
                                u32be(o, 0);
                            } else if last_duration == frame || n == 1 {
                                u32be(o, 1);
                                u32be(o, n);
                                u32be(o, if n == 1 { last_duration } else { frame });
                            } else {
                                u32be(o, 2);
                                u32be(o, n - 1);
                                u32be(o, frame);
                                u32be(o, 1);
                                u32be(o, last_duration);
                            }
                        });
                        full(o, b"stsc", 0, 0, |o| {
                            u32be(o, u32::from(n > 0));
                            if n > 0 {
                                u32be(o, 1);
                                u32be(o, n);
                                u32be(o, 1);
                            }
                        });
                        full(o, b"stsz", 0, 0, |o| {
                            u32be(o, 0);
                            u32be(o, n);
                            sizes.iter().for_each(|&s| u32be(o, s));
                        });
                        if data_offset > u64::from(u32::MAX) {
                            full(o, b"co64", 0, 0, |o| {
                                u32be(o, u32::from(n > 0));
                                if n > 0 {
                                    u64be(o, data_offset);
                                }
                            });
                        } else {
                            full(o, b"stco", 0, 0, |o| {
                                u32be(o, u32::from(n > 0));
                                if n > 0 {
                                    u32be(o, data_offset as u32);
                                }
                            });
                        }
                    });
                });
            });
        });
        // iTunSMPB counts whole frames: priming + valid + padding = access units × 1024.
        let whole = u64::from(n) * u64::from(frame);
        udta(
            o,
            tags,
            t.priming,
            whole.saturating_sub(u64::from(t.priming) + valid),
            valid,
        );
    });
    o
}

/// iTunes metadata (`udta/meta/ilst`): the tags plus `iTunSMPB` (priming, padding, valid
/// length in hex — the gapless record Apple's players read instead of the edit list).
fn udta(o: &mut Vec<u8>, tags: &Tags, priming: u32, padding: u64, valid: u64) {
    fn data(o: &mut Vec<u8>, kind: u32, bytes: &[u8]) {
        bx(o, b"data", |o| {
            u32be(o, kind);
            u32be(o, 0);
            o.extend_from_slice(bytes);
        });
    }
    fn text(o: &mut Vec<u8>, key: &[u8; 4], v: &Option<String>) {
        if let Some(v) = v {
            bx(o, key, |o| data(o, 1, v.as_bytes()));
        }
    }
    fn freeform(o: &mut Vec<u8>, name: &str, v: &str) {
        bx(o, b"----", |o| {
            full(o, b"mean", 0, 0, |o| {
                o.extend_from_slice(b"com.apple.iTunes")
            });
            full(o, b"name", 0, 0, |o| o.extend_from_slice(name.as_bytes()));
            data(o, 1, v.as_bytes());
        });
    }
    bx(o, b"udta", |o| {
        full(o, b"meta", 0, 0, |o| {
            full(o, b"hdlr", 0, 0, |o| {
                u32be(o, 0);
                o.extend_from_slice(b"mdirappl");
                o.extend_from_slice(&[0; 9]);
            });
            bx(o, b"ilst", |o| {
                text(o, b"\xa9nam", &tags.title);
                text(o, b"\xa9ART", &tags.artist);
                text(o, b"\xa9alb", &tags.album);
                text(o, b"aART", &tags.album_artist);
                text(o, b"\xa9day", &tags.date);
                text(o, b"\xa9gen", &tags.genre);
                if let Some(n) = tags.track_number {
                    bx(o, b"trkn", |o| {
                        let mut v = vec![0u8, 0];
                        v.extend_from_slice(&(n.min(u32::from(u16::MAX)) as u16).to_be_bytes());
                        v.extend_from_slice(&[0, 0, 0, 0]);
                        data(o, 0, &v);
                    });
                }
                bx(o, b"\xa9too", |o| {
                    data(o, 1, b"quaver (Fraunhofer FDK AAC)")
                });
                if let Some(isrc) = &tags.isrc {
                    freeform(o, "ISRC", isrc);
                }
                let smpb = format!(
                    " 00000000 {priming:08X} {padding:08X} {valid:016X} 00000000 00000000 \
                     00000000 00000000 00000000 00000000 00000000 00000000"
                );
                freeform(o, "iTunSMPB", &smpb);
            });
        });
    });
}
