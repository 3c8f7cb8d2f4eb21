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

from ._quaver import CancelledError as CancelledError
from ._quaver import DecodeError as DecodeError
from ._quaver import InternalError as InternalError
from ._quaver import InvalidArgumentError as InvalidArgumentError
from ._quaver import LimitExceededError as LimitExceededError
from ._quaver import QuaverError as QuaverError
from ._quaver import UnsupportedFormatError as UnsupportedFormatError
from ._quaver import FingerprintIndex as FingerprintIndex
from ._quaver import decode as decode
from ._quaver import fingerprint_snippet as fingerprint_snippet
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

_StrPath = Union[str, os.PathLike[str]]

def encode_many(
    src: Any,
    targets: Union[
        Mapping[_StrPath, Optional[Mapping[str, Any]]],
        Iterable[Union[_StrPath, Tuple[_StrPath, Optional[Mapping[str, Any]]]]],
    ],
) -> List[EncodeReport]: ...

class Analysis(Record):
    duration_s: float
    frames: int
    sample_rate: int
    channels: int
    loudness: Dict[str, Any] | None
    tempo: Dict[str, Any] | None
    key: Dict[str, Any] | None
    features: Dict[str, Any] | None
    def __init__(self, data: Mapping[str, Any], waveforms: Sequence[Waveform] = ()) -> None: ...
    @property
    def waveform(self) -> Waveform | None: ...
    @property
    def waveform_zooms(self) -> List[Waveform]: ...
    @property
    def feature_vector(self) -> npt.NDArray[np.float32]: ...
    @property
    def feature_names(self) -> List[str]: ...

class PackageReport(Record):
    out_dir: str
    files: list[str]
    duration_s: float
    segment_seconds: float
    renditions: list[Dict[str, Any]]

class IngestReport(Record):
    version: int
    status: str
    input: str
    error: Dict[str, Any] | None
    info: Dict[str, Any] | None
    analysis: Dict[str, Any] | None
    fingerprint: Dict[str, Any] | None
    stream: Dict[str, Any] | None
    outputs: list[Dict[str, Any]]
    timings: Dict[str, Any]
    warnings: list[str]

class Waveform:
    meta: Dict[str, Any]
    data: npt.NDArray[np.int16]
    def __init__(self, meta: Mapping[str, Any], data: npt.NDArray[np.int16]) -> None: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def samples_per_pixel(self) -> int: ...
    @property
    def bits(self) -> int: ...
    @property
    def channels(self) -> int: ...
    def __len__(self) -> int: ...
    def write(self, path: str | os.PathLike[str], **render: Any) -> None: ...

ProgressArg = Union[bool, Callable[[int, int], object], None]

def analyze(src: Any, sr: Optional[int] = None, **options: Any) -> Analysis: ...
def analyze_many(
    srcs: Iterable[Any], jobs: Optional[int] = None, progress: ProgressArg = False, **options: Any
) -> List[Union[Analysis, Exception]]: ...

class AnalysisStream:
    sample_rate: int
    channels: int
    snippet: bytes | None
    def __init__(self, sample_rate: int, channels: int = 1, **options: Any) -> None: ...
    def push(
        self, pcm: npt.NDArray[np.float32] | bytes | bytearray | memoryview, dtype: str = "float32"
    ) -> None: ...
    @property
    def frames(self) -> int: ...
    def finish(self) -> Analysis: ...

def similarity(a: Analysis | Mapping[str, Any], b: Analysis | Mapping[str, Any]) -> float: ...
def waveform(src: Any, **options: Any) -> Waveform: ...
def waveform_zooms(src: Any, **options: Any) -> List[Waveform]: ...
def frame_features(src: Any) -> Dict[str, Any]: ...
def package(
    src: Any, out_dir: str | os.PathLike[str], ladder: Union[str, Mapping[str, Any], None] = None
) -> PackageReport: ...
def ingest(
    src: Any,
    out_dir: str | os.PathLike[str],
    progress: bool | Callable[[str, float, int], object] | None = False,
    **options: Any,
) -> IngestReport: ...
def ingest_batch(
    paths: Sequence[str | os.PathLike[str]],
    out_root: str | os.PathLike[str],
    jobs: Optional[int] = None,
    progress: ProgressArg = False,
    **options: Any,
) -> List[IngestReport]: ...
def chromaprint(src: Any, max_seconds: float = 120.0) -> Dict[str, Any]: ...
