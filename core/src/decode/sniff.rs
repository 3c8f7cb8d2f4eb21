//! Container detection from the first bytes. Symphonia's probe finds the reader; this names the
//! container for `info` and routes Ogg Opus to libopus.

/// The container a file's leading bytes announce, as a short lowercase name.
pub(crate) fn container_name(head: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| head.len() >= m.len() && &head[..m.len()] == m;
    if starts(b"RIFF") || starts(b"RF64") || starts(b"BW64") {
        Some("wav")
    } else if starts(b"FORM")
        && head.len() >= 12
        && (&head[8..12] == b"AIFF" || &head[8..12] == b"AIFC")
    {
        Some("aiff")
    } else if starts(b"fLaC") {
        Some("flac")
    } else if starts(b"OggS") {
        Some("ogg")
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        Some("mp4")
    } else if starts(b"caff") {
        Some("caf")
    } else if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("matroska")
    } else if starts(b"ID3") {
        // ID3v2 precedes MP3 (and sometimes FLAC/AAC); the reader that probes decides.
        Some("mp3")
    } else if head.len() >= 2 && head[0] == 0xFF && (head[1] & 0xF6) == 0xF0 {
        Some("adts")
    } else if head.len() >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 {
        Some("mp3")
    } else {
        None
    }
}

/// True when an Ogg stream's first packet is an `OpusHead`.
pub(crate) fn is_ogg_opus(head: &[u8]) -> bool {
    if head.len() < 27 || &head[..4] != b"OggS" {
        return false;
    }
    let nseg = head[26] as usize;
    let start = 27 + nseg;
    head.len() >= start + 8 && &head[start..start + 8] == b"OpusHead"
}

/// `numSampleFrames` from an AIFF/AIFC `COMM` chunk within the first 64 KiB. Symphonia derives
/// the length from the `SSND` chunk size, which counts its 8-byte offset/block header as audio
/// (one or two phantom frames); the `COMM` count is authoritative.
pub(crate) fn aiff_comm_frames(head: &[u8]) -> Option<u64> {
    let mut at = 12usize;
    while at + 8 <= head.len() {
        let id = &head[at..at + 4];
        let size = u32::from_be_bytes(head[at + 4..at + 8].try_into().ok()?) as usize;
        if id == b"COMM" {
            let b = head.get(at + 8..at + 14)?;
            return Some(u64::from(u32::from_be_bytes(b[2..6].try_into().ok()?)));
        }
        at = at
            .checked_add(8)?
            .checked_add(size)?
            .checked_add(size & 1)?;
    }
    None
}
