//! What to encode: one plain, serde-friendly options struct for all three codecs, validated
//! into a [`ResolvedOptions`] once the source's rate and channel count are known.

use std::path::Path;

use quaver_core::{Error, Quality, Result, Tags};
use serde::{Deserialize, Serialize};

/// The codecs quaver encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// MPEG-1 Layer III through LAME, in an `.mp3` file with ID3v2.4 and a LAME/Xing tag.
    Mp3,
    /// Opus through libopus, in an Ogg `.opus` file (RFC 7845).
    Opus,
    /// FLAC through libFLAC, in a native `.flac` file.
    Flac,
    /// AAC-LC through the Fraunhofer FDK encoder: in CMAF packages (HLS/DASH) and `.m4a`
    /// files (fragmented MP4 with the priming edit).
    Aac,
}

impl Codec {
    /// The codec a file name's extension asks for (`mp3`, `opus`/`ogg`, `flac`).
    pub fn from_path(path: &Path) -> Option<Codec> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "mp3" => Some(Codec::Mp3),
            "opus" | "ogg" | "oga" => Some(Codec::Opus),
            "flac" => Some(Codec::Flac),
            "m4a" | "aac" | "mp4" => Some(Codec::Aac),
            _ => None,
        }
    }

    /// The codec's name as options and ids spell it (`mp3`, `opus`, `flac`, `aac`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Mp3 => "mp3",
            Codec::Opus => "opus",
            Codec::Flac => "flac",
            Codec::Aac => "aac",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Codec::Mp3 => "mp3",
            Codec::Opus => "opus",
            Codec::Flac => "flac",
            Codec::Aac => "m4a",
        }
    }
}

impl std::str::FromStr for Codec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mp3" => Ok(Codec::Mp3),
            "opus" => Ok(Codec::Opus),
            "flac" => Ok(Codec::Flac),
            "aac" => Ok(Codec::Aac),
            other => Err(Error::invalid(format!(
                "unknown codec {other:?} (expected mp3, opus, flac or aac)"
            ))),
        }
    }
}

/// How Opus spends its bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpusRateControl {
    /// Unconstrained VBR (libopus's and opusenc's default).
    #[default]
    Vbr,
    /// Constrained VBR: bounded buffer, for streaming with tight bandwidth.
    Cvbr,
    /// Hard CBR: every 20 ms packet the same size.
    Cbr,
}

/// Encoding options. Every field has a default, so `EncodeOptions::default()` with the codec
/// taken from the output's extension is a sensible encode (MP3 CBR 320, Opus 160 kbit/s VBR,
/// FLAC level 5 at the source's bit depth).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EncodeOptions {
    /// Codec; `None` means "from the output file's extension".
    pub codec: Option<Codec>,
    /// Target bitrate in kbit/s: MP3 CBR (32–320, MPEG-1 Layer III values), Opus (16–510),
    /// AAC-LC CBR (32–320; default 256).
    pub bitrate_kbps: Option<u32>,
    /// MP3 VBR quality V0 (best) … V9; exclusive with `bitrate_kbps`.
    pub vbr_quality: Option<u8>,
    /// Opus rate control.
    pub opus_rate_control: OpusRateControl,
    /// Opus complexity 0–10 (default 10).
    pub complexity: Option<u8>,
    /// Output sample rate. MP3: 44 100 or 48 000 (default: the nearer family of the source);
    /// Opus: 48 000; FLAC: any rate 8 000–655 350 (default: the source's); AAC: 8 000–48 000
    /// from the MPEG-4 table (default: 44 100 or 48 000, the nearer family of the source).
    pub sample_rate: Option<u32>,
    /// Output channels. MP3 and Opus: 1 or 2 (default: the source's, sources with more are
    /// downmixed to stereo); FLAC: 1–8 (default: the source's).
    pub channels: Option<u32>,
    /// FLAC bits per sample, 16 or 24 (default: 24 when the source stores more than 16 bits,
    /// else 16).
    pub bits_per_sample: Option<u32>,
    /// FLAC compression level 0–8 (default 5, as `flac -5`).
    pub compression_level: Option<u8>,
    /// MP3 only: append an ID3v1 tag as well as the ID3v2.4 tag.
    pub id3v1: bool,
    /// Copy the source's tags into the output (default true).
    pub copy_tags: bool,
    /// Tags to write instead of (when `copy_tags` is false) or over (field by field) the
    /// source's.
    pub tags: Option<Tags>,
    /// Resampler preset used when the output rate differs from the source's.
    pub resample_quality: Quality,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            codec: None,
            bitrate_kbps: None,
            vbr_quality: None,
            opus_rate_control: OpusRateControl::Vbr,
            complexity: None,
            sample_rate: None,
            channels: None,
            bits_per_sample: None,
            compression_level: None,
            id3v1: false,
            copy_tags: true,
            tags: None,
            resample_quality: Quality::Balanced,
        }
    }
}

/// MPEG-1 Layer III bitrates (kbit/s) LAME can write as CBR.
pub const MP3_BITRATES: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

