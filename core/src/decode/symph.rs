//! Every format but Ogg Opus, through symphonia.

use symphonia::core::audio::{AudioBuffer as SymBuffer, AudioBufferRef, Signal};
use symphonia::core::codecs::{CodecParameters, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{Limit, MetadataOptions, MetadataRevision, StandardTagKey};
use symphonia::core::probe::Hint;

use super::info::{clean, parse_track, AudioInfo, Tags};
use super::mp4::{self, EditWindow};
use super::sniff;
use super::source::Source;
use super::DecodeOptions;
use crate::error::{Error, Result};

/// Consecutive undecodable packets tolerated before the stream is declared corrupt.
const MAX_CONSECUTIVE_ERRORS: u32 = 32;

pub(crate) struct SymphoniaStream {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    pub(crate) info: AudioInfo,
    pub(crate) frames_known: bool,
    window: EditWindow,
    planar: Option<SymBuffer<f32>>,
    consecutive_errors: u32,
    total_errors: u64,
    file_len: u64,
    /// A chunk decoded ahead while opening (when the header does not state the channel count).
    pending: Option<Vec<Vec<f32>>>,
    /// Warnings raised while opening.
    pub(crate) open_warnings: Vec<String>,
    /// Set for WAV with 16-bit integer or 32-bit float PCM: packets are converted here.
    raw_pcm: Option<RawPcm>,
}

/// Interleaved little-endian PCM that [`SymphoniaStream::next`] converts straight from the
/// WAV packet's bytes to planar f32.
///
/// symphonia's PCM decoder reads such a packet sample by sample through a byte reader into an
/// integer buffer, which is then converted and copied again; for plain WAV that was most of
/// the decoding time of an analysis. The arithmetic is the same (`i16 as f32 / 32768`, or the
/// f32 as stored), so the samples are identical; anything else goes through the decoder.
#[derive(Clone, Copy, Debug)]
struct RawPcm {
    /// Bytes per sample: 2 (s16le) or 4 (f32le).
    width: usize,
    channels: usize,
    /// The decoder's buffer capacity: a packet with more frames takes the regular path.
    max_frames: u64,
}

impl RawPcm {
    /// The fast path for a track, when it applies.
    fn detect(container: Option<&str>, codec: &str, params: &CodecParameters) -> Option<Self> {
        if container != Some("wav") {
            return None;
        }
        let coded = params.bits_per_coded_sample.or(params.bits_per_sample);
        let width = match (codec, coded) {
            ("pcm_s16le", Some(16)) => 2,
            ("pcm_f32le", _) => 4,
            _ => return None,
        };
        let channels = params.channels?.count();
        Some(RawPcm {
            width,
            channels: (channels > 0).then_some(channels)?,
            max_frames: params.max_frames_per_packet?,
        })
    }

    /// Frames in `data`, when the packet is whole frames the decoder would take in full.
    fn frames(&self, data: &[u8]) -> Option<usize> {
        let block = self.width * self.channels;
        let n = data.len() / block;
        (data.len() % block == 0 && n > 0 && n as u64 <= self.max_frames).then_some(n)
    }

    /// Frames `start..end` of `data` into `out`, one plane per channel.
    fn convert(&self, data: &[u8], start: usize, end: usize, out: &mut Vec<Vec<f32>>) {
        let block = self.width * self.channels;
        let frames = &data[start * block..end * block];
        out.resize(self.channels, Vec::new());
        for (c, o) in out.iter_mut().enumerate() {
            o.clear();
            let at = c * self.width;
            if self.width == 2 {
                o.extend(
                    frames
                        .chunks_exact(block)
                        .map(|f| f32::from(i16::from_le_bytes([f[at], f[at + 1]])) / 32_768.0),
                );
            } else {
                o.extend(
                    frames
                        .chunks_exact(block)
                        .map(|f| f32::from_le_bytes([f[at], f[at + 1], f[at + 2], f[at + 3]])),
                );
            }
        }
    }
}

impl SymphoniaStream {
    pub(crate) fn open(
        mut src: Source,
        hint_ext: Option<&str>,
        container: Option<&str>,
        opts: &DecodeOptions,
    ) -> Result<Self> {
        let file_len = src.len();
        let raw_edit = if container == Some("mp4") && !opts.keep_padding {
            mp4::audio_edit(&mut src, file_len)?
        } else {
            None
        };
        let aiff_frames = if container == Some("aiff") {
            sniff::aiff_comm_frames(&src.peek_at(0, 1 << 16)?)
        } else {
            None
        };
        let mut hint = Hint::new();
        if let Some(h) = hint_ext {
            hint.with_extension(h);
        }
        let mss = MediaSourceStream::new(Box::new(src), MediaSourceStreamOptions::default());
        let fmt_opts = FormatOptions {
            enable_gapless: !opts.keep_padding,
            ..Default::default()
        };
        let meta_opts = MetadataOptions {
            limit_metadata_bytes: Limit::Maximum(16 << 20),
            limit_visual_bytes: Limit::Maximum(32 << 20),
        };
        // The probe runs the demuxer's header parsing, which can panic on forged data too
        // (fuzz-found: an EBML size underflow in the MKV reader).
        let mut probed =
            guarded(|| symphonia::default::get_probe().format(&hint, mss, &fmt_opts, &meta_opts))?
                .map_err(|e| match e {
                    SymError::Unsupported(_) => {
                        Error::Unsupported("no supported audio container or codec found".into())
                    }
                    SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                        match container {
                            Some(c) => Error::corrupt(format!(
                                "the input ends inside its {c} header (truncated)"
                            )),
                            None => Error::Unsupported(
                                "no supported audio container found in the data".into(),
                            ),
                        }
                    }
                    other => Error::from(other),
                })?;
        let mut tags = Tags::default();
        if let Some(rev) = probed
            .metadata
            .get()
            .as_ref()
            .and_then(|m| m.current().cloned())
        {
            collect_tags(&rev, &mut tags);
        }
        let format = probed.format;
        let mut format = format;
        if let Some(rev) = format.metadata().current() {
            collect_tags(rev, &mut tags);
        }
        let track = format
            .tracks()
            .iter()
            .find(|t| {
                t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some()
            })
            .or_else(|| {
                format
                    .tracks()
                    .iter()
                    .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            })
            .ok_or_else(|| Error::Unsupported("the file has no audio track".into()))?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        let registry = symphonia::default::get_codecs();
        let codec = registry.get_codec(params.codec).map_or_else(
            || format!("{:?}", params.codec),
            |d| d.short_name.to_string(),
        );
        let sample_rate = match params.sample_rate {
            Some(0) => return Err(Error::corrupt("the header declares a sample rate of 0 Hz")),
            Some(r) => r,
            None => return Err(Error::corrupt("the header declares no sample rate")),
        };
        let channels = params.channels.map(|c| c.count() as u32).unwrap_or(0);
        opts.limits.check_stream(sample_rate, channels.max(1))?;
        let raw_pcm = RawPcm::detect(container, &codec, &params);
        let decoder = guarded(|| registry.make(&params, &DecoderOptions { verify: false }))?
            .map_err(|_| Error::Unsupported(format!("codec `{codec}` is not supported")))?;
        let mut window = raw_edit.map(|e| e.window(sample_rate)).unwrap_or_default();
        if let Some(n) = aiff_frames {
            window.keep = Some(n);
        }
        let bits = params
            .bits_per_sample
            .or(params.bits_per_coded_sample)
            .or_else(|| alac_bit_depth(params.extra_data.as_deref()))
            .filter(|_| is_lossless(&codec));
        // symphonia's MP3 reader subtracts the gapless delay and padding from the Xing frame
        // count without saturating: a Xing header counting 0 frames gives 2^64 - 529. No real
        // stream has 2^48 frames (11 years at 768 kHz): treat such a count as unknown.
        let n_frames = params.n_frames.filter(|&n| n < 1 << 48);
        let mut frames_known = n_frames.is_some();
        let mut frames = n_frames.unwrap_or(0);
        // A header may claim more data than the file holds: never report more frames than fit.
        if let (Some(b), true) = (bits, codec.starts_with("pcm")) {
            if channels > 0 && b > 0 {
                let fit = file_len * 8 / (u64::from(b) * u64::from(channels));
                frames = frames.min(fit);
            }
        }
        frames = frames.saturating_sub(window.skip);
        if let Some(k) = window.keep {
            frames = frames.min(k);
        }
        if container == Some("adts") {
            frames_known = false;
        }
        let mut info = AudioInfo {
            container: container.unwrap_or("unknown").into(),
            codec,
            sample_rate,
            channels,
            frames,
            duration_s: frames as f64 / f64::from(sample_rate),
            bits_per_sample: bits,
            bitrate: None,
            encoder_delay: params.delay.unwrap_or(0) + window.skip as u32,
            encoder_padding: params.padding.unwrap_or(0),
            tags,
        };
        let mut s = SymphoniaStream {
            format,
            decoder,
            track_id,
            info: info.clone(),
            frames_known,
            window,
            planar: None,
            consecutive_errors: 0,
            total_errors: 0,
            file_len,
            pending: None,
            open_warnings: Vec::new(),
            raw_pcm,
        };
        if channels == 0 {
            // Some containers (MP4 with AAC, ADTS) leave the channel count to the codec: decode
            // the first packet now and keep it for the first `next` call.
            let mut first = Vec::new();
            let mut w = Vec::new();
            if s.next(&mut first, &mut w)?.is_none() {
                return Err(Error::NoAudio(
                    "the stream contains no decodable audio frames".into(),
                ));
            }
            info.channels = first.len() as u32;
            opts.limits.check_stream(sample_rate, info.channels)?;
            s.pending = Some(first);
            s.open_warnings = w;
        }
        s.fill_bitrate(&mut info);
        s.info = info;
        Ok(s)
    }

    pub(crate) fn fill_bitrate(&self, info: &mut AudioInfo) {
        info.bitrate = match info.bits_per_sample {
            Some(b) if info.codec.starts_with("pcm") => {
                Some(u64::from(b) * u64::from(info.sample_rate) * u64::from(info.channels))
            }
            _ if info.frames > 0 => {
                Some((self.file_len as f64 * 8.0 / info.duration_s).round() as u64)
            }
            _ => None,
        };
    }

    /// Count frames by demuxing (not decoding) the rest of the stream.
    pub(crate) fn count_frames(&mut self) -> Result<u64> {
        let mut total = 0u64;
        loop {
            match guarded(|| self.format.next_packet())? {
                Ok(p) if p.track_id() == self.track_id => total += p.dur,
                Ok(_) => {}
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(SymError::ResetRequired) => break,
                Err(e) if total > 0 => {
                    let _ = e;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        total = total.saturating_sub(self.window.skip);
        if let Some(k) = self.window.keep {
            total = total.min(k);
        }
        self.frames_known = true;
        Ok(total)
    }

    pub(crate) fn next(
        &mut self,
        out: &mut Vec<Vec<f32>>,
        warnings: &mut Vec<String>,
    ) -> Result<Option<()>> {
        if let Some(p) = self.pending.take() {
            *out = p;
            return Ok(Some(()));
        }
        loop {
            if self.window.keep == Some(0) {
                return Ok(None);
            }
            let packet = match guarded(|| self.format.next_packet())? {
                Ok(p) => p,
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None)
                }
                Err(SymError::ResetRequired) => {
                    warnings.push("a chained stream follows; only the first is decoded".into());
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            if let Some(raw) = self.raw_pcm {
                if let Some(n) = raw.frames(&packet.data) {
                    self.consecutive_errors = 0;
                    if let Some((start, end)) = self.window.take(n) {
                        raw.convert(&packet.data, start, end, out);
                        return Ok(Some(()));
                    }
                    continue;
                }
            }
            let decoder = &mut self.decoder;
            let result = guarded(|| decoder.decode(&packet).map(|_| ()))?;
            let decoded = match result.map(|()| self.decoder.last_decoded()) {
                Ok(d) => d,
                // A bit reader running off the end of a packet is a corrupt packet, not the end
                // of the file: skip it like any other undecodable packet.
                Err(
                    e
                    @ (SymError::DecodeError(_) | SymError::IoError(_) | SymError::Unsupported(_)),
                ) => {
                    let msg = e.to_string();
                    self.consecutive_errors += 1;
                    self.total_errors += 1;
                    if self.total_errors <= 5 {
                        warnings.push(format!(
                            "skipped an undecodable packet at {} ({msg})",
                            packet.ts()
                        ));
                    }
                    if self.consecutive_errors > MAX_CONSECUTIVE_ERRORS {
                        return Err(Error::corrupt(format!(
                            "{MAX_CONSECUTIVE_ERRORS} consecutive packets could not be decoded ({msg})"
                        )));
                    }
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            self.consecutive_errors = 0;
            let n = decoded.frames();
            if n == 0 {
                continue;
            }
            let spec = *decoded.spec();
            // Float decoders (Vorbis, MP3, AAC) already hold planar f32: copy the window straight
            // out instead of converting into `planar` first (one pass over the PCM less; the
            // values are the same, `convert` is a copy for f32).
            if let AudioBufferRef::F32(f) = &decoded {
                let Some((start, end)) = self.window.take(n) else {
                    continue;
                };
                copy_window(f, start, end, out);
                return Ok(Some(()));
            }
            let reuse = self
                .planar
                .as_ref()
                .is_some_and(|p| p.capacity() >= n && p.spec() == &spec);
            if !reuse {
                self.planar = Some(SymBuffer::new(decoded.capacity().max(n) as u64, spec));
            }
            let planar = self.planar.as_mut().expect("allocated above");
            decoded.convert(planar);
            let Some((start, end)) = self.window.take(n) else {
                continue;
            };
            copy_window(planar, start, end, out);
            return Ok(Some(()));
        }
    }
}

/// Frames `start..end` of every channel of `buf` into `out` (one Vec per channel, reused).
fn copy_window(buf: &SymBuffer<f32>, start: usize, end: usize, out: &mut Vec<Vec<f32>>) {
    out.resize(buf.spec().channels.count(), Vec::new());
    for (c, o) in out.iter_mut().enumerate() {
        o.clear();
        o.extend_from_slice(&buf.chan(c)[start..end]);
    }
}

/// Run a symphonia call, turning a panic on malformed data into a typed error. Symphonia 0.5
/// asserts on some forged headers instead of returning an error; a library used in servers
/// must not take the process down for one bad upload.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| Error::corrupt("the decoder rejected malformed data (internal assertion)"))
}

/// Bit depth from an ALAC magic cookie (ALACSpecificConfig, optionally inside its atom header).
fn alac_bit_depth(cookie: Option<&[u8]>) -> Option<u32> {
    let c = cookie?;
    let c = if c.len() >= 12 && &c[4..8] == b"alac" {
        &c[12..]
    } else {
        c
    };
    c.get(5).map(|&b| u32::from(b)).filter(|&b| b > 0)
}

fn is_lossless(codec: &str) -> bool {
    codec.starts_with("pcm") || codec == "flac" || codec == "alac"
}

fn collect_tags(rev: &MetadataRevision, tags: &mut Tags) {
    if !rev.visuals().is_empty() {
        tags.has_cover_art = true;
    }
    for tag in rev.tags() {
        let value = tag.value.to_string();
        let v = clean(&value);
        match tag.std_key {
            Some(StandardTagKey::TrackTitle) => tags.title = tags.title.take().or(v),
            Some(StandardTagKey::Artist) => tags.artist = tags.artist.take().or(v),
            Some(StandardTagKey::Album) => tags.album = tags.album.take().or(v),
            Some(StandardTagKey::AlbumArtist) => tags.album_artist = tags.album_artist.take().or(v),
            Some(StandardTagKey::TrackNumber) => {
                tags.track_number = tags.track_number.or_else(|| parse_track(&value))
            }
            Some(StandardTagKey::Date) | Some(StandardTagKey::ReleaseDate) => {
                tags.date = tags.date.take().or(v)
            }
            Some(StandardTagKey::Genre) => tags.genre = tags.genre.take().or(v),
            Some(StandardTagKey::IdentIsrc) => tags.isrc = tags.isrc.take().or(v),
            _ => {
                let key = tag.key.rsplit(':').next().unwrap_or(&tag.key);
                tags.set_vorbis(key, &value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Input;

    /// A WAV of `frames` frames with `fmt_tag` (1 = integer, 3 = float) samples of `bits`.
    fn wav(fmt_tag: u16, bits: u16, channels: u16, frames: usize) -> Vec<u8> {
        let width = usize::from(bits / 8);
        let mut data = Vec::new();
        for i in 0..frames * usize::from(channels) {
            let x = ((i as f64 * 0.0123).sin() * 0.9 + ((i * 7919) % 13) as f64 * 0.003) as f32;
            if fmt_tag == 3 {
                data.extend_from_slice(&x.to_le_bytes());
            } else {
                data.extend_from_slice(&((x * 32767.0) as i16).to_le_bytes());
            }
        }
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&fmt_tag.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&44_100u32.to_le_bytes());
        v.extend_from_slice(&(44_100 * u32::from(channels) * width as u32).to_le_bytes());
        v.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend(data);
        v
    }

    fn decode_all(bytes: Vec<u8>, fast: bool) -> Vec<Vec<f32>> {
        let (src, hint) = Input::bytes(bytes).open().unwrap();
        let mut s =
            SymphoniaStream::open(src, hint.as_deref(), Some("wav"), &DecodeOptions::default())
                .unwrap();
        assert!(s.raw_pcm.is_some());
        if !fast {
            s.raw_pcm = None;
        }
        let (mut all, mut out, mut warnings) = (Vec::<Vec<f32>>::new(), Vec::new(), Vec::new());
        while s.next(&mut out, &mut warnings).unwrap().is_some() {
            all.resize(out.len(), Vec::new());
            for (a, o) in all.iter_mut().zip(&out) {
                a.extend_from_slice(o);
            }
        }
        assert!(warnings.is_empty());
        all
    }

    #[test]
    fn raw_pcm_path_matches_the_symphonia_decoder_bit_for_bit() {
        for (tag, bits, channels) in [(1, 16, 1), (1, 16, 2), (3, 32, 2), (3, 32, 3)] {
            let bytes = wav(tag, bits, channels, 100_003);
            let fast = decode_all(bytes.clone(), true);
            let slow = decode_all(bytes, false);
            assert_eq!(fast.len(), usize::from(channels));
            assert_eq!(fast[0].len(), 100_003);
            for (f, s) in fast.iter().zip(&slow) {
                assert_eq!(f.len(), s.len());
                assert!(f.iter().zip(s).all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }
}
