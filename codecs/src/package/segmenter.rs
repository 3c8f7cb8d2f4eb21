//! Segment boundaries on a frame grid shared by every rendition of a switching set, and the
//! gapless timing of each segment.
//!
//! Timelines: the *coded* timeline (tfdt, trun) starts at the first coded sample; the
//! *presentation* timeline (EXTINF, SegmentTimeline, the player's clock) starts `priming`
//! samples later, where the edit list starts, and ends after exactly `valid` samples.

use quaver_core::{Error, Result};

use crate::encoder::Packet;

/// One segment of a rendition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentPlan {
    /// Index of the segment's first packet.
    pub first_packet: usize,
    /// Number of packets (≥ 1: a segment is never empty).
    pub packets: usize,
    /// Coded time of the first sample (the `tfdt`).
    pub decode_start: u64,
    /// Coded duration (sum of the trun durations).
    pub decode_duration: u64,
    /// Presentation start after the edit (clipped at 0).
    pub start: u64,
    /// Presentation duration after the edit.
    pub duration: u64,
}

/// Trim the packets to the valid end: drop packets that start at or after `priming + valid`
/// and return the trun duration of each kept packet (the last one shortened so the coded
/// timeline ends exactly where the valid audio does).
pub fn trimmed_durations(packets: &[Packet], priming: u32, valid: u64) -> Vec<u32> {
    let end = u64::from(priming) + valid;
    let mut out = Vec::with_capacity(packets.len());
    for p in packets {
        if p.pts >= end {
            break;
        }
        let d = u64::from(p.duration).min(end - p.pts);
        out.push(d as u32);
    }
    out
}

/// Packets per segment for a target length: the whole number of frames nearest to
/// `target_samples` (Opus 20 ms at 48 kHz, 6 s → 300; FLAC 4096-sample blocks at 44.1 kHz,
/// 6 s → 65 = 6.037 s). Every rendition of a switching set has the same frame size, so the
/// same count gives the same boundaries.
pub fn packets_per_segment(frame: u32, target_samples: u64) -> usize {
    ((target_samples as f64 / f64::from(frame.max(1))).round() as usize).max(1)
}

/// Cut `durations` (trimmed, starting at coded time 0) into segments of `per_segment`
/// packets; the last takes what is left and is never empty.
pub fn plan(durations: &[u32], per_segment: usize, priming: u32) -> Result<Vec<SegmentPlan>> {
    if durations.is_empty() {
        return Err(Error::invalid("nothing to package: the input has no audio"));
    }
    let priming = u64::from(priming);
    let mut out = Vec::with_capacity(durations.len() / per_segment + 1);
    let mut t = 0u64;
    for (i, chunk) in durations.chunks(per_segment.max(1)).enumerate() {
        let d: u64 = chunk.iter().map(|&d| u64::from(d)).sum();
        let start = t.saturating_sub(priming);
        let end = (t + d).saturating_sub(priming);
        out.push(SegmentPlan {
            first_packet: i * per_segment,
            packets: chunk.len(),
            decode_start: t,
            decode_duration: d,
            start,
            duration: end - start,
        });
        t += d;
    }
    // A tail of under a quarter segment (e.g. the 312 samples of Opus pre-skip that spill
    // past a source of whole segments) is folded into the one before: a 6.5 ms segment is
    // legal but costs a request and trips some players' buffering heuristics.
    if out.len() > 1 && out[out.len() - 1].packets * 4 < per_segment {
        let last = out.pop().expect("two segments");
        let s = out.last_mut().expect("one segment");
        s.packets += last.packets;
        s.decode_duration += last.decode_duration;
        s.duration += last.duration;
    }
    // A first segment made only of priming would present nothing: fold it into the next.
    if out.len() > 1 && out[0].duration == 0 {
        let first = out.remove(0);
        let s = &mut out[0];
        s.first_packet = 0;
        s.packets += first.packets;
        s.decode_start = 0;
        s.decode_duration += first.decode_duration;
        s.start = 0;
    }
    Ok(out)
}

/// Peak bit rate per RFC 8216 §4.3.4.2: the largest rate over any contiguous run of
/// segments lasting 0.5–1.5 × the target duration (the overall average if no run qualifies).
/// `segments` are (bytes, seconds).
pub fn peak_bitrate(segments: &[(u64, f64)], target_duration: f64) -> f64 {
    let mut peak = 0.0f64;
    for i in 0..segments.len() {
        let (mut d, mut bits) = (0.0, 0.0);
        for &(b, s) in &segments[i..] {
            d += s;
            bits += b as f64 * 8.0;
            if d > 1.5 * target_duration {
                break;
            }
            if d >= 0.5 * target_duration {
                peak = peak.max(bits / d);
            }
        }
    }
    if peak == 0.0 {
        peak = average_bitrate(segments);
    }
    peak
}

/// Total bits over total seconds.
pub fn average_bitrate(segments: &[(u64, f64)]) -> f64 {
    let bits: f64 = segments.iter().map(|s| s.0 as f64 * 8.0).sum();
    let secs: f64 = segments.iter().map(|s| s.1).sum();
    if secs > 0.0 {
        bits / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pk(n: usize, dur: u32) -> Vec<Packet> {
        (0..n)
            .map(|i| Packet {
                data: vec![0; 10],
                pts: i as u64 * u64::from(dur),
                duration: dur,
            })
            .collect()
    }

    #[test]
    fn trims_to_the_valid_end_and_plans_exact_presentation() {
        // 4 s of Opus: 312 priming + 192000 valid = 192312 coded → 201 packets, last 312.
        let d = trimmed_durations(&pk(205, 960), 312, 192_000);
        assert_eq!(d.len(), 201);
        assert_eq!(*d.last().unwrap(), 312);
        let p = plan(&d, packets_per_segment(960, 6 * 48_000), 312).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].duration, 192_000);
        let p = plan(&d, 100, 312).unwrap();
        assert_eq!(p[0].duration, 96_000 - 312);
        assert_eq!(p[1].start, 96_000 - 312);
        assert_eq!(p.len(), 2, "the one-packet tail is folded into segment 2");
        assert_eq!(p[1].packets, 101);
        assert_eq!(p.iter().map(|s| s.duration).sum::<u64>(), 192_000);
    }

    #[test]
    fn rfc_peak_window() {
        let segs = [(6000u64, 6.0), (12000, 6.0), (100, 0.5)];
        assert_eq!(peak_bitrate(&segs, 6.0), 16000.0);
        assert_eq!(packets_per_segment(4096, 264_600), 65);
    }
}
