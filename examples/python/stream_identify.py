"""Analyse audio while it arrives, then identify it: what a "what's playing?" app does.

    python examples/python/stream_identify.py [CATALOG_TRACK] [EXCERPT]
        (defaults: examples/data/calling_bogus_30s.flac and tests/data/mp3_vbr_v2.mp3)

The excerpt is decoded and pushed to an AnalysisStream in 100 ms pieces, as a microphone
callback would deliver them; finish() gives the same Analysis as quaver.analyze on the whole
file, plus a compact query fingerprint (stream.snippet) that a server answers with
FingerprintIndex.query_snippet.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

import quaver


def main() -> None:
    track = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "examples/data/calling_bogus_30s.flac")
    excerpt = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "tests/data/mp3_vbr_v2.mp3")

    y, sr = quaver.decode(excerpt)  # float32, (channels, frames)
    stream = quaver.AnalysisStream(sr, channels=y.shape[0])
    piece = sr // 10
    for start in range(0, y.shape[1], piece):
        stream.push(y[:, start : start + piece])
    a = stream.finish()
    assert stream.snippet is not None
    print(f"{excerpt.name}: {a.duration_s:.1f} s, {a.loudness['integrated_lufs']:.1f} LUFS, "
          f"{a.tempo['bpm']:.1f} BPM, {a.key['label']}; snippet {len(stream.snippet)} bytes")

    whole = quaver.analyze(excerpt)
    print(f"same as analyze() on the file: similarity {quaver.similarity(a, whole):.4f}")

    with tempfile.TemporaryDirectory() as db, quaver.FingerprintIndex(db) as idx:
        idx.add(track.stem, track)
        hit = idx.query_snippet(stream.snippet)
        for m in hit["matches"][:3]:
            print(f"match: {m['track']} at {m['offset_s']:.2f} s (score {m['score']:.1f})")
        if not hit["matches"]:
            print("no match")


if __name__ == "__main__":
    main()
