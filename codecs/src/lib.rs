//! # quaver-codecs
//!
//! Encoders behind one streaming [`Encoder`] trait — MP3 through LAME, Opus through libopus,
//! FLAC through libFLAC, AAC-LC through the FDK encoder (default feature `aac`) — with gapless metadata (LAME/Xing tag, Opus pre-skip and final
//! granule, exact FLAC STREAMINFO), tags, and file writers on top:
//!
//! ```no_run
//! use quaver_codecs::{encode_to_file, EncodeOptions};
//! let report = encode_to_file("song.flac", "song.mp3", &EncodeOptions {
//!     bitrate_kbps: Some(320),
//!     ..Default::default()
//! })?;
//! println!("{} frames, {} bytes", report.frames, report.bytes);
//! # Ok::<(), quaver_core::Error>(())
//! ```
//!
//! [`encode_many`] decodes once and runs N renditions in parallel; [`encode_packets`] returns
//! raw packets with timestamps for muxers.
//!
//! [`package`] turns renditions into one CMAF segment set each, served by HLS and DASH
//! manifests, sample-accurate, with a conformance checker ([`package::check`]).

#![warn(missing_docs)]

#[cfg(all(feature = "lame-static", feature = "lame-shared"))]
compile_error!("quaver-codecs: enable one of `lame-static` (default) and `lame-shared`, not both (build with --no-default-features)");
#[cfg(not(any(feature = "lame-static", feature = "lame-shared")))]
compile_error!("quaver-codecs: MP3 needs LAME: enable `lame-static` (default) or `lame-shared`");

#[cfg(feature = "aac")]
pub mod aac;
pub mod encoder;
pub mod flac;
#[cfg(feature = "lame-shared")]
mod lame_shared;
pub mod m4a;
pub mod mp3;
pub mod options;
pub mod opus;
pub mod package;
pub mod pipeline;
pub mod writer;

pub use encoder::{new_encoder, Encoder, EncoderInfo, Packet};
pub use options::{
    Codec, EncodeOptions, Mp3RateControl, OpusRateControl, ResolvedOptions, MP3_BITRATES,
};
pub use pipeline::{
    encode_many, encode_packets, encode_to_file, encode_with, EncodeReport, EncodeSession,
    EncodeTarget, EncodedStream, FileSink, PacketCollector, PacketSink, StageResult,
};
