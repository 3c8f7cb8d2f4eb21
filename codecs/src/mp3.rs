//! MP3 through LAME 3.100: CBR or VBR, joint stereo, and the LAME/Xing info frame that carries
//! the encoder delay and padding for gapless decode. Feature `lame-static` (default) compiles
//! LAME from source with `mp3lame-sys` and links it into the binary; feature `lame-shared` links
//! a `libmp3lame` shared library instead (the distributed artifacts do, so that LAME, LGPL,
//! can be replaced by the user).

use std::collections::VecDeque;
use std::os::raw::c_int;
use std::ptr::NonNull;

#[cfg(feature = "lame-shared")]
use crate::lame_shared as lame;
#[cfg(not(feature = "lame-shared"))]
use mp3lame_sys as lame;
use quaver_core::{Error, Result};

use crate::encoder::{check_planes, Encoder, EncoderInfo, Packet};
use crate::options::{Codec, Mp3RateControl, ResolvedOptions};

/// Delay of the standard MP3 decoder (the polyphase synthesis filter bank) in samples; decoders
/// add it to the LAME tag's encoder delay when trimming.
pub const DECODER_DELAY: u32 = 529;

/// Samples per MPEG-1 Layer III frame.
pub const FRAME_SAMPLES: u32 = 1152;

/// Samples handed to LAME per call: bounds the output buffer.
const BLOCK: usize = 8192;

/// Streaming LAME encoder.
pub struct Mp3Encoder {
    gfp: NonNull<lame::lame_global_flags>,
    info: EncoderInfo,
    out: Vec<u8>,
    pending: Vec<u8>,
    packets: VecDeque<Packet>,
    header: Vec<u8>,
    header_seen: bool,
    frames_in: u64,
    next_pts: u64,
    finished: bool,
}

// SAFETY: the LAME context is owned exclusively by this value and LAME keeps no thread-local
// or global mutable state per context; moving it between threads is fine (it is not Sync).
unsafe impl Send for Mp3Encoder {}

impl Drop for Mp3Encoder {
    fn drop(&mut self) {
        // SAFETY: gfp came from lame_init and is closed exactly once.
        unsafe { lame::lame_close(self.gfp.as_ptr()) };
    }
}

fn check(rc: c_int, what: &str) -> Result<()> {
    if rc < 0 {
        Err(Error::Internal(format!("LAME {what} failed ({rc})")))
    } else {
        Ok(())
    }
}

impl Mp3Encoder {
    /// A LAME encoder for `opts` (codec MP3, 44.1/48 kHz, 1–2 channels).
    pub fn new(opts: &ResolvedOptions) -> Result<Self> {
        let rc = opts
            .mp3
            .ok_or_else(|| Error::invalid("MP3 options are missing a rate control"))?;
        if !(1..=2).contains(&opts.channels) {
            return Err(Error::invalid(format!(
                "MP3 holds 1 or 2 channels, not {}",
                opts.channels
            )));
        }
        if opts.sample_rate != 44_100 && opts.sample_rate != 48_000 {
            return Err(Error::invalid(format!(
                "MP3 is written at 44100 or 48000 Hz, not {}",
                opts.sample_rate
            )));
        }
        // SAFETY: plain constructor; null is checked.
        let gfp = NonNull::new(unsafe { lame::lame_init() })
            .ok_or_else(|| Error::Internal("lame_init returned null".into()))?;
        let mut enc = Mp3Encoder {
            gfp,
            info: EncoderInfo {
                codec: Codec::Mp3,
                sample_rate: opts.sample_rate,
                channels: opts.channels,
                priming: 0,
                nominal_bitrate: match rc {
                    Mp3RateControl::Cbr(b) => Some(b * 1000),
                    Mp3RateControl::Vbr(_) => None,
                },
            },
            out: Vec::new(),
            pending: Vec::new(),
            packets: VecDeque::new(),
            header: Vec::new(),
            header_seen: false,
            frames_in: 0,
            next_pts: 0,
            finished: false,
        };
        let g = enc.gfp.as_ptr();
        // SAFETY: g is a live LAME context; the setters only store parameters.
        unsafe {
            check(
                lame::lame_set_num_channels(g, opts.channels as c_int),
                "channels",
            )?;
            check(
                lame::lame_set_in_samplerate(g, opts.sample_rate as c_int),
                "rate",
            )?;
            check(
                lame::lame_set_out_samplerate(g, opts.sample_rate as c_int),
                "rate",
            )?;
            let mode = if opts.channels == 1 {
                lame::MPEG_mode::MONO
            } else {
                lame::MPEG_mode::JOINT_STEREO
            };
            check(lame::lame_set_mode(g, mode), "mode")?;
            match rc {
                Mp3RateControl::Cbr(b) => {
                    check(lame::lame_set_VBR(g, lame::vbr_mode::vbr_off), "CBR")?;
                    check(lame::lame_set_brate(g, b as c_int), "bitrate")?;
                }
                Mp3RateControl::Vbr(q) => {
                    check(lame::lame_set_VBR(g, lame::vbr_mode::vbr_mtrh), "VBR")?;
                    check(lame::lame_set_VBR_quality(g, f32::from(q)), "VBR quality")?;
                }
            }
            // The first frame becomes the Xing/Info + LAME tag (delay, padding, frame count).
            check(lame::lame_set_bWriteVbrTag(g, 1), "VBR tag")?;
            check(lame::lame_init_params(g), "init")?;
            enc.info.priming = lame::lame_get_encoder_delay(g).max(0) as u32 + DECODER_DELAY;
        }
        Ok(enc)
    }

