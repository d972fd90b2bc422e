#!/usr/bin/env python3
"""One real Hopline call for `make bench-quality`: two `hopline` processes through a `hopline impair` proxy.

    callee: hopline listen --bind 127.0.0.1:0 --auto-answer --record OUT.wav --no-microphone --no-status
                           --stats callee.jsonl --identity <temp>
    proxy:  hopline impair --listen 127.0.0.1:0 --forward 127.0.0.1:<callee> --impair SPEC,seed=N
                           --one-way --media-only --stats-interval 0
    caller: hopline call <callee ID>@127.0.0.1:<proxy> --play FILE --no-speaker --duration <file + tail>
                         --no-status --stats caller.jsonl --identity <temp>

The proxy impairs only the caller's RTP media (`--media-only`, `--one-way`): handshake, signaling and RTCP
pass untouched, as in the loopback lab, so the call's n-th media packet meets the same fate (same loss, same
jitter draw) as the lab's and GStreamer's n-th packet under the same spec and seed.

Mouth-to-ear delay (see bench/README.md): both nodes write their media timelines on CLOCK_MONOTONIC to
--stats (`sendStartMonotonicS`: the caller's first frame left then, so input sample i was captured at
S - 20 ms + i / 48 kHz, the instant a live microphone would have delivered the frame's first sample;
`playoutStartMonotonicS`: the callee's recording sample s left its playout at P + s / 48 kHz). Recording
sample s holds input sample s - lag (the lag comes from aligning the recording with the source block by
block), so its delay is P - S + 20 ms + lag: frame + look-ahead + network + jitter buffer, what the lab's
endToEndLatencyMs counts.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

FRAME_MS = 20.0
TAIL_S = 1.5  # the caller keeps sending silence this long after the file, so buffered speech plays out


def read_stats(path):
    """Every JSON line of a --stats file (a line cut short by the process ending is skipped)."""
    lines = []
    try:
        with open(path) as handle:
            for text in handle:
                try:
                    lines.append(json.loads(text))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return lines


def last_value(lines, key):
    """The last non-null value of `key` in the stats lines, or None."""
    for line in reversed(lines):
        if line.get(key) is not None:
            return line[key]
    return None


def node_address(text):
    """(port, node ID) from `hopline listen`'s `listening on 127.0.0.1:PORT as hl-...`, or None."""
    match = re.search(r"listening on 127\.0\.0\.1:(\d+) as (hl-[a-z0-9-]+)", text)
    return (int(match.group(1)), match.group(2)) if match else None


def proxy_port(text):
    """The port from `hopline impair`'s first line `listening on 127.0.0.1:PORT, ...`, or None."""
    match = re.search(r"listening on 127\.0\.0\.1:(\d+),", text)
    return int(match.group(1)) if match else None


def call_delays(send_start_s, playout_start_s, blocks, frame_ms=FRAME_MS):
    """Mouth-to-ear delay, ms, per aligned block [(centre, lag ms)]: P - S + frame + lag (module doc)."""
    base = (playout_start_s - send_start_s) * 1000 + frame_ms
    return [base + lag for _, lag in blocks]


class CallFailed(RuntimeError):
    pass


