"""The facade's API beyond the basics: PCM-array analysis, streaming analysis, waveform zoom
levels, feature similarity, encode_many, query snippets and progress reporting."""

import pathlib
import pickle
import sys
import types

import numpy as np
import pytest

import quaver

ROOT = pathlib.Path(__file__).resolve().parents[3]
SONG = ROOT / "examples" / "data" / "calling_bogus_30s.flac"


def click_track(sr=44100, seconds=12.0, bpm=100.0):
    """A different 'track': a decaying 1 kHz click every beat plus a low drone."""
    t = np.arange(int(sr * seconds)) / sr
    y = 0.05 * np.sin(2 * np.pi * 55 * t)
    period = 60.0 / bpm
    phase = np.mod(t, period)
    y += 0.6 * np.exp(-phase * 40) * np.sin(2 * np.pi * 1000 * t)
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def song():
    y, sr = quaver.decode(SONG)
    return y, sr, quaver.analyze(SONG)


def assert_same_analysis(got, want, bpm_tol=0.5):
    assert got.frames == want.frames and got.sample_rate == want.sample_rate
    assert got.channels == want.channels
    for k in ("integrated_lufs", "range_lu", "true_peak_dbtp", "sample_peak_dbfs"):
        assert got.loudness[k] == pytest.approx(want.loudness[k], abs=1e-6), k
    assert got.tempo["bpm"] == pytest.approx(want.tempo["bpm"], abs=bpm_tol)
    assert got.key["label"] == want.key["label"]
    assert quaver.similarity(got, want) > 0.99


# ---- analyze on numpy PCM ---------------------------------------------------------------------


def test_analyze_pcm_array_matches_the_file(song):
    y, sr, want = song
    assert y.flags["C_CONTIGUOUS"] and y.shape[0] == 2
    got = quaver.analyze(y, sr=sr)
    assert isinstance(got, quaver.Analysis)
    # Same samples through the stream analysers: loudness to 1e-6 LU, tempo to 0.5 BPM.
    assert_same_analysis(got, want)


def test_analyze_pcm_layouts_agree(song):
    y, sr, _ = song
    y = np.ascontiguousarray(y[:, : sr * 8])
    c = quaver.analyze(y, sr=sr, music=None)
    f = quaver.analyze(np.asfortranarray(y), sr=sr, music=None)  # rows not contiguous: copied
    ro = y.copy()
    ro.setflags(write=False)  # read-only arrays are fine: quaver only reads
    r = quaver.analyze(ro, sr=sr, music=None)
    assert c == f == r
    mono = np.ascontiguousarray(y.mean(axis=0))
    m1 = quaver.analyze(mono, sr=sr, music=None)  # 1-D is mono
    m2 = quaver.analyze(mono[np.newaxis, :], sr=sr, music=None)
    assert m1 == m2 and m1.channels == 1
    strided = np.ascontiguousarray(np.repeat(mono, 2))[::2]  # a non-contiguous 1-D view
    assert quaver.analyze(strided, sr=sr, music=None) == m1


