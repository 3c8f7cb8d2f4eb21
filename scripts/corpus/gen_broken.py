#!/usr/bin/env python3
"""Deliberately broken / hostile audio inputs for robustness tests (stdlib + ffmpeg only).

  gen_broken.py make --out DIR --seeds '{"wav16_44k": "a.wav", "mp3_cbr128": "a.mp3", ...}'
      writes DIR/*.* and prints one JSON line per file (abspath, variant, expect, description,
      size, sha256).  Only seeds["wav16_44k"] (a 16-bit 44.1k WAV of one real track) is used:
      20 s excerpts are cut from it and encoded to each format, then mangled.
  gen_broken.py stream-silence-wav --hours 10 [--rate 44100 --channels 2 --size unknown|rf64]
      streams a silent WAV to stdout (never stored): 10 h stereo 16-bit = 6.35 GB, so the RIFF
      size fields are 0xFFFFFFFF (what ffmpeg/sox write when piping) or an RF64 ds64 chunk.
      e.g.  python3 gen_broken.py stream-silence-wav --hours 10 | ffmpeg -f wav -i - -f null -
      Expected frames = hours*3600*rate; memory must stay flat.

'expect' values: reject = clean error, no panic/hang/unbounded allocation;
partial = decode what is valid then stop or resync (an error/warning is fine);
ok = must decode fully; sniff = decodes only if the format is detected from content, not
extension (either a clean error or a correct decode is acceptable, never garbage);
either = a clean error or a correct (possibly short) decode are both fine; never a panic, hang,
huge allocation or garbage.  tests/robustness/broken_corpus.py runs every file through
`quaver decode` and measures ffmpeg's own decode of the same file at test time.

Ported unchanged in behaviour (same RNG seed, same 72 files and expectations) from the project's
shared corpus tooling; it is the repository's own script now.
"""
import argparse, hashlib, json, os, random, struct, subprocess, sys

RNG = random.Random(20261122)
GENERATED = ("zero_bytes", "random_1MiB", "html_error", "silence_1h", "video_only", "wav_header_only", "wav_one_frame",
             "wav_no_data")


def w(path, data):
    with open(path, "wb") as f:
        f.write(data)


