//! AAC-LC through the Fraunhofer FDK encoder (`fdk-aac-sys`, built from its bundled source):
//! raw access units of 1024 samples, CBR, with the encoder's core delay as priming and its
//! AudioSpecificConfig as the stream header.
//!
//! The raw `fdk-aac-sys` bindings are used rather than the `fdk-aac` wrapper because the
//! wrapper cannot flush the encoder at the end of the stream (it never passes
//! `numInSamples = -1`), nor set the afterburner or the channel order, nor read `nDelayCore`.

use std::collections::VecDeque;
use std::mem::{self, MaybeUninit};
use std::os::raw::{c_int, c_void};
use std::ptr;

use fdk_aac_sys as sys;
use quaver_core::{Error, Result};

use crate::encoder::{check_planes, Encoder, EncoderInfo, Packet};
use crate::options::{Codec, ResolvedOptions};

/// Samples per AAC-LC access unit.
pub const FRAME_SAMPLES: u32 = crate::m4a::AAC_FRAME_SAMPLES;

pub use crate::options::AAC_RATES;

/// Streaming FDK AAC-LC encoder.
pub struct AacEncoder {
    handle: sys::HANDLE_AACENCODER,
    info: EncoderInfo,
    /// AudioSpecificConfig (the `esds` DecoderSpecificInfo).
    asc: Vec<u8>,
    /// Interleaved 16-bit samples waiting for a whole frame.
    staged: Vec<i16>,
    packets: VecDeque<Packet>,
    out: Vec<u8>,
    frames_in: u64,
    coded: u64,
    finished: bool,
}

// SAFETY: the FDK encoder instance is a heap block owned by this value alone and only touched
// through `&mut self`.
unsafe impl Send for AacEncoder {}

impl Drop for AacEncoder {
    fn drop(&mut self) {
        // SAFETY: opened by aacEncOpen, closed once.
        unsafe { sys::aacEncClose(&mut self.handle) };
    }
}

fn check(what: &str, rc: sys::AACENC_ERROR) -> Result<()> {
    if rc == sys::AACENC_ERROR_AACENC_OK {
        Ok(())
    } else {
        Err(Error::Internal(format!("FDK AAC {what} failed (0x{rc:x})")))
    }
}

impl AacEncoder {
    /// An AAC-LC encoder for `opts` (1 or 2 channels, a rate of [`AAC_RATES`], CBR bitrate).
    pub fn new(opts: &ResolvedOptions) -> Result<Self> {
        if !AAC_RATES.contains(&opts.sample_rate) {
            return Err(Error::invalid(format!(
                "AAC-LC is encoded at one of {AAC_RATES:?} Hz, not {}",
                opts.sample_rate
            )));
        }
        if !(1..=2).contains(&opts.channels) {
            return Err(Error::invalid(format!(
                "AAC holds 1 or 2 channels here, not {}",
                opts.channels
            )));
        }
        let bitrate = opts
            .aac_bitrate
            .ok_or_else(|| Error::invalid("AAC options are missing a bitrate"))?;
        let mut handle: sys::HANDLE_AACENCODER = ptr::null_mut();
        // SAFETY: aacEncOpen writes a new handle; 0x01 = the AAC module only.
        check("open", unsafe {
            sys::aacEncOpen(&mut handle, 0x01, opts.channels)
        })?;
        let mut me = AacEncoder {
            handle,
            info: EncoderInfo {
                codec: Codec::Aac,
                sample_rate: opts.sample_rate,
                channels: opts.channels,
                priming: 0,
                nominal_bitrate: Some(bitrate),
            },
            asc: Vec::new(),
            staged: Vec::new(),
            packets: VecDeque::new(),
            out: Vec::new(),
            frames_in: 0,
            coded: 0,
            finished: false,
        };
        let set = |param: sys::AACENC_PARAM, value: u32, what: &str| {
            // SAFETY: a valid handle and a documented parameter.
            check(what, unsafe {
                sys::aacEncoder_SetParam(handle, param, value)
            })
        };
        set(sys::AACENC_PARAM_AACENC_AOT, 2, "AOT (AAC-LC)")?;
        set(
            sys::AACENC_PARAM_AACENC_SAMPLERATE,
            opts.sample_rate,
            "sample rate",
        )?;
        set(
            sys::AACENC_PARAM_AACENC_CHANNELMODE,
            opts.channels,
            "channel mode",
        )?;
        // WAV channel order (L, R), as pushed.
        set(sys::AACENC_PARAM_AACENC_CHANNELORDER, 1, "channel order")?;
        set(sys::AACENC_PARAM_AACENC_BITRATEMODE, 0, "CBR mode")?;
        set(sys::AACENC_PARAM_AACENC_BITRATE, bitrate, "bitrate")?;
        // Raw access units (the MP4 sample entry carries the AudioSpecificConfig).
        set(sys::AACENC_PARAM_AACENC_TRANSMUX, 0, "raw transport")?;
        // The afterburner: better quality for more CPU, what every FDK front end enables.
        set(sys::AACENC_PARAM_AACENC_AFTERBURNER, 1, "afterburner")?;
        // SAFETY: all-null buffers initialise the encoder with the parameters set.
        check("init", unsafe {
            sys::aacEncEncode(
                handle,
                ptr::null(),
                ptr::null(),
                ptr::null(),
                ptr::null_mut(),
            )
        })?;
        let mut info = MaybeUninit::<sys::AACENC_InfoStruct>::zeroed();
        // SAFETY: aacEncInfo fills the struct.
        check("info", unsafe {
            sys::aacEncInfo(handle, info.as_mut_ptr())
        })?;
        // SAFETY: filled above (and zero-initialised before).
        let info = unsafe { info.assume_init() };
        if info.frameLength != FRAME_SAMPLES {
            return Err(Error::Internal(format!(
                "FDK AAC frame length is {}, expected {FRAME_SAMPLES}",
                info.frameLength
            )));
        }
        let conf = (info.confSize as usize).min(info.confBuf.len());
        me.asc = info.confBuf[..conf].to_vec();
        // nDelayCore: "the delay needed to correctly write edit lists for gapless playback".
        me.info.priming = info.nDelayCore;
        me.out = vec![0; (info.maxOutBufBytes as usize).max(8192)];
        Ok(me)
    }

