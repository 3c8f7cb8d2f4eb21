//! quaver-core: streaming decode of every common audio format, resampling, and the building
//! blocks of analysis. The `quaver` facade crate re-exports what users need.

#![warn(missing_docs)]

pub mod analysis;
pub mod buffer;
pub mod convert;
pub mod decode;
pub mod dsp;
pub mod error;
pub mod limits;
pub mod mir;
pub mod output;
pub mod resample;

pub use buffer::AudioBuffer;
pub use convert::{ConvertOptions, ConvertingDecoder};
pub use decode::{decode_all, probe, AudioInfo, DecodeOptions, Decoder, Input, Tags};
pub use error::{Error, Result};
pub use limits::Limits;
pub use resample::{resample, Quality, Resampler};
