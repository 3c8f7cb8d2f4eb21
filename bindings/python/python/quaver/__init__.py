"""quaver: one audio engine — decode, analyse, fingerprint, encode and package audio.

Every function is a thin call into the Rust engine with the GIL released. PCM is float32 numpy
(shape ``(channels, frames)``); results are typed records with attribute access and
``.to_dict()``; errors are :class:`QuaverError` subclasses carrying ``.code``.
"""

from __future__ import annotations

import contextlib
import os
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

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
    fingerprint_snippet,
    get_num_threads,
    resample,
    set_num_threads,
)

__version__: str = _quaver.__version__

__all__ = [
    "Analysis",
    "AnalysisStream",
    "AudioInfo",
    "FingerprintIndex",
    "IngestReport",
    "PackageReport",
    "Waveform",
    "analyze",
    "analyze_many",
    "chromaprint",
    "encode_many",
    "fingerprint_snippet",
    "frame_features",
    "ingest",
    "ingest_batch",
    "package",
    "similarity",
    "waveform",
    "waveform_zooms",
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


_StrPath = Union[str, "os.PathLike[str]"]


def encode_many(
    src: Any,
    targets: Union[
        Mapping[_StrPath, Optional[Mapping[str, Any]]],
        Iterable[Union[_StrPath, Tuple[_StrPath, Optional[Mapping[str, Any]]]]],
    ],
) -> List[EncodeReport]:
    """Decode ``src`` once and encode every target in parallel on quaver's thread pool.
    ``targets``: a mapping ``{output_path: options}``, or a sequence of output paths and
    ``(output_path, options)`` pairs; options as for :func:`encode` (``None`` = defaults, codec
    by extension). Returns one :class:`EncodeReport` per target, in order::

        quaver.encode_many("song.flac", {"song.mp3": {"bitrate_kbps": 320}, "song.opus": None})
    """
    items: Iterable[Any] = targets.items() if isinstance(targets, Mapping) else targets
    pairs: List[Tuple[str, Optional[Dict[str, Any]]]] = []
    for t in items:
        if isinstance(t, tuple):
            path, opts = t
            pairs.append((os.fspath(path), None if opts is None else dict(opts)))
        else:
            pairs.append((os.fspath(t), None))
    return [EncodeReport(r) for r in _quaver.encode_many(src, pairs)]


def info(src: Any) -> AudioInfo:
    """Probe ``src`` (a path, ``os.PathLike``, bytes or binary file-like object) without decoding it."""
    return AudioInfo(_quaver.info(src))


class Analysis(Record):
    """What :func:`analyze` measured: duration_s, frames, sample_rate, channels, and when enabled
    ``loudness`` (integrated_lufs, range_lu, true_peak_dbtp, sample_peak_dbfs, momentary/short-term
    maxima, replaygain_db, normalization), ``tempo`` (bpm, confidence, beats, downbeats, curve, ...),
    ``key`` (label, tonic, mode, camelot, open_key, confidence, tuning_cents, runner_up) and
    ``features`` (version, names, values). :attr:`feature_vector` and :attr:`feature_names` give the
    features as a float32 numpy vector and its dimension names; :attr:`waveform` and
    :attr:`waveform_zooms` the peaks when ``waveform=`` was given (they are not part of
    :meth:`to_dict`)."""

    __slots__ = ("_waveforms",)

    def __init__(self, data: Mapping[str, Any], waveforms: Sequence["Waveform"] = ()) -> None:
        super().__init__(data)
        object.__setattr__(self, "_waveforms", list(waveforms))

    def __reduce__(self) -> Any:
        return (type(self), (self._data, self._waveforms))

    @property
    def waveform(self) -> Optional["Waveform"]:
        """Waveform peaks at the main zoom level (``None`` unless ``waveform=`` was given)."""
        return self._waveforms[0] if self._waveforms else None

    @property
    def waveform_zooms(self) -> List["Waveform"]:
        """Waveform peaks at each of ``waveform={"zoom_levels": [...]}``, in that order."""
        return self._waveforms[1:]

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
        """Sample rate of the source (Hz)."""
        return int(self.meta["sample_rate"])

    @property
    def samples_per_pixel(self) -> int:
        """Source frames per (min, max) pair."""
        return int(self.meta["samples_per_pixel"])

    @property
    def bits(self) -> int:
        """Resolution of the values: 8 or 16."""
        return int(self.meta["bits"])

    @property
    def channels(self) -> int:
        """Waveforms in ``data`` (1 unless ``split_channels``)."""
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


def _analysis(r: Any) -> Analysis:
    data, waves = r
    return Analysis(data, [Waveform(m, d) for m, d in waves])


def analyze(src: Any, sr: Optional[int] = None, **options: Any) -> Analysis:
    """Decode ``src`` once and run loudness (EBU R128), tempo, key and the feature vector.

    ``src`` is encoded audio (a path, ``os.PathLike``, bytes or a binary file-like object), or
    PCM: a float32 numpy array of shape ``(frames,)`` (mono) or ``(channels, frames)`` with its
    sample rate ``sr`` (e.g. from ``librosa.load(..., sr=None, mono=False)``), read in place
    when C-contiguous. Options: ``loudness`` (dict or None: target_lufs, ceiling_dbtp),
    ``music`` (dict or None), ``waveform`` (dict to also compute peaks, see
    :attr:`Analysis.waveform`; PCM input takes ``samples_per_pixel``, not ``width``). Unknown
    options raise :class:`InvalidArgumentError`."""
    return _analysis(_quaver.analyze(src, sr, **options))


ProgressArg = Union[bool, Callable[[int, int], object], None]
"""``progress=`` of batch calls: ``True`` shows a bar (tqdm when installed, else a stderr
counter); a callable is called as ``progress(done, total)`` from worker threads, with ``done``
strictly increasing and last ``(total, total)``."""


@contextlib.contextmanager
def _progress(progress: Any, desc: str, total: Optional[int] = None) -> Iterator[Any]:
    """What the native call takes as ``progress=``: a callable or nothing passes through; True
    becomes a tqdm bar when tqdm imports (counting ``total`` items, or percent of an ingest's
    stages when ``total`` is None), else stays True (the engine's stderr counter)."""
    if progress is None or progress is False:
        yield None
        return
    if callable(progress):
        yield progress
        return
    if progress is not True:
        raise TypeError(f"progress must be a bool or a callable, not {type(progress).__name__}")
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield True
        return
    if total is not None:
        with tqdm(total=total, desc=desc, unit="file") as bar:
            yield lambda done, _total: bar.update(done - bar.n)
        return
    with tqdm(total=100, desc=desc, unit="%") as pct:

        def stage(name: str, fraction: float, _frames: int) -> None:
            """Move the bar to ``fraction`` and show the stage."""
            pct.set_postfix_str(name, refresh=False)
            pct.update(max(0, round(fraction * 100) - pct.n))

        yield stage


def analyze_many(
    srcs: Iterable[Any], jobs: Optional[int] = None, progress: ProgressArg = False, **options: Any
) -> List[Union[Analysis, Exception]]:
    """Analyse many inputs on quaver's Rust thread pool (``jobs`` threads if given) with the GIL
    released. Returns one entry per input, in input order: an :class:`Analysis`, or the
    exception that input raised (a :class:`QuaverError` subclass, or an :class:`OSError` such as
    :class:`FileNotFoundError` for I/O) — one bad file never sinks the batch.
    ``progress``: ``True`` for a bar (tqdm if installed, else a stderr counter) or a callable
    ``(done, total)``; an exception it raises is re-raised when the batch is done."""
    srcs = list(srcs)
    with _progress(progress, "analyze_many", len(srcs)) as p:
        results = _quaver.analyze_many(srcs, jobs, p, **options)
    # I/O failures arrive as the builtin OSError subclasses (FileNotFoundError, ...), the rest as
    # QuaverError subclasses: any exception object is that input's error.
    return [r if isinstance(r, Exception) else _analysis(r) for r in results]


class AnalysisStream:
    """:func:`analyze` for audio that arrives in pieces (a recording, an upload in flight): the
    same analysers fed chunk by chunk, so memory stays bounded whatever the length.

    ``push`` float32 PCM of ``channels`` channels at ``sample_rate``: ``(channels, frames)``
    arrays, 1-D arrays (mono, or interleaved frames), or raw interleaved bytes (``dtype``
    "float32" or "int16"). :meth:`finish` returns the :class:`Analysis`; afterwards
    :attr:`snippet` holds the query fingerprint of the audio (for
    :meth:`FingerprintIndex.query_snippet`). Options as for :func:`analyze`, except that
    ``waveform={"width": ...}`` needs the length up front and is refused::

        s = quaver.AnalysisStream(48000, channels=2)
        for chunk in chunks:          # float32, shape (2, n)
            s.push(chunk)
        a = s.finish()
    """

    def __init__(self, sample_rate: int, channels: int = 1, **options: Any) -> None:
        self._stream = _quaver._AnalysisStream(sample_rate, channels, **options)
        self.sample_rate: int = sample_rate
        self.channels: int = channels
        self.snippet: Optional[bytes] = None

    def push(self, pcm: Union[npt.NDArray[np.float32], bytes, bytearray, memoryview], dtype: str = "float32") -> None:
        """Append PCM (GIL released while it is analysed). Bytes are interleaved little-endian
        samples of ``dtype``: "float32", or "int16" (scaled by 1/32768)."""
        if isinstance(pcm, (bytes, bytearray, memoryview)):
            if dtype == "float32":
                pcm = np.frombuffer(pcm, dtype="<f4").astype(np.float32, copy=False)
            elif dtype == "int16":
                pcm = np.frombuffer(pcm, dtype="<i2").astype(np.float32) * np.float32(1 / 32768)
            else:
                raise _error("INVALID_ARGUMENT", f"dtype must be 'float32' or 'int16', got {dtype!r}")
        self._stream.push(pcm)

    @property
    def frames(self) -> int:
        """Frames pushed so far (per channel)."""
        return int(self._stream.frames)

    def finish(self) -> Analysis:
        """End of the audio: the analysis of everything pushed (also sets :attr:`snippet`).
        Raises :class:`DecodeError` if nothing was pushed; the stream cannot be pushed to after."""
        r, snippet = self._stream.finish()
        self.snippet = snippet
        return _analysis(r)

    def __repr__(self) -> str:
        return f"AnalysisStream(sample_rate={self.sample_rate}, channels={self.channels}, frames={self.frames})"


def similarity(a: Union[Analysis, Mapping[str, Any]], b: Union[Analysis, Mapping[str, Any]]) -> float:
    """quaver's similarity of two tracks' feature vectors, in ``[0, 1]`` (1 = identical; 0 for
    vectors of different versions). ``a`` and ``b`` are :class:`Analysis` results (computed with
    the default ``music=``) or their ``features`` dicts (``version``, ``names``, ``values``)."""
    return float(_quaver.similarity(_features(a), _features(b)))


def _features(x: Any) -> Dict[str, Any]:
    if isinstance(x, Analysis):
        f = x.get("features")
        if f is None:
            raise _error("INVALID_ARGUMENT", "this Analysis has no feature vector (analysed with music=None)")
        return dict(f)
    if isinstance(x, Mapping):
        return dict(x)
    raise TypeError(f"expected an Analysis or a features dict, not {type(x).__name__}")


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
    """Waveform peaks of ``src``. Options: ``samples_per_pixel`` (default 256), ``width`` (fit
    the track into this many pixels instead), ``bits`` (8/16), ``split_channels``,
    ``zoom_levels`` (ignored here: use :func:`waveform_zooms`)."""
    meta, data = _quaver.waveform(src, **options)
    return Waveform(meta, data)


def waveform_zooms(src: Any, **options: Any) -> List[Waveform]:
    """Waveform peaks at several zoom levels from one decode: the main level
    (``samples_per_pixel``, default 256) first, then one per ``zoom_levels`` entry in order.
    Other options as for :func:`waveform`::

        main, x2, x4 = quaver.waveform_zooms("song.flac", zoom_levels=[512, 1024])
    """
    return [Waveform(m, d) for m, d in _quaver.waveform_zooms(src, **options)]


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
    "hifi" (+ FLAC), "aac" (AAC-LC 64/128/256), "apple" (AAC first, then Opus and FLAC), "mp3"
    (MP3 128/320 as HLS packed audio), a JSON file, or a dict (renditions may set
    ``"container": "packed" | "ts"`` for MP3)."""
    return PackageReport(_quaver.package(src, os.fspath(out_dir), ladder))


def ingest(
    src: Any,
    out_dir: "str | os.PathLike[str]",
    progress: Union[bool, Callable[[str, float, int], object], None] = False,
    **options: Any,
) -> IngestReport:
    """The whole upload pipeline from one decode: analysis, waveform files, catalog check
    (``catalog=``, ``add_to_catalog=``), MP3 downloads (``downloads=``), HLS + DASH
    (``ladder=``), and ``report.json`` written last. Returns that report. ``progress``: ``True``
    for a bar (tqdm if installed, else a stderr line) or a callable ``(stage, fraction,
    frames)``; an exception it raises cancels the ingest and is re-raised."""
    with _progress(progress, "ingest") as p:
        return IngestReport(_quaver.ingest(src, os.fspath(out_dir), p, **options))


def ingest_batch(
    paths: Sequence["str | os.PathLike[str]"],
    out_root: "str | os.PathLike[str]",
    jobs: Optional[int] = None,
    progress: ProgressArg = False,
    **options: Any,
) -> List[IngestReport]:
    """:func:`ingest` for many files into ``out_root/<name>/``, ``jobs`` at a time, continuing
    past failures (their reports have ``status == "failed"`` and an ``error``). ``progress`` as
    for :func:`analyze_many`."""
    paths = [os.fspath(p) for p in paths]
    with _progress(progress, "ingest_batch", len(paths)) as p:
        results = _quaver.ingest_batch(paths, os.fspath(out_root), jobs, p, **options)
    return [IngestReport(r) for r in results]


def chromaprint(src: Any, max_seconds: float = 120.0) -> Dict[str, Any]:
    """Chromaprint (AcoustID) fingerprint of the first ``max_seconds`` like ``fpcalc``:
    ``fingerprint`` (compressed, base64), ``raw`` (ints), ``duration_s``."""
    return dict(_quaver.chromaprint(src, max_seconds))


if hasattr(os, "register_at_fork"):
    # A forked child has none of the parent's worker threads: start a fresh pool there.
    os.register_at_fork(after_in_child=_quaver._reset_after_fork)
