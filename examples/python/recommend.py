"""Nearest neighbours by quaver's feature-vector similarity over a folder of audio.

    python examples/python/recommend.py [FOLDER]      (default: tests/data + examples/data)

analyze_many runs on quaver's Rust thread pool with the GIL released (progress=True shows a
tqdm bar when tqdm is installed, a counter on stderr otherwise); one unreadable file gives its
error in place and does not stop the batch. quaver.similarity is the engine's own measure
(1 = identical), the same in every binding.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

import quaver


def main() -> None:
    roots = [pathlib.Path(a) for a in sys.argv[1:]] or [pathlib.Path("tests/data"), pathlib.Path("examples/data")]
    paths = sorted(p for r in roots for p in r.iterdir() if p.suffix in {".flac", ".mp3", ".ogg", ".opus", ".m4a", ".wav", ".aiff"})
    results = quaver.analyze_many(paths, progress=True)
    ok = [(p, a) for p, a in zip(paths, results) if isinstance(a, quaver.Analysis)]
    for p, a in zip(paths, results):
        if not isinstance(a, quaver.Analysis):  # a QuaverError, or an OSError for I/O
            print(f"skipped {p}: {getattr(a, 'code', type(a).__name__)}")
    if len(ok) < 2:
        print("need at least two analysable files")
        return
    sim = np.array([[quaver.similarity(a, b) for _, b in ok] for _, a in ok])
    np.fill_diagonal(sim, -np.inf)
    for i, (p, a) in enumerate(ok):
        j = int(np.argmax(sim[i]))
        tempo = a.tempo["bpm"] if a.tempo else float("nan")
        key = a.key["label"] if a.key else "-"
        print(f"{p.name:<28} {tempo:6.1f} BPM  {key:<10} nearest: {ok[j][0].name} ({sim[i, j]:.3f})")


if __name__ == "__main__":
    main()
