//! Decode once, feed N encoders: the channel mapping and resampling each rendition needs is
//! done once per distinct (rate, channels), and the encoders run in parallel on rayon while
//! the next block is decoded.

use std::path::{Path, PathBuf};
use std::time::Instant;

use quaver_core::buffer::mix_to_mono;
use quaver_core::{DecodeOptions, Decoder, Error, Input, Resampler, Result, Tags};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use quaver_core::analysis::StageResult;

use crate::encoder::{new_encoder, Encoder, EncoderInfo, Packet};
use crate::options::{EncodeOptions, ResolvedOptions};
use crate::writer::FileWriter;

/// Source frames gathered before the encoders are fed: large enough that the per-block
/// fork/join cost is negligible, small enough to keep memory flat (~0.4 s at 44.1 kHz).
const BLOCK_FRAMES: usize = 16_384;

/// Where an encoder's packets go.
pub trait PacketSink: Send {
    /// What the sink yields when closed.
    type Output: Send;
    /// Take one packet of `enc`.
    fn write(&mut self, enc: &dyn Encoder, packet: Packet) -> Result<()>;
    /// The encoder has finished and its last packet was written: close the output.
    fn close(self, enc: &dyn Encoder) -> Result<Self::Output>;
}

/// Keeps packets in memory (for muxers and tests); yields the packets and the final header.
#[derive(Debug, Default)]
pub struct PacketCollector {
    packets: Vec<Packet>,
}

impl PacketSink for PacketCollector {
    type Output = (Vec<Packet>, Vec<u8>);
    fn write(&mut self, _enc: &dyn Encoder, packet: Packet) -> Result<()> {
        self.packets.push(packet);
        Ok(())
    }
    fn close(self, enc: &dyn Encoder) -> Result<Self::Output> {
        Ok((self.packets, enc.header().to_vec()))
    }
}

/// A file output: [`FileWriter`] plus the tags it writes; yields the path and the file size.
pub struct FileSink {
    writer: FileWriter,
    tags: Tags,
}

impl FileSink {
    /// Start writing `path` for `opts`.
    pub fn create(path: &Path, opts: &ResolvedOptions) -> Result<Self> {
        Ok(FileSink {
            writer: FileWriter::create(path, opts)?,
            tags: opts.tags.clone(),
        })
    }
}

impl PacketSink for FileSink {
    type Output = (PathBuf, u64);
    fn write(&mut self, enc: &dyn Encoder, packet: Packet) -> Result<()> {
        self.writer.write(enc, packet, &self.tags)
    }
    fn close(self, enc: &dyn Encoder) -> Result<Self::Output> {
        self.writer.finish(enc, &self.tags)
    }
}

/// What one encode produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncodeReport {
    /// The output file (absent for in-memory encodes).
    pub path: Option<PathBuf>,
    /// Encoder facts: codec, rate, channels, priming.
    pub stream: EncoderInfo,
    /// Valid frames in the output (the source's length at the output rate).
    pub frames: u64,
    /// `frames / sample_rate`.
    pub duration_s: f64,
    /// Frames of padding after the valid audio in the last packet(s).
    pub padding: u64,
    /// Packets (frames) written.
    pub packets: u64,
    /// Output size in bytes (containers and tags included).
    pub bytes: u64,
    /// Average bitrate of the coded packets alone, in bit/s over the valid duration.
    pub audio_bitrate: f64,
    /// The options as resolved against the source.
    pub options: ResolvedOptions,
    /// Decoder warnings (damaged input that was decoded anyway).
    pub warnings: Vec<String>,
    /// Wall time of the whole job in seconds (shared by every output of one decode).
    pub seconds: f64,
}

/// One output of [`encode_many`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncodeTarget {
    /// Output file (its extension picks the codec when `options.codec` is `None`).
    pub path: PathBuf,
    /// Options.
    pub options: EncodeOptions,
}

