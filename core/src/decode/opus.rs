//! Ogg Opus through libopus (symphonia has no Opus decoder). Implements RFC 7845: the OpusHead
//! pre-skip is dropped at the start, the final page's granule position trims the end, the output
//! gain is applied, and output is always 48 kHz.

use std::io::{Seek, SeekFrom};

use audiopus_sys as ffi;
use ogg::PacketReader;

use super::info::Tags;
use super::source::Source;
use crate::error::{Error, Result};

/// The parsed `OpusHead` packet.
#[derive(Clone, Debug)]
pub(crate) struct OpusHead {
    pub channels: u8,
    pub pre_skip: u16,
    pub output_gain_q8: i16,
    pub streams: u8,
    pub coupled: u8,
    pub mapping: Vec<u8>,
}

impl OpusHead {
    pub(crate) fn parse(p: &[u8]) -> Result<Self> {
        if p.len() < 19 || &p[..8] != b"OpusHead" {
            return Err(Error::corrupt(
                "Ogg Opus: first packet is not a valid OpusHead",
            ));
        }
        if p[8] >> 4 != 0 {
            return Err(Error::Unsupported(format!(
                "Ogg Opus: OpusHead version {}",
                p[8]
            )));
        }
        let channels = p[9];
        if channels == 0 {
            return Err(Error::corrupt("Ogg Opus: OpusHead declares 0 channels"));
        }
        let pre_skip = u16::from_le_bytes([p[10], p[11]]);
        let output_gain_q8 = i16::from_le_bytes([p[16], p[17]]);
        let family = p[18];
        let (streams, coupled, mapping) = match family {
            0 => {
                if channels > 2 {
                    return Err(Error::corrupt(
                        "Ogg Opus: mapping family 0 with more than 2 channels",
                    ));
                }
                (1, channels - 1, (0..channels).collect())
            }
            _ => {
                if p.len() < 21 + channels as usize {
                    return Err(Error::corrupt(
                        "Ogg Opus: OpusHead channel mapping table is truncated",
                    ));
                }
                let (s, c) = (p[19], p[20]);
                if s == 0 || c > s {
                    return Err(Error::corrupt(
                        "Ogg Opus: invalid stream counts in OpusHead",
                    ));
                }
                (s, c, p[21..21 + channels as usize].to_vec())
            }
        };
        Ok(OpusHead {
            channels,
            pre_skip,
            output_gain_q8,
            streams,
            coupled,
            mapping,
        })
    }
}