/// Sample rates AAC-LC is encoded at (the MPEG-4 sampling frequency table from 8 kHz up).
pub const AAC_RATES: [u32; 9] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000,
];

/// How an MP3 encoder spends its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mp3RateControl {
    /// Constant bitrate in kbit/s.
    Cbr(u32),
    /// LAME VBR quality `-V n`, 0 (best) to 9.
    Vbr(u8),
}

/// Options checked against the source: every field final.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolvedOptions {
    /// Codec.
    pub codec: Codec,
    /// Sample rate the encoder receives.
    pub sample_rate: u32,
    /// Channel count the encoder receives.
    pub channels: u32,
    /// MP3 rate control (MP3 only).
    pub mp3: Option<Mp3RateControl>,
    /// Opus bitrate in bit/s (Opus only).
    pub opus_bitrate: Option<u32>,
    /// AAC CBR bitrate in bit/s (AAC only).
    #[serde(default)]
    pub aac_bitrate: Option<u32>,
    /// Opus rate control.
    pub opus_rate_control: OpusRateControl,
    /// Opus complexity.
    pub complexity: u8,
    /// FLAC bits per sample.
    pub bits_per_sample: u32,
    /// FLAC compression level.
    pub compression_level: u8,
    /// Write an ID3v1 tag (MP3).
    pub id3v1: bool,
    /// The tags to write.
    pub tags: Tags,
    /// Resampler preset.
    pub resample_quality: Quality,
}

/// Lowest sample rate any encoder accepts; anything lower is a mistake, not audio.
pub const MIN_RATE: u32 = 8_000;

