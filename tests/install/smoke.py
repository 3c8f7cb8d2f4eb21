"""Smoke test of an installed quaver wheel or sdist (run by tests/install/python.sh in a venv
that holds nothing of the build tree): decode, analyse, encode and ingest the sample track,
and the typed errors on corrupt input. Usage: python smoke.py SAMPLE EXPECTED_FRAMES WORKDIR"""
import glob
import importlib.metadata as md
import os
import sys

import numpy as np
import quaver

sample, frames, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
here = os.path.dirname(quaver.__file__)
assert not here.startswith(os.environ.get("QUAVER_REPO", "/nonexistent")), f"imported from the source tree: {here}"

pcm, sr = quaver.decode(sample)
assert sr == 44100 and pcm.dtype == np.float32 and pcm.shape == (2, frames), (sr, pcm.dtype, pcm.shape)
assert 0.05 < float(np.abs(pcm).max()) <= 1.0
mono, sr22 = quaver.decode(sample, sr=22050, mono=True)
assert sr22 == 22050 and mono.shape[0] == 1 and abs(mono.shape[1] - frames // 2) <= 1, mono.shape

a = quaver.analyze(sample)
assert -30 < a["loudness"]["integrated_lufs"] < -5, a["loudness"]
assert 40 < a["tempo"]["bpm"] < 220 and a["key"]["label"], (a["tempo"]["bpm"], a["key"])
assert len(a["features"]["values"]) == len(a["features"]["names"]) > 10

mp3 = os.path.join(work, "out.mp3")   # LAME: the shared library the wheel carries
r = quaver.encode(sample, mp3, bitrate_kbps=128)
assert os.path.getsize(mp3) > 100_000, os.path.getsize(mp3)
back, _ = quaver.decode(mp3)
assert back.shape == (2, frames), back.shape   # gapless: same length after the round trip

rep = quaver.ingest(sample, os.path.join(work, "ingest"))
assert rep["status"] == "ok", rep["status"]
assert os.path.exists(os.path.join(work, "ingest", "report.json"))
assert os.path.exists(os.path.join(work, "ingest", "stream", "master.m3u8"))

bad = os.path.join(work, "not-audio.mp3")   # text under an audio name
with open(bad, "wb") as f:
    f.write(b"<html><body>this is not audio</body></html>\n" * 100)
with open(sample, "rb") as f:
    head = f.read(600)
trunc = os.path.join(work, "truncated.flac")
with open(trunc, "wb") as f:
    f.write(head)
for path, cls, code in ((bad, quaver.UnsupportedFormatError, "UNSUPPORTED"), (trunc, quaver.DecodeError, "CORRUPT")):
    try:
        quaver.decode(path)
    except cls as e:
        assert isinstance(e, quaver.QuaverError) and e.code == code, (type(e), e.code)
    else:
        raise AssertionError(f"{path}: no error")

dist = md.distribution("quaver")
files = {str(p) for p in dist.files or []}
for lic in ("LICENSE-MIT", "LICENSE-APACHE", "THIRD-PARTY-NOTICES"):
    assert any(p.endswith(lic) for p in files), f"{lic} not in the installed distribution"
print(f"smoke: quaver {dist.version} from {here}: decode, analyse ({a['tempo']['bpm']:.1f} BPM, "
      f"{a['key']['label']}), encode, ingest and typed errors ok")
