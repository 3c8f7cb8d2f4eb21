//! A static DASH MPD (ISO/IEC 23009-1, DASH-IF IOP, CMAF profile) over the same segments as
//! the HLS playlists: one AdaptationSet per codec, `SegmentTemplate` + `SegmentTimeline` in
//! presentation time (tfdt minus the edit), exact `mediaPresentationDuration`.

use std::fmt::Write;

use super::RenditionReport;

/// ISO 8601 duration with microsecond precision, rounded up so the declared duration never
/// ends before the last sample (players use it as the MSE duration).
pub fn iso_duration(samples: u64, rate: u32) -> String {
    let us = (u128::from(samples) * 1_000_000).div_ceil(u128::from(rate));
    format!("PT{}.{:06}S", us / 1_000_000, us % 1_000_000)
}

/// The MPD. `renditions` are grouped by codec in order of first appearance.
pub fn mpd(renditions: &[RenditionReport], segment_target_s: f64) -> String {
    let duration = renditions
        .iter()
        .map(|r| iso_duration(r.valid_samples, r.sample_rate))
        .max_by_key(|s| (s.len(), s.clone()))
        .unwrap_or_else(|| "PT0S".into());
    let max_seg = renditions
        .iter()
        .flat_map(|r| r.segments.iter().map(|s| s.decode_duration_s))
        .fold(segment_target_s, f64::max);
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019\" type=\"static\" minBufferTime=\"PT2S\" mediaPresentationDuration=\"{duration}\" maxSegmentDuration=\"PT{max_seg:.6}S\">"
    );
    x.push_str("  <Period id=\"0\" start=\"PT0S\">\n");
    let mut codecs: Vec<&str> = Vec::new();
    for r in renditions {
        if !codecs.contains(&r.codecs.as_str()) {
            codecs.push(&r.codecs);
        }
    }
    for (i, c) in codecs.iter().enumerate() {
        let _ = writeln!(
            x,
            "    <AdaptationSet id=\"{i}\" contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"und\" segmentAlignment=\"true\" startWithSAP=\"1\">"
        );
        for r in renditions.iter().filter(|r| r.codecs == *c) {
            let _ = writeln!(
                x,
                "      <Representation id=\"{}\" codecs=\"{}\" bandwidth=\"{}\" audioSamplingRate=\"{}\">",
                r.id, r.codecs, r.peak_bitrate, r.sample_rate
            );
            let _ = writeln!(
                x,
                "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:mpegB:cicp:ChannelConfiguration\" value=\"{}\"/>",
                cicp_channel_configuration(r.channels)
            );
            let _ = writeln!(
                x,
                "        <SegmentTemplate timescale=\"{}\" initialization=\"{}/{}\" media=\"{}/seg_$Number$.m4s\" startNumber=\"1\">",
                r.sample_rate,
                r.id,
                super::INIT_NAME,
                r.id
            );
            x.push_str("          <SegmentTimeline>\n");
            // Run-length encode equal durations (S@r).
            let segs = &r.segments;
            let mut k = 0;
            while k < segs.len() {
                let d = segs[k].duration;
                let mut n = 1;
                while k + n < segs.len() && segs[k + n].duration == d {
                    n += 1;
                }
                if n > 1 {
                    let _ = writeln!(
                        x,
                        "            <S t=\"{}\" d=\"{d}\" r=\"{}\"/>",
                        segs[k].start,
                        n - 1
                    );
                } else {
                    let _ = writeln!(x, "            <S t=\"{}\" d=\"{d}\"/>", segs[k].start);
                }
                k += n;
            }
            x.push_str("          </SegmentTimeline>\n        </SegmentTemplate>\n      </Representation>\n");
        }
        x.push_str("    </AdaptationSet>\n");
    }
    x.push_str("  </Period>\n</MPD>\n");
    x
}

/// ISO/IEC 23001-8 ChannelConfiguration for 1–8 channels in the WAV/Vorbis order.
fn cicp_channel_configuration(channels: u32) -> u32 {
    match channels {
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 5,
        6 => 6,
        8 => 12,
        _ => 0,
    }
}
