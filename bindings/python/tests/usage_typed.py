"""Checked with `mypy --strict`: the public API's types as a user meets them."""

import numpy as np
import numpy.typing as npt

import quaver

info: quaver.AudioInfo = quaver.info("song.flac")
rate: int = info.sample_rate
title: str | None = info.tags.title
y: npt.NDArray[np.float32]
sr: int
y, sr = quaver.decode("song.mp3", sr=22050, mono=True)
z: npt.NDArray[np.float32] = quaver.resample(y, sr, 16000, quality="best")
try:
    quaver.decode(b"not audio")
except quaver.QuaverError as e:
    code: str = e.code
quaver.set_num_threads(2)
rep: quaver.EncodeReport = quaver.encode("song.flac", "song.opus", bitrate_kbps=96)
size: int = rep.bytes


def analysis_usage(path: str) -> float:
    a: quaver.Analysis = quaver.analyze(path, music=None)
    vec = a.feature_vector
    names: list[str] = a.feature_names
    many = quaver.analyze_many([path, path], jobs=1)
    ok = [x for x in many if isinstance(x, quaver.Analysis)]
    w: quaver.Waveform = quaver.waveform(path, samples_per_pixel=256)
    w.write("/tmp/w.dat")
    r: quaver.IngestReport = quaver.ingest(path, "/tmp/out", ladder=None)
    p: quaver.PackageReport = quaver.package(path, "/tmp/pkg", "standard")
    with quaver.FingerprintIndex("/tmp/db") as idx:
        idx.add("x", path)
        hit: bool = "x" in idx
    c = quaver.chromaprint(path)
    return float(vec.sum()) + len(names) + len(ok) + len(w) + len(r.outputs) + len(p.files) + int(hit) + len(c)
