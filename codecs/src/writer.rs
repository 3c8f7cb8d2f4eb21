//! Container writers that turn an encoder's packets into a file: MP3 (ID3v2.4 + LAME/Xing
//! frame + frames [+ ID3v1]), Ogg Opus (RFC 7845), native FLAC, and AAC in a fragmented
//! `.m4a` (the packager's CMAF init with the priming edit, then ~2 s fragments; no iTunes
//! metadata yet). Files are written through
//! the core's [`AtomicFile`] (temporary sibling, renamed into place on success).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ogg::writing::{PacketWriteEndInfo, PacketWriter};
use quaver_core::output::AtomicFile;
use quaver_core::{Error, Result, Tags};

use crate::encoder::{Encoder, Packet};
use crate::options::{vorbis_comments, Codec, ResolvedOptions};

/// Ogg page flush interval in packets (50 × 20 ms = 1 s pages, as opusenc's default).
const OGG_PACKETS_PER_PAGE: u32 = 50;
/// Ogg logical stream serial number (one stream per file, so any fixed value is valid; fixed
/// keeps outputs reproducible).
const OGG_SERIAL: u32 = 0x7175_6176;

enum Kind {
    Mp3 {
        header_at: u64,
        header_len: usize,
        id3v1: Option<Vec<u8>>,
    },
    Opus {
        ogg: Box<PacketWriter<'static, BufWriter<File>>>,
        held: Option<Packet>,
        in_page: u32,
    },
    Flac {
        header_len: usize,
    },
    M4a {
        /// Where the `mdat` header sits (after `ftyp`).
        mdat_at: u64,
        /// Media bytes written into the `mdat`.
        payload: u64,
        sizes: Vec<u32>,
        held: std::collections::VecDeque<Packet>,
    },
}

/// AAC packets held back from the `mdat`: the flush's packets past the valid end are dropped
/// and the last kept one's duration trimmed, which only `finish` knows.
const M4A_HOLD: usize = 4;

/// The track description of an AAC encoder's stream presenting `valid` samples.
fn aac_track(enc: &dyn Encoder, valid: u64) -> Result<crate::package::fmp4::TrackConfig> {
    use crate::package::fmp4;
    let info = enc.info();
    Ok(fmp4::TrackConfig {
        codec: info.codec,
        sample_rate: info.sample_rate,
        channels: info.channels,
        bits_per_sample: 16,
        priming: info.priming,
        valid_samples: valid,
        decoder_config: fmp4::esds_from_asc(
            enc.header(),
            info.channels,
            info.nominal_bitrate.unwrap_or(0),
        )?,
    })
}

/// Writes one encoder's output to a file.
pub struct FileWriter {
    target: PathBuf,
    atomic: AtomicFile,
    out: Option<BufWriter<File>>,
    kind: Kind,
    started: bool,
    bytes: u64,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

impl FileWriter {
    /// Start writing `path` for an encoder configured by `opts`.
    pub fn create(path: &Path, opts: &ResolvedOptions) -> Result<Self> {
        let mut atomic = AtomicFile::create(path)?;
        let file = atomic.file().try_clone().map_err(io(path))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        let mut bytes = 0;
        let kind = match opts.codec {
            Codec::Mp3 => {
                let id3 = id3v2_tag(&opts.tags)?;
                out.write_all(&id3).map_err(io(path))?;
                bytes = id3.len() as u64;
                Kind::Mp3 {
                    header_at: bytes,
                    header_len: 0,
                    id3v1: opts.id3v1.then(|| id3v1_tag(&opts.tags)),
                }
            }
            Codec::Opus => Kind::Opus {
                ogg: Box::new(PacketWriter::new(BufWriter::new(
                    atomic.file().try_clone().map_err(io(path))?,
                ))),
                held: None,
                in_page: 0,
            },
            Codec::Flac => Kind::Flac { header_len: 0 },
            Codec::Aac => {
                let head = crate::m4a::head();
                out.write_all(&head).map_err(io(path))?;
                bytes = head.len() as u64;
                Kind::M4a {
                    mdat_at: (head.len() - 16) as u64,
                    payload: 0,
                    sizes: Vec::new(),
                    held: Default::default(),
                }
            }
        };
        Ok(FileWriter {
            target: path.to_path_buf(),
            atomic,
            out: Some(out),
            kind,
            started: false,
            bytes,
        })
    }

