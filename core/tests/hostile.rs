//! Hostile and broken inputs: each must end in a typed error (or a correct, possibly short,
//! decode) within 1 s, with peak heap under 100 MB and no panic. A 60-minute stream decodes
//! with a flat heap (< 50 MB).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use quaver_core::{Decoder, Error, Input};

/// Counts live heap bytes and the peak, so a test can bound what a hostile file makes us allocate.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn wav(rate: u32, ch: u16, bits: u16, fmt_tag: u16, data_size: Option<u32>, pcm: &[u8]) -> Vec<u8> {
    let ba = ch.wrapping_mul(bits / 8);
    let mut fmt = Vec::new();
    fmt.extend(fmt_tag.to_le_bytes());
    fmt.extend(ch.to_le_bytes());
    fmt.extend(rate.to_le_bytes());
    fmt.extend(rate.wrapping_mul(u32::from(ba)).to_le_bytes());
    fmt.extend(ba.to_le_bytes());
    fmt.extend(bits.to_le_bytes());
    let mut body = b"WAVE".to_vec();
    body.extend(b"fmt ");
    body.extend((fmt.len() as u32).to_le_bytes());
    body.extend(&fmt);
    body.extend(b"data");
    body.extend(data_size.unwrap_or(pcm.len() as u32).to_le_bytes());
    body.extend(pcm);
    let mut out = b"RIFF".to_vec();
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(common::fixture(name)).unwrap()
}

fn flip(mut b: Vec<u8>, seed: u64, count: usize) -> Vec<u8> {
    let mut x = seed;
    let n = b.len();
    for _ in 0..count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = n / 4 + (x as usize % (n / 2));
        b[i] ^= 1 << (x % 8);
    }
    b
}

/// Recompute the CRC of the Ogg page starting at `at` (poly 0x04c11db7, MSB first, init 0).
fn fix_ogg_crc(b: &mut [u8], at: usize) {
    let nseg = b[at + 26] as usize;
    let len = 27
        + nseg
        + b[at + 27..at + 27 + nseg]
            .iter()
            .map(|&x| x as usize)
            .sum::<usize>();
    b[at + 22..at + 26].fill(0);
    let mut crc = 0u32;
    for &byte in &b[at..at + len] {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    b[at + 22..at + 26].copy_from_slice(&crc.to_le_bytes());
}

fn truncate(b: Vec<u8>, frac: f64) -> Vec<u8> {
    let n = (b.len() as f64 * frac) as usize;
    b[..n].to_vec()
}

fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

/// What a case may end in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// Must be a typed error.
    Reject,
    /// A typed error or a decode of at most `max_s` seconds (what the data really holds).
    Either { max_s: f64 },
}

