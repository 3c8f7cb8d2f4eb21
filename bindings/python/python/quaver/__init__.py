"""quaver: one audio engine — decode, analyse, fingerprint, encode and package audio.

Every function is a thin call into the Rust engine with the GIL released. PCM is float32 numpy
(shape ``(channels, frames)``); results are typed records with attribute access and
``.to_dict()``; errors are :class:`QuaverError` subclasses carrying ``.code``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, Mapping

from . import _quaver
from ._quaver import (
    CancelledError,
    DecodeError,
    InternalError,
    InvalidArgumentError,
    LimitExceededError,
    QuaverError,
    UnsupportedFormatError,
    decode,
    get_num_threads,
    resample,
    set_num_threads,
)

__version__: str = _quaver.__version__

__all__ = [
    "AudioInfo",
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


if hasattr(os, "register_at_fork"):
    # A forked child has none of the parent's worker threads: start a fresh pool there.
    os.register_at_fork(after_in_child=_quaver._reset_after_fork)