def wav_bytes(pcm, rate=44100, ch=2, bits=16, fmt_tag=1, riff_size=None, data_size=None, extra_chunks=b"",
              block_align=None, byte_rate=None):
    ba = block_align if block_align is not None else ch * bits // 8
    br = (byte_rate if byte_rate is not None else rate * ba) & 0xFFFFFFFF
    fmt = struct.pack("<HHIIHH", fmt_tag, ch, rate, br, ba, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra_chunks
    body += b"data" + struct.pack("<I", len(pcm) if data_size is None else data_size) + pcm
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def id3v2(frames, size_override=None):
    def syncsafe(n):
        return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe(len(frames) if size_override is None else size_override) + frames


def id3_frame(fid, payload):
    return fid + struct.pack(">I", len(payload)) + b"\x00\x00" + payload


def flip(data, frac, lo=0.3, hi=0.7):
    b = bytearray(data)
    n = max(1, int(len(b) * frac))
    for _ in range(n):
        i = RNG.randrange(int(len(b) * lo), int(len(b) * hi))
        b[i] ^= 1 << RNG.randrange(8)
    return bytes(b)


def ffmpeg(args):
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error"] + args, check=True)


def make(out, seeds):
    os.makedirs(out, exist_ok=True)
    items = []

    def add(name, data, expect, desc):
        p = os.path.join(out, name)
        if data is not None:
            w(p, data)
        items.append((p, name.rsplit(".", 1)[0], expect, desc))

    # short (20 s) seeds cut from one real track keep the broken set small (~25 MB)
    seeds = dict(seeds)
    if "wav16_44k" in seeds:
        cut = {"wav16_44k": ["-c:a", "pcm_s16le"], "mp3_cbr128": ["-c:a", "libmp3lame", "-b:a", "128k"],
               "flac16_44k": ["-c:a", "flac"], "vorbis_q5": ["-c:a", "libvorbis", "-q:a", "5"],
               "opus_128k": ["-c:a", "libopus", "-b:a", "128k"], "aac_256k": ["-c:a", "aac", "-b:a", "256k", "-movflags", "+faststart"]}
        ext = {"wav16_44k": "wav", "mp3_cbr128": "mp3", "flac16_44k": "flac", "vorbis_q5": "ogg", "opus_128k": "opus", "aac_256k": "m4a"}
        full = seeds["wav16_44k"]
        for v, args in cut.items():
            p = os.path.join(out, "_seed_%s.%s" % (v, ext[v]))
            ffmpeg(["-ss", "30", "-t", "20", "-i", full, "-map_metadata", "-1", "-fflags", "+bitexact"] + args + [p])
            seeds[v] = p
    rd = lambda v: open(seeds[v], "rb").read() if v in seeds else None
    wav, mp3, flac = rd("wav16_44k"), rd("mp3_cbr128"), rd("flac16_44k")
    ogg, opus, m4a = rd("vorbis_q5"), rd("opus_128k"), rd("aac_256k")
    # 5 s of the seed's real PCM (16-bit stereo 44.1k), or silence without a seed
    pcm = wav[wav.find(b"data") + 8:][:44100 * 4 * 5] if wav else b"\0" * (44100 * 4 * 5)

    for ext in ["wav", "mp3", "flac", "ogg", "m4a", "opus"]:
        add("zero_bytes." + ext, b"", "reject", "empty file")
    for v, ext, data in [("wav", "wav", wav), ("mp3", "mp3", mp3), ("flac", "flac", flac), ("vorbis", "ogg", ogg),
                         ("opus", "opus", opus), ("aac", "m4a", m4a)]:
        if data is None:
            continue
        add("trunc_50pct_%s.%s" % (v, ext), data[:len(data) // 2], "partial", "first half of a valid file")
        add("trunc_4k_%s.%s" % (v, ext), data[:4096], "either", "first 4 KiB only (header + maybe a frame)")
        add("trunc_mid_header_%s.%s" % (v, ext), data[:min(30, len(data))], "reject", "cut inside the header")
        add("bitflip_%s.%s" % (v, ext), flip(data, 1e-4), "partial", "0.01%% random bit flips in the middle 40%%")
    if wav:
        add("wrong_ext_wav_as.flac", wav[:2_000_000], "sniff", "WAV bytes, .flac name")
    if flac:
        add("wrong_ext_flac_as.mp3", flac, "sniff", "FLAC bytes, .mp3 name")
        add("id3_prefixed.flac", id3v2(id3_frame(b"TIT2", b"\x00broken test")) + flac, "ok",
            "ID3v2 tag in front of fLaC (seen in the wild)")
        b = bytearray(flac)  # STREAMINFO: min blocksize > max blocksize, sample rate 0
        b[8:10], b[10:12] = struct.pack(">H", 65535), struct.pack(">H", 16)
        b[18:21] = b"\x00\x00\x00"
        add("flac_bad_streaminfo.flac", bytes(b), "reject", "STREAMINFO minblock>maxblock, sample_rate=0")
    if mp3:
        add("wrong_ext_mp3_as.wav", mp3, "sniff", "MP3 bytes, .wav name")
        add("id3_claims_256MiB.mp3", id3v2(b"", size_override=(1 << 28) - 1) + mp3, "either",
            "ID3v2 header says 256 MiB tag, file is small: must not allocate it")
        add("id3_then_random.mp3", id3v2(id3_frame(b"TIT2", b"\x00x")) + RNG.randbytes(1 << 20), "reject",
            "valid ID3 then 1 MiB random")
        add("huge_apic_16MiB.mp3", id3v2(id3_frame(b"APIC", b"\x00image/jpeg\x00\x03\x00" + b"\xff\xd8" + RNG.randbytes(16 << 20)))
            + mp3, "ok", "valid ID3 with a 16 MiB picture before the audio")
        add("leading_zeros_100k.mp3", b"\0" * 100_000 + mp3, "ok", "100 kB of zeros before the first frame (resync)")
        add("trailing_garbage.mp3", mp3 + RNG.randbytes(200_000), "partial", "200 kB random after the last frame")
    if ogg:
        add("wrong_ext_ogg_as.m4a", ogg, "sniff", "Ogg Vorbis bytes, .m4a name")
    if m4a:
        b = bytearray(m4a)
        i = b.find(b"moov")
        if i > 4:
            b[i - 4:i] = b"\xff\xff\xff\xff"
            add("m4a_moov_size_overflow.m4a", bytes(b), "either", "moov atom size 0xFFFFFFFF (ffmpeg clamps it and decodes)")
    for ext in ["mp3", "wav", "flac", "ogg", "m4a"]:
        add("random_1MiB." + ext, RNG.randbytes(1 << 20), "reject", "1 MiB of random bytes (MP3 may false-sync: no panic)")
    add("html_error_page.mp3", b"<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>\n" * 20, "reject",
        "an HTTP error page saved under an audio name")
    # crafted WAV headers
    add("wav_data_size_ffffffff.wav", wav_bytes(pcm, riff_size=0xFFFFFFFF, data_size=0xFFFFFFFF), "ok",
        "streaming WAV: RIFF/data sizes 0xFFFFFFFF, read to EOF")
    add("wav_riff_size_too_small.wav", wav_bytes(pcm, riff_size=100), "ok", "RIFF size smaller than the file")
    add("wav_data_size_exceeds_file.wav", wav_bytes(pcm, data_size=len(pcm) * 50), "partial", "data chunk claims 50x the bytes present")
    add("wav_junk_chunk_4GiB.wav", wav_bytes(pcm, extra_chunks=b"junk" + struct.pack("<I", 0xFFFFFFF0)), "reject",
        "chunk before data claims ~4 GiB: must seek/skip, never allocate")
    add("wav_100k_list_chunks.wav", wav_bytes(pcm, extra_chunks=(b"LIST" + struct.pack("<I", 4) + b"INFO") * 100_000),
        "ok", "100,000 tiny chunks before data (no quadratic parsing)")
    add("wav_odd_chunk_pad.wav", wav_bytes(pcm, extra_chunks=b"abcd" + struct.pack("<I", 3) + b"xyz\0"), "ok",
        "odd-sized chunk followed by its pad byte")
    add("wav_channels_0.wav", wav_bytes(pcm, ch=0, block_align=4), "reject", "fmt channels = 0")
    add("wav_rate_0.wav", wav_bytes(pcm, rate=0), "reject", "fmt sample rate = 0")
    add("wav_bits_0.wav", wav_bytes(pcm, bits=0, block_align=4), "reject", "fmt bits per sample = 0")
    add("wav_block_align_0.wav", wav_bytes(pcm, block_align=0), "either", "fmt block align = 0 (division by zero bait)")
    add("wav_65535_channels.wav", wav_bytes(pcm, ch=65535, block_align=65535 * 2 & 0xFFFF), "reject", "65535 channels")
    add("wav_rate_4G.wav", wav_bytes(pcm, rate=0xFFFFFFFF), "reject", "sample rate 4294967295")
    add("wav_unknown_format_tag.wav", wav_bytes(pcm, fmt_tag=0x1234), "reject", "unknown wFormatTag 0x1234")
    ext_fmt = struct.pack("<HHIIHHHHI16s", 0xFFFE, 2, 44100, 176400, 4, 16, 22, 16, 3, b"\x99" * 16)
    add("wav_extensible_bad_guid.wav", b"RIFF" + struct.pack("<I", 4 + 8 + len(ext_fmt) + 8 + len(pcm)) + b"WAVE" + b"fmt "
        + struct.pack("<I", len(ext_fmt)) + ext_fmt + b"data" + struct.pack("<I", len(pcm)) + pcm, "reject",
        "WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID")
    add("wav_no_data_chunk.wav", wav_bytes(b"")[:-8], "reject", "fmt but no data chunk")
    add("wav_header_only.wav", wav_bytes(b""), "ok", "valid WAV with 0 frames")
    add("wav_one_frame.wav", wav_bytes(b"\x01\x00\x02\x00"), "ok", "valid WAV with exactly 1 frame")
    ds64 = struct.pack("<QQQI", 1 << 60, 1 << 60, 1 << 58, 0)
    fmt = struct.pack("<HHIIHH", 1, 2, 44100, 176400, 4, 16)
    add("rf64_ds64_claims_2e60.wav", b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"ds64" + struct.pack("<I", len(ds64))
        + ds64 + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0xFFFFFFFF) + pcm, "partial",
        "RF64 whose ds64 claims 2^60-byte data: read to EOF, allocate nothing big")
    add("aiff_rate_inf.aiff", b"FORM" + struct.pack(">I", 4 + 26 + 16 + len(pcm)) + b"AIFF" + b"COMM" + struct.pack(">I", 18)
        + struct.pack(">hIh", 2, len(pcm) // 4, 16) + b"\x7f\xff\x80" + b"\0" * 7 + b"SSND" + struct.pack(">III", 8 + len(pcm), 0, 0)
        + pcm[: len(pcm) // 2 * 2][::-1], "reject", "AIFF COMM sample rate = +inf (80-bit extended)")
    # generated with ffmpeg
    p = os.path.join(out, "silence_1h_bomb.flac")
    ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3600", "-c:a", "flac", p])
    add("silence_1h_bomb.flac", None, "ok", "1 h of digital silence, tiny file (decode memory must stay flat)")
    p = os.path.join(out, "video_only.mp4")
    ffmpeg(["-f", "lavfi", "-i", "testsrc=d=2:s=64x64:r=10", "-c:v", "mpeg4", p])
    add("video_only.mp4", None, "reject", "video stream, no audio stream")
    if wav:
        seed = full
        a = os.path.join(out, "_a.mp3")
        b_ = os.path.join(out, "_b.mp3")
        ffmpeg(["-t", "5", "-i", seed, "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0", a])
        ffmpeg(["-ss", "5", "-t", "5", "-i", seed, "-ar", "48000", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "96k",
                "-write_xing", "0", "-id3v2_version", "0", b_])
        add("mp3_rate_change_midstream.mp3", open(a, "rb").read() + open(b_, "rb").read(), "partial",
            "5 s 44.1k stereo frames then 5 s 48k mono frames in one file")
        a2, b2 = os.path.join(out, "_a.ogg"), os.path.join(out, "_b.ogg")
        ffmpeg(["-t", "5", "-i", seed, "-c:a", "libvorbis", a2])
        ffmpeg(["-ss", "5", "-t", "5", "-i", seed, "-ar", "22050", "-ac", "1", "-c:a", "libvorbis", b2])
        add("ogg_chained_rate_change.ogg", open(a2, "rb").read() + open(b2, "rb").read(), "ok",
            "chained Ogg: 44.1k stereo stream then 22.05k mono stream (legal Ogg, like internet radio dumps)")
        vid = os.path.join(out, "video_with_audio.mp4")
        ffmpeg(["-f", "lavfi", "-i", "testsrc=d=5:s=64x64:r=10", "-t", "5", "-i", seed, "-c:v", "mpeg4", "-c:a", "aac",
                "-shortest", vid])
        add("video_with_audio.mp4", None, "ok", "video + AAC audio (ingest may accept and use the audio)")
        for t in (a, b_, a2, b2):
            os.remove(t)
    for v in list(seeds):
        if os.path.basename(seeds[v]).startswith("_seed_"):
            os.remove(seeds[v])
    for p, variant, expect, desc in items:
        data = open(p, "rb").read()
        print(json.dumps(dict(abspath=p, variant="broken:" + variant, expect=expect, description=desc, size=len(data),
                              sha256=hashlib.sha256(data).hexdigest(),
                              license="generated (no copyright)" if any(k in variant for k in GENERATED)
                              else "derived from the seed track (same licence)")))


def stream_silence_wav(hours, rate, ch, bits, size):
    frames = int(hours * 3600 * rate)
    ba = ch * bits // 8
    fmt = struct.pack("<HHIIHH", 1, ch, rate, rate * ba, ba, bits)
    o = sys.stdout.buffer
    if size == "rf64":
        n = frames * ba
        ds64 = struct.pack("<QQQI", n + 4 + 8 + 28 + 8 + 16 + 8, n, frames, 0)
        o.write(b"RF64" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"ds64" + struct.pack("<I", len(ds64)) + ds64
                + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 0xFFFFFFFF))
    else:
        o.write(b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
                + b"data" + struct.pack("<I", 0xFFFFFFFF))
    block = b"\0" * (ba * 65536)
    left = frames
    try:
        while left > 0:
            k = min(left, 65536)
            o.write(block if k == 65536 else block[: k * ba])
            left -= k
        o.flush()
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--seeds", default="{}", help="JSON {variant: path}")
    s = sub.add_parser("stream-silence-wav")
    s.add_argument("--hours", type=float, default=10)
    s.add_argument("--rate", type=int, default=44100)
    s.add_argument("--channels", type=int, default=2)
    s.add_argument("--bits", type=int, default=16)
    s.add_argument("--size", choices=["unknown", "rf64"], default="unknown")
    a = ap.parse_args()
    if a.cmd == "make":
        make(a.out, json.loads(a.seeds))
    else:
        stream_silence_wav(a.hours, a.rate, a.channels, a.bits, a.size)