fn cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    use Expect::*;
    let pcm = vec![0u8; 44_100 * 4];
    let flac = fixture_bytes("flac_s16.flac");
    let mp3 = fixture_bytes("mp3_cbr128.mp3");
    let m4a = fixture_bytes("aac_lc.m4a");
    let opus = fixture_bytes("opus_stereo.opus");
    let vorbis = fixture_bytes("vorbis.ogg");
    let aiff = fixture_bytes("aiff_s16.aiff");
    let mut v = vec![
        ("zero bytes", Vec::new(), Reject),
        ("random 1 MiB", pseudo_random(1 << 20, 7), Reject),
        (
            "html error page",
            b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>".repeat(20),
            Reject,
        ),
        // A well-formed WAV that declares no audio is an empty stream (ffmpeg agrees).
        (
            "wav header only",
            wav(44_100, 2, 16, 1, Some(0), &[])[..44].to_vec(),
            Either { max_s: 0.0 },
        ),
        (
            "wav data chunk cut off",
            wav(44_100, 2, 16, 1, Some(0), &[])[..40].to_vec(),
            Reject,
        ),
        (
            "wav claims 4 GB of data",
            wav(44_100, 2, 16, 1, Some(u32::MAX - 1), &pcm),
            Either { max_s: 1.01 },
        ),
        (
            "wav 65535 channels",
            wav(44_100, 65_535, 16, 1, None, &pcm),
            Reject,
        ),
        ("wav 0 Hz", wav(0, 2, 16, 1, None, &pcm), Reject),
        ("wav 4 GHz", wav(u32::MAX, 2, 16, 1, None, &pcm), Reject),
        ("wav 0 channels", wav(44_100, 0, 16, 1, None, &pcm), Reject),
        ("wav 0 bits", wav(44_100, 2, 0, 1, None, &pcm), Reject),
        ("wav 7 bits", wav(44_100, 2, 7, 1, None, &pcm), Reject),
        (
            "wav unknown format tag",
            wav(44_100, 2, 16, 0x1234, None, &pcm),
            Reject,
        ),
        (
            "wav odd data length",
            wav(44_100, 2, 16, 1, None, &pcm[..1001]),
            Either { max_s: 0.006 },
        ),
    ];
    // A chunk whose size points past the end of the file, before the data chunk.
    let mut bad_chunk = wav(44_100, 2, 16, 1, None, &pcm);
    bad_chunk.splice(36..36, b"junk\xf0\xff\xff\x7f".iter().copied());
    v.push(("wav chunk size past EOF", bad_chunk, Either { max_s: 1.01 }));
    let mut rf64 = wav(44_100, 2, 16, 1, Some(u32::MAX), &pcm);
    rf64[0..4].copy_from_slice(b"RF64");
    rf64[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    v.push(("rf64 with placeholder sizes", rf64, Either { max_s: 1.01 }));
    v.push((
        "wav riff size too small",
        {
            let mut b = wav(44_100, 2, 16, 1, None, &pcm);
            b[4..8].copy_from_slice(&100u32.to_le_bytes());
            b
        },
        Either { max_s: 1.01 },
    ));
    for (i, f) in [0.001, 0.01, 0.05, 0.3, 0.6, 0.95].iter().enumerate() {
        let name: &'static str = [
            "flac cut 0.1%",
            "flac cut 1%",
            "flac cut 5%",
            "flac cut 30%",
            "flac cut 60%",
            "flac cut 95%",
        ][i];
        v.push((
            name,
            truncate(flac.clone(), *f),
            Either {
                max_s: 4.0 * f + 0.2,
            },
        ));
    }
    v.push((
        "flac bit flips",
        flip(flac.clone(), 1, 200),
        Either { max_s: 4.01 },
    ));
    v.push((
        "flac stream info zeroed",
        {
            let mut b = flac.clone();
            b[8..42].fill(0);
            b
        },
        Reject,
    ));
    v.push((
        "mp3 cut 50%",
        truncate(mp3.clone(), 0.5),
        Either { max_s: 2.2 },
    ));
    v.push((
        "mp3 bit flips",
        flip(mp3.clone(), 2, 300),
        Either { max_s: 4.01 },
    ));
    v.push((
        "mp3 sync words only",
        [0xFF, 0xFB, 0x90, 0x00].repeat(5000),
        Either { max_s: 1.0 },
    ));
    let mut id3 = b"ID3\x03\x00\x00\x7f\x7f\x7f\x7f".to_vec();
    id3.extend(b"TIT2\x0f\xff\xff\xff\x00\x00\x00hello");
    id3.extend(&mp3[..2000]);
    v.push(("id3 claims 256 MB", id3, Either { max_s: 0.2 }));
    v.push((
        "m4a cut 50%",
        truncate(m4a.clone(), 0.5),
        Either { max_s: 4.01 },
    ));
    v.push((
        "m4a bit flips",
        flip(m4a.clone(), 3, 300),
        Either { max_s: 4.01 },
    ));
    let mut box0 = m4a.clone();
    box0[0..4].copy_from_slice(&0u32.to_be_bytes());
    v.push(("mp4 ftyp size 0", box0, Either { max_s: 4.01 }));
    let mut box1 = b"\x00\x00\x00\x01ftyp\xff\xff\xff\xff\xff\xff\xff\xffM4A ".to_vec();
    box1.extend(&m4a[24..]);
    v.push(("mp4 largesize overflow", box1, Either { max_s: 4.01 }));
    let moov = m4a.windows(4).position(|w| w == b"moov").unwrap();
    let mut no_moov = m4a.clone();
    no_moov[moov..moov + 4].copy_from_slice(b"free");
    v.push(("mp4 without moov", no_moov, Reject));
    v.push((
        "opus bad crc",
        {
            let mut b = opus.clone();
            let n = b.len();
            b[n / 2] ^= 0x55;
            b
        },
        Either { max_s: 4.01 },
    ));
    v.push((
        "opus cut 40%",
        truncate(opus.clone(), 0.4),
        Either { max_s: 1.8 },
    ));
    let mut opus_ch0 = opus.clone();
    let h = opus_ch0.windows(8).position(|w| w == b"OpusHead").unwrap();
    opus_ch0[h + 9] = 0;
    fix_ogg_crc(&mut opus_ch0, 0);
    v.push(("opus head 0 channels", opus_ch0, Reject));
    let mut opus_fam0_3ch = opus.clone();
    opus_fam0_3ch[h + 9] = 3;
    fix_ogg_crc(&mut opus_fam0_3ch, 0);
    let mut opus_crc_check = opus.clone();
    fix_ogg_crc(&mut opus_crc_check, 0);
    assert_eq!(
        opus_crc_check, opus,
        "the test's Ogg CRC matches the encoder's"
    );
    v.push(("opus family 0 with 3 channels", opus_fam0_3ch, Reject));
    v.push((
        "vorbis bit flips",
        flip(vorbis.clone(), 4, 100),
        Either { max_s: 4.01 },
    ));
    v.push((
        "vorbis cut 30%",
        truncate(vorbis, 0.3),
        Either { max_s: 1.5 },
    ));
    let comm = aiff.windows(4).position(|w| w == b"COMM").unwrap();
    let mut aiff_inf = aiff.clone();
    aiff_inf[comm + 16..comm + 18].copy_from_slice(&[0x7f, 0xff]);
    v.push(("aiff rate exponent inf", aiff_inf, Reject));
    // Every container cut at many offsets (inside headers, mid-packet, near the end): a typed
    // error or a decode no longer than the 4 s the fixture holds.
    for name in [
        "wav_s24.wav",
        "aiff_s16.aiff",
        "flac_s24_96k.flac",
        "mp3_vbr_v2.mp3",
        "aac_lc.m4a",
        "alac.m4a",
        "vorbis.ogg",
        "opus_stereo.opus",
    ] {
        let b = fixture_bytes(name);
        for cut in [7usize, 33, 100, 700, 4_000] {
            if cut < b.len() {
                let label: &'static str =
                    Box::leak(format!("{name} cut at {cut} bytes").into_boxed_str());
                v.push((label, b[..cut].to_vec(), Either { max_s: 4.01 }));
            }
        }
        for frac in [0.5, 0.97] {
            let label: &'static str = Box::leak(format!("{name} cut at {frac}").into_boxed_str());
            v.push((label, truncate(b.clone(), frac), Either { max_s: 4.01 }));
        }
    }
    // A FLAC whose STREAMINFO declares 2^36 - 1 samples (18 days at 44.1 kHz): over the
    // 24 h duration limit, refused before any decoding.
    let mut flac_bomb = fixture_bytes("flac_s16.flac");
    // STREAMINFO starts after "fLaC" + 4-byte block header; total samples are the low 36 bits
    // of bytes 13..18 of the block.
    let si = 8;
    flac_bomb[si + 13] |= 0x0f;
    for b in &mut flac_bomb[si + 14..si + 18] {
        *b = 0xff;
    }
    v.push(("flac declares 18 days", flac_bomb, Either { max_s: 4.01 }));
    // Found by the decode fuzz target: a Vorbis comment claiming 3 GB made symphonia allocate it.
    let tagged = fixture_bytes("tagged.flac");
    let mut at = 4;
    loop {
        let (last, kind) = (tagged[at] & 0x80 != 0, tagged[at] & 0x7f);
        let len = u32::from_be_bytes([0, tagged[at + 1], tagged[at + 2], tagged[at + 3]]) as usize;
        if kind == 4 {
            let mut vendor_bomb = tagged.clone();
            vendor_bomb[at + 4..at + 8].copy_from_slice(&0xb9a0_0000u32.to_le_bytes());
            v.push((
                "flac vorbis comment vendor claims 3 GB",
                vendor_bomb,
                Reject,
            ));
            let vendor = u32::from_le_bytes(tagged[at + 4..at + 8].try_into().unwrap()) as usize;
            let first = at + 4 + 4 + vendor + 4;
            let mut comment_bomb = tagged.clone();
            comment_bomb[first..first + 4].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
            let mut behind_junk = b"BW64".to_vec();
            behind_junk.extend_from_slice(&comment_bomb);
            let mut behind_sync_like = vec![0u8, 0xff, 0xe0, 0xf8, 0x7f];
            behind_sync_like.extend_from_slice(&comment_bomb);
            v.push(("flac vorbis comment claims 4 GB", comment_bomb, Reject));
            v.push((
                "flac behind ff e0 junk, comment claims 4 GB",
                behind_sync_like,
                Either { max_s: 4.01 },
            ));
            v.push((
                "flac behind junk, comment claims 4 GB",
                behind_junk,
                Either { max_s: 4.01 },
            ));
            break;
        }
        assert!(!last, "tagged.flac has a VORBIS_COMMENT block");
        at += 4 + len;
    }
    let vorbis_tags = fixture_bytes("vorbis.ogg");
    let c = vorbis_tags
        .windows(7)
        .position(|w| w == b"\x03vorbis")
        .expect("comment header");
    let page = vorbis_tags[..c]
        .windows(4)
        .rposition(|w| w == b"OggS")
        .unwrap();
    let mut ogg_bomb = vorbis_tags.clone();
    ogg_bomb[c + 7..c + 11].copy_from_slice(&0xc000_0000u32.to_le_bytes());
    fix_ogg_crc(&mut ogg_bomb, page);
    // Found by the decode fuzz target: an ID3v2.3 frame claiming 4 GB inside a small tag made
    // symphonia allocate it (whatever follows the tag).
    let mut id3_frame_bomb =
        b"ID3\x03\x00\x00\x00\x00\x01\x23TSSE\xff\xff\xff\x1d\x00\x00".to_vec();
    id3_frame_bomb.extend_from_slice(&[0u8; 0xa3 - 10]);
    id3_frame_bomb.extend_from_slice(&mp3_tail_for_id3());
    let mut behind_junk = b"RF64".to_vec();
    behind_junk.extend_from_slice(&id3_frame_bomb);
    v.push((
        "id3v2.3 frame claims 4 GB",
        id3_frame_bomb,
        Either { max_s: 4.01 },
    ));
    v.push((
        "junk then id3v2.3 frame claiming 4 GB",
        behind_junk,
        Either { max_s: 4.01 },
    ));
    // Found by the decode fuzz target: an EBML size underflow panics in symphonia's MKV header
    // parsing during the probe, which was outside our catch_unwind (the first byte of the
    // fuzz input picks the extension hint).
    let mkv = include_bytes!("../../fuzz/regressions/decode-mkv-ebml-underflow");
    v.push(("mkv ebml size underflow", mkv[1..].to_vec(), Reject));
    // Symphonia's Ogg path bounds this one itself: the audio decodes.
    v.push((
        "ogg vorbis comment vendor claims 3 GB",
        ogg_bomb,
        Either { max_s: 4.01 },
    ));
    v
}

