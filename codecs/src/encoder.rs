//! The one streaming interface every codec implements, so a packager or a file writer drives
//! MP3, Opus and FLAC the same way: push planar f32, pull packets, finish, read the header.

use quaver_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::options::{Codec, ResolvedOptions};

/// One encoded access unit: an MP3 frame, an Opus packet or a FLAC frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The coded bytes.
    pub data: Vec<u8>,
    /// Position of the packet's first sample on the coded timeline, in samples at the
    /// encoder's rate. The coded timeline starts with [`EncoderInfo::priming`] samples that a
    /// decoder drops, so the source's first sample is at `priming`.
    pub pts: u64,
    /// Samples the packet decodes to (1152 for MP3, 960 for Opus, the block size for FLAC).
    pub duration: u32,
}

/// Facts about an encoder's output stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncoderInfo {
    /// Codec.
    pub codec: Codec,
    /// Sample rate of the coded stream (the rate samples must be pushed at).
    pub sample_rate: u32,
    /// Channel count (the number of planes every push must carry).
    pub channels: u32,
    /// Samples at the start of the decoded stream that are not source audio (MP3: LAME's
    /// encoder delay + the 529-sample decoder delay; Opus: pre-skip; FLAC: 0).
    pub priming: u32,
    /// Nominal bitrate in bit/s (CBR/target), `None` for VBR quality modes and FLAC.
    pub nominal_bitrate: Option<u32>,
}

/// A streaming encoder.
///
/// Call [`Encoder::push`] with chunks of any length, [`Encoder::pull`] whenever convenient to
/// take the packets ready so far, then [`Encoder::finish`] once and pull the rest. After
/// `finish`, [`Encoder::header`] holds the final codec header (for file writers that rewrite
/// it in place) and [`Encoder::frames`] the exact number of source frames encoded, so
/// `priming + frames` is where the valid audio ends on the coded timeline.
pub trait Encoder: Send {
    /// What the encoder produces.
    fn info(&self) -> &EncoderInfo;

    /// Encode planar samples (one slice per channel, all the same length, nominally in
    /// [-1, 1]) at [`EncoderInfo::sample_rate`].
    fn push(&mut self, planar: &[&[f32]]) -> Result<()>;

    /// Flush the codec: pad the last frame, emit the remaining packets and finalise the header.
    fn finish(&mut self) -> Result<()>;

    /// The next ready packet, in decode order.
    fn pull(&mut self) -> Option<Packet>;

    /// The codec's stream header: the OpusHead packet for Opus, `fLaC` + the metadata blocks
    /// for FLAC (STREAMINFO final after `finish`), the LAME/Xing info frame for MP3 (final
    /// after `finish`; before it a placeholder of the same size, available once the first
    /// packet has been produced — empty until then).
    fn header(&self) -> &[u8];

    /// Source frames pushed so far.
    fn frames(&self) -> u64;
}

/// Check a push: the right number of planes, all of one length.
pub(crate) fn check_planes(info: &EncoderInfo, planar: &[&[f32]]) -> Result<usize> {
    if planar.len() != info.channels as usize {
        return Err(Error::invalid(format!(
            "pushed {} channels to a {}-channel {:?} encoder",
            planar.len(),
            info.channels,
            info.codec
        )));
    }
    let n = planar.first().map_or(0, |p| p.len());
    if planar.iter().any(|p| p.len() != n) {
        return Err(Error::invalid(
            "all channels of a push must have the same length",
        ));
    }
    Ok(n)
}

/// Create the encoder for resolved options; `source_rate` is written into headers that record
/// it (OpusHead).
pub fn new_encoder(opts: &ResolvedOptions, source_rate: u32) -> Result<Box<dyn Encoder>> {
    Ok(match opts.codec {
        Codec::Mp3 => Box::new(crate::mp3::Mp3Encoder::new(opts)?),
        Codec::Opus => Box::new(crate::opus::OpusEncoder::new(opts, source_rate)?),
        Codec::Flac => Box::new(crate::flac::FlacEncoder::new(opts)?),
        #[cfg(feature = "aac")]
        Codec::Aac => Box::new(crate::aac::AacEncoder::new(opts)?),
        #[cfg(not(feature = "aac"))]
        Codec::Aac => {
            return Err(Error::Unsupported(
                "AAC: quaver-codecs was built without its `aac` feature".into(),
            ))
        }
    })
}
