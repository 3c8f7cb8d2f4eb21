import os
from typing import Any, Dict, Iterator, Mapping

from ._quaver import CancelledError as CancelledError
from ._quaver import DecodeError as DecodeError
from ._quaver import InternalError as InternalError
from ._quaver import InvalidArgumentError as InvalidArgumentError
from ._quaver import LimitExceededError as LimitExceededError
from ._quaver import QuaverError as QuaverError
from ._quaver import UnsupportedFormatError as UnsupportedFormatError
from ._quaver import decode as decode
from ._quaver import get_num_threads as get_num_threads
from ._quaver import resample as resample
from ._quaver import set_num_threads as set_num_threads

__version__: str
__all__: list[str]

class Record(Mapping[str, Any]):
    def __init__(self, data: Mapping[str, Any]) -> None: ...
    def __getattr__(self, name: str) -> Any: ...
    def __getitem__(self, key: str) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Tags(Record):
    title: str | None
    artist: str | None
    album: str | None
    album_artist: str | None
    track_number: int | None
    date: str | None
    genre: str | None
    isrc: str | None
    has_cover_art: bool

class AudioInfo(Record):
    container: str
    codec: str
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    bits_per_sample: int | None
    bitrate: int | None
    encoder_delay: int
    encoder_padding: int
    tags: Tags

def info(src: Any) -> AudioInfo: ...

class EncodeReport(Record):
    path: str | None
    stream: Dict[str, Any]
    frames: int
    duration_s: float
    padding: int
    packets: int
    bytes: int
    audio_bitrate: float
    options: Dict[str, Any]
    warnings: list[str]
    seconds: float

def encode(src: Any, output: str | os.PathLike[str], **options: Any) -> EncodeReport: ...