    fn encode_block(&mut self, l: &[f32], r: &[f32]) -> Result<()> {
        let n = l.len();
        let need = n * 5 / 4 + 7200;
        if self.out.len() < need {
            self.out.resize(need, 0);
        }
        // SAFETY: l and r hold n samples each; out holds `need` bytes as LAME's worst case
        // (1.25 n + 7200) requires.
        let got = unsafe {
            lame::lame_encode_buffer_ieee_float(
                self.gfp.as_ptr(),
                l.as_ptr(),
                r.as_ptr(),
                n as c_int,
                self.out.as_mut_ptr(),
                self.out.len() as c_int,
            )
        };
        check(got, "encode")?;
        self.pending.extend_from_slice(&self.out[..got as usize]);
        self.split_frames()
    }

    /// Cut LAME's byte stream into frames at their headers.
    fn split_frames(&mut self) -> Result<()> {
        let mut at = 0;
        while self.pending.len() - at >= 4 {
            let len = frame_len(&self.pending[at..at + 4]).ok_or_else(|| {
                Error::Internal("LAME produced a byte stream without a frame header".into())
            })?;
            if self.pending.len() - at < len {
                break;
            }
            let frame = self.pending[at..at + len].to_vec();
            at += len;
            if !self.header_seen {
                self.header_seen = true;
                self.header = frame;
                continue;
            }
            self.packets.push_back(Packet {
                data: frame,
                pts: self.next_pts,
                duration: FRAME_SAMPLES,
            });
            self.next_pts += u64::from(FRAME_SAMPLES);
        }
        self.pending.drain(..at);
        Ok(())
    }
}

/// Length in bytes of the MPEG-1 Layer III frame whose 4-byte header is `h`.
pub fn frame_len(h: &[u8]) -> Option<usize> {
    const KBPS: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const RATES: [u32; 3] = [44_100, 48_000, 32_000];
    if h[0] != 0xFF || h[1] & 0xFE != 0xFA {
        return None; // not sync + MPEG-1 + Layer III
    }
    let br = *KBPS.get(usize::from(h[2] >> 4))?;
    let sr = *RATES.get(usize::from((h[2] >> 2) & 3))?;
    if br == 0 {
        return None;
    }
    Some((144_000 * br / sr) as usize + usize::from((h[2] >> 1) & 1))
}

impl Encoder for Mp3Encoder {
    fn info(&self) -> &EncoderInfo {
        &self.info
    }

    fn push(&mut self, planar: &[&[f32]]) -> Result<()> {
        if self.finished {
            return Err(Error::invalid("push after finish"));
        }
        let n = check_planes(&self.info, planar)?;
        let l = planar[0];
        let r = planar.get(1).copied().unwrap_or(l);
        let mut at = 0;
        while at < n {
            let end = (at + BLOCK).min(n);
            self.encode_block(&l[at..end], &r[at..end])?;
            at = end;
        }
        self.frames_in += n as u64;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if self.out.len() < 7200 {
            self.out.resize(7200, 0);
        }
        // SAFETY: out holds ≥ 7200 bytes, LAME's documented flush maximum.
        let got = unsafe {
            lame::lame_encode_flush(
                self.gfp.as_ptr(),
                self.out.as_mut_ptr(),
                self.out.len() as c_int,
            )
        };
        check(got, "flush")?;
        self.pending.extend_from_slice(&self.out[..got as usize]);
        self.split_frames()?;
        if !self.pending.is_empty() {
            return Err(Error::Internal(format!(
                "LAME left {} bytes that are not a whole frame",
                self.pending.len()
            )));
        }
        // SAFETY: a null/0 query returns the size; the second call fills `tag` of that size.
        let size =
            unsafe { lame::lame_get_lametag_frame(self.gfp.as_ptr(), std::ptr::null_mut(), 0) };
        let mut tag = vec![0u8; size];
        let wrote =
            unsafe { lame::lame_get_lametag_frame(self.gfp.as_ptr(), tag.as_mut_ptr(), tag.len()) };
        if wrote == 0 || wrote != self.header.len() {
            return Err(Error::Internal(format!(
                "LAME tag frame is {wrote} bytes, its placeholder {}",
                self.header.len()
            )));
        }
        tag.truncate(wrote);
        self.header = tag;
        Ok(())
    }

    fn pull(&mut self) -> Option<Packet> {
        self.packets.pop_front()
    }

    fn header(&self) -> &[u8] {
        &self.header
    }

    fn frames(&self) -> u64 {
        self.frames_in
    }
}