    fn start(&mut self, enc: &dyn Encoder, tags: &Tags) -> Result<()> {
        self.started = true;
        let path = self.target.clone();
        let header = enc.header();
        match &mut self.kind {
            Kind::Mp3 { header_len, .. } | Kind::Flac { header_len } => {
                let out = self.out.as_mut().expect("open");
                out.write_all(header).map_err(io(&path))?;
                *header_len = header.len();
                self.bytes += header.len() as u64;
            }
            Kind::M4a { .. } => {}
            Kind::Opus { ogg, .. } => {
                let tags = opus_tags(tags);
                self.bytes += (header.len() + tags.len()) as u64;
                ogg.write_packet(header.to_vec(), OGG_SERIAL, PacketWriteEndInfo::EndPage, 0)
                    .map_err(io(&path))?;
                ogg.write_packet(tags, OGG_SERIAL, PacketWriteEndInfo::EndPage, 0)
                    .map_err(io(&path))?;
            }
        }
        Ok(())
    }

    /// Write one packet of `enc`. `tags` go into the stream header (OpusTags).
    pub fn write(&mut self, enc: &dyn Encoder, p: Packet, tags: &Tags) -> Result<()> {
        if !self.started {
            self.start(enc, tags)?;
        }
        self.bytes += p.data.len() as u64;
        match &mut self.kind {
            Kind::Mp3 { .. } | Kind::Flac { .. } => {
                let out = self.out.as_mut().expect("open");
                out.write_all(&p.data).map_err(io(&self.target))?;
            }
            Kind::M4a {
                payload,
                sizes,
                held,
                ..
            } => {
                held.push_back(p);
                if held.len() > M4A_HOLD {
                    let q = held.pop_front().expect("held");
                    let out = self.out.as_mut().expect("open");
                    out.write_all(&q.data).map_err(io(&self.target))?;
                    *payload += q.data.len() as u64;
                    sizes.push(q.data.len() as u32);
                }
            }
            Kind::Opus { ogg, held, in_page } => {
                // Hold one packet back: the last one must end the stream with the final
                // granule, which is only known at finish.
                if let Some(prev) = held.replace(p) {
                    *in_page += 1;
                    let end = if *in_page >= OGG_PACKETS_PER_PAGE {
                        *in_page = 0;
                        PacketWriteEndInfo::EndPage
                    } else {
                        PacketWriteEndInfo::NormalPacket
                    };
                    let granule = prev.pts + u64::from(prev.duration);
                    ogg.write_packet(prev.data, OGG_SERIAL, end, granule)
                        .map_err(io(&self.target))?;
                }
            }
        }
        Ok(())
    }

