#!/usr/bin/env python3
"""Decode speed, quaver vs ffmpeg (single thread), in one run.

Builds a 3-minute stereo track from the real-music clips of scripts/corpus/clips.py
($QUAVER_CORPUS_CLIPS, else target/corpus/clips; or any --clips directory), encodes it
into each format once, then times `quaver decode F -o out.wav` (32-bit float WAV) against
`ffmpeg -threads 1 -i F -c:a pcm_f32le out.wav` on the same file, alternating runs, and prints
the median wall time of each and the ratio (ffmpeg / quaver: > 1 means quaver is faster).

    python3 benches/compare_decode.py [--runs 5] [--quaver target/release/quaver]
"""
import argparse, glob, os, statistics, subprocess, sys, tempfile, time

FORMATS = [
    ("wav", ["-c:a", "pcm_s16le"]),
    ("aiff", ["-c:a", "pcm_s16be"]),
    ("flac", ["-c:a", "flac"]),
    ("mp3", ["-c:a", "libmp3lame", "-b:a", "320k"]),
    ("m4a", ["-c:a", "aac", "-b:a", "256k"]),
    ("alac.m4a", ["-c:a", "alac"]),
    ("ogg", ["-c:a", "libvorbis", "-q:a", "5"]),
    ("opus", ["-c:a", "libopus", "-b:a", "128k"]),
]


def run(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quaver", default="target/release/quaver")
    ap.add_argument("--clips", default=os.environ.get("QUAVER_CORPUS_CLIPS")
                    or os.path.join(os.path.dirname(os.path.abspath(__file__)), "../target/corpus/clips"))
    args = ap.parse_args()
    clips = sorted(glob.glob(os.path.join(args.clips, "*.flac")))
    if not clips:
        sys.exit(f"real-music clips missing at {args.clips}: run ./scripts/setup.sh (or scripts/corpus/clips.py)")
    work = tempfile.mkdtemp(prefix="quaver-bench-")
    lst = os.path.join(work, "list.txt")
    with open(lst, "w") as f:
        f.writelines(f"file '{os.path.abspath(c)}'\n" for c in clips)
    master = os.path.join(work, "master.wav")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "concat", "-safe", "0", "-i", lst, "-c:a", "pcm_s16le", master], check=True)
    print(f"source: {len(clips)} clips concatenated, {os.path.getsize(master) / 176400:.0f} s stereo 44.1 kHz")
    print(f"{'format':<10} {'quaver s':>9} {'ffmpeg s':>9} {'ratio':>7}")
    ratios = {}
    for ext, codec in FORMATS:
        src = os.path.join(work, "in." + ext)
        subprocess.run(["ffmpeg", "-v", "error", "-i", master] + codec + [src], check=True)
        q_out, f_out = os.path.join(work, "q.wav"), os.path.join(work, "f.wav")
        tq, tf = [], []
        for _ in range(args.runs):
            tq.append(run([args.quaver, "decode", src, "-o", q_out]))
            tf.append(run(["ffmpeg", "-v", "error", "-y", "-threads", "1", "-i", src, "-c:a", "pcm_f32le", f_out]))
        mq, mf = statistics.median(tq), statistics.median(tf)
        ratios[ext] = mf / mq
        print(f"{ext:<10} {mq:9.3f} {mf:9.3f} {mf / mq:6.2f}x")
    print("median ratio (ffmpeg time / quaver time):", f"{statistics.median(ratios.values()):.2f}x")


if __name__ == "__main__":
    main()
