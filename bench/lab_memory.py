#!/usr/bin/env python3
"""Peak memory of `hopline loopback --fast` against input length (make bench-lab-memory).

Joins the speech corpus (48 kHz 16-bit mono WAVs) over and over into inputs of each length, runs
`hopline loopback --fast` on each, and reads the child's peak RSS from wait4(2). The baseline, measured in
the same run, is the shortest input: a lab that streams holds the same memory whatever the length (ratio
about 1), where one that loads the file grows with it (the WAV's size and more).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time
import wave


def join_speech(speech_dir, minutes, path):
    files = sorted(glob.glob(os.path.join(speech_dir, "*.wav")))
    if not files:
        sys.exit(f"no WAV files in {speech_dir}")
    clips = []
    for name in files:
        with wave.open(name) as clip:
            if (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) != (48_000, 1, 2):
                sys.exit(f"{name}: expected 48 kHz 16-bit mono")
            clips.append(clip.readframes(clip.getnframes()))
    target = int(minutes * 60 * 48_000) * 2
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        written, index = 0, 0
        while written < target:
            chunk = clips[index % len(clips)][: target - written]
            out.writeframes(chunk)
            written += len(chunk)
            index += 1


def peak_rss(command):
    """Runs `command`; returns (peak RSS in MB, wall seconds). Exits on failure."""
    start = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed: {child.stderr.read().decode(errors='replace')}")
    return usage.ru_maxrss / 1024, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True)
    parser.add_argument("--speech", default="../shared/speech")
    parser.add_argument("--minutes", default="1,10,60", help="input lengths, comma-separated")
    args = parser.parse_args()
    lengths = [float(m) for m in args.minutes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="hopline-lab-memory-") as directory:
        for minutes in lengths:
            source = os.path.join(directory, "in.wav")
            join_speech(args.speech, minutes, source)
            size = os.path.getsize(source) / 1e6
            rss, wall = peak_rss([args.hopline, "loopback", "--fast", "--in", source,
                                  "--out", os.path.join(directory, "out.wav")])
            rows.append((minutes, size, rss, wall))
            os.remove(source)
            os.remove(os.path.join(directory, "out.wav"))
    baseline = rows[0][2]
    print("## `hopline loopback --fast`: peak RSS against input length (same run)\n")
    print(f"| input | WAV | peak RSS | x the {rows[0][0]:g}-minute run | wall |")
    print("| --- | --- | --- | --- | --- |")
    for minutes, size, rss, wall in rows:
        print(f"| {minutes:g} min | {size:.1f} MB | {rss:.1f} MiB | {rss / baseline:.2f} | {wall:.1f} s |")


if __name__ == "__main__":
    main()
