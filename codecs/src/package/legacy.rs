//! MP3 for HLS outside CMAF (no MSE player streams MP3 in fMP4): **packed audio** segments
//! (`.mp3`: an ID3v2 PRIV `com.apple.streaming.transportStreamTimestamp` then whole frames)
//! and **MPEG-TS** segments (`.ts`: PAT + PMT at the start of every segment, one audio PID
//! carrying the PCR, PES packets of whole frames with their PTS).
//!
//! Timing: 90 kHz timestamps on one timeline for every segment and rendition, `BASE` +
//! the frame's presentation time (coded time minus the priming), so the PTS of a segment's
//! first frame is where the playlist says that segment starts (segment 1 starts `priming`
//! samples before 0, which `BASE` keeps positive). Packed and TS audio carry no edit list:
//! players play the encoder's priming and padding, as they do for every MP3 stream.

use quaver_core::{Error, Result};

use mpeg2ts::es::{StreamId, StreamType};
use mpeg2ts::pes::PesHeader;
use mpeg2ts::time::{ClockReference, Timestamp};
use mpeg2ts::ts::payload::{Bytes, Pat, Pes, Pmt};
use mpeg2ts::ts::{
    AdaptationField, ContinuityCounter, EsInfo, Pid, ProgramAssociation,
    TransportScramblingControl, TsHeader, TsPacket, TsPacketWriter, TsPayload, VersionNumber,
    WriteTsPacket,
};

/// The first presented sample's PTS: 1.4 s, ffmpeg's muxing delay and hls.js's expectation
/// of a positive start.
pub const BASE: u64 = 126_000;
const PMT_PID: u16 = 0x1000;
const AUDIO_PID: u16 = 0x0100;
/// MPEG audio frames per PES packet (8 × 1152 samples ≈ 0.2 s).
const FRAMES_PER_PES: usize = 8;

/// The 90 kHz PTS of a packet at coded sample `pts` for a stream with `priming` samples.
pub fn pts90k(pts: u64, priming: u32, rate: u32) -> u64 {
    let t = (i128::from(pts) - i128::from(priming)) * 90_000 / i128::from(rate);
    (i128::from(BASE) + t).max(0) as u64 & ((1 << 33) - 1)
}

/// One packed-audio segment: the ID3v2.4 timestamp tag and the frames.
pub fn packed_segment(first_pts: u64, frames: &[&[u8]]) -> Vec<u8> {
    const OWNER: &[u8] = b"com.apple.streaming.transportStreamTimestamp\0";
    let frame_len = OWNER.len() + 8;
    let tag_len = 10 + frame_len;
    let mut o = Vec::with_capacity(10 + tag_len + frames.iter().map(|f| f.len()).sum::<usize>());
    o.extend_from_slice(b"ID3\x04\x00\x00");
    o.extend_from_slice(&syncsafe(tag_len as u32));
    o.extend_from_slice(b"PRIV");
    o.extend_from_slice(&syncsafe(frame_len as u32));
    o.extend_from_slice(&[0, 0]);
    o.extend_from_slice(OWNER);
    o.extend_from_slice(&(first_pts & ((1 << 33) - 1)).to_be_bytes());
    for f in frames {
        o.extend_from_slice(f);
    }
    o
}

fn syncsafe(n: u32) -> [u8; 4] {
    [
        ((n >> 21) & 0x7f) as u8,
        ((n >> 14) & 0x7f) as u8,
        ((n >> 7) & 0x7f) as u8,
        (n & 0x7f) as u8,
    ]
}

/// Continuity counters of the two PIDs that carry data, kept across a rendition's segments.
#[derive(Default)]
pub struct TsCounters {
    pat: ContinuityCounter,
    pmt: ContinuityCounter,
    audio: ContinuityCounter,
}

fn ts_err(e: mpeg2ts::Error) -> Error {
    Error::Internal(format!("MPEG-TS muxing: {e}"))
}

fn header(pid: u16, cc: &mut ContinuityCounter) -> Result<TsHeader> {
    let h = TsHeader {
        transport_error_indicator: false,
        transport_priority: false,
        pid: Pid::new(pid).map_err(ts_err)?,
        transport_scrambling_control: TransportScramblingControl::NotScrambled,
        continuity_counter: *cc,
    };
    cc.increment();
    Ok(h)
}