/// Encode `input` to one file.
pub fn encode_to_file(
    input: impl Into<Input>,
    output: impl AsRef<Path>,
    options: &EncodeOptions,
) -> Result<EncodeReport> {
    let target = EncodeTarget {
        path: output.as_ref().to_path_buf(),
        options: options.clone(),
    };
    Ok(encode_many(input, std::slice::from_ref(&target))?.remove(0))
}

/// Decode `input` once and encode every target from it, in parallel (rayon: the caller's pool
/// when called inside `ThreadPool::install`, the global pool otherwise). Each file appears
/// under its name only when complete.
pub fn encode_many(input: impl Into<Input>, targets: &[EncodeTarget]) -> Result<Vec<EncodeReport>> {
    let paths: Vec<&Path> = targets.iter().map(|t| t.path.as_path()).collect();
    let opts: Vec<EncodeOptions> = targets.iter().map(|t| t.options.clone()).collect();
    let out = encode_with(input, &opts, &paths, |i, r| FileSink::create(paths[i], r))?;
    Ok(out
        .into_iter()
        .map(|(mut rep, (path, bytes))| {
            rep.path = Some(path);
            rep.bytes = bytes;
            rep
        })
        .collect())
}

/// One rendition encoded in memory: what a muxer consumes.
#[derive(Clone, Debug)]
pub struct EncodedStream {
    /// The encode's report (`path` is `None`, `bytes` counts the packets).
    pub report: EncodeReport,
    /// The packets in decode order, with timestamps on the coded timeline.
    pub packets: Vec<Packet>,
    /// The final codec header ([`Encoder::header`]): OpusHead, FLAC metadata, LAME tag frame.
    pub header: Vec<u8>,
}

/// Decode `input` once and encode it with every options set into in-memory packets.
pub fn encode_packets(
    input: impl Into<Input>,
    options: &[EncodeOptions],
) -> Result<Vec<EncodedStream>> {
    let out = encode_with(input, options, &[], |_, _| Ok(PacketCollector::default()))?;
    Ok(out
        .into_iter()
        .map(|(report, (packets, header))| EncodedStream {
            report,
            packets,
            header,
        })
        .collect())
}

/// The general form: one decode, `options.len()` encoders, `make_sink(index, resolved)`
/// creates each one's sink once every option has been validated. `paths` (may be shorter than
/// `options`) name the outputs whose extension picks the codec.
pub fn encode_with<S: PacketSink + 'static>(
    input: impl Into<Input>,
    options: &[EncodeOptions],
    paths: &[&Path],
    make_sink: impl FnMut(usize, &ResolvedOptions) -> Result<S>,
) -> Result<Vec<(EncodeReport, S::Output)>> {
    let dec = Decoder::with_options(input, &DecodeOptions::default())?;
    run(dec, options, paths, make_sink)
}

struct Job<S> {
    enc: Box<dyn Encoder>,
    sink: Option<S>,
    group: usize,
    opts: ResolvedOptions,
    packets: u64,
    coded: u64,
    audio_bytes: u64,
}

impl<S: PacketSink> Job<S> {
    fn drain(&mut self) -> Result<()> {
        let sink = self.sink.as_mut().expect("sink open");
        while let Some(p) = self.enc.pull() {
            self.packets += 1;
            self.coded += u64::from(p.duration);
            self.audio_bytes += p.data.len() as u64;
            sink.write(self.enc.as_ref(), p)?;
        }
        Ok(())
    }
}

/// One (rate, channels) shape the source is converted to, shared by the jobs that need it.
struct Group {
    rate: u32,
    channels: usize,
    resampler: Option<Resampler>,
}

/// Whether `from` source channels can be mapped to `to` output channels.
fn check_mapping(from: usize, to: usize) -> Result<()> {
    if from == to || to == 1 || (to == 2 && from != 2) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "cannot map {from} source channels to {to} (supported: same count, mono, stereo)"
        )))
    }
}

