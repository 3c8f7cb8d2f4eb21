"""quaver's Python binding: inputs, numpy handling, records, errors, GIL, threads, fork."""

import io
import multiprocessing as mp
import os
import pathlib
import pickle
import struct
import threading
import time

import numpy as np
import pytest

import quaver


def wav_bytes(rate=44100, ch=2, bits=16, frames=44100, value=0.25):
    pcm = (np.full((frames, ch), value * 32767)).astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, ch, rate, rate * ch * bits // 8, ch * bits // 8, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(pcm)) + pcm
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_info_from_path_pathlike_bytes_and_file(data):
    p = data / "tagged.mp3"
    a = quaver.info(str(p))
    b = quaver.info(p)
    c = quaver.info(p.read_bytes())
    d = quaver.info(io.BytesIO(p.read_bytes()))
    assert a == b == c == d
    assert isinstance(a, quaver.AudioInfo)
    assert (a.container, a.codec, a.sample_rate, a.channels, a.frames) == ("mp3", "mp3", 44100, 2, 176400)
    assert a.bits_per_sample is None
    assert isinstance(a.tags, quaver.Tags)
    assert a.tags.isrc == "QZABC2600001" and a.tags.track_number == 3
    assert a["codec"] == "mp3"
    assert a.to_dict()["tags"]["title"] == "Calling Bogus"
    with pytest.raises(AttributeError):
        a.nope
    with pytest.raises(AttributeError):
        a.codec = "x"


def test_records_pickle(data):
    a = quaver.info(data / "flac_s16.flac")
    b = pickle.loads(pickle.dumps(a))
    assert a == b and type(b) is quaver.AudioInfo and b.tags == a.tags


def test_decode_shape_dtype_and_contiguity(data):
    y, sr = quaver.decode(data / "flac_s16.flac")
    assert sr == 44100
    assert y.dtype == np.float32 and y.shape == (2, 176400)
    assert y.flags["C_CONTIGUOUS"] and y.flags["OWNDATA"] is False or y.flags["C_CONTIGUOUS"]
    m, sr_m = quaver.decode(data / "flac_s16.flac", mono=True)
    assert m.shape == (1, 176400)
    np.testing.assert_allclose(m[0], y.mean(axis=0), atol=1e-6)
    r, sr_r = quaver.decode(data / "flac_s16.flac", sr=22050, mono=True)
    assert sr_r == 22050 and r.shape == (1, 88200)


def test_decode_matches_pcm_exactly():
    raw = wav_bytes(value=0.25)
    y, sr = quaver.decode(raw)
    expected = np.float32(int(0.25 * 32767) / 32768)  # the int16 sample the WAV holds
    assert sr == 44100 and np.all(y == expected)


def test_resample_1d_2d_and_views():
    t = np.arange(44100, dtype=np.float32) / 44100
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    y = quaver.resample(x, 44100, 48000)
    assert y.shape == (48000,) and y.dtype == np.float32
    y2 = quaver.resample(np.stack([x, -x]), 44100, 48000)
    assert y2.shape == (2, 48000)
    np.testing.assert_array_equal(y2[0], y)
    # a non-contiguous view is accepted and equals its contiguous copy
    v = np.stack([x, x])[:, ::2]
    np.testing.assert_array_equal(quaver.resample(v, 22050, 16000), quaver.resample(np.ascontiguousarray(v), 22050, 16000))
    with pytest.raises(TypeError, match="float32"):
        quaver.resample(x.astype(np.float64), 44100, 48000)


@pytest.mark.parametrize(
    "make, cls, code",
    [
        (lambda d: b"<html>502</html>" * 10, quaver.UnsupportedFormatError, "UNSUPPORTED"),
        (lambda d: (d / "flac_s16.flac").read_bytes()[:300], quaver.DecodeError, "CORRUPT"),
        (lambda d: wav_bytes(frames=0), None, None),
        (lambda d: wav_bytes(ch=40), quaver.LimitExceededError, "LIMIT_EXCEEDED"),
    ],
)
def test_error_classes_carry_codes(data, make, cls, code):
    src = make(data)
    if cls is None:
        y, sr = quaver.decode(src)  # an empty WAV is an empty signal, not an error
        assert y.shape == (2, 0)
        return
    with pytest.raises(cls) as e:
        quaver.decode(src)
    assert isinstance(e.value, quaver.QuaverError)
    assert e.value.code == code
    assert str(e.value)


def test_invalid_argument_and_io_errors(data):
    with pytest.raises(quaver.InvalidArgumentError) as e:
        quaver.decode(data / "master.wav", sr=1)
    assert e.value.code == "INVALID_ARGUMENT" and isinstance(e.value, quaver.QuaverError)
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.decode(data / "master.wav", quality="ultra")
    with pytest.raises(FileNotFoundError):
        quaver.info("/nonexistent/file.flac")
    with pytest.raises(TypeError):
        quaver.info(12345)
    for cls in (quaver.CancelledError, quaver.InternalError, quaver.DecodeError):
        assert issubclass(cls, quaver.QuaverError)


