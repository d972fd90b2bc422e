#!/usr/bin/env python3
"""What redundancy buys over concealment alone, Hopline's lab against GStreamer, same conditions and seed.

Issue 10, part 1: "the PESQ gain from FEC over PLC is at least GStreamer's in the same run". For each
condition it runs `hopline loopback --fast --impair SPEC,seed=N --json` three ways on s01-s04 (8 s each,
median, as bench-quality does) and on the four joined (~31 s, median over the sentences):
  - PLC only: `--no-fec --no-red` (Opus concealment, nothing else),
  - in-band FEC: `--no-red` (FEC planned from the receiver's reports),
  - FEC + RED: the defaults,
and prints each one's PESQ-WB and its gain over PLC only. With `--quality-json` (bench-quality's
bench/out/quality.json from the same seed) it puts GStreamer's gain next to it: decoding FEC against PLC only,
each at its best rtpjitterbuffer latency, on the same files.

Usage: bench/out/venv/bin/python bench/fec_gain.py --hopline PATH [--speech DIR] [--seed 1]
       [--conditions loss3,loss10,burst,jitter60+loss5] [--quality-json bench/out/quality.json] [--out DIR]
Exit status: 0 when every run and score worked, 1 otherwise, 2 on bad arguments.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from quality_matrix import ALL_CONDITIONS  # noqa: E402
from red_compare import join, run_lab, score  # noqa: E402

MODES = [("PLC only", ["--no-fec", "--no-red"]), ("FEC", ["--fec", "--no-red"]), ("FEC + RED", ["--fec", "--red"])]


def gstreamer_gains(path, condition):
    """GStreamer's best PLC-only and best FEC-decoding PESQ per set ({"8s": (plc, fec), "joined": ...}) from
    bench-quality's quality.json (its "comparison" section), for the sets it has."""
    with open(path) as handle:
        saved = json.load(handle)
    result = {}
    for name, row in (saved.get("comparison", {}).get(condition) or {}).items():
        plc, fec = (row.get("gst_plc") or {}).get("pesq"), (row.get("gst_fec") or {}).get("pesq")
        if plc is not None and fec is not None:
            result[name] = (plc, fec)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True, help="the hopline executable")
    parser.add_argument("--speech", default=os.path.join(HERE, "../../shared/speech"), help="folder with s01_48k.wav ...")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--conditions", default="loss3,loss10,burst,jitter60+loss5")
    parser.add_argument("--quality-json", help="bench-quality's quality.json of the same seed (GStreamer's side)")
    parser.add_argument("--out", default=None, help="where outputs go (default: a temporary folder)")
    args = parser.parse_args()
    known = {c.name: c for c in ALL_CONDITIONS}
    conditions = []
    for name in args.conditions.split(","):
        if name not in known:
            parser.error(f"unknown condition {name!r} (known: {', '.join(known)})")
        conditions.append(known[name])
    files = [os.path.join(args.speech, f"s0{i}_48k.wav") for i in range(1, 5)]
    for name in files:
        if not os.path.exists(name):
            parser.error(f"{name} is missing")
    if args.quality_json and not os.path.exists(args.quality_json):
        parser.error(f"{args.quality_json} is missing")
    out = args.out or tempfile.mkdtemp(prefix="fec-gain-")
    os.makedirs(out, exist_ok=True)
    joined = os.path.join(out, "s01-s04_48k.wav")
    spans = join(files, joined)

    print(f"seed {args.seed}; PESQ-WB, 8 s files (median of s01-s04) / joined (median over the sentences); "
          "gain = over PLC only\n")
    print("| condition | PLC only | FEC (gain) | FEC + RED (gain) | GStreamer PLC / FEC (gain) |")
    print("| --- | --- | --- | --- | --- |")
    for condition in conditions:
        spec = f"{condition.spec},seed={args.seed}"
        scores = {}
        for label, flags in MODES:
            short = []
            for name in files:
                output = os.path.join(out, f"{condition.name}.{os.path.basename(name)}.{label.replace(' ', '')}.wav")
                run_lab(args.hopline, name, output, spec, flags)
                short.append(score(name, output))
            output = os.path.join(out, f"{condition.name}.joined.{label.replace(' ', '')}.wav")
            run_lab(args.hopline, joined, output, spec, flags)
            scores[label] = (statistics.median(short), score(joined, output, spans))
            print(json.dumps({"condition": condition.name, "mode": label, "pesq8s": scores[label][0],
                              "pesqJoined": scores[label][1]}), file=sys.stderr, flush=True)
        plc = scores["PLC only"]
        gst = gstreamer_gains(args.quality_json, condition.name) if args.quality_json else {}

        def cell(pair, base):
            return " / ".join(f"{value:.2f} ({value - reference:+.2f})" for value, reference in zip(pair, base))

        g8 = "; ".join(f"{name}: {plc_g:.2f} / {fec_g:.2f} ({fec_g - plc_g:+.2f})" for name, (plc_g, fec_g) in gst.items())
        print(f"| {condition.name} | {plc[0]:.2f} / {plc[1]:.2f} | {cell(scores['FEC'], plc)} | "
              f"{cell(scores['FEC + RED'], plc)} | {g8 or 'n/a'} |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
