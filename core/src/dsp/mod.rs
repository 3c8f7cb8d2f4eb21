//! Signal-processing building blocks shared by the analysers: a streaming STFT framed like
//! librosa's, mel filterbanks and the DCT behind MFCCs, and STFT chroma.

pub mod chroma;
pub mod mel;
pub mod stft;

pub use chroma::ChromaFilterbank;
pub use mel::{Dct, MelFilterbank};
pub use stft::Stft;