def _wait_for(path, pattern, seconds, process=None):
    """The first match of `pattern` in the file at `path` within `seconds` (None if the process ended first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open(path) as handle:
                match = re.search(pattern, handle.read())
            if match:
                return match
        except FileNotFoundError:
            pass
        if process is not None and process.poll() is not None:
            try:
                with open(path) as handle:
                    return re.search(pattern, handle.read())
            except FileNotFoundError:
                return None
        time.sleep(0.02)
    return None


def _tail(path, lines=4):
    try:
        with open(path) as handle:
            return " | ".join(handle.read().strip().splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


def run_call(hopline, source, output, spec, duration_s, spawn, reap, work_dir, nice=0, tag="call"):
    """Runs one call of `source` (a WAV file of `duration_s` s) through the impairment `spec` (seed included);
    the callee's recording goes to `output`. `spawn`/`reap` start and stop child processes (the caller's
    cleanup bookkeeping). Returns the raw facts: both nodes' media timelines and counters; raises CallFailed."""
    temp = tempfile.mkdtemp(prefix=f"hopline-{tag}-", dir=work_dir)
    prefix = ["nice", "-n", str(nice)] if nice else []
    logs = {name: os.path.join(temp, f"{name}.log") for name in ("callee", "proxy", "caller")}
    stats = {name: os.path.join(temp, f"{name}.jsonl") for name in ("callee", "caller")}
    children = []

    def start(name, arguments):
        with open(logs[name], "w") as log:
            child = spawn(prefix + [hopline] + arguments, stdout=log, stderr=subprocess.STDOUT)
        children.append(child)
        return child

    try:
        callee = start("callee", ["listen", "--identity", os.path.join(temp, "callee.id"), "--bind", "127.0.0.1:0",
                                  "--auto-answer", "--record", output, "--no-microphone", "--no-status",
                                  "--stats", stats["callee"]])
        match = _wait_for(logs["callee"], r"listening on 127\.0\.0\.1:\d+ as hl-[a-z0-9-]+", 30, callee)
        if not match:
            raise CallFailed(f"{tag}: the callee did not start: {_tail(logs['callee'])}")
        port, node_id = node_address(match.group(0))
        proxy = start("proxy", ["impair", "--listen", "127.0.0.1:0", "--forward", f"127.0.0.1:{port}", "--impair",
                                spec, "--one-way", "--media-only", "--stats-interval", "0",
                                "--duration", str(int(duration_s + 120))])
        match = _wait_for(logs["proxy"], r"listening on 127\.0\.0\.1:\d+,", 30, proxy)
        if not match:
            raise CallFailed(f"{tag}: the proxy did not start: {_tail(logs['proxy'])}")
        caller = start("caller", ["call", f"{node_id}@127.0.0.1:{proxy_port(match.group(0))}", "--identity",
                                  os.path.join(temp, "caller.id"), "--play", source, "--no-speaker", "--duration",
                                  f"{duration_s + TAIL_S:.2f}", "--no-status", "--stats", stats["caller"]])
        try:
            status = caller.wait(duration_s + 60)
        except subprocess.TimeoutExpired:
            raise CallFailed(f"{tag}: the caller did not hang up within {duration_s + 60:.0f} s: {_tail(logs['caller'])}")
        if status != 0:
            raise CallFailed(f"{tag}: the caller exited with {status}: {_tail(logs['caller'])}")
        if not _wait_for(logs["callee"], r"recorded [0-9.]+ s to", 15, callee):
            raise CallFailed(f"{tag}: the callee wrote no recording: {_tail(logs['callee'])}")
    finally:
        for child in reversed(children):
            reap(child)

    caller_lines, callee_lines = read_stats(stats["caller"]), read_stats(stats["callee"])
    send_start, playout_start = (last_value(caller_lines, "sendStartMonotonicS"),
                                 last_value(callee_lines, "playoutStartMonotonicS"))
    active = [l for l in caller_lines if l.get("state") == "active"]
    heard = [l for l in callee_lines if l.get("state") == "active"]
    result = {
        "output": output, "send_start_s": send_start, "playout_start_s": playout_start,
        "planned_loss_series": [l.get("plannedLossPercent") for l in active],
        "red_distance_series": [l.get("redDistance") for l in active],
        "encoder_kbps_series": [l.get("encoderKbps") for l in active],
        "buffer_delay_series": [l.get("bufferDelayMs") for l in heard],
        "jitter_series": [l.get("jitterMs") for l in heard],
        "concealed_series": [l.get("framesConcealed") for l in heard],
        "frames_concealed": last_value(heard, "framesConcealed"),
        "packets_received": last_value(heard, "packetsReceived"),
        "packets_sent": last_value(active, "packetsSent"),
        "red_frames_recovered": last_value(heard, "redFramesRecovered"),
        "first_audio_ms": last_value(heard, "firstAudioMs"),
        "mouth_to_ear_estimate_ms": last_value(heard, "mouthToEarMs"),
    }
    with open(logs["proxy"]) as handle:
        final = [l for l in handle.read().splitlines() if l.startswith("final")]
    result["proxy_final"] = final[-1] if final else None
    shutil.rmtree(temp, ignore_errors=True)
    if send_start is None or playout_start is None:
        raise CallFailed(f"{tag}: the --stats lines carry no media timeline (sendStartMonotonicS / "
                         "playoutStartMonotonicS): a hopline older than this bench?")
    return result
