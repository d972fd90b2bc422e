#!/usr/bin/env python3
"""The listener's CPU per garbage handshake message under a flood (issue 11: <= 10 us at 5,000 a second, with a
real call unharmed). Starts `hopline listen` on 127.0.0.1, floods it with random Noise message 1s (0x50,
session, 96 random bytes) at --rate per second for --seconds, from one socket or from --sources sockets on
different 127.0.x.y addresses (a flood that a per-source limit cannot stop), and reads the listener's CPU time,
summed over its threads in ns, from /proc/PID/task/*/schedstat before and after. A run without the flood, same
duration, is subtracted (an idle listener's own timers). With --baseline, another build (e.g. main's) is
measured in the same run, interleaved, and each row gives the ratio to it. Standard library only; every
process it starts is stopped on exit.
"""
import argparse
import glob
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def cpu_seconds(pid):
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as stat:
                total += int(stat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended between the listing and the read
    return total / 1e9


def run(hopline, work, rate, seconds, sources):
    log = open(os.path.join(work, "listener.log"), "w+")
    child = subprocess.Popen([hopline, "listen", "--identity", os.path.join(work, "l.id"), "--bind", "127.0.0.1:0",
                              "--no-microphone", "--no-speaker", "--no-status"],
                             stdout=log, stderr=subprocess.STDOUT)
    senders = []
    try:
        port = None
        deadline = time.time() + 30
        while port is None and time.time() < deadline:
            log.seek(0)
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read())
            port = int(match.group(1)) if match else None
            time.sleep(0.05)
        if port is None:
            raise SystemExit("the listener did not start")
        time.sleep(0.5)
        for index in range(sources):
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sender.bind((f"127.0.{1 + index // 250}.{1 + index % 250}", 0))
            senders.append(sender)
        before = cpu_seconds(child.pid)
        start = time.time()
        sent = 0
        batch = max(1, rate // 100)
        for tick in range(int(seconds * 100)):
            if rate:
                for _ in range(batch):
                    senders[sent % sources].sendto(b"\x50" + struct.pack(">I", 1 + sent) + os.urandom(96),
                                                   ("127.0.0.1", port))
                    sent += 1
            wait = start + (tick + 1) / 100 - time.time()
            if wait > 0:
                time.sleep(wait)
        time.sleep(0.5)
        return cpu_seconds(child.pid) - before, sent, time.time() - start
    finally:
        for sender in senders:
            sender.close()
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True)
    parser.add_argument("--baseline", help="another hopline build to measure in the same run")
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--sources", default="1,64,1000", help="comma-separated numbers of source sockets")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="hopline-flood-")
    builds = [("this build", args.hopline)] + ([("baseline", args.baseline)] if args.baseline else [])
    results = {}
    for sources in [int(value) for value in args.sources.split(",")]:
        for name, binary in builds:
            idle, _, _ = run(binary, work, 0, args.seconds, sources)
            busy, sent, wall = run(binary, work, args.rate, args.seconds, sources)
            results[(name, sources)] = (idle, busy, sent, wall, (busy - idle) / sent * 1e6)
    print("| build | sources | garbage message 1s | rate | listener CPU (flood) | idle | per garbage packet | "
          "vs baseline | target <= 10 us |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for (name, sources), (idle, busy, sent, wall, per_packet) in results.items():
        base = results.get(("baseline", sources))
        ratio = f"{per_packet / base[4]:.2f}x" if base and name != "baseline" else ""
        print(f"| {name} | {sources} | {sent} | {sent / wall:.0f}/s | {busy:.3f} s | {idle:.3f} s | "
              f"{per_packet:.1f} us | {ratio} | {'PASS' if per_packet <= 10 else 'FAIL'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