    /// One `aacEncEncode` call over `input` (interleaved; `None` flushes). Returns the number
    /// of samples (all channels) consumed and whether the encoder reported end of stream.
    fn encode_call(&mut self, input: Option<&[i16]>) -> Result<(usize, bool)> {
        let (mut in_ptr, in_len) = match input {
            Some(s) => (s.as_ptr() as *mut c_void, s.len() as c_int),
            None => (ptr::null_mut(), 0),
        };
        let mut in_id: c_int = sys::AACENC_BufferIdentifier_IN_AUDIO_DATA as c_int;
        let mut in_size: c_int = in_len * mem::size_of::<i16>() as c_int;
        let mut in_el: c_int = mem::size_of::<i16>() as c_int;
        let in_desc = sys::AACENC_BufDesc {
            numBufs: 1,
            bufs: &mut in_ptr,
            bufferIdentifiers: &mut in_id,
            bufSizes: &mut in_size,
            bufElSizes: &mut in_el,
        };
        let mut out_ptr = self.out.as_mut_ptr() as *mut c_void;
        let mut out_id: c_int = sys::AACENC_BufferIdentifier_OUT_BITSTREAM_DATA as c_int;
        let mut out_size: c_int = self.out.len() as c_int;
        let mut out_el: c_int = 1;
        let out_desc = sys::AACENC_BufDesc {
            numBufs: 1,
            bufs: &mut out_ptr,
            bufferIdentifiers: &mut out_id,
            bufSizes: &mut out_size,
            bufElSizes: &mut out_el,
        };
        let in_args = sys::AACENC_InArgs {
            numInSamples: if input.is_some() { in_len } else { -1 },
            numAncBytes: 0,
        };
        // SAFETY: zero is a valid AACENC_OutArgs.
        let mut out_args: sys::AACENC_OutArgs = unsafe { mem::zeroed() };
        // SAFETY: the descriptors point at live buffers of the sizes given.
        let rc =
            unsafe { sys::aacEncEncode(self.handle, &in_desc, &out_desc, &in_args, &mut out_args) };
        if rc == sys::AACENC_ERROR_AACENC_ENCODE_EOF {
            return Ok((0, true));
        }
        check("encode", rc)?;
        let n = out_args.numOutBytes as usize;
        if n > 0 {
            self.packets.push_back(Packet {
                data: self.out[..n].to_vec(),
                pts: self.coded,
                duration: FRAME_SAMPLES,
            });
            self.coded += u64::from(FRAME_SAMPLES);
        }
        Ok((out_args.numInSamples.max(0) as usize, false))
    }

    fn drain_staged(&mut self) -> Result<()> {
        let step = FRAME_SAMPLES as usize * self.info.channels as usize;
        let staged = mem::take(&mut self.staged);
        let mut pos = 0;
        while staged.len() - pos >= step {
            let (used, _) = self.encode_call(Some(&staged[pos..pos + step]))?;
            if used == 0 {
                return Err(Error::Internal("FDK AAC consumed no input".into()));
            }
            pos += used;
        }
        self.staged = staged;
        self.staged.drain(..pos);
        Ok(())
    }
}

/// f32 → 16-bit PCM (the FDK encoder's input), rounded and clamped.
fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

impl Encoder for AacEncoder {
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
            self.staged.extend(planar[0].iter().map(|&x| to_i16(x)));
        } else {
            for (l, r) in planar[0].iter().zip(planar[1]) {
                self.staged.push(to_i16(*l));
                self.staged.push(to_i16(*r));
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
        // The partial last frame goes in as it is; the flush pads it and codes the delay line
        // until the encoder reports end of stream.
        let rest = mem::take(&mut self.staged);
        let mut pos = 0;
        while pos < rest.len() {
            let (used, eof) = self.encode_call(Some(&rest[pos..]))?;
            if used == 0 || eof {
                break;
            }
            pos += used;
        }
        for _ in 0..64 {
            if self.encode_call(None)?.1 {
                break;
            }
        }
        let end = u64::from(self.info.priming) + self.frames_in;
        if self.coded < end {
            return Err(Error::Internal(format!(
                "FDK AAC flush stopped at {} of {end} coded samples",
                self.coded
            )));
        }
        Ok(())
    }

    fn pull(&mut self) -> Option<Packet> {
        self.packets.pop_front()
    }

    fn header(&self) -> &[u8] {
        &self.asc
    }

    fn frames(&self) -> u64 {
        self.frames_in
    }
}
