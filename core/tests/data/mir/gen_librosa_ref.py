#!/usr/bin/env python3
"""Regenerate librosa_ref.json, the oracle for core/tests/mir_librosa.rs.

    /path/to/venv/bin/python core/tests/data/mir/gen_librosa_ref.py   (needs librosa >= 0.10)

The test signal is defined by `signal()` here and by `test_signal()` in the Rust test, with the
same arithmetic (two tones, a glide, integer-LCG noise), so both sides analyse identical input.
References are committed because installing librosa takes minutes; the tests stay offline.
"""
import json, os
import numpy as np
import librosa

SR = 22050


def signal(n=2 * SR):
    x = np.zeros(n)
    seed = 12345
    for i in range(n):
        t = i / SR
        seed = (seed * 1664525 + 1013904223) % (1 << 32)
        noise = (seed >> 8) / float(1 << 24) * 2.0 - 1.0
        glide = 300.0 + 400.0 * t
        x[i] = (0.3 * np.sin(2 * np.pi * 220.0 * t) + 0.2 * np.sin(2 * np.pi * 330.5 * t) * (i / n)
                + 0.1 * np.sin(2 * np.pi * (glide * t)) + 0.05 * noise)
    return x.astype(np.float32)


def main():
    y = signal()
    ref = {
        "librosa": librosa.__version__,
        "centroid": librosa.feature.spectral_centroid(y=y, sr=SR)[0].tolist(),
        "rolloff": librosa.feature.spectral_rolloff(y=y, sr=SR)[0].tolist(),
        "flatness": librosa.feature.spectral_flatness(y=y)[0].tolist(),
        "mfcc": librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20).T.tolist(),
        "chroma": librosa.feature.chroma_stft(y=y, sr=SR, tuning=0.0).T.tolist(),
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "librosa_ref.json")
    with open(out, "w") as fh:
        json.dump(ref, fh, separators=(",", ":"))
    print(out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
