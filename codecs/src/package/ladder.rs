//! Ladders: which renditions a package holds. Named presets plus a custom JSON list.

use std::path::Path;

use quaver_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::options::{Codec, EncodeOptions};

/// How a rendition's segments are stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// CMAF fMP4 (init + `.m4s`), served by HLS and DASH: Opus, AAC, FLAC.
    #[default]
    Cmaf,
    /// HLS packed audio (`.mp3` segments with an ID3 timestamp): MP3 only, HLS only.
    Packed,
    /// HLS MPEG-TS (`.ts` segments): MP3 only, HLS only.
    Ts,
}

/// One rendition of a ladder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rendition {
    /// Codec: `opus`, `aac` or `flac` in CMAF; `mp3` as HLS packed audio or MPEG-TS.
    pub codec: Codec,
    /// Bitrate in kbit/s (Opus, AAC); ignored for FLAC.
    #[serde(default)]
    pub bitrate_kbps: Option<u32>,
    /// Directory and Representation id; default `<codec>_<kbps>` (`mp3ts_<kbps>` for MP3 in
    /// TS) or `flac`.
    #[serde(default)]
    pub id: Option<String>,
    /// Segment container: `cmaf` (default; not for MP3), or for MP3 `packed` (its default)
    /// or `ts`.
    #[serde(default)]
    pub container: Option<Container>,
}

impl Rendition {
    /// An Opus rendition at `kbps`.
    pub fn opus(kbps: u32) -> Self {
        Rendition {
            codec: Codec::Opus,
            bitrate_kbps: Some(kbps),
            id: None,
            container: None,
        }
    }

    /// An AAC-LC rendition at `kbps`, at the source's rate family (44.1 or 48 kHz): every AAC
    /// rendition of a ladder shares that rate, so their 1024-sample frame grids — and segment
    /// boundaries — coincide.
    pub fn aac(kbps: u32) -> Self {
        Rendition {
            codec: Codec::Aac,
            bitrate_kbps: Some(kbps),
            id: None,
            container: None,
        }
    }

    /// The lossless FLAC rendition.
    pub fn flac() -> Self {
        Rendition {
            codec: Codec::Flac,
            bitrate_kbps: None,
            id: None,
            container: None,
        }
    }

    /// An MP3 CBR rendition at `kbps` for HLS, as packed audio or MPEG-TS.
    pub fn mp3(kbps: u32, container: Container) -> Self {
        Rendition {
            codec: Codec::Mp3,
            bitrate_kbps: Some(kbps),
            id: None,
            container: Some(container),
        }
    }

    /// The segment container: as given, else packed audio for MP3 and CMAF otherwise.
    pub fn container(&self) -> Container {
        self.container.unwrap_or(if self.codec == Codec::Mp3 {
            Container::Packed
        } else {
            Container::Cmaf
        })
    }

    /// The id used for its directory, playlist and Representation.
    pub fn id(&self) -> String {
        if let Some(id) = &self.id {
            return id.clone();
        }
        if self.container() == Container::Ts {
            return format!(
                "{}ts_{}",
                self.codec.name(),
                self.bitrate_kbps.unwrap_or(320)
            );
        }
        match (self.codec, self.bitrate_kbps) {
            (Codec::Flac, _) => "flac".into(),
            (c, Some(k)) => format!("{}_{k}", c.name()),
            (c, None) => c.name().into(),
        }
    }

    /// The encoder options of this rendition.
    pub fn encode_options(&self) -> EncodeOptions {
        EncodeOptions {
            codec: Some(self.codec),
            bitrate_kbps: if self.codec == Codec::Flac {
                None
            } else {
                self.bitrate_kbps
            },
            ..Default::default()
        }
    }
}

/// A ladder: the renditions and the target segment length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    /// Renditions, in playlist order.
    pub renditions: Vec<Rendition>,
    /// Target segment length in seconds (default 6, Apple's recommendation).
    #[serde(default = "default_segment")]
    pub segment_seconds: f64,
}