/// Convert planar channels: copy, mix to mono, duplicate mono, or downmix to stereo with the
/// ITU-R BS.775 coefficients (WAV/FLAC channel order FL FR FC LFE BL BR SL SR; LFE dropped;
/// normalised so a full-scale signal on every channel cannot clip).
fn map_channels(src: &[Vec<f32>], to: usize) -> Vec<Vec<f32>> {
    let from = src.len();
    if from == to {
        return src.to_vec();
    }
    if to == 1 {
        return vec![mix_to_mono(src)];
    }
    if from == 1 {
        return vec![src[0].clone(), src[0].clone()];
    }
    const C: f32 = std::f32::consts::FRAC_1_SQRT_2;
    // (left gain, right gain) per source channel.
    let gains: Vec<(f32, f32)> = (0..from)
        .map(|i| match (from, i) {
            (_, 0) => (1.0, 0.0),
            (_, 1) => (0.0, 1.0),
            (3, 2) | (_, 2) => (C, C),
            (_, 3) if from >= 6 => (0.0, 0.0),
            (4, 3) => (0.0, 1.0),
            (5, 3) => (C, 0.0),
            (5, 4) => (0.0, C),
            (_, i) if i % 2 == 0 => (C, 0.0),
            _ => (0.0, C),
        })
        .collect();
    let norm_l: f32 = gains.iter().map(|g| g.0).sum();
    let norm_r: f32 = gains.iter().map(|g| g.1).sum();
    let n = src[0].len();
    let mut l = vec![0.0f32; n];
    let mut r = vec![0.0f32; n];
    for (ch, &(gl, gr)) in src.iter().zip(&gains) {
        let (gl, gr) = (gl / norm_l, gr / norm_r);
        for ((lo, ro), s) in l.iter_mut().zip(r.iter_mut()).zip(ch) {
            *lo += gl * s;
            *ro += gr * s;
        }
    }
    vec![l, r]
}

/// Map channels and resample one source block for every group, in parallel; returns each
/// group's converted block (flushing the resamplers' tails when `last`).
fn convert_groups(
    groups: &mut [Group],
    acc: &[Vec<f32>],
    channels: usize,
    last: bool,
) -> Result<Vec<Vec<Vec<f32>>>> {
    groups
        .par_iter_mut()
        .with_max_len(1)
        .map(|g| -> Result<Vec<Vec<f32>>> {
            let mapped = if g.channels == channels && g.resampler.is_none() {
                acc.to_vec()
            } else {
                map_channels(acc, g.channels)
            };
            let mut out = match g.resampler.as_mut() {
                Some(r) => r.process(&mapped)?,
                None => mapped,
            };
            if last {
                if let Some(r) = g.resampler.as_mut() {
                    for (o, t) in out.iter_mut().zip(r.flush()?) {
                        o.extend_from_slice(&t);
                    }
                }
            }
            Ok(out)
        })
        .collect()
}

/// Feed each job its group's converted block and drain its packets to its sink, in parallel.
fn encode_jobs<S: PacketSink>(jobs: &mut [Job<S>], blocks: &[Vec<Vec<f32>>]) -> Result<()> {
    jobs.par_iter_mut().with_max_len(1).try_for_each(|j| {
        let planes: Vec<&[f32]> = blocks[j.group].iter().map(Vec::as_slice).collect();
        j.enc.push(&planes)?;
        j.drain()
    })
}

fn run<S: PacketSink + 'static>(
    dec: Decoder,
    options: &[EncodeOptions],
    paths: &[&Path],
    make_sink: impl FnMut(usize, &ResolvedOptions) -> Result<S>,
) -> Result<Vec<(EncodeReport, S::Output)>> {
    let session = EncodeSession::new(dec.info(), options, paths, make_sink)?;
    let (stage, result) = session.into_stage();
    // The analysis pipeline decodes ahead on its own thread while the encoders work.
    quaver_core::analysis::run(dec, vec![stage])?;
    result.take()
}

