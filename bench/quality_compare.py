#!/usr/bin/env python3
"""Issue 10's like-with-like comparison for `make bench-quality`: the lab, real calls and GStreamer (PLC only,
decoding FEC) on one condition, on the 8 s files and on the joined sentences, with the issue's targets.

Pure functions over the runs quality_matrix.py collected (no processes, no files): summary, PASS/FAIL rows,
markdown. Each run is a dict with at least "pesq" (and, for the joined set, "pesq_segments": the median over
the sentences, and "pesq_whole") and "e2e_mean_ms"/"e2e_p95_ms"; GStreamer runs also "latency", "fec" and
"delay_reliable".
"""

import statistics

SETS = ("8s", "joined")
SET_TITLES = {"8s": "8 s files", "joined": "joined sentences"}


def median(values):
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else None


def mean(values):
    values = [v for v in values if v is not None]
    return float(statistics.fmean(values)) if values else None


def fmt(value, digits=2):
    return "n/a" if value is None else f"{value:.{digits}f}"


def headline(run, which):
    """The PESQ a run is judged by: the 8 s files whole; the joined file per sentence (median over the
    sentences, as pesq_score.py --segment does) or whole."""
    if which == "segments":
        return run.get("pesq_segments")
    return run.get("pesq_whole", run.get("pesq")) if which == "whole" else run.get("pesq")


def side(runs, which="pesq"):
    """PESQ median and delay means over runs of one system (one file each)."""
    return {"pesq": median(headline(r, which) for r in runs), "e2e_mean_ms": mean(r.get("e2e_mean_ms") for r in runs),
            "e2e_p95_ms": mean(r.get("e2e_p95_ms") for r in runs), "files": len(runs)}


def gst_best(runs, fec, which="pesq"):
    """GStreamer's best setting (highest PESQ, ties to the lower delay) among PLC-only or FEC-decoding ones."""
    settings = {}
    for r in runs:
        if bool(r["fec"]) == fec:
            settings.setdefault(r["latency"], []).append(r)
    scored = {latency: side(group, which) for latency, group in settings.items()}
    scored = {k: v for k, v in scored.items() if v["pesq"] is not None}
    if not scored:
        return None
    latency = max(scored, key=lambda k: (round(scored[k]["pesq"], 3), -(scored[k]["e2e_mean_ms"] or 1e9)))
    reliable = all(r.get("delay_reliable", True) for r in settings[latency])
    return {"setting": f"L{latency}{'+fec' if fec else ''}", "reliable": reliable, **scored[latency]}


def summarise(lab, calls, gst, gst_files, conditions):
    """{condition: {set: {lab, call, gst_plc, gst_fec}}} from {set: {condition: [runs]}} per system, for the
    `conditions` (names, in order). The 8 s set uses the files GStreamer ran (`gst_files`) for every system;
    the joined set scores per sentence, with the whole-file PESQ alongside ("*_whole")."""
    summary = {}
    for condition in conditions:
        entry = {}
        for name in SETS:
            def pick(system):
                runs = system.get(name, {}).get(condition, [])
                return [r for r in runs if name != "8s" or r.get("file") in gst_files]

            which = "segments" if name == "joined" else "pesq"
            row = {"lab": side(pick(lab), which), "call": side(pick(calls), which),
                   "gst_plc": gst_best(pick(gst), False, which), "gst_fec": gst_best(pick(gst), True, which)}
            if name == "joined":
                row.update(lab_whole=side(pick(lab), "whole")["pesq"], call_whole=side(pick(calls), "whole")["pesq"],
                           gst_plc_whole=(gst_best(pick(gst), False, "whole") or {}).get("pesq"),
                           gst_fec_whole=(gst_best(pick(gst), True, "whole") or {}).get("pesq"))
            if row["lab"]["files"] or row["call"]["files"] or row["gst_plc"] or row["gst_fec"]:
                entry[name] = row
        summary[condition] = entry
    return summary