/// One TS segment: PAT, PMT, then the frames (each with its coded `pts`) in PES packets of
/// up to [`FRAMES_PER_PES`] frames; the segment's first audio packet carries the PCR and the
/// random-access flag. `mpeg2` selects stream type 0x04 (MPEG-2 rates, < 32 kHz) over 0x03.
pub fn ts_segment(
    frames: &[(&[u8], u64)],
    priming: u32,
    rate: u32,
    mpeg2: bool,
    cc: &mut TsCounters,
) -> Result<Vec<u8>> {
    let mut w = TsPacketWriter::new(Vec::with_capacity(
        (frames.iter().map(|f| f.0.len()).sum::<usize>() / 184 + 4) * 188,
    ));
    let pat = TsPacket {
        header: header(0, &mut cc.pat)?,
        adaptation_field: None,
        payload: Some(TsPayload::Pat(Pat {
            transport_stream_id: 1,
            version_number: VersionNumber::default(),
            table: vec![ProgramAssociation {
                program_num: 1,
                program_map_pid: Pid::new(PMT_PID).map_err(ts_err)?,
            }],
        })),
    };
    w.write_ts_packet(&pat).map_err(ts_err)?;
    let pmt = TsPacket {
        header: header(PMT_PID, &mut cc.pmt)?,
        adaptation_field: None,
        payload: Some(TsPayload::Pmt(Pmt {
            program_num: 1,
            pcr_pid: Some(Pid::new(AUDIO_PID).map_err(ts_err)?),
            version_number: VersionNumber::default(),
            program_info: Vec::new(),
            es_info: vec![EsInfo {
                stream_type: if mpeg2 {
                    StreamType::Mpeg2HalvedSampleRateAudio
                } else {
                    StreamType::Mpeg1Audio
                },
                elementary_pid: Pid::new(AUDIO_PID).map_err(ts_err)?,
                descriptors: Vec::new(),
            }],
        })),
    };
    w.write_ts_packet(&pmt).map_err(ts_err)?;

    for (k, group) in frames.chunks(FRAMES_PER_PES).enumerate() {
        let pts = pts90k(group[0].1, priming, rate);
        let data: Vec<u8> = group.iter().flat_map(|f| f.0.iter().copied()).collect();
        let pes_header = PesHeader {
            stream_id: StreamId::new(0xC0),
            priority: false,
            data_alignment_indicator: true,
            copyright: false,
            original_or_copy: false,
            pts: Some(Timestamp::new(pts).map_err(ts_err)?),
            dts: None,
            escr: None,
        };
        // PES_packet_length counts the optional header (3 + 5 for the PTS) and the data.
        let pes_len = 8 + data.len();
        let first_af = (k == 0).then(|| AdaptationField {
            discontinuity_indicator: false,
            random_access_indicator: true,
            es_priority_indicator: false,
            pcr: ClockReference::new(pts.saturating_sub(BASE / 2) * 300).ok(),
            opcr: None,
            splice_countdown: None,
            transport_private_data: Vec::new(),
            extension: None,
        });
        // Room in the first TS packet: 184 − the PES header (9 + 5) − the adaptation field.
        let af_len = first_af.as_ref().map_or(0, |_| 8);
        let first_room = (184 - 14 - af_len).min(data.len());
        let start = TsPacket {
            header: header(AUDIO_PID, &mut cc.audio)?,
            adaptation_field: first_af,
            payload: Some(TsPayload::PesStart(Pes {
                header: pes_header,
                pes_packet_len: if pes_len <= usize::from(u16::MAX) {
                    pes_len as u16
                } else {
                    0
                },
                data: Bytes::new(&data[..first_room]).map_err(ts_err)?,
            })),
        };
        w.write_ts_packet(&start).map_err(ts_err)?;
        for chunk in data[first_room..].chunks(184) {
            let p = TsPacket {
                header: header(AUDIO_PID, &mut cc.audio)?,
                adaptation_field: None,
                payload: Some(TsPayload::PesContinuation(
                    Bytes::new(chunk).map_err(ts_err)?,
                )),
            };
            w.write_ts_packet(&p).map_err(ts_err)?;
        }
    }
    Ok(w.into_stream())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mpeg2ts::ts::{ReadTsPacket, TsPacketReader};

    #[test]
    fn packed_segment_carries_the_apple_timestamp() {
        let s = packed_segment(BASE + 90_000, &[&[0xff, 0xfb, 1, 2], &[0xff, 0xfb, 3]]);
        assert_eq!(&s[..3], b"ID3");
        let tag = 10
            + (usize::from(s[6]) << 21
                | usize::from(s[7]) << 14
                | usize::from(s[8]) << 7
                | usize::from(s[9]));
        let owner = b"com.apple.streaming.transportStreamTimestamp\0";
        let at = s.windows(owner.len()).position(|w| w == owner).unwrap() + owner.len();
        assert_eq!(
            u64::from_be_bytes(s[at..at + 8].try_into().unwrap()),
            BASE + 90_000
        );
        assert_eq!(
            &s[tag..tag + 2],
            &[0xff, 0xfb],
            "frames start right after the tag"
        );
    }

    #[test]
    fn ts_segments_parse_back_with_continuous_counters_and_pts() {
        let frame = vec![0x55u8; 417];
        let frames: Vec<(&[u8], u64)> = (0..20).map(|i| (frame.as_slice(), i * 1152)).collect();
        let mut cc = TsCounters::default();
        let a = ts_segment(&frames[..10], 1105, 44_100, false, &mut cc).unwrap();
        let b = ts_segment(&frames[10..], 1105, 44_100, false, &mut cc).unwrap();
        assert_eq!(a.len() % 188, 0);
        let mut last_cc: Option<u8> = None;
        let mut ptss = Vec::new();
        let mut payload = 0usize;
        for seg in [&a, &b] {
            let mut r = TsPacketReader::new(&seg[..]);
            let mut first = true;
            while let Some(p) = r.read_ts_packet().unwrap() {
                if first {
                    assert!(
                        matches!(p.payload, Some(TsPayload::Pat(_))),
                        "segment starts with the PAT"
                    );
                    first = false;
                }
                if p.header.pid.as_u16() == AUDIO_PID {
                    let c = p.header.continuity_counter.as_u8();
                    if let Some(l) = last_cc {
                        assert_eq!(c, (l + 1) & 15, "continuity across segments");
                    }
                    last_cc = Some(c);
                    match &p.payload {
                        Some(TsPayload::PesStart(pes)) => {
                            ptss.push(pes.header.pts.unwrap().as_u64());
                            payload += pes.data.len();
                        }
                        Some(TsPayload::PesContinuation(b)) => payload += b.len(),
                        _ => {}
                    }
                }
            }
        }
        assert_eq!(payload, 20 * 417, "every frame byte is carried once");
        let want: Vec<u64> = [0u64, 8, 10, 18]
            .iter()
            .map(|&i| pts90k(i * 1152, 1105, 44_100))
            .collect();
        assert_eq!(ptss, want);
        assert_eq!(want[0], BASE - 2255, "the priming sits before BASE");
    }
}