/// Every output of an [`EncodeSession`]: its report and what its sink yielded.
pub type Outputs<S> = Vec<(EncodeReport, <S as PacketSink>::Output)>;

/// A streaming encode of one source into N outputs: [`EncodeSession::push`] decoded chunks
/// (planar, at the source's rate and channel count, any size), then [`EncodeSession::finish`].
///
/// The chunks are cut into fixed blocks of `BLOCK_FRAMES` before conversion and encoding, so
/// the output is byte-identical however the source is chunked — which is what lets `ingest`
/// feed the same encoders from its one shared decode.
pub struct EncodeSession<S: PacketSink> {
    t0: Instant,
    channels: usize,
    groups: Vec<Group>,
    jobs: Vec<Job<S>>,
    acc: Vec<Vec<f32>>,
    /// The last converted block (one per group), encoded while the next one is converted.
    pending: Option<Vec<Vec<Vec<f32>>>>,
}

impl<S: PacketSink> EncodeSession<S> {
    /// Validate every option set against the source `info`, then create each output's sink
    /// with `make_sink(index, resolved)` (outputs are created only once all are valid).
    pub fn new(
        info: &quaver_core::AudioInfo,
        options: &[EncodeOptions],
        paths: &[&Path],
        mut make_sink: impl FnMut(usize, &ResolvedOptions) -> Result<S>,
    ) -> Result<Self> {
        if options.is_empty() {
            return Err(Error::invalid("nothing to encode: no outputs given"));
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut jobs: Vec<Job<S>> = Vec::new();
        for (i, o) in options.iter().enumerate() {
            let r = o.resolve(
                paths.get(i).copied(),
                info.sample_rate,
                info.channels,
                info.bits_per_sample,
                &info.tags,
            )?;
            check_mapping(info.channels as usize, r.channels as usize)?;
            let shape = (r.sample_rate, r.channels as usize);
            let group = match groups.iter().position(|g| (g.rate, g.channels) == shape) {
                Some(g) => g,
                None => {
                    let resampler = (r.sample_rate != info.sample_rate)
                        .then(|| {
                            Resampler::new(info.sample_rate, shape.0, shape.1, r.resample_quality)
                        })
                        .transpose()?;
                    groups.push(Group {
                        rate: shape.0,
                        channels: shape.1,
                        resampler,
                    });
                    groups.len() - 1
                }
            };
            jobs.push(Job {
                enc: new_encoder(&r, info.sample_rate)?,
                sink: None,
                group,
                opts: r,
                packets: 0,
                coded: 0,
                audio_bytes: 0,
            });
        }
        for (i, j) in jobs.iter_mut().enumerate() {
            j.sink = Some(make_sink(i, &j.opts)?);
        }
        let channels = info.channels as usize;
        Ok(EncodeSession {
            t0: Instant::now(),
            channels,
            groups,
            jobs,
            acc: vec![Vec::with_capacity(BLOCK_FRAMES); channels],
            pending: None,
        })
    }

    /// Encode the next decoded chunk (planar, the source's channels).
    pub fn push(&mut self, chunk: &quaver_core::AudioBuffer) -> Result<()> {
        if chunk.channels.len() != self.channels {
            return Err(Error::Internal(format!(
                "encode session: chunk has {} channels, source {}",
                chunk.channels.len(),
                self.channels
            )));
        }
        let mut pos = 0;
        let n = chunk.frames();
        while pos < n {
            let take = (BLOCK_FRAMES - self.acc[0].len()).min(n - pos);
            for (a, c) in self.acc.iter_mut().zip(&chunk.channels) {
                a.extend_from_slice(&c[pos..pos + take]);
            }
            pos += take;
            if self.acc[0].len() == BLOCK_FRAMES {
                self.encode_block(false)?;
            }
        }
        Ok(())
    }

    /// Convert the accumulated block for every group (flushing resamplers when `last`) while
    /// the previous block, already converted, is encoded — a two-stage pipeline, so a single
    /// rendition's resampler and encoder run on both cores instead of one after the other.
    /// Every encoder still sees the same blocks in the same order (byte-identical output).
    fn encode_block(&mut self, last: bool) -> Result<()> {
        let acc = std::mem::replace(
            &mut self.acc,
            vec![Vec::with_capacity(BLOCK_FRAMES); self.channels],
        );
        let channels = self.channels;
        let pending = self.pending.take();
        let (groups, jobs) = (&mut self.groups, &mut self.jobs);
        let (converted, encoded) = rayon::join(
            || convert_groups(groups, &acc, channels, last),
            || match pending {
                Some(blocks) => encode_jobs(jobs, &blocks),
                None => Ok(()),
            },
        );
        encoded?;
        let blocks = converted?;
        if last {
            encode_jobs(&mut self.jobs, &blocks)
        } else {
            self.pending = Some(blocks);
            Ok(())
        }
    }

    /// The source has ended: flush every encoder, close every sink, and report. `warnings`
    /// are the decoder's (copied into each report).
    pub fn finish(mut self, warnings: &[String]) -> Result<Vec<(EncodeReport, S::Output)>> {
        self.encode_block(true)?;
        let finished: Vec<Result<(EncodeReport, S::Output)>> = self
            .jobs
            .into_par_iter()
            .map(|mut j| {
                j.enc.finish()?;
                j.drain()?;
                let sink = j.sink.take().expect("sink open");
                let output = sink.close(j.enc.as_ref())?;
                let stream = j.enc.info().clone();
                let frames = j.enc.frames();
                let rate = f64::from(stream.sample_rate);
                let duration_s = frames as f64 / rate;
                let report = EncodeReport {
                    path: None,
                    frames,
                    duration_s,
                    padding: j.coded.saturating_sub(frames + u64::from(stream.priming)),
                    packets: j.packets,
                    bytes: j.audio_bytes,
                    audio_bitrate: if duration_s > 0.0 {
                        j.audio_bytes as f64 * 8.0 / duration_s
                    } else {
                        0.0
                    },
                    stream,
                    options: j.opts,
                    warnings: warnings.to_vec(),
                    seconds: 0.0,
                };
                Ok((report, output))
            })
            .collect();
        let seconds = self.t0.elapsed().as_secs_f64();
        finished
            .into_iter()
            .map(|r| {
                r.map(|(mut rep, o)| {
                    rep.seconds = seconds;
                    (rep, o)
                })
            })
            .collect()
    }
}

impl<S: PacketSink + 'static> EncodeSession<S> {
    /// This session as an analyser of the one-decode pipeline
    /// ([`quaver_core::analysis::run`]), and the slot its result lands in when the pipeline
    /// finishes.
    pub fn into_stage(
        self,
    ) -> (
        Box<dyn quaver_core::analysis::Analyzer>,
        StageResult<Outputs<S>>,
    ) {
        let slot = StageResult::default();
        let stage = EncodeStage {
            session: self,
            slot: slot.clone(),
        };
        (Box::new(stage), slot)
    }
}

struct EncodeStage<S: PacketSink> {
    session: EncodeSession<S>,
    slot: StageResult<Outputs<S>>,
}

impl<S: PacketSink + 'static> quaver_core::analysis::Analyzer for EncodeStage<S> {
    fn name(&self) -> &'static str {
        "encode"
    }

    fn process(&mut self, chunk: &quaver_core::AudioBuffer) -> Result<()> {
        self.session.push(chunk)
    }

    fn finish(self: Box<Self>, analysis: &mut quaver_core::analysis::Analysis) -> Result<()> {
        let EncodeStage { session, slot } = *self;
        // On failure the pipeline returns the error; the slot stays empty.
        slot.set(session.finish(&analysis.warnings)?);
        Ok(())
    }
}
