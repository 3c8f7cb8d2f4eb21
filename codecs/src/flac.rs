//! FLAC through the reference libFLAC (built from source by `libflac-sys`): 16/24-bit,
//! compression levels 0–8 as `flac -N`, STREAMINFO with MD5, Vorbis comments.

use std::collections::VecDeque;
use std::ffi::{c_void, CString};
use std::ptr::NonNull;

use libflac_sys as ffi;
use quaver_core::{Error, Result};

use crate::encoder::{check_planes, Encoder, EncoderInfo, Packet};
use crate::options::{vorbis_comments, Codec, ResolvedOptions};

/// Where libFLAC's output goes: metadata into `header`, frames into packets. libFLAC seeks
/// back at finish to rewrite STREAMINFO (MD5, total samples, frame sizes); those writes land
/// in `header`.
#[derive(Default)]
struct Sink {
    header: Vec<u8>,
    packets: VecDeque<Packet>,
    pos: u64,
    frames_started: bool,
    next_pts: u64,
    error: Option<String>,
}

unsafe extern "C" fn write_cb(
    _enc: *const ffi::FLAC__StreamEncoder,
    buffer: *const ffi::FLAC__byte,
    bytes: usize,
    samples: u32,
    _frame: u32,
    client: *mut c_void,
) -> ffi::FLAC__StreamEncoderWriteStatus {
    // SAFETY: client is the Sink boxed by the FlacEncoder that owns this libFLAC encoder, and
    // libFLAC passes `bytes` readable bytes.
    let sink = unsafe { &mut *(client as *mut Sink) };
    let data = unsafe { std::slice::from_raw_parts(buffer, bytes) };
    let pos = sink.pos as usize;
    if pos < sink.header.len() {
        if pos + bytes > sink.header.len() {
            sink.error = Some("libFLAC rewrote past the metadata".into());
            return ffi::FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
        }
        sink.header[pos..pos + bytes].copy_from_slice(data);
    } else if samples == 0 && !sink.frames_started {
        sink.header.extend_from_slice(data);
    } else {
        sink.frames_started = true;
        sink.packets.push_back(Packet {
            data: data.to_vec(),
            pts: sink.next_pts,
            duration: samples,
        });
        sink.next_pts += u64::from(samples);
    }
    sink.pos += bytes as u64;
    ffi::FLAC__STREAM_ENCODER_WRITE_STATUS_OK
}

unsafe extern "C" fn seek_cb(
    _enc: *const ffi::FLAC__StreamEncoder,
    offset: ffi::FLAC__uint64,
    client: *mut c_void,
) -> ffi::FLAC__StreamEncoderSeekStatus {
    // SAFETY: see write_cb.
    let sink = unsafe { &mut *(client as *mut Sink) };
    if offset as usize > sink.header.len() {
        // Only the metadata is kept for rewriting; libFLAC never needs more without a seek table.
        return ffi::FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR;
    }
    sink.pos = offset;
    ffi::FLAC__STREAM_ENCODER_SEEK_STATUS_OK
}

unsafe extern "C" fn tell_cb(
    _enc: *const ffi::FLAC__StreamEncoder,
    offset: *mut ffi::FLAC__uint64,
    client: *mut c_void,
) -> ffi::FLAC__StreamEncoderTellStatus {
    // SAFETY: see write_cb; `offset` is a valid out-pointer.
    let sink = unsafe { &mut *(client as *mut Sink) };
    unsafe { *offset = sink.pos };
    ffi::FLAC__STREAM_ENCODER_TELL_STATUS_OK
}

/// Streaming libFLAC encoder.
pub struct FlacEncoder {
    enc: NonNull<ffi::FLAC__StreamEncoder>,
    comments: *mut ffi::FLAC__StreamMetadata,
    sink: Box<Sink>,
    info: EncoderInfo,
    scale: f32,
    max: i32,
    planes: Vec<Vec<i32>>,
    frames_in: u64,
    finished: bool,
}

// SAFETY: the libFLAC encoder, its metadata object and the sink are owned by this value alone;
// libFLAC has no per-encoder thread affinity.
unsafe impl Send for FlacEncoder {}

impl Drop for FlacEncoder {
    fn drop(&mut self) {
        // SAFETY: each object was created once by libFLAC and is deleted once; the encoder
        // (which points at the comments block) goes first.
        unsafe {
            ffi::FLAC__stream_encoder_delete(self.enc.as_ptr());
            if !self.comments.is_null() {
                ffi::FLAC__metadata_object_delete(self.comments);
            }
        }
    }
}

