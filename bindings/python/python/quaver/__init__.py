"""quaver: one audio engine — decode, analyse, fingerprint, encode and package audio.

Every function is a thin call into the Rust engine with the GIL released. PCM is float32 numpy
(shape ``(channels, frames)``); results are typed records with attribute access and
``.to_dict()``; errors are :class:`QuaverError` subclasses carrying ``.code``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _quaver
from ._quaver import (
    CancelledError,
    DecodeError,
    InternalError,
    InvalidArgumentError,
    LimitExceededError,
    QuaverError,
    UnsupportedFormatError,
    FingerprintIndex,
    decode,
    get_num_threads,
    resample,
    set_num_threads,
)

__version__: str = _quaver.__version__

__all__ = [
    "Analysis",
    "AudioInfo",
    "FingerprintIndex",
    "IngestReport",
    "PackageReport",
    "Waveform",
    "analyze",
    "analyze_many",
    "chromaprint",
    "frame_features",
    "ingest",
    "ingest_batch",
    "package",
    "waveform",
    "CancelledError",
    "DecodeError",
    "EncodeReport",
    "InternalError",
    "InvalidArgumentError",
    "LimitExceededError",
    "QuaverError",
    "Record",
    "Tags",
    "UnsupportedFormatError",
    "__version__",
    "decode",
    "encode",
    "get_num_threads",
    "info",
    "resample",
    "set_num_threads",
]


class Record(Mapping[str, Any]):
    """A read-only result record: attribute and key access, ``.to_dict()``, picklable."""

    __slots__ = ("_data",)
    _nested: Dict[str, type] = {}

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None
        cls = self._nested.get(name)
        return cls(value) if cls is not None and isinstance(value, dict) else value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._data.items())
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self._data == other._data

    def __hash__(self) -> int:
        return id(self)

    def __reduce__(self) -> Any:
        return (type(self), (self._data,))

    def to_dict(self) -> Dict[str, Any]:
        """A plain, JSON-serialisable copy of the record."""
        import copy

        return copy.deepcopy(self._data)


class Tags(Record):
    """Normalised tags: title, artist, album, album_artist, track_number, date, genre, isrc, has_cover_art."""


class AudioInfo(Record):
    """What :func:`info` reports: container, codec, sample_rate, channels, frames (exact, gapless),
    duration_s, bits_per_sample, bitrate, encoder_delay, encoder_padding and tags."""

    _nested = {"tags": Tags}


class EncodeReport(Record):
    """What :func:`encode` produced: path, stream (codec, sample_rate, channels, priming), frames,
    duration_s, padding, packets, bytes, audio_bitrate, options (as resolved), warnings, seconds."""


def encode(src: Any, output: "str | os.PathLike[str]", **options: Any) -> EncodeReport:
    """Encode ``src`` to MP3, Opus (Ogg) or FLAC — chosen by ``output``'s extension or ``codec=`` —
    gapless and tagged (tags copied from the source). Options: ``bitrate_kbps``, ``vbr_quality``
    (MP3 V0–V9), ``opus_rate_control`` ("vbr", "cvbr", "cbr"), ``complexity``, ``sample_rate``,
    ``channels``, ``bits_per_sample`` and ``compression_level`` (FLAC), ``id3v1``, ``copy_tags``,
    ``tags`` (dict), ``resample_quality``. Unknown options raise :class:`InvalidArgumentError`."""
    return EncodeReport(_quaver.encode(src, output, **options))


def info(src: Any) -> AudioInfo:
    """Probe ``src`` (a path, ``os.PathLike``, bytes or binary file-like object) without decoding it."""
    return AudioInfo(_quaver.info(src))


class Analysis(Record):
    """What :func:`analyze` measured: duration_s, frames, sample_rate, channels, and when enabled
    ``loudness`` (integrated_lufs, range_lu, true_peak_dbtp, sample_peak_dbfs, momentary/short-term
    maxima, replaygain_db, normalization), ``tempo`` (bpm, confidence, beats, downbeats, curve, ...),
    ``key`` (label, tonic, mode, camelot, open_key, confidence, tuning_cents, runner_up) and
    ``features`` (version, names, values). :attr:`feature_vector` and :attr:`feature_names` give the
    features as a float32 numpy vector and its dimension names."""

    @property
    def feature_vector(self) -> npt.NDArray[np.float32]:
        """The versioned feature vector as float32 (empty when features were not computed)."""
        f = self._data.get("features") or {}
        return np.asarray(f.get("values", []), dtype=np.float32)

    @property
    def feature_names(self) -> List[str]:
        """The name of every dimension of :attr:`feature_vector`."""
        f = self._data.get("features") or {}
        return list(f.get("names", []))


class PackageReport(Record):
    """What :func:`package` wrote: out_dir, files, duration_s, segment_seconds, renditions (id,
    codec, bitrates, segments), alignment, encode_seconds, package_seconds."""


class IngestReport(Record):
    """``report.json`` of :func:`ingest`: version, status ("ok"/"failed"), input, error, info,
    analysis, fingerprint (catalog matches), stream, outputs (path, bytes, sha256), timings,
    warnings."""


class Waveform:
    """Waveform peaks in audiowaveform's model. ``data`` is int16 of shape (channels, pixels, 2)
    holding (min, max) per pixel; :meth:`write` saves ``.dat``/``.json`` (peaks.js,
    waveform-data.js), ``.png`` or ``.svg``."""

    def __init__(self, meta: Mapping[str, Any], data: npt.NDArray[np.int16]) -> None:
        self.meta: Dict[str, Any] = {k: v for k, v in meta.items() if k != "data"}
        self.data: npt.NDArray[np.int16] = data

    @property
    def sample_rate(self) -> int:
        return int(self.meta["sample_rate"])

    @property
    def samples_per_pixel(self) -> int:
        return int(self.meta["samples_per_pixel"])

    @property
    def bits(self) -> int:
        return int(self.meta["bits"])

    @property
    def channels(self) -> int:
        return int(self.meta["channels"])

    def __len__(self) -> int:
        return int(self.data.shape[1])

    def write(self, path: "str | os.PathLike[str]", **render: Any) -> None:
        """Write to ``path`` (format by extension); ``render`` options (width, height, colours)
        apply to PNG/SVG."""
        meta = dict(self.meta)
        meta["data"] = []
        _quaver._write_waveform(meta, self.data, os.fspath(path), **render)

    def __repr__(self) -> str:
        return (
            f"Waveform(sample_rate={self.sample_rate}, samples_per_pixel={self.samples_per_pixel}, "
            f"channels={self.channels}, bits={self.bits}, pixels={len(self)})"
        )


def analyze(src: Any, **options: Any) -> Analysis:
    """Decode ``src`` once and run loudness (EBU R128), tempo, key and the feature vector.
    Options: ``loudness`` (dict or None: target_lufs, ceiling_dbtp), ``music`` (dict or None),
    ``waveform`` (dict to also compute peaks). Unknown options raise :class:`InvalidArgumentError`."""
    return Analysis(_quaver.analyze(src, **options))


def analyze_many(
    srcs: Iterable[Any], jobs: Optional[int] = None, progress: bool = False, **options: Any
) -> List[Union[Analysis, QuaverError]]:
    """Analyse many inputs on quaver's Rust thread pool (``jobs`` threads if given) with the GIL
    released. Returns one entry per input, in input order: an :class:`Analysis`, or the
    :class:`QuaverError` (subclass) that input raised — one bad file never sinks the batch."""
    out: List[Union[Analysis, QuaverError]] = []
    for r in _quaver.analyze_many(list(srcs), jobs, progress, **options):
        if isinstance(r, tuple):
            out.append(_error(r[0], r[1]))
        else:
            out.append(Analysis(r))
    return out


_ERRORS: Dict[str, type] = {
    "UNSUPPORTED": UnsupportedFormatError,
    "CORRUPT": DecodeError,
    "NO_AUDIO": DecodeError,
    "INVALID_ARGUMENT": InvalidArgumentError,
    "LIMIT_EXCEEDED": LimitExceededError,
    "CANCELLED": CancelledError,
}


def _error(code: str, message: str) -> QuaverError:
    e: QuaverError = _ERRORS.get(code, QuaverError)(message)
    e.code = code
    return e


def waveform(src: Any, **options: Any) -> Waveform:
    """Waveform peaks of ``src``. Options: ``samples_per_pixel`` (default 256), ``bits`` (8/16),
    ``split_channels``, ``zoom_levels`` (ignored here: use :func:`analyze` with ``waveform=``)."""
    meta, data = _quaver.waveform(src, **options)
    return Waveform(meta, data)


def frame_features(src: Any) -> Dict[str, Any]:
    """Frame-level matrices at 22 050 Hz mono with librosa's framing (2048-point STFT, hop 512,
    centred): ``mel_db`` (n_mels, frames), ``mfcc`` (20, frames), ``chroma`` (12, frames),
    ``centroid``, ``rolloff``, ``times_s``, ``sample_rate``, ``hop``."""
    return dict(_quaver.frame_features(src))


def package(
    src: Any, out_dir: "str | os.PathLike[str]", ladder: Union[str, Mapping[str, Any], None] = None
) -> PackageReport:
    """Encode ``src`` once per rendition and write CMAF segments with HLS (``master.m3u8``) and
    DASH (``manifest.mpd``) manifests into ``out_dir``. ``ladder``: "standard" (Opus 64/96/160),
    "hifi" (+ FLAC), a JSON file, or a dict."""
    return PackageReport(_quaver.package(src, os.fspath(out_dir), ladder))


def ingest(src: Any, out_dir: "str | os.PathLike[str]", **options: Any) -> IngestReport:
    """The whole upload pipeline from one decode: analysis, waveform files, catalog check
    (``catalog=``, ``add_to_catalog=``), MP3 downloads (``downloads=``), HLS + DASH
    (``ladder=``), and ``report.json`` written last. Returns that report."""
    return IngestReport(_quaver.ingest(src, os.fspath(out_dir), **options))


def ingest_batch(
    paths: Sequence["str | os.PathLike[str]"],
    out_root: "str | os.PathLike[str]",
    jobs: Optional[int] = None,
    **options: Any,
) -> List[IngestReport]:
    """:func:`ingest` for many files into ``out_root/<name>/``, ``jobs`` at a time, continuing
    past failures (their reports have ``status == "failed"`` and an ``error``)."""
    return [
        IngestReport(r)
        for r in _quaver.ingest_batch([os.fspath(p) for p in paths], os.fspath(out_root), jobs, **options)
    ]


def chromaprint(src: Any, max_seconds: float = 120.0) -> Dict[str, Any]:
    """Chromaprint (AcoustID) fingerprint of the first ``max_seconds`` like ``fpcalc``:
    ``fingerprint`` (compressed, base64), ``raw`` (ints), ``duration_s``."""
    return dict(_quaver.chromaprint(src, max_seconds))


if hasattr(os, "register_at_fork"):
    # A forked child has none of the parent's worker threads: start a fresh pool there.
    os.register_at_fork(after_in_child=_quaver._reset_after_fork)
