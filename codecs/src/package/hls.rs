//! HLS playlists (RFC 8216, Apple's HLS authoring spec) over the CMAF segments: a VOD media
//! playlist per rendition and a multivariant playlist of audio-only variants.

use std::fmt::Write;

use super::RenditionReport;

/// `EXT-X-TARGETDURATION`: the largest EXTINF rounded to the nearest integer (RFC 8216
/// §4.3.3.1), at least 1.
pub fn target_duration(r: &RenditionReport) -> u64 {
    r.segments
        .iter()
        .map(|s| s.duration_s.round() as u64)
        .max()
        .unwrap_or(1)
        .max(1)
}

/// The media playlist of one rendition (URIs relative to the rendition's directory).
pub fn media_playlist(r: &RenditionReport) -> String {
    let cmaf = r.container == super::Container::Cmaf;
    let mut s = String::with_capacity(64 + r.segments.len() * 40);
    // Packed audio and TS need no EXT-X-MAP, so version 3 (decimal EXTINF) is enough.
    s.push_str(if cmaf {
        "#EXTM3U\n#EXT-X-VERSION:7\n"
    } else {
        "#EXTM3U\n#EXT-X-VERSION:3\n"
    });
    let _ = writeln!(s, "#EXT-X-TARGETDURATION:{}", target_duration(r));
    s.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    if cmaf {
        let _ = writeln!(s, "#EXT-X-MAP:URI=\"{}\"", super::INIT_NAME);
    }
    for seg in &r.segments {
        // Six decimals: the presentation duration to the microsecond, after the edit list.
        let _ = writeln!(s, "#EXTINF:{:.6},\n{}", seg.duration_s, seg.file);
    }
    s.push_str("#EXT-X-ENDLIST\n");
    s
}

/// A multivariant playlist of audio-only variants: measured peak `BANDWIDTH` (RFC window),
/// measured `AVERAGE-BANDWIDTH`, `CODECS` from the sample entry. Each media playlist appears
/// once, in one role.
pub fn multivariant_playlist<'a>(
    renditions: impl IntoIterator<Item = &'a RenditionReport>,
) -> String {
    let mut s = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for r in renditions {
        let _ = writeln!(
            s,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"\n{}/{}",
            r.peak_bitrate,
            r.average_bitrate,
            r.codecs,
            r.id,
            super::PLAYLIST_NAME
        );
    }
    s
}