def test_gil_is_released_during_decode():
    raw = wav_bytes(frames=44100 * 120)  # 2 minutes: a few hundred ms of work with resampling
    started = threading.Event()
    done = threading.Event()

    def worker():
        started.set()
        quaver.decode(raw, sr=48000, quality="best")
        done.set()

    t = threading.Thread(target=worker)
    t0 = time.perf_counter()
    t.start()
    started.wait()
    longest, last, ticks = 0.0, time.perf_counter(), 0
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest, last, ticks = max(longest, now - last), now, ticks + 1
    t.join()
    total = time.perf_counter() - t0
    # Holding the GIL would give the main thread no ticks at all during the call; allow for a
    # busy 2-core machine descheduling it briefly.
    assert ticks > 20, f"main thread ran only {ticks} times in {total:.3f} s of decoding"
    assert longest < max(0.1, 0.5 * total), f"main thread stalled {longest:.3f} s of {total:.3f} s"


def test_thread_cap_is_respected():
    try:
        quaver.set_num_threads(1)
        assert quaver.get_num_threads() == 1
        assert len(quaver._quaver._pool_probe(8)) == 1
        quaver.set_num_threads(2)
        assert len(quaver._quaver._pool_probe(8)) == 2
        with pytest.raises(quaver.InvalidArgumentError):
            quaver.set_num_threads(0)
    finally:
        quaver.set_num_threads(os.cpu_count() or 1)


def _child(q):
    q.put(len(quaver._quaver._pool_probe(4)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_fork_safe_after_pool_use():
    quaver.set_num_threads(2)
    quaver._quaver._pool_probe(4)  # parent's pool is live
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q,))
    p.start()
    p.join(20)
    assert p.exitcode == 0, "child hung or crashed using quaver after fork"
    assert q.get(timeout=1) >= 1