impl EncodeOptions {
    /// Check the options against a source of `src_rate` Hz, `src_channels` channels and
    /// `src_bits` stored bits, for output `path` (used when `codec` is `None`).
    /// Every problem is an [`Error::InvalidArgument`] naming the option.
    pub fn resolve(
        &self,
        path: Option<&Path>,
        src_rate: u32,
        src_channels: u32,
        src_bits: Option<u32>,
        src_tags: &Tags,
    ) -> Result<ResolvedOptions> {
        let codec = match (self.codec, path) {
            (Some(c), _) => c,
            (None, Some(p)) => Codec::from_path(p).ok_or_else(|| {
                Error::invalid(format!(
                    "cannot tell the codec from {:?}: use a .mp3, .opus, .flac or .m4a name or set the codec",
                    p.display().to_string()
                ))
            })?,
            (None, None) => return Err(Error::invalid("no codec given")),
        };
        if src_rate == 0 || src_channels == 0 {
            return Err(Error::invalid("source has no sample rate or no channels"));
        }
        if let Some(r) = self.sample_rate {
            if !(MIN_RATE..=655_350).contains(&r) {
                return Err(Error::invalid(format!(
                    "sample rate {r} Hz is out of range ({MIN_RATE}–655350 Hz)"
                )));
            }
        }
        if self.bitrate_kbps.is_some() && self.vbr_quality.is_some() {
            return Err(Error::invalid(
                "give either a bitrate or a VBR quality, not both",
            ));
        }
        let max_ch = if codec == Codec::Flac { 8 } else { 2 };
        let channels = match self.channels {
            Some(c) if c == 0 || c > max_ch => {
                return Err(Error::invalid(format!(
                    "{c} channels cannot be encoded to {} (1–{max_ch})",
                    codec.extension()
                )))
            }
            Some(c) => c,
            None => src_channels.min(if codec == Codec::Flac { 8 } else { 2 }),
        };
        if self.channels.is_none() && codec == Codec::Flac && src_channels > 8 {
            return Err(Error::invalid(format!(
                "FLAC holds at most 8 channels, the source has {src_channels}: set channels"
            )));
        }
        let mut r = ResolvedOptions {
            codec,
            sample_rate: src_rate,
            channels,
            mp3: None,
            opus_bitrate: None,
            aac_bitrate: None,
            opus_rate_control: self.opus_rate_control,
            complexity: 10,
            bits_per_sample: 16,
            compression_level: 5,
            id3v1: self.id3v1,
            tags: merge_tags(self.copy_tags, src_tags, self.tags.as_ref()),
            resample_quality: self.resample_quality,
        };
        match codec {
            Codec::Mp3 => {
                r.sample_rate = match self.sample_rate {
                    Some(rate @ (44_100 | 48_000)) => rate,
                    Some(rate) => {
                        return Err(Error::invalid(format!(
                            "MP3 is written at 44100 or 48000 Hz, not {rate} Hz"
                        )))
                    }
                    None if src_rate == 44_100 || src_rate == 48_000 => src_rate,
                    None if src_rate % 11_025 == 0 => 44_100,
                    None => 48_000,
                };
                r.mp3 = Some(match (self.bitrate_kbps, self.vbr_quality) {
                    (_, Some(q)) if q > 9 => {
                        return Err(Error::invalid(format!(
                            "MP3 VBR quality must be 0–9 (V0–V9), not {q}"
                        )))
                    }
                    (_, Some(q)) => Mp3RateControl::Vbr(q),
                    (Some(b), _) if !MP3_BITRATES.contains(&b) => {
                        return Err(Error::invalid(format!(
                            "MP3 bitrate {b} kbit/s is not an MPEG-1 Layer III bitrate ({MP3_BITRATES:?})"
                        )))
                    }
                    (Some(b), _) => Mp3RateControl::Cbr(b),
                    (None, None) => Mp3RateControl::Cbr(320),
                });
            }
            Codec::Opus => {
                r.sample_rate = match self.sample_rate {
                    None | Some(48_000) => 48_000,
                    Some(rate) => {
                        return Err(Error::invalid(format!(
                            "Opus is encoded at 48000 Hz, not {rate} Hz (other rates are resampled)"
                        )))
                    }
                };
                if self.vbr_quality.is_some() {
                    return Err(Error::invalid(
                        "VBR quality is an MP3 option; Opus takes a bitrate",
                    ));
                }
                let b = self.bitrate_kbps.unwrap_or(160);
                if !(16..=510).contains(&b) {
                    return Err(Error::invalid(format!(
                        "Opus bitrate {b} kbit/s is out of range (16–510)"
                    )));
                }
                r.opus_bitrate = Some(b * 1000);
                r.complexity = match self.complexity {
                    Some(c) if c > 10 => {
                        return Err(Error::invalid(format!(
                            "Opus complexity must be 0–10, not {c}"
                        )))
                    }
                    Some(c) => c,
                    None => 10,
                };
            }
            Codec::Aac => {
                r.sample_rate = match self.sample_rate {
                    Some(rate) if AAC_RATES.contains(&rate) => rate,
                    Some(rate) => {
                        return Err(Error::invalid(format!(
                            "AAC-LC is encoded at one of {:?} Hz, not {rate} Hz",
                            AAC_RATES
                        )))
                    }
                    None if src_rate == 44_100 || src_rate == 48_000 => src_rate,
                    None if src_rate % 11_025 == 0 => 44_100,
                    None => 48_000,
                };
                if self.vbr_quality.is_some() {
                    return Err(Error::invalid(
                        "VBR quality is an MP3 option; AAC takes a bitrate",
                    ));
                }
                let b = self.bitrate_kbps.unwrap_or(256);
                if !(32..=320).contains(&b) {
                    return Err(Error::invalid(format!(
                        "AAC bitrate {b} kbit/s is out of range (32–320)"
                    )));
                }
                if b > 6144 * r.sample_rate * channels / 1024 / 1000 {
                    return Err(Error::invalid(format!(
                        "AAC at {} Hz, {channels} channel(s) cannot carry {b} kbit/s",
                        r.sample_rate
                    )));
                }
                r.aac_bitrate = Some(b * 1000);
            }
            Codec::Flac => {
                if self.bitrate_kbps.is_some() || self.vbr_quality.is_some() {
                    return Err(Error::invalid(
                        "FLAC is lossless: it takes a compression level, not a bitrate",
                    ));
                }
                r.sample_rate = self.sample_rate.unwrap_or(src_rate);
                if !(MIN_RATE..=655_350).contains(&r.sample_rate) {
                    return Err(Error::invalid(format!(
                        "FLAC cannot store {} Hz here; set a sample rate",
                        r.sample_rate
                    )));
                }
                r.bits_per_sample = match self.bits_per_sample {
                    Some(b @ (16 | 24)) => b,
                    Some(b) => {
                        return Err(Error::invalid(format!(
                            "FLAC bits per sample must be 16 or 24, not {b}"
                        )))
                    }
                    None if src_bits.is_some_and(|b| b > 16) => 24,
                    None => 16,
                };
                r.compression_level = match self.compression_level {
                    Some(l) if l > 8 => {
                        return Err(Error::invalid(format!(
                            "FLAC compression level must be 0–8, not {l}"
                        )))
                    }
                    Some(l) => l,
                    None => 5,
                };
            }
        }
        Ok(r)
    }
}

/// The tags to write: the source's (when copying) overlaid field by field with `extra`.
fn merge_tags(copy: bool, src: &Tags, extra: Option<&Tags>) -> Tags {
    let mut t = if copy { src.clone() } else { Tags::default() };
    if let Some(e) = extra {
        macro_rules! over {
            ($($f:ident),*) => { $( if e.$f.is_some() { t.$f = e.$f.clone(); } )* };
        }
        over!(
            title,
            artist,
            album,
            album_artist,
            track_number,
            date,
            genre,
            isrc
        );
    }
    t.has_cover_art = false;
    t
}

/// Vorbis-comment pairs (`TITLE`, `ARTIST`, …) for Opus and FLAC.
pub fn vorbis_comments(tags: &Tags) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    let mut put = |k: &'static str, s: &Option<String>| {
        if let Some(s) = s {
            v.push((k, s.clone()));
        }
    };
    put("TITLE", &tags.title);
    put("ARTIST", &tags.artist);
    put("ALBUM", &tags.album);
    put("ALBUMARTIST", &tags.album_artist);
    put("DATE", &tags.date);
    put("GENRE", &tags.genre);
    put("ISRC", &tags.isrc);
    if let Some(n) = tags.track_number {
        v.push(("TRACKNUMBER", n.to_string()));
    }
    v
}
