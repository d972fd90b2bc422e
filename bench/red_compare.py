#!/usr/bin/env python3
"""RED against plain RTP/Opus in the loopback lab: PESQ-WB, end-to-end delay and RED's overhead.

For each seed and each speech file it runs `hopline loopback --fast --impair SPEC,seed=N --json` twice, with
`--red` and `--no-red`, scores both outputs with PESQ-WB (bench/pesq_score.py: 16 kHz, aligned), and prints
a markdown table of means per seed and overall. The speech files are scored whole (8 s each) and, joined
into one ~31 s file (s01-s04: four sentences by three voices), per utterance (median of the segments).

Usage: bench/out/venv/bin/python bench/red_compare.py --hopline PATH [--speech DIR] [--seeds 1,2,3]
       [--impair 'burst=0.05/0.5,delay=20ms'] [--out DIR]
Exit status: 0 when every run and score worked, 1 otherwise, 2 on bad arguments.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pesq_score  # noqa: E402  (exits with a clear message when numpy, scipy or pesq is missing)

np = pesq_score.np


def join(files, path):
    """Writes the files (same rate, mono 16-bit) one after another; returns each one's span in seconds."""
    spans, frames, rate = [], [], None
    for name in files:
        with wave.open(name, "rb") as wav:
            rate = rate or wav.getframerate()
            if wav.getframerate() != rate or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise RuntimeError(f"{name}: expected mono 16-bit at {rate} Hz")
            data = wav.readframes(wav.getnframes())
        start = sum(len(f) for f in frames) / 2 / rate
        frames.append(data)
        spans.append((start, start + len(data) / 2 / rate))
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(frames))
    return spans


def run_lab(hopline, source, output, spec, flags):
    """`hopline loopback --fast --impair SPEC --json` plus `flags`; its JSON report."""
    command = [hopline, "loopback", "--in", source, "--out", output, "--fast", "--impair", spec, "--json"] + flags
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def score(reference, degraded, segments=()):
    command = [sys.executable, os.path.join(HERE, "pesq_score.py"), reference, degraded]
    for start, end in segments:
        command += ["--segment", f"{start:.3f}:{end:.3f}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"pesq_score: {result.stderr.strip()}")
    return json.loads(result.stdout)["median"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True, help="the hopline executable")
    parser.add_argument("--speech", default=os.path.join(HERE, "../../shared/speech"), help="folder with s01_48k.wav ...")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--impair", default="burst=0.05/0.5,delay=20ms", help="impairment spec without the seed")
    parser.add_argument("--out", default=None, help="where outputs go (default: a temporary folder)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    files = [os.path.join(args.speech, f"s0{i}_48k.wav") for i in range(1, 9)]
    for name in files:
        if not os.path.exists(name):
            parser.error(f"{name} is missing")
    out = args.out or tempfile.mkdtemp(prefix="red-compare-")
    os.makedirs(out, exist_ok=True)
    joined = os.path.join(out, "s01-s04_48k.wav")
    spans = join(files[:4], joined)

    rows = {}
    for seed in seeds:
        spec = f"{args.impair},seed={seed}"
        for red in (False, True):
            short, delays, overhead, recovered, lost = [], [], [], [], []
            for name in files:
                output = os.path.join(out, f"{os.path.basename(name)}.{seed}.{int(red)}.wav")
                report = run_lab(args.hopline, name, output, spec, ["--red" if red else "--no-red"])
                short.append(score(name, output))
                delays.append(report["endToEndLatencyMs"]["mean"])
                overhead.append(report["red"]["overheadPercent"])
                recovered.append(report["red"]["framesRecovered"])
                lost.append(report["frames"]["lost"])
            output = os.path.join(out, f"joined.{seed}.{int(red)}.wav")
            report = run_lab(args.hopline, joined, output, spec, ["--red" if red else "--no-red"])
            long = score(joined, output, spans)
            rows[(seed, red)] = {
                "pesq8s": statistics.mean(short), "pesqLong": long, "delay8s": statistics.mean(delays),
                "delayLong": report["endToEndLatencyMs"]["mean"], "overhead8s": statistics.mean(overhead),
                "overheadLong": report["red"]["overheadPercent"], "kbpsLong": report["bitrate"]["payloadKbps"],
                "recovered8s": sum(recovered), "lost8s": sum(lost), "recoveredLong": report["red"]["framesRecovered"],
                "burstLong": report["red"]["burstFramesRecovered"], "lostLong": report["frames"]["lost"],
                "concealedLong": report["frames"]["concealed"], "fecLong": report["frames"]["fecRecovered"],
            }
            print(json.dumps({"seed": seed, "red": red, **rows[(seed, red)]}), file=sys.stderr, flush=True)

    print(f"impairment `{args.impair}`, seeds {args.seeds}; 8 files x 8 s (mean) and s01-s04 joined (~31 s, "
          "median over utterances)\n")
    print("| seed | RED | PESQ-WB 8 s | PESQ-WB 31 s | end-to-end 8 s / 31 s, ms | RED overhead, % of payload (31 s) "
          "| payload kbit/s (31 s) | lost / RED-recovered (two later) / FEC / concealed (31 s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for seed in seeds + ["mean"]:
        for red in (False, True):
            if seed == "mean":
                chosen = [rows[(s, red)] for s in seeds]
                row = {k: statistics.mean(r[k] for r in chosen) for k in chosen[0]}
            else:
                row = rows[(seed, red)]
            print(f"| {seed} | {'on' if red else 'off'} | {row['pesq8s']:.3f} | {row['pesqLong']:.3f} | "
                  f"{row['delay8s']:.1f} / {row['delayLong']:.1f} | {row['overheadLong']:.1f} | {row['kbpsLong']:.1f} | "
                  f"{row['lostLong']:.0f} / {row['recoveredLong']:.0f} ({row['burstLong']:.0f}) / {row['fecLong']:.0f} / "
                  f"{row['concealedLong']:.0f} |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