fn default_segment() -> f64 {
    6.0
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder::standard()
    }
}

impl Ladder {
    /// `standard`: Opus 64/96/160 kbit/s in CMAF for HLS and DASH.
    pub fn standard() -> Self {
        Ladder {
            renditions: vec![
                Rendition::opus(64),
                Rendition::opus(96),
                Rendition::opus(160),
            ],
            segment_seconds: default_segment(),
        }
    }

    /// `hifi`: `standard` plus the lossless FLAC tier.
    pub fn hifi() -> Self {
        let mut l = Ladder::standard();
        l.renditions.push(Rendition::flac());
        l
    }

    /// `aac`: AAC-LC 64/128/256 kbit/s in CMAF (HLS's baseline codec).
    pub fn aac() -> Self {
        Ladder {
            renditions: vec![Rendition::aac(64), Rendition::aac(128), Rendition::aac(256)],
            segment_seconds: default_segment(),
        }
    }

    /// `apple`: the `aac` ladder first (what every HLS client plays), then Opus 64/96/160 and
    /// the FLAC tier, each codec its own switching set.
    pub fn apple() -> Self {
        let mut l = Ladder::aac();
        l.renditions.extend(Ladder::hifi().renditions);
        l
    }

    /// `mp3`: MP3 128 and 320 kbit/s CBR as HLS packed audio (for clients without MSE).
    pub fn mp3() -> Self {
        Ladder {
            renditions: vec![
                Rendition::mp3(128, Container::Packed),
                Rendition::mp3(320, Container::Packed),
            ],
            segment_seconds: default_segment(),
        }
    }

    /// The preset names [`Ladder::named`] knows.
    pub const NAMES: [&'static str; 5] = ["standard", "hifi", "aac", "apple", "mp3"];

    /// A preset by name: `standard`, `hifi`, `aac`, `apple` or `mp3`.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "standard" => Ladder::standard(),
            "hifi" => Ladder::hifi(),
            "aac" => Ladder::aac(),
            "apple" => Ladder::apple(),
            "mp3" => Ladder::mp3(),
            _ => return None,
        })
    }

    /// A preset by name ([`Ladder::named`]) or a JSON file (`{"renditions": [{"codec":
    /// "opus", "bitrate_kbps": 96}], "segment_seconds": 6}`).
    pub fn named_or_file(spec: &str) -> Result<Self> {
        if let Some(l) = Ladder::named(spec) {
            return Ok(l);
        }
        let p = Path::new(spec);
        let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
        let l: Ladder = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(format!("ladder {spec}: {e}")))?;
        l.validate()?;
        Ok(l)
    }

    /// Check the ladder can be packaged.
    pub fn validate(&self) -> Result<()> {
        if self.renditions.is_empty() {
            return Err(Error::invalid("the ladder has no renditions"));
        }
        if !(self.segment_seconds.is_finite() && (1.0..=60.0).contains(&self.segment_seconds)) {
            return Err(Error::invalid(format!(
                "segment length {} s is outside 1–60 s",
                self.segment_seconds
            )));
        }
        let mut ids: Vec<String> = Vec::new();
        for r in &self.renditions {
            match (r.codec, r.container()) {
                (Codec::Mp3, Container::Cmaf) => {
                    return Err(Error::invalid(
                        "MP3 cannot be streamed in CMAF fMP4 by MSE players: use container \"packed\" or \"ts\"",
                    ))
                }
                (c, Container::Packed | Container::Ts) if c != Codec::Mp3 => {
                    return Err(Error::invalid(format!(
                        "{} renditions are CMAF; packed audio and TS are for MP3",
                        c.name()
                    )))
                }
                _ => {}
            }
            let id = r.id();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(Error::invalid(format!(
                    "rendition id {id:?} must be [A-Za-z0-9_-]+"
                )));
            }
            if ids.contains(&id) {
                return Err(Error::invalid(format!(
                    "two renditions share the id {id:?}"
                )));
            }
            ids.push(id);
        }
        Ok(())
    }
}
