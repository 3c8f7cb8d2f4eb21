//! The LAME entry points quaver uses, declared for a dynamically linked `libmp3lame`
//! (feature `lame-shared`).
//!
//! Hand-written rather than taken from `mp3lame-sys` because that crate's build script always
//! compiles LAME and links it **statically** (`rustc-link-lib=static=mp3lame`); a binary that is
//! distributed (the Python wheel, the npm platform packages, the CLI tarball) must link LAME
//! (LGPL-2.0-or-later) so that a user can replace it, i.e. as a shared library beside the binary.
//! The declarations mirror `mp3lame-sys` 0.1.11 (bindgen output of LAME 3.100's `lame.h`) for
//! the fifteen functions and two enums `mp3.rs` calls, so both features compile the same code.
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

use std::os::raw::{c_int, c_uchar};

/// LAME's opaque encoder state.
#[repr(C)]
pub struct lame_global_flags {
    _unused: [u8; 0],
}

/// `vbr_mode` of `lame.h`.
pub mod vbr_mode {
    use std::os::raw::c_int;
    pub const vbr_off: c_int = 0;
    pub const vbr_mtrh: c_int = 4;
}

/// `MPEG_mode` of `lame.h`.
pub mod MPEG_mode {
    use std::os::raw::c_int;
    pub const JOINT_STEREO: c_int = 1;
    pub const MONO: c_int = 3;
}

#[link(name = "mp3lame")]
extern "C" {
    pub fn lame_init() -> *mut lame_global_flags;
    pub fn lame_set_in_samplerate(gfp: *mut lame_global_flags, rate: c_int) -> c_int;
    pub fn lame_set_num_channels(gfp: *mut lame_global_flags, channels: c_int) -> c_int;
    pub fn lame_set_out_samplerate(gfp: *mut lame_global_flags, rate: c_int) -> c_int;
    pub fn lame_set_bWriteVbrTag(gfp: *mut lame_global_flags, on: c_int) -> c_int;
    pub fn lame_set_mode(gfp: *mut lame_global_flags, mode: c_int) -> c_int;
    pub fn lame_set_brate(gfp: *mut lame_global_flags, kbps: c_int) -> c_int;
    pub fn lame_set_VBR(gfp: *mut lame_global_flags, mode: c_int) -> c_int;
    pub fn lame_set_VBR_quality(gfp: *mut lame_global_flags, quality: f32) -> c_int;
    pub fn lame_get_encoder_delay(gfp: *const lame_global_flags) -> c_int;
    pub fn lame_init_params(gfp: *mut lame_global_flags) -> c_int;
    pub fn lame_encode_buffer_ieee_float(
        gfp: *mut lame_global_flags,
        pcm_l: *const f32,
        pcm_r: *const f32,
        nsamples: c_int,
        mp3buf: *mut c_uchar,
        mp3buf_size: c_int,
    ) -> c_int;
    pub fn lame_encode_flush(
        gfp: *mut lame_global_flags,
        mp3buf: *mut c_uchar,
        size: c_int,
    ) -> c_int;
    pub fn lame_get_lametag_frame(
        gfp: *const lame_global_flags,
        buffer: *mut c_uchar,
        size: usize,
    ) -> usize;
    pub fn lame_close(gfp: *mut lame_global_flags) -> c_int;
}
