//! Opus through libopus (the same library the core decodes with): 20 ms packets at 48 kHz,
//! music application, VBR/CVBR/CBR, with the encoder's real lookahead as pre-skip.

use std::collections::VecDeque;
use std::os::raw::c_int;
use std::ptr::NonNull;

use audiopus_sys as ffi;
use quaver_core::{Error, Result};

use crate::encoder::{check_planes, Encoder, EncoderInfo, Packet};
use crate::options::{Codec, OpusRateControl, ResolvedOptions};

/// Samples per packet at 48 kHz (20 ms, the frame size opusenc and WebRTC use).
pub const FRAME_SAMPLES: u32 = 960;

/// Largest packet libopus can produce for one 20 ms frame (RFC 6716 §3.4 bound, rounded up).
const MAX_PACKET: usize = 4000;

/// Streaming libopus encoder.
pub struct OpusEncoder {
    enc: NonNull<ffi::OpusEncoder>,
    info: EncoderInfo,
    head: Vec<u8>,
    /// Interleaved samples waiting for a whole frame.
    staged: Vec<f32>,
    packets: VecDeque<Packet>,
    out: Vec<u8>,
    frames_in: u64,
    coded: u64,
    finished: bool,
}

// SAFETY: the libopus encoder state is a plain heap block owned by this value alone.
unsafe impl Send for OpusEncoder {}

impl Drop for OpusEncoder {
    fn drop(&mut self) {
        // SAFETY: created by opus_encoder_create, destroyed once.
        unsafe { ffi::opus_encoder_destroy(self.enc.as_ptr()) };
    }
}

fn ctl(enc: *mut ffi::OpusEncoder, request: i32, value: i32) -> Result<()> {
    // SAFETY: `request` is a SET request taking one opus_int32.
    let rc = unsafe { ffi::opus_encoder_ctl(enc, request, value) };
    if rc != ffi::OPUS_OK {
        return Err(Error::Internal(format!(
            "opus_encoder_ctl({request}, {value}) failed ({rc})"
        )));
    }
    Ok(())
}

impl OpusEncoder {
    /// A libopus encoder for `opts` (48 kHz, 1–2 channels); `source_rate` goes into OpusHead.
    pub fn new(opts: &ResolvedOptions, source_rate: u32) -> Result<Self> {
        if opts.sample_rate != 48_000 {
            return Err(Error::invalid(format!(
                "Opus is encoded at 48000 Hz, not {}",
                opts.sample_rate
            )));
        }
        if !(1..=2).contains(&opts.channels) {
            return Err(Error::invalid(format!(
                "Opus (mapping family 0) holds 1 or 2 channels, not {}",
                opts.channels
            )));
        }
        let bitrate = opts
            .opus_bitrate
            .ok_or_else(|| Error::invalid("Opus options are missing a bitrate"))?;
        let mut err: c_int = 0;
        // SAFETY: valid rate/channels/application; err receives the status.
        let raw = unsafe {
            ffi::opus_encoder_create(
                48_000,
                opts.channels as c_int,
                ffi::OPUS_APPLICATION_AUDIO,
                &mut err,
            )
        };
        let enc = match NonNull::new(raw) {
            Some(e) if err == ffi::OPUS_OK => e,
            _ => {
                return Err(Error::Internal(format!(
                    "opus_encoder_create failed ({err})"
                )))
            }
        };
        let mut me = OpusEncoder {
            enc,
            info: EncoderInfo {
                codec: Codec::Opus,
                sample_rate: 48_000,
                channels: opts.channels,
                priming: 0,
                nominal_bitrate: Some(bitrate),
            },
            head: Vec::new(),
            staged: Vec::new(),
            packets: VecDeque::new(),
            out: vec![0; MAX_PACKET],
            frames_in: 0,
            coded: 0,
            finished: false,
        };
        let e = me.enc.as_ptr();
        ctl(e, ffi::OPUS_SET_BITRATE_REQUEST, bitrate as i32)?;
        ctl(
            e,
            ffi::OPUS_SET_COMPLEXITY_REQUEST,
            i32::from(opts.complexity),
        )?;
        ctl(e, ffi::OPUS_SET_SIGNAL_REQUEST, ffi::OPUS_SIGNAL_MUSIC)?;
        let (vbr, constrained) = match opts.opus_rate_control {
            OpusRateControl::Vbr => (1, 0),
            OpusRateControl::Cvbr => (1, 1),
            OpusRateControl::Cbr => (0, 0),
        };
        ctl(e, ffi::OPUS_SET_VBR_REQUEST, vbr)?;
        ctl(e, ffi::OPUS_SET_VBR_CONSTRAINT_REQUEST, constrained)?;
        let mut lookahead: i32 = 0;
        // SAFETY: GET_LOOKAHEAD writes one opus_int32 through the pointer.
        let rc = unsafe {
            ffi::opus_encoder_ctl(
                e,
                ffi::OPUS_GET_LOOKAHEAD_REQUEST,
                &mut lookahead as *mut i32,
            )
        };
        if rc != ffi::OPUS_OK || !(0..=u16::MAX as i32).contains(&lookahead) {
            return Err(Error::Internal(format!(
                "OPUS_GET_LOOKAHEAD failed ({rc}, {lookahead})"
            )));
        }
        me.info.priming = lookahead as u32;
        me.head = opus_head(opts.channels as u8, lookahead as u16, source_rate);
        Ok(me)
    }

