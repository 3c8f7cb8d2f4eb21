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


def parity_usage(path: str) -> float:
    y: npt.NDArray[np.float32]
    sr: int
    y, sr = quaver.decode(path)
    a: quaver.Analysis = quaver.analyze(y, sr=sr)
    b = quaver.analyze(path, waveform={"zoom_levels": [512]})
    main: quaver.Waveform | None = b.waveform
    zooms: list[quaver.Waveform] = b.waveform_zooms + quaver.waveform_zooms(path, zoom_levels=[512, 1024])
    sim: float = quaver.similarity(a, b) + quaver.similarity(a.features or {}, b)
    s = quaver.AnalysisStream(sr, channels=2, music=None)
    s.push(y)
    s.push(y.T.copy().tobytes())
    s.push(b"\0\0" * 4, dtype="int16")
    frames: int = s.frames
    c: quaver.Analysis = s.finish()
    snippet: bytes | None = s.snippet
    reports: list[quaver.EncodeReport] = quaver.encode_many(path, {"a.mp3": {"bitrate_kbps": 320}, "a.opus": None})
    reports += quaver.encode_many(path, ["b.flac", ("b.mp3", {"vbr_quality": 2})])
    seen: list[tuple[int, int]] = []

    def on_progress(done: int, total: int) -> None:
        seen.append((done, total))

    many = quaver.analyze_many([path], progress=on_progress) + quaver.analyze_many([path], progress=True)
    batch = quaver.ingest_batch([path], "/tmp/batch", progress=on_progress, ladder=None)
    one = quaver.ingest(path, "/tmp/one", progress=lambda stage, fraction, frames: print(stage, fraction, frames))
    with quaver.FingerprintIndex("/tmp/db") as idx:
        hit = idx.query_snippet(snippet or quaver.fingerprint_snippet(y, sr=sr))
    return (
        sim
        + frames
        + c.frames
        + len(zooms)
        + int(main is not None)
        + len(reports)
        + len(many)
        + len(batch)
        + len(one.outputs)
        + len(hit["matches"])
    )
