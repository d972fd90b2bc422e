#!/usr/bin/env python3
"""make soak: a long real-time call through `hopline impair` (wifi preset), with the resident memory, CPU and
open file descriptors of both nodes (and the proxy) sampled every minute. They must stay flat: after the
first minute, neither RSS nor the descriptor count may grow by 5 % or more, and the CPU spent per minute may
not drift up by more than 20 %.

Only 127.0.0.1; every process it starts is stopped on exit (also on Ctrl-C or an error); the run is bounded
by --minutes. Standard library only.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import wave

TICKS = os.sysconf("SC_CLK_TCK")


def sample(pid):
    """(RSS in KiB, CPU seconds, open descriptors) of a live process."""
    with open(f"/proc/{pid}/status") as status:
        rss = int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    descriptors = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, cpu, descriptors


def joined_speech(speech_dir, path):
    """The shared speech files one after another (48 kHz mono 16-bit): about a minute of talk."""
    frames = b""
    for name in sorted(os.listdir(speech_dir)):
        if name.endswith(".wav"):
            with wave.open(os.path.join(speech_dir, name)) as source:
                frames += source.readframes(source.getnframes())
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(frames)


def wait_for(path, needle, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with open(path) as text:
                match = re.search(needle, text.read())
                if match:
                    return match
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"soak: timed out waiting for /{needle}/ in {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True)
    parser.add_argument("--speech", default="../shared/speech")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--impair", default="wifi")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hopline-soak-")
    speech = os.path.join(work, "speech.wav")
    joined_speech(args.speech, speech)
    children = []

    def start(name, arguments):
        log = open(os.path.join(work, f"{name}.log"), "w")
        child = subprocess.Popen([args.hopline] + arguments, stdout=log, stderr=subprocess.STDOUT)
        children.append(child)
        return child, log.name

    def stop_all(*_):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(1)))
    seconds = int(args.minutes * 60)
    try:
        listener, listener_log = start("listener", [
            "listen", "--identity", os.path.join(work, "l.id"), "--bind", "127.0.0.1:0", "--auto-answer", "--play",
            speech, "--no-speaker", "--no-status", "--stats", os.path.join(work, "l.jsonl")])
        port = wait_for(listener_log, r"listening on 127\.0\.0\.1:(\d+) as (hl-[a-z0-9-]+)", 30)
        node_id = port.group(2)
        proxy, proxy_log = start("proxy", [
            "impair", "--listen", "127.0.0.1:0", "--forward", f"127.0.0.1:{port.group(1)}", "--impair", args.impair,
            "--duration", str(seconds + 120)])
        proxy_port = wait_for(proxy_log, r"listening on 127\.0\.0\.1:(\d+)", 30).group(1)
        caller, caller_log = start("caller", [
            "call", f"{node_id}@127.0.0.1:{proxy_port}", "--identity", os.path.join(work, "c.id"), "--play", speech,
            "--no-speaker", "--no-status", "--duration", str(seconds), "--stats", os.path.join(work, "c.jsonl")])
        wait_for(caller_log, r"connected to", 30)
        started = time.time()
        rows = []
        for minute in range(0, int(args.minutes) + 1):
            target = started + minute * 60
            while time.time() < target:
                if caller.poll() is not None:
                    break
                time.sleep(0.5)
            if caller.poll() is not None:
                break
            row = {"minute": minute}
            for name, child in (("caller", caller), ("listener", listener), ("proxy", proxy)):
                row[name] = sample(child.pid)
            rows.append(row)
            print(f"soak: minute {minute:3d}  " + "  ".join(
                f"{name} RSS {row[name][0] / 1024:6.1f} MiB CPU {row[name][1]:7.1f} s fds {row[name][2]:3d}"
                for name in ("caller", "listener")), flush=True)
        status = caller.wait(timeout=seconds + 120)
        with open(caller_log) as text:
            caller_text = text.read()
    finally:
        stop_all()

    # Growth after the first minute; CPU per minute, first full minute against the last.
    verdicts = []
    for name in ("caller", "listener"):
        base, last = rows[1][name] if len(rows) > 1 else rows[0][name], rows[-1][name]
        rss_growth = (last[0] - base[0]) / base[0] * 100
        fd_growth = (last[2] - base[2]) / base[2] * 100
        first_minute = rows[2][name][1] - rows[1][name][1] if len(rows) > 2 else 0
        last_minute = rows[-1][name][1] - rows[-2][name][1] if len(rows) > 2 else 0
        cpu_drift = (last_minute - first_minute) / first_minute * 100 if first_minute > 0 else 0
        verdicts.append((name, rss_growth, fd_growth, cpu_drift, first_minute, last_minute))
    print()
    print(f"| node | RSS minute 1 -> {rows[-1]['minute']} | growth | fds | growth | CPU s/min first -> last | drift | result |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    failed = status != 0
    for name, rss_growth, fd_growth, cpu_drift, first_minute, last_minute in verdicts:
        base = rows[1][name] if len(rows) > 1 else rows[0][name]
        last = rows[-1][name]
        ok = rss_growth < 5 and fd_growth < 5 and cpu_drift < 20
        failed |= not ok
        print(f"| {name} | {base[0] / 1024:.1f} -> {last[0] / 1024:.1f} MiB | {rss_growth:+.1f} % | {base[2]} -> {last[2]} "
              f"| {fd_growth:+.1f} % | {first_minute:.2f} -> {last_minute:.2f} | {cpu_drift:+.1f} % | {'PASS' if ok else 'FAIL'} |")
    print(f"\ncall exit status {status}; {len(rows)} samples over {rows[-1]['minute']} min; impairment {args.impair}")
    if status != 0:
        print(caller_text[-2000:])
    with open(os.path.join(args.out, "soak.json"), "w") as out:
        json.dump({"rows": rows, "status": status, "impair": args.impair}, out, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