def test_env_var_caps_threads_in_a_fresh_process():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import quaver; print(quaver.get_num_threads())"],
        env={**os.environ, "QUAVER_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "1"


def test_encode_each_codec_gapless(tmp_path, data):
    for ext, opts in [("mp3", {"bitrate_kbps": 192}), ("opus", {"bitrate_kbps": 96}), ("flac", {"compression_level": 8})]:
        out = tmp_path / f"x.{ext}"
        r = quaver.encode(data / "tagged.flac", out, **opts)
        assert isinstance(r, quaver.EncodeReport) and out.exists() and r.bytes == out.stat().st_size
        back = quaver.info(out)
        # gapless: exactly the source's 4.000 s at the output rate
        assert back.frames == back.sample_rate * 4, (ext, back.frames)
        assert back.tags.isrc == "QZABC2600001"
    y0, _ = quaver.decode(data / "tagged.flac")
    y1, _ = quaver.decode(tmp_path / "x.flac")
    np.testing.assert_array_equal(y0, y1)  # FLAC is lossless


def test_encode_rejects_bad_and_unknown_options(tmp_path, data):
    with pytest.raises(quaver.InvalidArgumentError, match="bitrat"):
        quaver.encode(data / "master.wav", tmp_path / "x.mp3", bitrat_kbps=128)
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.encode(data / "master.wav", tmp_path / "x.mp3", bitrate_kbps=7)
    assert not (tmp_path / "x.mp3").exists()


# ---- analysis, waveform, packaging, ingest, fingerprinting ------------------------------------

import json
import subprocess

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[3]
QUAVER_BIN = ROOT / "target" / "debug" / "quaver"


def _cli_json(*args):
    out = subprocess.run([str(QUAVER_BIN), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_analyze_matches_the_cli_and_exposes_features(data):
    a = quaver.analyze(data / "tagged.flac")
    cli = _cli_json("analyze", "--json", str(data / "tagged.flac"))
    assert a.loudness["integrated_lufs"] == pytest.approx(cli["loudness"]["integrated_lufs"], abs=1e-9)
    assert a.tempo["bpm"] == pytest.approx(cli["tempo"]["bpm"], abs=1e-9)
    assert a.key["label"] == cli["key"]["label"]
    v = a.feature_vector
    assert v.dtype == np.float32 and v.shape == (len(a.feature_names),)
    assert np.allclose(v, np.asarray(cli["features"]["values"], dtype=np.float32))
    assert json.loads(json.dumps(a.to_dict()))["frames"] == 176400
    with pytest.raises(quaver.InvalidArgumentError):
        quaver.analyze(data / "tagged.flac", loudnes={})


def test_analyze_many_keeps_order_and_isolates_failures(data, tmp_path):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"definitely not audio" * 10)
    missing = tmp_path / "missing.flac"
    srcs = [data / "flac_s16.flac", bad, data / "mp3_cbr128.mp3", data / "opus_mono.opus", missing]
    out = quaver.analyze_many(srcs, jobs=2, music=None)
    assert len(out) == 5
    assert isinstance(out[1], quaver.QuaverError) and out[1].code in ("UNSUPPORTED", "CORRUPT")
    # an I/O failure is the builtin OSError subclass, in place, not a failed batch
    assert isinstance(out[4], FileNotFoundError), out[4]
    for i in (0, 2, 3):
        single = quaver.analyze(srcs[i], music=None)
        assert isinstance(out[i], quaver.Analysis)
        assert out[i].loudness == single.loudness


def test_waveform_arrays_and_files_match_the_cli(data, tmp_path):
    w = quaver.waveform(data / "tagged.flac", samples_per_pixel=512, bits=8)
    assert w.data.dtype == np.int16 and w.data.shape[0] == 1 and w.data.shape[2] == 2
    assert len(w) == -(-176400 // 512)
    assert (w.data[..., 0] <= w.data[..., 1]).all()
    ours = tmp_path / "ours.dat"
    w.write(ours)
    cli = tmp_path / "cli.dat"
    subprocess.run(
        [str(QUAVER_BIN), "waveform", str(data / "tagged.flac"), "-o", str(cli),
         "--samples-per-pixel", "512", "--bits", "8"],
        check=True,
    )
    assert ours.read_bytes() == cli.read_bytes()


def test_frame_features_shapes(data):
    m = quaver.frame_features(data / "flac_s16.flac")
    frames = len(m["times_s"])
    assert m["mfcc"].shape == (20, frames) and m["chroma"].shape == (12, frames)
    assert m["mel_db"].dtype == np.float32 and m["mel_db"].shape[1] == frames
    assert m["sample_rate"] == 22050 and m["hop"] == 512


def test_package_and_ingest(data, tmp_path):
    p = quaver.package(data / "flac_s16.flac", tmp_path / "pkg", ladder={"renditions": [{"codec": "opus", "bitrate_kbps": 64}]})
    assert (tmp_path / "pkg" / "master.m3u8").exists() and p.duration_s == pytest.approx(4.0)
    r = quaver.ingest(data / "tagged.mp3", tmp_path / "ing", ladder=None, downloads=[{"file": "a.mp3", "options": {"bitrate_kbps": 128}}])
    assert r.status == "ok"
    on_disk = json.loads((tmp_path / "ing" / "report.json").read_text())
    assert on_disk["outputs"] == r.outputs
    assert {o["path"] for o in r.outputs} >= {"download/a.mp3", "waveform.png"}
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"")
    reports = quaver.ingest_batch([data / "flac_s16.flac", bad], tmp_path / "batch", jobs=2, ladder=None, downloads=[])
    assert [x.status for x in reports] == ["ok", "failed"]
    assert reports[1].error["code"]


def test_fingerprint_index_add_query_scan_remove(data, tmp_path):
    with quaver.FingerprintIndex(tmp_path / "db") as idx:
        idx.add("bogus", data / "master.wav")
        assert "bogus" in idx and "other" not in idx
        y, sr = quaver.decode(data / "flac_s16.flac")
        q = idx.query(data / "mp3_vbr_v2.mp3")
        assert q["matches"] and q["matches"][0]["track"] == "bogus"
        segs = idx.scan(data / "tagged.flac")
        assert segs and segs[0]["track"] == "bogus"
        assert idx.stats()["tracks"] == 1
        assert idx.remove(["bogus", "nope"]) == 1
        assert "bogus" not in idx
    with pytest.raises(quaver.InvalidArgumentError):
        idx.stats()


def test_chromaprint_matches_fpcalc(data):
    import shutil

    c = quaver.chromaprint(data / "flac_s16.flac")
    assert c["duration_s"] == pytest.approx(4.0, abs=0.01) and c["raw"]
    if shutil.which("fpcalc"):
        # fpcalc exits 3 after a benign end-of-file warning; its output is complete.
        out = subprocess.run(["fpcalc", "-raw", str(data / "flac_s16.flac")], capture_output=True, text=True).stdout
        raw = [int(x) for x in out.split("FINGERPRINT=")[1].strip().split(",")]
        n = min(len(raw), len(c["raw"]))
        assert n >= len(raw) - 1
        bits = sum(bin(a ^ b).count("1") for a, b in zip(c["raw"][:n], raw[:n]))
        assert bits / (32 * n) < 0.05, f"bit error rate {bits / (32 * n):.3f}"


def test_a_panic_inside_quaver_is_an_internal_error():
    with pytest.raises(quaver.InternalError) as e:
        quaver._quaver._debug_panic()
    assert e.value.code == "INTERNAL"