def targets(summary):
    """Issue 10's targets as rows {target, call, reference, limit, result} (PASS/FAIL/n/a), per set."""
    rows = []

    def add(target, call, reference, limit, passed):
        rows.append({"target": target, "call": call, "reference": reference, "limit": limit,
                     "result": "n/a" if passed is None else ("PASS" if passed else "FAIL")})

    for name in SETS:
        title = SET_TITLES[name]
        for condition, plus, share, share_text in (("burst", 0.05, 0.5, "half"), ("jitter60+loss5", 0.0, 2 / 3, "2/3")):
            row = summary.get(condition, {}).get(name)
            if not row:
                continue
            call, fec = row["call"], row["gst_fec"]
            known = fec is not None and None not in (call["pesq"], call["e2e_mean_ms"], fec["pesq"], fec["e2e_mean_ms"])
            add(f"{condition}, {title}: call PESQ >= GStreamer FEC{f' + {plus:.2f}' if plus else ''}",
                f"{fmt(call['pesq'])}", f"{fmt((fec or {}).get('pesq'))} ({(fec or {}).get('setting', 'n/a')})",
                f">= {fmt(fec['pesq'] + plus) if known else 'n/a'}",
                call["pesq"] >= fec["pesq"] + plus - 1e-9 if known else None)
            add(f"{condition}, {title}: call delay <= {share_text} of GStreamer FEC's", f"{fmt(call['e2e_mean_ms'], 0)} ms",
                f"{fmt((fec or {}).get('e2e_mean_ms'), 0)} ms", f"<= {fmt(fec['e2e_mean_ms'] * share, 0) if known else 'n/a'} ms",
                call["e2e_mean_ms"] <= fec["e2e_mean_ms"] * share if known else None)
        for condition in ("clean", "loss3", "loss10"):
            row = summary.get(condition, {}).get(name)
            if not row:
                continue
            call, lab = row["call"]["pesq"], row["lab"]["pesq"]
            known = None not in (call, lab)
            add(f"{condition}, {title}: call within 0.1 of the lab (same seed)", fmt(call), f"lab {fmt(lab)}",
                f"diff {(call - lab):+.2f}, abs <= 0.10" if known else "abs(diff) <= 0.10",
                abs(call - lab) <= 0.1 + 1e-9 if known else None)
    return rows


def markdown(summary, rows, seed, joined_note):
    def cell(entry):
        if not entry or entry.get("pesq") is None:
            return "n/a"
        text = f"{fmt(entry['pesq'])} @ {fmt(entry['e2e_mean_ms'], 0)} ms"
        if "setting" in entry:
            text += f" ({entry['setting']}{'' if entry['reliable'] else ' †'})"
        return text

    lines = ["## Real calls next to the lab and GStreamer (issue 10)", "",
             f"Same spec and seed ({seed}) everywhere: the lab (`hopline loopback --fast`), a real call between two "
             "`hopline` processes through `hopline impair --one-way --media-only`, and GStreamer through the same "
             "proxy (`--one-way`). PESQ-WB @ mean mouth-to-ear delay. 8 s files: median over the GStreamer files. "
             f"Joined: {joined_note}, PESQ-WB per sentence (median of the sentences; the whole file in one piece "
             "in the second table).", "",
             "| condition | set | lab | real call | GStreamer PLC only | GStreamer decoding FEC |",
             "|---|---|---|---|---|---|"]
    for condition, entry in summary.items():
        for name in SETS:
            row = entry.get(name)
            if row:
                lines.append(f"| {condition} | {SET_TITLES[name]} | {cell(row['lab'])} | {cell(row['call'])} | "
                             f"{cell(row['gst_plc'])} | {cell(row['gst_fec'])} |")
    lines += ["", "Joined sentences scored whole (one PESQ over ~31 s), same runs:", "",
              "| condition | lab | real call | GStreamer PLC only | GStreamer decoding FEC |", "|---|---|---|---|---|"]
    for condition, entry in summary.items():
        row = entry.get("joined")
        if row:
            lines.append(f"| {condition} | {fmt(row['lab_whole'])} | {fmt(row['call_whole'])} | "
                         f"{fmt(row['gst_plc_whole'])} | {fmt(row['gst_fec_whole'])} |")
    lines += ["", "### Targets (issue 10)", "", "| target | real call | reference | limit | result |",
              "|---|---|---|---|---|"]
    for row in rows:
        result = "**FAIL**" if row["result"] == "FAIL" else row["result"]
        lines.append(f"| {row['target']} | {row['call']} | {row['reference']} | {row['limit']} | {result} |")
    judged = [r for r in rows if r["result"] in ("PASS", "FAIL")]
    failed = [r["target"] for r in judged if r["result"] == "FAIL"]
    lines += ["", f"Issue 10: {len(judged) - len(failed)} of {len(judged)} targets met"
              + (f"; missed: {'; '.join(failed)}" if failed else "") + "."]
    return "\n".join(lines) + "\n"