/// Parse an `OpusTags` packet (Vorbis comment layout) into tags, bounds-checked.
pub(crate) fn parse_tags(p: &[u8], tags: &mut Tags) {
    let rd = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(p.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    if p.len() < 16 || &p[..8] != b"OpusTags" {
        return;
    }
    let Some(vendor_len) = rd(8) else { return };
    let mut at = 12usize.saturating_add(vendor_len);
    let Some(count) = rd(at) else { return };
    at += 4;
    for _ in 0..count.min(10_000) {
        let Some(len) = rd(at) else { return };
        at += 4;
        let Some(c) = p.get(at..at.saturating_add(len)) else {
            return;
        };
        at += len;
        if let Some((k, v)) = String::from_utf8_lossy(c).split_once('=') {
            tags.set_vorbis(k, v);
        }
    }
}

/// Granule position of the last page of stream `serial`, found by scanning the file's tail.
/// Hand-written: the `ogg` crate can seek by granule but cannot report the last page's granule.
pub(crate) fn last_granule(src: &mut Source, serial: u32) -> Result<Option<u64>> {
    let len = src.len();
    let mut window = 65_536u64;
    loop {
        let start = len.saturating_sub(window);
        let tail = src.peek_at(start, window as usize)?;
        let mut best = None;
        let mut i = 0;
        while i + 27 <= tail.len() {
            if &tail[i..i + 4] == b"OggS" && tail[i + 4] == 0 {
                let gp = u64::from_le_bytes(tail[i + 6..i + 14].try_into().unwrap());
                let sn = u32::from_le_bytes(tail[i + 14..i + 18].try_into().unwrap());
                if sn == serial && gp != u64::MAX {
                    best = Some(gp);
                }
            }
            i += 1;
        }
        if best.is_some() || start == 0 || window >= 1 << 22 {
            return Ok(best);
        }
        window *= 4;
    }
}

/// A libopus multistream decoder; frees itself on drop.
struct MsDecoder(*mut ffi::OpusMSDecoder);
// SAFETY: the decoder state is only touched through &mut self.
unsafe impl Send for MsDecoder {}
unsafe impl Sync for MsDecoder {}
impl Drop for MsDecoder {
    fn drop(&mut self) {
        // SAFETY: created by opus_multistream_decoder_create and never freed elsewhere.
        unsafe { ffi::opus_multistream_decoder_destroy(self.0) }
    }
}

/// Streaming Ogg Opus decoder.
pub(crate) struct OpusStream {
    reader: PacketReader<Source>,
    serial: u32,
    dec: MsDecoder,
    pub(crate) head: OpusHead,
    gain: f32,
    /// Frames still to drop (pre-skip).
    skip: u64,
    /// Frames still to emit, once the final granule is known.
    remaining: Option<u64>,
    pcm: Vec<f32>,
    pub(crate) tags: Tags,
    first_audio: Option<ogg::Packet>,
    /// Pages skipped for a bad CRC.
    pub(crate) bad_pages: u32,
}

/// Damaged pages skipped before the stream is declared corrupt.
const MAX_BAD_PAGES: u32 = 64;

/// Largest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;

impl OpusStream {
    pub(crate) fn open(mut src: Source, max_channels: u32) -> Result<Self> {
        src.seek(SeekFrom::Start(0))?;
        let mut reader = PacketReader::new(src);
        let head_pkt = reader
            .read_packet()
            .map_err(ogg_err)?
            .ok_or_else(|| Error::NoAudio("empty Ogg stream".into()))?;
        let head = OpusHead::parse(&head_pkt.data)?;
        if u32::from(head.channels) > max_channels {
            return Err(Error::LimitExceeded {
                what: "channels",
                value: head.channels.into(),
                limit: max_channels.into(),
            });
        }
        let serial = head_pkt.stream_serial();
        let mut tags = Tags::default();
        // Second packet of the stream: OpusTags. Skip foreign streams' packets.
        let mut first_audio = None;
        while let Some(p) = reader.read_packet().map_err(ogg_err)? {
            if p.stream_serial() != serial {
                continue;
            }
            if p.data.starts_with(b"OpusTags") {
                parse_tags(&p.data, &mut tags);
            } else {
                first_audio = Some(p);
            }
            break;
        }
        let mut err = 0;
        // SAFETY: mapping has `channels` entries, as libopus requires.
        let dec = unsafe {
            ffi::opus_multistream_decoder_create(
                48_000,
                head.channels.into(),
                head.streams.into(),
                head.coupled.into(),
                head.mapping.as_ptr(),
                &mut err,
            )
        };
        if dec.is_null() || err != 0 {
            return Err(Error::corrupt(format!(
                "Ogg Opus: libopus rejected the stream layout (error {err})"
            )));
        }
        let gain = 10f32.powf(f32::from(head.output_gain_q8) / 256.0 / 20.0);
        let end = last_granule(reader.get_mut(), serial)?;
        let remaining = end.map(|g| g.saturating_sub(u64::from(head.pre_skip)));
        let pcm = vec![0.0; MAX_FRAME * head.channels as usize];
        Ok(OpusStream {
            reader,
            serial,
            dec: MsDecoder(dec),
            skip: head.pre_skip.into(),
            head,
            gain,
            remaining,
            pcm,
            tags,
            first_audio,
            bad_pages: 0,
        })
    }

    /// Frames the stream will produce after trimming, when known from the last page.
    pub(crate) fn total_frames(&self) -> Option<u64> {
        self.remaining
    }

    /// Decode the next packet into planar output; `Ok(None)` at the end.
    pub(crate) fn next(&mut self, out: &mut Vec<Vec<f32>>) -> Result<Option<()>> {
        let ch = self.head.channels as usize;
        loop {
            if self.remaining == Some(0) {
                return Ok(None);
            }
            let pkt = match self.first_audio.take() {
                Some(p) => p,
                None => match self.reader.read_packet() {
                    Ok(Some(p)) => p,
                    Ok(None) => return Ok(None),
                    // A damaged page: the reader has consumed it; carry on from the next one,
                    // as players do, but give up on a stream that is damaged throughout.
                    Err(ogg::OggReadError::HashMismatch(..)) if self.bad_pages < MAX_BAD_PAGES => {
                        self.bad_pages += 1;
                        continue;
                    }
                    Err(e) => return Err(ogg_err(e)),
                },
            };
            if pkt.stream_serial() != self.serial || pkt.data.is_empty() {
                continue;
            }
            // SAFETY: pcm holds MAX_FRAME * channels floats; libopus writes at most that.
            let n = unsafe {
                ffi::opus_multistream_decode_float(
                    self.dec.0,
                    pkt.data.as_ptr(),
                    pkt.data.len().min(i32::MAX as usize) as i32,
                    self.pcm.as_mut_ptr(),
                    MAX_FRAME as i32,
                    0,
                )
            };
            if n < 0 {
                return Err(Error::corrupt(format!(
                    "Ogg Opus: libopus could not decode a packet (error {n})"
                )));
            }
            let mut frames = n as u64;
            let mut start = 0u64;
            if self.skip > 0 {
                start = self.skip.min(frames);
                self.skip -= start;
            }
            if pkt.last_in_stream() {
                let total = pkt
                    .absgp_page()
                    .saturating_sub(u64::from(self.head.pre_skip));
                self.remaining = Some(self.remaining.map_or(total, |r| r.min(total)));
            }
            if let Some(r) = self.remaining {
                frames = frames.min(start + r);
            }
            if frames <= start {
                continue;
            }
            out.iter_mut().for_each(Vec::clear);
            out.resize(ch, Vec::new());
            for f in start as usize..frames as usize {
                for (c, o) in out.iter_mut().enumerate() {
                    o.push(self.pcm[f * ch + c] * self.gain);
                }
            }
            if let Some(r) = self.remaining.as_mut() {
                *r -= frames - start;
            }
            return Ok(Some(()));
        }
    }
}

fn ogg_err(e: ogg::OggReadError) -> Error {
    match e {
        ogg::OggReadError::ReadError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::corrupt("Ogg: unexpected end of data (truncated input)")
        }
        ogg::OggReadError::ReadError(io) => Error::from(io),
        other => Error::corrupt(format!("Ogg: {other}")),
    }
}