    fn encode_frame(&mut self, frame: &[f32]) -> Result<()> {
        // SAFETY: `frame` holds FRAME_SAMPLES × channels interleaved floats; `out` holds
        // MAX_PACKET bytes.
        let n = unsafe {
            ffi::opus_encode_float(
                self.enc.as_ptr(),
                frame.as_ptr(),
                FRAME_SAMPLES as c_int,
                self.out.as_mut_ptr(),
                self.out.len() as i32,
            )
        };
        if n < 0 {
            return Err(Error::Internal(format!("opus_encode_float failed ({n})")));
        }
        self.packets.push_back(Packet {
            data: self.out[..n as usize].to_vec(),
            pts: self.coded,
            duration: FRAME_SAMPLES,
        });
        self.coded += u64::from(FRAME_SAMPLES);
        Ok(())
    }

    fn drain_staged(&mut self) -> Result<()> {
        let step = FRAME_SAMPLES as usize * self.info.channels as usize;
        let whole = self.staged.len() / step * step;
        let staged = std::mem::take(&mut self.staged);
        for f in staged[..whole].chunks_exact(step) {
            self.encode_frame(f)?;
        }
        self.staged = staged;
        self.staged.drain(..whole);
        Ok(())
    }
}

/// The RFC 7845 §5.1 identification header (mapping family 0).
pub fn opus_head(channels: u8, pre_skip: u16, input_rate: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(19);
    h.extend_from_slice(b"OpusHead");
    h.push(1);
    h.push(channels);
    h.extend_from_slice(&pre_skip.to_le_bytes());
    h.extend_from_slice(&input_rate.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes());
    h.push(0);
    h
}

impl Encoder for OpusEncoder {
    fn info(&self) -> &EncoderInfo {
        &self.info
    }

    fn push(&mut self, planar: &[&[f32]]) -> Result<()> {
        if self.finished {
            return Err(Error::invalid("push after finish"));
        }
        let n = check_planes(&self.info, planar)?;
        self.staged.reserve(n * planar.len());
        if planar.len() == 1 {
            self.staged.extend_from_slice(planar[0]);
        } else {
            for (l, r) in planar[0].iter().zip(planar[1]) {
                self.staged.push(*l);
                self.staged.push(*r);
            }
        }
        self.frames_in += n as u64;
        self.drain_staged()
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        // Code until the decoder's output covers pre-skip + every source sample; the final
        // granule position (pre-skip + frames) tells it where to stop.
        let end = u64::from(self.info.priming) + self.frames_in;
        let ch = self.info.channels as usize;
        let step = FRAME_SAMPLES as usize * ch;
        while self.coded + ((self.staged.len() / ch) as u64) < end || !self.staged.is_empty() {
            let fill = step - self.staged.len() % step;
            self.staged.resize(self.staged.len() + fill, 0.0);
            self.drain_staged()?;
        }
        Ok(())
    }

    fn pull(&mut self) -> Option<Packet> {
        self.packets.pop_front()
    }

    fn header(&self) -> &[u8] {
        &self.head
    }

    fn frames(&self) -> u64 {
        self.frames_in
    }
}