def test_analyze_pcm_argument_errors(song, data):
    y, sr, _ = song
    with pytest.raises(TypeError, match="sr="):
        quaver.analyze(y)
    with pytest.raises(TypeError, match="sr="):
        quaver.analyze(data / "flac_s16.flac", sr=44100)
    with pytest.raises(TypeError, match="float32"):
        quaver.analyze(y.astype(np.float64), sr=sr)
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.analyze(np.zeros((40, 100), np.float32), sr=sr)  # 40 channels
    with pytest.raises(quaver.DecodeError):
        quaver.analyze(np.zeros(0, np.float32), sr=sr)  # no audio
    with pytest.raises(quaver.InvalidArgumentError, match="samples_per_pixel"):
        quaver.analyze(y, sr=sr, waveform={"width": 800})  # a stream has no length up front
    w = quaver.analyze(y, sr=sr, music=None, waveform={"samples_per_pixel": 512}).waveform
    assert w is not None and len(w) == -(-y.shape[1] // 512)
    # encoded-audio functions point PCM arrays to the functions that take them
    with pytest.raises(TypeError, match="analyze\\(y, sr="):
        quaver.info(y)


# ---- AnalysisStream --------------------------------------------------------------------------


def test_stream_chunks_equal_whole_file_analysis(song):
    y, sr, want = song
    s = quaver.AnalysisStream(sr, channels=2)
    step = 4410 * 3 + 7  # odd-sized pieces
    pieces = range(0, y.shape[1], step)
    for i, start in enumerate(pieces):
        piece = y[:, start : start + step]
        # alternate the three input forms: (channels, frames), interleaved 1-D, raw bytes
        if i % 3 == 0:
            s.push(piece)
        elif i % 3 == 1:
            s.push(np.ascontiguousarray(piece.T).reshape(-1))
        else:
            s.push(np.ascontiguousarray(piece.T).tobytes())
    assert s.frames == y.shape[1]
    assert s.snippet is None
    got = s.finish()
    assert_same_analysis(got, want)
    assert isinstance(s.snippet, bytes) and len(s.snippet) > 100
    with pytest.raises(quaver.InvalidArgumentError):
        s.push(y[:, :100])
    with pytest.raises(quaver.InvalidArgumentError):
        s.finish()


def test_stream_int16_bytes_and_errors(song):
    y, sr, want = song
    pcm16 = np.clip(np.round(y.T * 32768), -32768, 32767).astype("<i2")
    s = quaver.AnalysisStream(sr, 2, music=None)
    for start in range(0, pcm16.shape[0], 48000):
        s.push(pcm16[start : start + 48000].tobytes(), dtype="int16")
    got = s.finish()
    assert got.frames == want.frames
    # 16-bit quantisation moves loudness by far less than 0.01 LU
    assert got.loudness["integrated_lufs"] == pytest.approx(want.loudness["integrated_lufs"], abs=0.01)
    assert "tempo" not in got
    s = quaver.AnalysisStream(sr, 2)
    with pytest.raises(quaver.InvalidArgumentError):
        s.push(np.zeros(3, np.float32))  # 3 samples is not whole stereo frames
    with pytest.raises(quaver.InvalidArgumentError):
        s.push(np.zeros((1, 10), np.float32))  # 1 channel into a stereo stream
    with pytest.raises(quaver.InvalidArgumentError):
        s.push(np.full((2, 10), np.nan, np.float32))
    with pytest.raises(quaver.InvalidArgumentError):
        s.push(b"\0" * 8, dtype="int8")
    with pytest.raises(quaver.DecodeError) as e:
        s.finish()  # nothing valid was pushed
    assert e.value.code == "NO_AUDIO"
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.AnalysisStream(sr, 0)
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.AnalysisStream(sr, 2, loudnes={})


def test_stream_snippet_identifies_the_track(song, data, tmp_path):
    y, sr, _ = song
    with quaver.FingerprintIndex(tmp_path / "db") as idx:
        idx.add("bogus", data / "master.wav")
        s = quaver.AnalysisStream(sr, 2, music=None)
        excerpt = y[:, 10 * sr : 18 * sr]
        for start in range(0, excerpt.shape[1], 8192):
            s.push(excerpt[:, start : start + 8192])
        s.finish()
        assert s.snippet is not None
        hit = idx.query_snippet(s.snippet)
        assert hit["matches"] and hit["matches"][0]["track"] == "bogus"
        for snip in (quaver.fingerprint_snippet(data / "mp3_vbr_v2.mp3"), quaver.fingerprint_snippet(excerpt, sr=sr)):
            assert isinstance(snip, bytes)
            assert idx.query_snippet(snip)["matches"][0]["track"] == "bogus"
        with pytest.raises(quaver.QuaverError):
            idx.query_snippet(b"garbage")
    with pytest.raises(TypeError, match="sr="):
        quaver.fingerprint_snippet(excerpt)


# ---- similarity ------------------------------------------------------------------------------


def test_similarity(song, data):
    _, _, a = song
    assert quaver.similarity(a, a) == 1.0
    same_song_mp3 = quaver.analyze(data / "mp3_cbr128.mp3")
    same_song_flac = quaver.analyze(data / "flac_s16.flac")
    other = quaver.analyze(click_track(), sr=44100)
    s_enc = quaver.similarity(same_song_flac, same_song_mp3)
    s_other = quaver.similarity(same_song_flac, other)
    assert 0.0 <= s_other < s_enc < 1.0, (s_other, s_enc)
    assert quaver.similarity(other, same_song_flac) == s_other  # symmetric
    # features dicts work as well as Analysis objects
    assert quaver.similarity(same_song_flac.features, same_song_mp3.to_dict()["features"]) == s_enc
    other_version = dict(a.features, version=a.features["version"] + 1)
    assert quaver.similarity(a, other_version) == 0.0
    with pytest.raises(quaver.InvalidArgumentError, match="music=None"):
        quaver.similarity(quaver.analyze(data / "flac_s16.flac", music=None), a)
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.similarity({"version": 1}, a)
    with pytest.raises(TypeError):
        quaver.similarity(a.feature_vector, a)  # type: ignore[arg-type]


# ---- waveform zoom levels --------------------------------------------------------------------


def test_waveform_zooms_halve_per_level(data, tmp_path):
    frames = 176400
    ws = quaver.waveform_zooms(data / "tagged.flac", samples_per_pixel=256, zoom_levels=[512, 1024, 2048])
    assert [w.samples_per_pixel for w in ws] == [256, 512, 1024, 2048]
    assert [len(w) for w in ws] == [-(-frames // spp) for spp in (256, 512, 1024, 2048)]
    for fine, coarse in zip(ws, ws[1:]):
        assert len(coarse) == -(-len(fine) // 2)
        # a coarse pixel's (min, max) covers the two fine pixels under it
        lo = fine.data[0, : 2 * (len(fine) // 2), 0].reshape(-1, 2).min(axis=1)
        hi = fine.data[0, : 2 * (len(fine) // 2), 1].reshape(-1, 2).max(axis=1)
        n = len(lo)
        np.testing.assert_array_equal(coarse.data[0, :n, 0], lo)
        np.testing.assert_array_equal(coarse.data[0, :n, 1], hi)
    single = quaver.waveform(data / "tagged.flac", samples_per_pixel=256)
    np.testing.assert_array_equal(ws[0].data, single.data)
    ws[2].write(tmp_path / "z.json")
    assert (tmp_path / "z.json").stat().st_size > 0
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.waveform_zooms(data / "tagged.flac", zoom_level=[512])


def test_analysis_carries_waveforms_and_pickles_them(data):
    a = quaver.analyze(data / "tagged.flac", music=None, waveform={"samples_per_pixel": 256, "zoom_levels": [1024]})
    assert a.waveform is not None and len(a.waveform_zooms) == 1
    ws = quaver.waveform_zooms(data / "tagged.flac", zoom_levels=[1024])
    np.testing.assert_array_equal(a.waveform.data, ws[0].data)
    np.testing.assert_array_equal(a.waveform_zooms[0].data, ws[1].data)
    b = pickle.loads(pickle.dumps(a))
    assert b == a and b.waveform is not None
    np.testing.assert_array_equal(b.waveform_zooms[0].data, ws[1].data)
    assert "waveform" not in a.to_dict()
    plain = quaver.analyze(data / "tagged.flac", music=None)
    assert plain.waveform is None and plain.waveform_zooms == []


# ---- encode_many -----------------------------------------------------------------------------


def test_encode_many_one_decode_every_target(data, tmp_path):
    src = data / "tagged.flac"
    reports = quaver.encode_many(
        src,
        {tmp_path / "a.mp3": {"bitrate_kbps": 128}, tmp_path / "a.opus": None, str(tmp_path / "a.flac"): {}},
    )
    assert [pathlib.Path(r.path).name for r in reports] == ["a.mp3", "a.opus", "a.flac"]
    for r, ext in zip(reports, ("mp3", "opus", "flac")):
        out = tmp_path / f"a.{ext}"
        assert isinstance(r, quaver.EncodeReport) and r.bytes == out.stat().st_size
        back = quaver.info(out)
        assert back.frames == back.sample_rate * 4 and back.tags.isrc == "QZABC2600001"
    np.testing.assert_array_equal(quaver.decode(src)[0], quaver.decode(tmp_path / "a.flac")[0])
    # the same as encode() one target at a time
    single = quaver.encode(src, tmp_path / "b.mp3", bitrate_kbps=128)
    assert (tmp_path / "b.mp3").read_bytes() == (tmp_path / "a.mp3").read_bytes()
    assert single.bytes == reports[0].bytes
    # sequence form: plain paths and (path, options) pairs
    r2 = quaver.encode_many(src, [tmp_path / "c.opus", (tmp_path / "c.mp3", {"vbr_quality": 2})])
    assert [pathlib.Path(r.path).suffix for r in r2] == [".opus", ".mp3"]
    with pytest.raises(quaver.InvalidArgumentError, match="bitrat"):
        quaver.encode_many(src, {tmp_path / "d.mp3": {"bitrat_kbps": 128}})
    assert not (tmp_path / "d.mp3").exists()


# ---- progress ---------------------------------------------------------------------------------


def _check_counts(calls, total):
    assert calls, "progress was never called"
    assert all(t == total for _, t in calls)
    done = [d for d, _ in calls]
    assert done == sorted(set(done)), f"counts not strictly increasing: {done}"
    assert done[-1] == total


@pytest.mark.parametrize("jobs", [None, 1, 2])
def test_analyze_many_progress_callable(data, jobs):
    srcs = [data / n for n in ("flac_s16.flac", "mp3_cbr128.mp3", "opus_mono.opus", "wav_mono.wav", "vorbis.ogg")]
    calls = []
    out = quaver.analyze_many(srcs, jobs=jobs, progress=lambda d, t: calls.append((d, t)), music=None)
    assert all(isinstance(a, quaver.Analysis) for a in out)
    _check_counts(calls, len(srcs))
    if jobs == 1:
        assert [d for d, _ in calls] == [1, 2, 3, 4, 5]


def test_progress_exception_is_raised_after_the_batch(data):
    def boom(done, total):
        raise ValueError(f"stop at {done}")

    with pytest.raises(ValueError, match="stop at 1"):
        quaver.analyze_many([data / "flac_s16.flac"] * 3, jobs=1, progress=boom, music=None)
    with pytest.raises(TypeError, match="progress"):
        quaver.analyze_many([data / "flac_s16.flac"], progress="yes")  # type: ignore[arg-type]


def _no_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


def test_progress_true_without_tqdm_prints_a_counter(data, monkeypatch, capfd):
    _no_tqdm(monkeypatch)
    quaver.analyze_many([data / "flac_s16.flac"] * 3, jobs=1, progress=True, music=None)
    err = capfd.readouterr().err
    assert "analyze_many: 1/3" in err and "analyze_many: 3/3\n" in err


def test_progress_true_uses_tqdm_when_importable(data, monkeypatch, tmp_path):
    bars = []

    class FakeTqdm:
        def __init__(self, total, desc, unit):
            self.total, self.desc, self.n, self.closed, self.updates = total, desc, 0, False, []
            bars.append(self)

        def update(self, k):
            self.updates.append(k)
            self.n += k

        def set_postfix_str(self, s, refresh=True):
            self.postfix = s

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.closed = True

    auto = types.ModuleType("tqdm.auto")
    auto.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", types.ModuleType("tqdm"))
    monkeypatch.setitem(sys.modules, "tqdm.auto", auto)
    quaver.analyze_many([data / "flac_s16.flac"] * 4, jobs=2, progress=True, music=None)
    (bar,) = bars
    assert (bar.total, bar.n, bar.closed, bar.desc) == (4, 4, True, "analyze_many")
    assert all(k > 0 for k in bar.updates)
    quaver.ingest(data / "flac_s16.flac", tmp_path / "one", progress=True, ladder=None, downloads=[])
    assert (bars[1].total, bars[1].n, bars[1].postfix, bars[1].closed) == (100, 100, "done", True)


def test_ingest_batch_progress(data, tmp_path, monkeypatch, capfd):
    calls = []
    srcs = [data / "flac_s16.flac", data / "wav_mono.wav", data / "opus_mono.opus"]
    reports = quaver.ingest_batch(
        srcs, tmp_path / "b", jobs=2, progress=lambda d, t: calls.append((d, t)), ladder=None, downloads=[]
    )
    assert [r.status for r in reports] == ["ok"] * 3
    _check_counts(calls, 3)
    _no_tqdm(monkeypatch)
    quaver.ingest_batch(srcs[:1], tmp_path / "c", progress=True, ladder=None, downloads=[])
    assert "ingest_batch: 1/1\n" in capfd.readouterr().err


def test_ingest_progress_stages_and_cancel(data, tmp_path):
    stages = []
    r = quaver.ingest(
        SONG, tmp_path / "ok", progress=lambda s, f, n: stages.append((s, f, n)), ladder=None, downloads=[]
    )
    assert r.status == "ok"
    names = [s for s, _, _ in stages]
    assert names[0] == "decode" and names[-1] == "done"
    assert {"fingerprint", "write"} <= set(names)
    fractions = [f for _, f, _ in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert stages[-1][2] == r.analysis["frames"]

    def stop(stage, fraction, frames):
        raise KeyboardInterrupt("user pressed Ctrl-C")

    out = tmp_path / "cancelled"
    with pytest.raises(KeyboardInterrupt):
        quaver.ingest(SONG, out, progress=stop, ladder=None, downloads=[])
    assert not (out / "report.json").exists()


def _main_thread_keeps_running(work):
    """Run `work` in a thread; the main thread must keep getting the GIL meanwhile."""
    import threading
    import time

    done = threading.Event()
    t = threading.Thread(target=lambda: (work(), done.set()))
    t0 = time.perf_counter()
    t.start()
    ticks, longest, last = 0, 0.0, time.perf_counter()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last, ticks = max(longest, now - last), now, ticks + 1
    t.join()
    total = time.perf_counter() - t0
    assert ticks > 20, f"main thread ran only {ticks} times in {total:.3f} s"
    assert longest < max(0.1, 0.5 * total), f"main thread stalled {longest:.3f} s of {total:.3f} s"


def test_gil_released_for_pcm_analysis_and_stream_push(song):
    y, sr, _ = song
    long = np.ascontiguousarray(np.tile(y, 6))  # 3 minutes of stereo
    _main_thread_keeps_running(lambda: quaver.analyze(long, sr=sr))
    s = quaver.AnalysisStream(sr, 2)
    _main_thread_keeps_running(lambda: s.push(long))
    assert s.finish().frames == long.shape[1]
