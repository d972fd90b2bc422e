#!/usr/bin/env python3
"""PESQ-WB (ITU-T P.862.2, MOS-LQO) of a degraded WAV file against its reference, printed as JSON.

Both files are resampled to 16 kHz (scipy.signal.resample_poly), the degraded one is aligned to the
reference by FFT cross-correlation (lags within +-500 ms by default), both are trimmed to their common
length, and then scored with the `pesq` package (`pip install pesq`).

P.862 was designed for short recordings (8-20 s of speech with pauses), so long files are scored in
segments: pass `--segment START:END` (seconds on the reference's timeline) once per utterance, and the
headline score is the median over segments. Without `--segment` the whole file is one segment.

Output (stdout, one JSON object): {"mode", "sample_rate", "lag_ms", "correlation", "length_s",
"segments": [{"start_s", "end_s", "pesq"} or {"start_s", "end_s", "error"}], "median", "mean", "scored",
"failed"}. Exit status 2 on bad arguments, unreadable files or a missing package; 1 when no segment
could be scored (each segment's "error" says why).
"""

import argparse
import json
import math
import sys
import wave
from fractions import Fraction

RATE = 16_000


def fail(message):
    """Exits with status 2 and one line on stderr saying what was wrong."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import numpy as np
    from pesq import pesq
    from scipy import signal
except ImportError as missing:  # Say what to install instead of a bare traceback.
    fail(f"{missing} for {sys.executable} (this script needs numpy, scipy and pesq: "
         f"{sys.executable} -m pip install numpy scipy pesq)")


def read_wav(path):
    """Mono float64 samples in -1...1 and the file's rate. PCM 8/16/24/32-bit; channels are averaged."""
    try:
        with wave.open(path, "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError) as error:
        fail(f"cannot read {path}: {error} (expected a PCM WAV file)")
    if width == 1:
        samples = (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128) / 128
    elif width in (2, 4):
        dtype = np.int16 if width == 2 else np.int32
        samples = np.frombuffer(frames, dtype=dtype).astype(np.float64) / float(np.iinfo(dtype).max)
    elif width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        samples = np.where(value >= 1 << 23, value - (1 << 24), value).astype(np.float64) / (2**23 - 1)
    else:
        fail(f"{path}: unsupported sample width {width * 8} bits (expected 8, 16, 24 or 32)")
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    return samples, rate


def to_16k(samples, rate):
    """Resamples to 16 kHz with a polyphase filter (exact rational ratio, no net delay)."""
    if rate == RATE:
        return samples
    ratio = Fraction(RATE, rate)
    return signal.resample_poly(samples, ratio.numerator, ratio.denominator)


def best_lag(reference, degraded, max_lag):
    """The shift (in samples) that best aligns `degraded` to `reference`: degraded[n + lag] ~ reference[n].

    Also returns the normalised correlation at that lag (1.0 for identical signals)."""
    correlation = signal.correlate(degraded, reference, mode="full", method="fft")
    zero = len(reference) - 1  # index of lag 0 in the full correlation
    low, high = max(0, zero - max_lag), min(len(correlation), zero + max_lag + 1)
    index = low + int(np.argmax(correlation[low:high]))
    lag = index - zero
    energy = math.sqrt(float(np.dot(reference, reference)) * float(np.dot(degraded, degraded)))
    return lag, (float(correlation[index]) / energy if energy > 0 else 0.0)


def align(reference, degraded, lag):
    """Shifts `degraded` by `lag` and trims both to their common length."""
    if lag > 0:
        degraded = degraded[lag:]
    elif lag < 0:
        degraded = np.concatenate([np.zeros(-lag), degraded])
    length = min(len(reference), len(degraded))
    return reference[:length], degraded[:length]


def parse_segment(text):
    try:
        start, end = (float(part) for part in text.split(":"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"segment '{text}' is not START:END in seconds") from error
    if not 0 <= start < end:
        raise argparse.ArgumentTypeError(f"segment '{text}' must have 0 <= START < END")
    return start, end


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", help="reference WAV (the original speech)")
    parser.add_argument("degraded", help="degraded WAV (the codec's or the pipeline's output)")
    parser.add_argument("--segment", action="append", type=parse_segment, default=[], metavar="START:END",
                        help="score this span (seconds on the reference timeline) separately; repeatable")
    parser.add_argument("--max-lag-ms", type=float, default=500.0,
                        help="largest misalignment searched for, in ms (default 500)")
    args = parser.parse_args()

    reference = to_16k(*read_wav(args.reference))
    degraded = to_16k(*read_wav(args.degraded))
    if len(reference) == 0 or len(degraded) == 0:
        fail(f"{args.reference if len(reference) == 0 else args.degraded} holds no samples")
    lag, correlation = best_lag(reference, degraded, int(args.max_lag_ms * RATE / 1000))
    reference, degraded = align(reference, degraded, lag)

    spans = args.segment or [(0.0, len(reference) / RATE)]
    segments = []
    for start, end in spans:
        first, last = int(round(start * RATE)), min(len(reference), int(round(end * RATE)))
        entry = {"start_s": start, "end_s": end}
        try:
            if last - first < RATE // 4:
                raise ValueError(f"only {max(0, last - first)} samples after alignment (need 0.25 s)")
            entry["pesq"] = float(pesq(RATE, reference[first:last], degraded[first:last], "wb"))
        except Exception as error:  # pesq raises its own types (NoUtterancesError, ...); report, go on.
            entry["error"] = f"{type(error).__name__}: {error}"
        segments.append(entry)

    scores = [entry["pesq"] for entry in segments if "pesq" in entry]
    result = {
        "reference": args.reference,
        "degraded": args.degraded,
        "mode": "wb",
        "sample_rate": RATE,
        "lag_ms": lag * 1000 / RATE,
        "correlation": correlation,
        "length_s": len(reference) / RATE,
        "segments": segments,
        "scored": len(scores),
        "failed": len(segments) - len(scores),
        "median": float(np.median(scores)) if scores else None,
        "mean": float(np.mean(scores)) if scores else None,
    }
    print(json.dumps(result, indent=2))
    return 0 if scores else 1


if __name__ == "__main__":
    sys.exit(main())