impl FlacEncoder {
    /// A libFLAC encoder for `opts`.
    pub fn new(opts: &ResolvedOptions) -> Result<Self> {
        if opts.bits_per_sample != 16 && opts.bits_per_sample != 24 {
            return Err(Error::invalid("FLAC bits per sample must be 16 or 24"));
        }
        if !(1..=8).contains(&opts.channels) {
            return Err(Error::invalid("FLAC holds 1–8 channels"));
        }
        // SAFETY: plain constructor; null is checked.
        let enc = NonNull::new(unsafe { ffi::FLAC__stream_encoder_new() })
            .ok_or_else(|| Error::Internal("FLAC__stream_encoder_new returned null".into()))?;
        let mut me = FlacEncoder {
            enc,
            comments: std::ptr::null_mut(),
            sink: Box::default(),
            info: EncoderInfo {
                codec: Codec::Flac,
                sample_rate: opts.sample_rate,
                channels: opts.channels,
                priming: 0,
                nominal_bitrate: None,
            },
            scale: (1u32 << (opts.bits_per_sample - 1)) as f32,
            max: (1i32 << (opts.bits_per_sample - 1)) - 1,
            planes: vec![Vec::new(); opts.channels as usize],
            frames_in: 0,
            finished: false,
        };
        let e = me.enc.as_ptr();
        // SAFETY: e is a fresh encoder in the uninitialised state, where setters are allowed;
        // the comments object outlives the encoder (dropped after it).
        unsafe {
            let ok = ffi::FLAC__stream_encoder_set_channels(e, opts.channels) != 0
                && ffi::FLAC__stream_encoder_set_bits_per_sample(e, opts.bits_per_sample) != 0
                && ffi::FLAC__stream_encoder_set_sample_rate(e, opts.sample_rate) != 0
                && ffi::FLAC__stream_encoder_set_compression_level(
                    e,
                    u32::from(opts.compression_level),
                ) != 0;
            if !ok {
                return Err(Error::Internal("libFLAC rejected the settings".into()));
            }
            let pairs = vorbis_comments(&opts.tags);
            if !pairs.is_empty() {
                me.comments =
                    ffi::FLAC__metadata_object_new(ffi::FLAC__METADATA_TYPE_VORBIS_COMMENT);
                if me.comments.is_null() {
                    return Err(Error::Internal("FLAC metadata allocation failed".into()));
                }
                for (k, v) in pairs {
                    let key = CString::new(k).expect("static key");
                    let val = CString::new(v.replace('\0', ""))
                        .map_err(|e| Error::invalid(format!("tag value: {e}")))?;
                    let mut entry = ffi::FLAC__StreamMetadata_VorbisComment_Entry {
                        length: 0,
                        entry: std::ptr::null_mut(),
                    };
                    if ffi::FLAC__metadata_object_vorbiscomment_entry_from_name_value_pair(
                        &mut entry,
                        key.as_ptr(),
                        val.as_ptr(),
                    ) == 0
                        || ffi::FLAC__metadata_object_vorbiscomment_append_comment(
                            me.comments,
                            entry,
                            0,
                        ) == 0
                    {
                        return Err(Error::Internal(format!("cannot store FLAC tag {k}")));
                    }
                }
                let mut blocks = [me.comments];
                if ffi::FLAC__stream_encoder_set_metadata(e, blocks.as_mut_ptr(), 1) == 0 {
                    return Err(Error::Internal("libFLAC rejected the tags".into()));
                }
            }
            let sink: *mut Sink = &mut *me.sink;
            let st = ffi::FLAC__stream_encoder_init_stream(
                e,
                Some(write_cb),
                Some(seek_cb),
                Some(tell_cb),
                None,
                sink as *mut c_void,
            );
            if st != ffi::FLAC__STREAM_ENCODER_INIT_STATUS_OK {
                return Err(Error::Internal(format!(
                    "FLAC__stream_encoder_init_stream failed ({st})"
                )));
            }
        }
        Ok(me)
    }

    fn state_error(&self, what: &str) -> Error {
        // SAFETY: e is live.
        let st = unsafe { ffi::FLAC__stream_encoder_get_state(self.enc.as_ptr()) };
        let extra = self.sink.error.clone().unwrap_or_default();
        Error::Internal(format!("libFLAC {what} failed (state {st}) {extra}"))
    }
}

impl Encoder for FlacEncoder {
    fn info(&self) -> &EncoderInfo {
        &self.info
    }

    fn push(&mut self, planar: &[&[f32]]) -> Result<()> {
        if self.finished {
            return Err(Error::invalid("push after finish"));
        }
        let n = check_planes(&self.info, planar)?;
        if n == 0 {
            return Ok(());
        }
        let (scale, max) = (self.scale, self.max);
        for (dst, src) in self.planes.iter_mut().zip(planar) {
            dst.clear();
            dst.extend(
                src.iter()
                    .map(|&x| ((x * scale).round() as i32).clamp(-max - 1, max)),
            );
        }
        let ptrs: Vec<*const i32> = self.planes.iter().map(|p| p.as_ptr()).collect();
        // SAFETY: one pointer per channel to n samples each.
        let ok = unsafe {
            ffi::FLAC__stream_encoder_process(self.enc.as_ptr(), ptrs.as_ptr(), n as u32)
        };
        if ok == 0 {
            return Err(self.state_error("encode"));
        }
        self.frames_in += n as u64;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        // SAFETY: e is live and initialised; finish flushes and rewrites STREAMINFO through
        // the callbacks.
        let ok = unsafe { ffi::FLAC__stream_encoder_finish(self.enc.as_ptr()) };
        if ok == 0 {
            return Err(self.state_error("finish"));
        }
        Ok(())
    }

    fn pull(&mut self) -> Option<Packet> {
        self.sink.packets.pop_front()
    }

    fn header(&self) -> &[u8] {
        &self.sink.header
    }

    fn frames(&self) -> u64 {
        self.frames_in
    }
}
