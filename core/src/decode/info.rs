//! What `info` reports about an input.

use serde::{Deserialize, Serialize};

/// Stream facts and tags, as `quaver info --json` prints them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioInfo {
    /// Container: `wav`, `aiff`, `flac`, `mp3`, `mp4`, `ogg`, `caf`, `matroska`, `adts`.
    pub container: String,
    /// Codec short name: `pcm_s16le`, `flac`, `mp3`, `aac`, `alac`, `vorbis`, `opus`, ...
    pub codec: String,
    /// Sample rate of the decoded output in Hz (48 000 for Opus).
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u32,
    /// Exact frame count after gapless trimming (encoder delay, padding, priming removed).
    pub frames: u64,
    /// `frames / sample_rate`.
    pub duration_s: f64,
    /// Bits per sample of the stored samples (PCM, FLAC, ALAC); `None` for lossy codecs.
    pub bits_per_sample: Option<u32>,
    /// Average bitrate in bit/s over the whole file (container overhead included).
    pub bitrate: Option<u64>,
    /// Encoder delay removed at the start, in frames (MP3 LAME tag, AAC edit list, Opus pre-skip).
    pub encoder_delay: u32,
    /// Padding removed at the end, in frames.
    pub encoder_padding: u32,
    /// Metadata tags.
    pub tags: Tags,
}

/// The tags quaver normalises across ID3, Vorbis comments, MP4 atoms and RIFF INFO.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    /// Track title.
    pub title: Option<String>,
    /// Track artist.
    pub artist: Option<String>,
    /// Album title.
    pub album: Option<String>,
    /// Album artist.
    pub album_artist: Option<String>,
    /// Track number within the album.
    pub track_number: Option<u32>,
    /// Release date or year as written in the file.
    pub date: Option<String>,
    /// Genre.
    pub genre: Option<String>,
    /// International Standard Recording Code.
    pub isrc: Option<String>,
    /// Whether the file embeds cover art.
    pub has_cover_art: bool,
}

impl Tags {
    /// Set a tag from a Vorbis-comment style key (`TITLE`, `ARTIST`, `TRACKNUMBER`, ...).
    pub fn set_vorbis(&mut self, key: &str, value: &str) {
        let v = clean(value);
        match key.to_ascii_uppercase().as_str() {
            "TITLE" => self.title = self.title.take().or(v),
            "ARTIST" => self.artist = self.artist.take().or(v),
            "ALBUM" => self.album = self.album.take().or(v),
            "ALBUMARTIST" | "ALBUM ARTIST" | "ALBUM_ARTIST" => {
                self.album_artist = self.album_artist.take().or(v)
            }
            "TRACKNUMBER" | "TRACK" => {
                self.track_number = self.track_number.or_else(|| parse_track(value))
            }
            "DATE" | "YEAR" => self.date = self.date.take().or(v),
            "GENRE" => self.genre = self.genre.take().or(v),
            "ISRC" => self.isrc = self.isrc.take().or(v),
            "METADATA_BLOCK_PICTURE" | "COVERART" => self.has_cover_art = true,
            _ => {}
        }
    }
}

/// Trim whitespace and the NUL padding RIFF INFO strings carry; `None` when nothing is left.
pub(crate) fn clean(value: &str) -> Option<String> {
    Some(
        value
            .trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string(),
    )
    .filter(|s| !s.is_empty())
}

/// Parse `"3"` or `"3/12"` into 3.
pub(crate) fn parse_track(s: &str) -> Option<u32> {
    s.split('/').next()?.trim().parse().ok()
}
