#!/usr/bin/env python3
"""Two hopline builds side by side in the loopback lab on 31 s of joined speech: PESQ-WB and mouth-to-ear delay.

For each condition and seed it runs `hopline loopback --fast --impair SPEC,seed=N --json` with each build on
s01-s04 joined (~31 s, as bench/red_compare.py joins them), scores PESQ-WB per utterance (median, through
bench/pesq_score.py) and prints a markdown table. Used for the playout-target measurements in the README
(before: a build of main; after: this one). The 8 s files come from `bench/quality_matrix.py --skip-gst`.

Usage: bench/out/venv/bin/python bench/playout_compare.py --hopline PATH [--baseline PATH] [--seeds 1,2,3]
       [--conditions burst,jitter60+loss5] [--speech DIR] [--out DIR]
Exit status: 0 when every run and score worked, 1 otherwise, 2 on bad arguments.
"""

import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import red_compare  # noqa: E402  (join and score; exits with a clear message when numpy, scipy or pesq is missing)

# The quality matrix's specs (bench/quality_matrix.py CONDITIONS), without the seed.
CONDITIONS = {
    "clean": "loss=0%", "loss3": "loss=3%", "loss10": "loss=10%", "burst": "burst=0.05/0.5",
    "jitter30": "delay=90ms,jitter=30ms", "jitter60+loss5": "delay=90ms,jitter=60ms,loss=5%",
}


def run(hopline, joined, spans, spec, output):
    command = [hopline, "loopback", "--in", joined, "--out", output, "--fast", "--impair", spec, "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {result.stderr.strip()}")
    report = json.loads(result.stdout)
    return red_compare.score(joined, output, spans), report["endToEndLatencyMs"]["mean"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True, help="the hopline executable to measure")
    parser.add_argument("--baseline", help="another hopline executable to compare with (e.g. a build of main)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--conditions", default="burst,jitter60+loss5", help="comma-separated: " + ",".join(CONDITIONS))
    parser.add_argument("--speech", default=os.path.join(HERE, "../../shared/speech"), help="folder with s01_48k.wav ...")
    parser.add_argument("--out", default=None, help="where outputs go (default: a temporary folder)")
    args = parser.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r}: expected comma-separated integers")
    conditions = args.conditions.split(",")
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        parser.error(f"--conditions: unknown {', '.join(unknown)} (expected {', '.join(CONDITIONS)})")
    files = [os.path.join(args.speech, f"s0{i}_48k.wav") for i in range(1, 5)]
    for name in files:
        if not os.path.exists(name):
            parser.error(f"{name} is missing")
    builds = [("after", args.hopline)] + ([("before", args.baseline)] if args.baseline else [])
    out = args.out or tempfile.mkdtemp(prefix="playout-compare-")
    os.makedirs(out, exist_ok=True)
    joined = os.path.join(out, "s01-s04_48k.wav")
    spans = red_compare.join(files, joined)

    jobs = [(label, path, c, s) for label, path in builds for c in conditions for s in seeds]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {job: pool.submit(run, job[1], joined, spans, f"{CONDITIONS[job[2]]},seed={job[3]}",
                                    os.path.join(out, f"{job[0]}.{job[2]}.{job[3]}.wav")) for job in jobs}
        results = {(label, c, s): future.result() for (label, _, c, s), future in futures.items()}

    print(f"s01-s04 joined (~31 s), PESQ-WB median over the utterances @ mean mouth-to-ear delay; seeds {args.seeds}\n")
    print("| condition | build | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |")
    print("| --- | --- | " + " | ".join("---" for _ in seeds) + " | --- |")
    for c in conditions:
        for label, _ in reversed(builds):
            cells = [results[(label, c, s)] for s in seeds]
            mean = (statistics.mean(p for p, _ in cells), statistics.mean(d for _, d in cells))
            print(f"| {c} | {label} | " + " | ".join(f"{p:.3f} @ {d:.1f} ms" for p, d in cells)
                  + f" | {mean[0]:.3f} @ {mean[1]:.1f} ms |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