#[test]
fn hostile_inputs_end_in_typed_errors_fast_and_small() {
    let _g = SERIAL.lock().unwrap();
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (name, bytes, expect) in cases {
        let base = LIVE.load(Ordering::Relaxed) + bytes.len();
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let result = std::panic::catch_unwind(move || {
            let mut dec = Decoder::open(Input::bytes(bytes))?;
            let mut frames = 0u64;
            let rate = dec.info().sample_rate;
            while let Some(c) = dec.next_chunk()? {
                frames += c.frames() as u64;
            }
            Ok::<f64, Error>(frames as f64 / f64::from(rate))
        });
        let elapsed = start.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        let outcome = match &result {
            Err(_) => "PANIC".to_string(),
            Ok(Err(e)) => format!("error {} ({e})", e.code()),
            Ok(Ok(s)) => format!("decoded {s:.3} s"),
        };
        println!(
            "{name:<32} {outcome} in {:.0} ms, peak heap {:.1} MB",
            elapsed.as_secs_f64() * 1e3,
            peak as f64 / 1e6
        );
        let ok = match (&result, expect) {
            (Err(_), _) => false,
            (Ok(Err(Error::Internal(_))), _) => false,
            (Ok(Err(_)), _) => true,
            (Ok(Ok(_)), Expect::Reject) => false,
            (Ok(Ok(s)), Expect::Either { max_s }) => *s <= max_s,
        };
        if !ok || elapsed > Duration::from_secs(1) || peak > 100_000_000 {
            failures.push(format!(
                "{name}: {outcome}, {elapsed:?}, {peak} bytes (expected {expect:?})"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "hostile inputs mishandled:\n{}",
        failures.join("\n")
    );
}

/// A 60-minute 44.1 kHz stereo 16-bit WAV produced on the fly (never stored): header + a ramp.
struct VirtualWav {
    header: Vec<u8>,
    data_len: u64,
    pos: u64,
}

impl VirtualWav {
    fn new(seconds: u64) -> Self {
        let data_len = seconds * 44_100 * 4;
        let mut header = wav(44_100, 2, 16, 1, Some(data_len as u32), &[]);
        let riff = (header.len() as u64 - 8 + data_len) as u32;
        header[4..8].copy_from_slice(&riff.to_le_bytes());
        VirtualWav {
            header,
            data_len,
            pos: 0,
        }
    }
    fn len(&self) -> u64 {
        self.header.len() as u64 + self.data_len
    }
}

impl Read for VirtualWav {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() && self.pos < self.len() {
            let p = self.pos as usize;
            buf[n] = if p < self.header.len() {
                self.header[p]
            } else {
                ((p - self.header.len()) / 4 % 251) as u8
            };
            n += 1;
            self.pos += 1;
        }
        Ok(n)
    }
}

impl Seek for VirtualWav {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.pos = match pos {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => (self.len() as i64 + d) as u64,
            SeekFrom::Current(d) => (self.pos as i64 + d) as u64,
        };
        Ok(self.pos)
    }
}

#[test]
fn sixty_minute_stream_decodes_with_a_flat_heap() {
    let _g = SERIAL.lock().unwrap();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut dec = Decoder::open(Input::reader(VirtualWav::new(3_600), Some("wav"))).unwrap();
    let mut chunk = quaver_core::AudioBuffer::default();
    let mut frames = 0u64;
    while dec.next_chunk_into(&mut chunk).unwrap() {
        frames += chunk.frames() as u64;
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;
    println!(
        "60 min: {frames} frames, peak heap {:.2} MB",
        peak as f64 / 1e6
    );
    assert_eq!(frames, 3_600 * 44_100);
    assert!(peak < 50_000_000, "peak heap {peak} bytes");
}

/// Found by the decode fuzz target: IEEE-float WAV data may hold NaN / ±inf bit patterns. They
/// decode as silence (with a warning), never as non-finite samples.
#[test]
fn float_wav_nan_and_inf_become_silence() {
    let mut pcm = Vec::new();
    for v in [
        0.5f32,
        f32::NAN,
        f32::INFINITY,
        -0.25,
        f32::NEG_INFINITY,
        0.125,
    ] {
        pcm.extend_from_slice(&v.to_le_bytes());
    }
    let bytes = wav(8_000, 1, 32, 3, None, &pcm);
    let mut dec = Decoder::open(Input::bytes(bytes)).unwrap();
    let mut all = Vec::new();
    while let Some(c) = dec.next_chunk().unwrap() {
        all.extend_from_slice(&c.channels[0]);
    }
    assert_eq!(all, vec![0.5, 0.0, 0.0, -0.25, 0.0, 0.125]);
    assert!(
        dec.warnings().iter().any(|w| w.contains("non-finite")),
        "{:?}",
        dec.warnings()
    );
}

/// An MP3 body (the CBR fixture without its own tag) to put after a forged ID3 tag.
fn mp3_tail_for_id3() -> Vec<u8> {
    let b = fixture_bytes("mp3_cbr128.mp3");
    if b.starts_with(b"ID3") {
        let size = b[6..10]
            .iter()
            .fold(0usize, |a, &x| (a << 7) | usize::from(x))
            + 10;
        b[size..].to_vec()
    } else {
        b
    }
}

/// A 16-bit stereo 44.1 kHz WAV streamed as a pipe writes it: RIFF and data sizes 0xFFFFFFFF
/// ("unknown"), the data running to the end of the stream. Generated on the fly (never stored:
/// 10 hours is 6.35 GB); the data is silence, or `data(offset into the data)` for each byte.
struct PipeWav {
    header: Vec<u8>,
    len: u64,
    pos: u64,
    data: Option<fn(usize) -> u8>,
}

impl PipeWav {
    fn new(frames: u64, data: Option<fn(usize) -> u8>) -> Self {
        let mut header = wav(44_100, 2, 16, 1, Some(u32::MAX), &[]);
        header[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        let len = header.len() as u64 + frames * 4;
        PipeWav {
            header,
            len,
            pos: 0,
            data,
        }
    }
}

impl Read for PipeWav {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        let h = self.header.len();
        for (i, b) in buf[..n].iter_mut().enumerate() {
            let p = self.pos as usize + i;
            if p < h {
                *b = self.header[p];
            } else if let Some(f) = self.data {
                *b = f(p - h);
            } else {
                buf[i..n].fill(0); // the rest is silence
                break;
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PipeWav {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.pos = match pos {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => (self.len as i64 + d) as u64,
            SeekFrom::Current(d) => (self.pos as i64 + d) as u64,
        };
        Ok(self.pos)
    }
}

/// Issue 12: "a 10-hour silent WAV streamed". The sizes say "unknown" (0xFFFFFFFF, what ffmpeg
/// and sox write to a pipe), so the decoder must read to the end of the stream — all 10 hours,
/// past the 4 GB a 32-bit size could state — with a flat heap, and in bounded time.
#[test]
fn ten_hour_silent_wav_with_unknown_sizes_streams_flat() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let hours = 10;
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let t0 = Instant::now();
    let mut dec = Decoder::open(Input::reader(
        PipeWav::new(hours * 3600 * 44_100, None),
        Some("wav"),
    ))
    .unwrap();
    let mut chunk = quaver_core::AudioBuffer::default();
    let mut frames = 0u64;
    let mut loud = 0u64;
    while dec.next_chunk_into(&mut chunk).unwrap() {
        frames += chunk.frames() as u64;
        loud += chunk
            .channels
            .iter()
            .flatten()
            .filter(|s| **s != 0.0)
            .count() as u64;
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;
    let took = t0.elapsed();
    println!(
        "{hours} h silent stream: {frames} frames in {took:.1?}, peak heap {:.2} MB",
        peak as f64 / 1e6
    );
    assert_eq!(
        frames,
        hours * 3600 * 44_100,
        "every frame to the end of the stream"
    );
    assert_eq!(loud, 0);
    assert!(peak < 50_000_000, "peak heap {peak} bytes");
    assert!(took < Duration::from_secs(120), "{took:?}");
}

/// The same > 4 GiB path with a signal, so the samples are checked, not just counted: frame
/// `i` holds `L = (i % 1000) * 7`, `R = -L` (16-bit). 4.5 GiB of data, read to the end of the
/// stream, every sample compared, including those past the 4 GiB a 32-bit size can state.
#[test]
fn wav_data_past_four_gib_decodes_every_sample() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let frames_total: u64 = (9 << 29) / 4; // 4.5 GiB of data
    let ramp = |d: usize| {
        let l = ((d / 4) % 1000 * 7) as i16;
        let v = if d % 4 < 2 { l } else { -l };
        v.to_le_bytes()[d % 2]
    };
    let r = PipeWav::new(frames_total, Some(ramp));
    let mut dec = Decoder::open(Input::reader(r, Some("wav"))).unwrap();
    assert_eq!(dec.info().frames, frames_total);
    assert_eq!(dec.info().codec, "pcm_s16le");
    let mut chunk = quaver_core::AudioBuffer::default();
    let mut i = 0u64;
    while dec.next_chunk_into(&mut chunk).unwrap() {
        for k in 0..chunk.frames() {
            let l = ((i % 1000) * 7) as f32 / 32_768.0;
            let (a, b) = (chunk.channels[0][k], chunk.channels[1][k]);
            assert!(a == l && b == -l, "frame {i}: {a} {b}, expected {l}");
            i += 1;
        }
    }
    assert_eq!(i, frames_total);
}

/// Issue 12, "per-call memory budget": a whole-signal decode that would hold more than
/// `max_buffer_bytes` of f32 is refused with LIMIT_EXCEEDED — before the buffer is allocated
/// when the length is declared (FLAC), as it grows when it is not trusted (MP3) — while a
/// streaming decode of the same file under the same limits still works.
#[test]
fn whole_signal_decode_respects_the_memory_budget() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let opts = quaver_core::DecodeOptions {
        limits: quaver_core::Limits {
            max_buffer_bytes: 200_000,
            ..Default::default()
        },
        ..Default::default()
    };
    for name in ["flac_s16.flac", "mp3_cbr128.mp3", "wav_mono.wav"] {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let dec = Decoder::with_options(Input::from(fixture_bytes(name)), &opts).unwrap();
        match dec.read_all() {
            Err(Error::LimitExceeded { limit, value, .. }) => {
                assert_eq!(limit, 200_000, "{name}");
                assert!(value > limit, "{name}");
            }
            other => panic!("{name}: expected LimitExceeded, got {other:?}"),
        }
        let peak = PEAK.load(Ordering::Relaxed) - base;
        // the file's own bytes (< 1 MB) + decoder state + at most the budget and one chunk
        assert!(peak < 3_000_000, "{name}: peak heap {peak} bytes");
        let mut dec = Decoder::with_options(Input::from(fixture_bytes(name)), &opts).unwrap();
        let mut chunk = quaver_core::AudioBuffer::default();
        let mut frames = 0;
        while dec.next_chunk_into(&mut chunk).unwrap() {
            frames += chunk.frames();
        }
        assert!(
            frames * 4 > 200_000,
            "{name}: streaming is not limited by the budget"
        );
    }
    // the default budget (4 GiB) admits the same files
    let all = Decoder::open(Input::from(fixture_bytes("flac_s16.flac")))
        .unwrap()
        .read_all()
        .unwrap();
    assert!(all.frames() > 100_000);
}

/// Found by benches/ingest_batch.sh: a Xing header counting 0 frames made symphonia report
/// 2^64 - 529 frames (gapless delay subtracted without saturating), which a consumer sizing by
/// the length (ingest's output bound) took at face value. Such a count is now "unknown".
#[test]
fn xing_header_with_zero_frames_is_not_a_huge_length() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut b = fixture_bytes("mp3_cbr128.mp3");
    let at = b
        .windows(4)
        .position(|w| w == b"Xing" || w == b"Info")
        .expect("the fixture has a Xing/Info header");
    let flags = u32::from_be_bytes(b[at + 4..at + 8].try_into().unwrap());
    assert!(flags & 1 != 0, "frame count present");
    b[at + 8..at + 12].copy_from_slice(&0u32.to_be_bytes());
    let dec = Decoder::open(Input::from(b.clone())).unwrap();
    assert!(dec.info().frames < 1 << 48, "{}", dec.info().frames);
    let info = quaver_core::probe(Input::from(b.clone())).unwrap();
    assert!(info.frames < 1 << 48, "{}", info.frames);
    let n: usize = Decoder::open(Input::from(b))
        .unwrap()
        .map(|c| c.unwrap().frames())
        .sum();
    assert!(
        info.frames <= n as u64 + 2_000,
        "{} vs {n} decoded",
        info.frames
    );
}