    /// After `enc.finish()` and its last packet: fix up the headers, commit the file.
    /// Returns the path and the file size in bytes.
    pub fn finish(mut self, enc: &dyn Encoder, tags: &Tags) -> Result<(PathBuf, u64)> {
        if !self.started {
            self.start(enc, tags)?;
        }
        let path = self.target.clone();
        match &mut self.kind {
            Kind::Mp3 {
                header_at,
                header_len,
                id3v1,
            } => {
                let mut out = self.out.take().expect("open");
                if let Some(v1) = id3v1 {
                    out.write_all(v1).map_err(io(&path))?;
                    self.bytes += v1.len() as u64;
                }
                rewrite(&mut out, *header_at, *header_len, enc.header(), &path)?;
            }
            Kind::Flac { header_len } => {
                let mut out = self.out.take().expect("open");
                rewrite(&mut out, 0, *header_len, enc.header(), &path)?;
            }
            Kind::M4a {
                mdat_at,
                payload,
                sizes,
                held,
            } => {
                let mut out = self.out.take().expect("open");
                let end = u64::from(enc.info().priming) + enc.frames();
                let mut last_duration = crate::m4a::AAC_FRAME_SAMPLES;
                for q in held.drain(..).filter(|q| q.pts < end) {
                    last_duration = (u64::from(q.duration).min(end - q.pts)) as u32;
                    out.write_all(&q.data).map_err(io(&path))?;
                    *payload += q.data.len() as u64;
                    sizes.push(q.data.len() as u32);
                }
                let track = aac_track(enc, enc.frames())?;
                let moov = crate::m4a::moov(
                    &track,
                    sizes,
                    crate::m4a::AAC_FRAME_SAMPLES,
                    last_duration,
                    *mdat_at + 16,
                    tags,
                );
                out.write_all(&moov).map_err(io(&path))?;
                self.bytes += moov.len() as u64;
                rewrite(
                    &mut out,
                    *mdat_at,
                    16,
                    &crate::m4a::mdat_header(*payload),
                    &path,
                )?;
            }
            Kind::Opus { ogg, held, .. } => {
                let end = u64::from(enc.info().priming) + enc.frames();
                if let Some(last) = held.take() {
                    // RFC 7845 §4.4: the final granule position trims the last packet.
                    let granule = (last.pts + u64::from(last.duration)).min(end);
                    ogg.write_packet(
                        last.data,
                        OGG_SERIAL,
                        PacketWriteEndInfo::EndStream,
                        granule,
                    )
                    .map_err(io(&path))?;
                }
                ogg.inner_mut().flush().map_err(io(&path))?;
                self.out.take();
            }
        }
        let p = self.atomic.commit()?;
        // The file's real size: page headers (Ogg) and rewritten headers included.
        let size = std::fs::metadata(&p).map_err(io(&p))?.len();
        Ok((p, size))
    }
}

/// Overwrite `len` bytes at `at` with `bytes` (a header finalised after the stream was written).
fn rewrite(
    out: &mut BufWriter<File>,
    at: u64,
    len: usize,
    bytes: &[u8],
    path: &Path,
) -> Result<()> {
    if bytes.len() != len {
        return Err(Error::Internal(format!(
            "final header is {} bytes, its placeholder {len}",
            bytes.len()
        )));
    }
    out.flush().map_err(io(path))?;
    let f = out.get_mut();
    f.seek(SeekFrom::Start(at)).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.flush().map_err(io(path))?;
    Ok(())
}

/// The RFC 7845 §5.2 comment header.
pub fn opus_tags(tags: &Tags) -> Vec<u8> {
    let vendor = format!("quaver {} (libopus)", env!("CARGO_PKG_VERSION"));
    let pairs = vorbis_comments(tags);
    let mut h = Vec::new();
    h.extend_from_slice(b"OpusTags");
    h.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    h.extend_from_slice(vendor.as_bytes());
    h.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        let c = format!("{k}={v}");
        h.extend_from_slice(&(c.len() as u32).to_le_bytes());
        h.extend_from_slice(c.as_bytes());
    }
    h
}

/// An ID3v2.4 tag with the text frames quaver carries (TIT2, TPE1, TALB, TPE2, TRCK, TDRC,
/// TCON, TSRC).
pub fn id3v2_tag(tags: &Tags) -> Result<Vec<u8>> {
    use id3::TagLike;
    let mut t = id3::Tag::new();
    if let Some(v) = &tags.title {
        t.set_title(v.as_str());
    }
    if let Some(v) = &tags.artist {
        t.set_artist(v.as_str());
    }
    if let Some(v) = &tags.album {
        t.set_album(v.as_str());
    }
    if let Some(v) = &tags.album_artist {
        t.set_album_artist(v.as_str());
    }
    if let Some(n) = tags.track_number {
        t.set_track(n);
    }
    if let Some(v) = &tags.date {
        t.set_text("TDRC", v.as_str());
    }
    if let Some(v) = &tags.genre {
        t.set_genre(v.as_str());
    }
    if let Some(v) = &tags.isrc {
        t.set_text("TSRC", v.as_str());
    }
    let mut buf = Vec::new();
    if t.frames().next().is_none() {
        return Ok(buf);
    }
    t.write_to(&mut buf, id3::Version::Id3v24)
        .map_err(|e| Error::Internal(format!("ID3 writer: {e}")))?;
    Ok(buf)
}

/// A 128-byte ID3v1.1 tag (Latin-1, truncated fields, genre "unknown").
pub fn id3v1_tag(tags: &Tags) -> Vec<u8> {
    fn field(v: &Option<String>, n: usize) -> Vec<u8> {
        let mut b: Vec<u8> = v
            .as_deref()
            .unwrap_or("")
            .chars()
            .map(|c| if (c as u32) < 256 { c as u8 } else { b'?' })
            .take(n)
            .collect();
        b.resize(n, 0);
        b
    }
    let mut t = Vec::with_capacity(128);
    t.extend_from_slice(b"TAG");
    t.extend(field(&tags.title, 30));
    t.extend(field(&tags.artist, 30));
    t.extend(field(&tags.album, 30));
    t.extend(field(
        &tags.date.as_ref().map(|d| d.chars().take(4).collect()),
        4,
    ));
    t.extend(field(&None, 28));
    t.push(0);
    t.push(tags.track_number.map_or(0, |n| n.min(255) as u8));
    t.push(255);
    t
}
