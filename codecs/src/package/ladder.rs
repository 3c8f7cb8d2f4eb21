//! Ladders: which renditions a package holds. Named presets plus a custom JSON list.

use std::path::Path;

use quaver_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::options::{Codec, EncodeOptions};

/// One rendition of a ladder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rendition {
    /// Codec: `opus`, `aac` or `flac` in CMAF (MP3 TS/packed audio is not implemented yet).
    pub codec: Codec,
    /// Bitrate in kbit/s (Opus, AAC); ignored for FLAC.
    #[serde(default)]
    pub bitrate_kbps: Option<u32>,
    /// Directory and Representation id; default `<codec>_<kbps>` or `flac`.
    #[serde(default)]
    pub id: Option<String>,
}

impl Rendition {
    /// An Opus rendition at `kbps`.
    pub fn opus(kbps: u32) -> Self {
        Rendition {
            codec: Codec::Opus,
            bitrate_kbps: Some(kbps),
            id: None,
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
        }
    }

    /// The lossless FLAC rendition.
    pub fn flac() -> Self {
        Rendition {
            codec: Codec::Flac,
            bitrate_kbps: None,
            id: None,
        }
    }

    /// The id used for its directory, playlist and Representation.
    pub fn id(&self) -> String {
        if let Some(id) = &self.id {
            return id.clone();
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

    /// A preset by name (`standard`, `hifi`, `aac`, `apple`) or a JSON file (`{"renditions": [{"codec":
    /// "opus", "bitrate_kbps": 96}], "segment_seconds": 6}`).
    pub fn named_or_file(spec: &str) -> Result<Self> {
        match spec {
            "standard" => Ok(Ladder::standard()),
            "hifi" => Ok(Ladder::hifi()),
            "aac" => Ok(Ladder::aac()),
            "apple" => Ok(Ladder::apple()),
            path => {
                let p = Path::new(path);
                let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
                let l: Ladder = serde_json::from_str(&text)
                    .map_err(|e| Error::invalid(format!("ladder {path}: {e}")))?;
                l.validate()?;
                Ok(l)
            }
        }
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
            if r.codec == Codec::Mp3 {
                return Err(Error::Unsupported(
                    "MP3 renditions (MPEG-TS / packed audio) are not implemented yet; use opus or flac".into(),
                ));
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
