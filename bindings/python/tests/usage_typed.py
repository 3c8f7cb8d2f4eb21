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
