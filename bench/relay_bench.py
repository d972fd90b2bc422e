#!/usr/bin/env python3
"""make bench-relay: Hopline's relay vs a minimal C forwarder vs coturn, on the same load, in one run.

Python 3 standard library only. See bench/README.md ("make bench-relay") for the method and how to read the table.

For each number of calls N (--steps) and each forwarder, the forwarder is started pinned to core 0 (taskset, all
threads), the load generator (bench/relay/loadgen.c) pinned to core 1 runs N calls (2 endpoints x --rate packets/s
of --size bytes each way) plus --direct endpoint-to-endpoint calls (the no-relay loopback baseline), and reports,
over the steady window after --warmup: the forwarder's CPU time (sum of /proc/PID/task/*/schedstat, read by the
generator at the window's edges), the packets it forwarded, loss, one-way delay, and the forwarder's RSS. A
forwarder whose loss reaches --max-loss (or whose handshakes fail) is not run at larger N. Forwarder and generator
run under `chrt -f` when permitted (other tenants of the machine cannot then starve either); then one run per
forwarder at --latency-calls with the forwarder at normal priority, and idle sessions (allocations with no
traffic) for memory.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

FORWARDERS = ("cforward", "coturn", "hopline")
LABEL = {"cforward": "C forwarder", "coturn": "coturn", "hopline": "Hopline relay"}
TURN_USER, TURN_PASS, TURN_REALM = "bench", "bench", "hopline.bench"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_udp_port(start, avoid):
    """The first port >= start that nothing on 127.0.0.0/8 or 0.0.0.0 has bound (and not in `avoid`)."""
    port = start
    while True:
        if port not in avoid:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind(("0.0.0.0", port))
                return port
            except OSError:
                pass
        port += 1


def udp_bound(port):
    want = ":%04X" % port
    for table in ("/proc/net/udp",):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local = line.split()[1]
                if local.endswith(want):
                    return True
    return False


def probe(kind, port, timeout=10.0):
    """Wait until the forwarder on 127.0.0.1:port serves: a COOKIE for Hopline, a STUN answer for coturn, the
    port bound for cforward (it never answers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not udp_bound(port):
            time.sleep(0.05)
            continue
        if kind == "cforward":
            return True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.250.250.250", 0))
            s.settimeout(0.2)
            txid = os.urandom(12)
            if kind == "hopline":
                msg = b"\x41" + txid + bytes(51)
            else:
                msg = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + txid
            try:
                s.sendto(msg, ("127.0.0.1", port))
                data, _ = s.recvfrom(2048)
                if kind == "hopline" and data[:1] == b"\x42" and data[1:13] == txid:
                    return True
                if kind == "coturn" and data[8:20] == txid:
                    return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


class Forwarder:
    def __init__(self, kind, args, port, workdir, rt):
        self.kind, self.args, self.port, self.workdir, self.rt = kind, args, port, workdir, rt
        self.proc = None
        self.log_path = os.path.join(workdir, "%s-%d.log" % (kind, port))

    def command(self):
        if self.kind == "cforward":
            return [os.path.join(self.args.tools, "cforward"), "--listen", "127.0.0.1:%d" % self.port]
        if self.kind == "hopline":
            extra = self.args.hopline_args.split() if self.args.hopline_args else []
            return [self.args.hopline, "relay", "--listen", "127.0.0.1:%d" % self.port, "--allow-loopback-peers",
                    "--no-status"] + extra
        conf = os.path.join(self.workdir, "turnserver-%d.conf" % self.port)
        with open(conf, "w") as f:
            f.write("\n".join([
                "listening-ip=127.0.0.1", "relay-ip=127.0.0.1", "listening-port=%d" % self.port,
                "min-port=49152", "max-port=65535", "no-tls", "no-dtls", "no-tcp", "no-tcp-relay",
                "lt-cred-mech", "user=%s:%s" % (TURN_USER, TURN_PASS), "realm=%s" % TURN_REALM,
                "allow-loopback-peers", "no-cli", "no-rfc5780", "no-stun-backward-compatibility",
                "log-file=%s" % os.path.join(self.workdir, "turnserver-%d.log" % self.port), "simple-log",
                "pidfile=%s" % os.path.join(self.workdir, "turnserver-%d.pid" % self.port), ""]))
        return ["turnserver", "-c", conf, "--no-stdout-log"]

    def start(self):
        cmd = ["taskset", "-c", str(self.args.forwarder_cpu)]
        if self.rt:
            cmd += ["chrt", "-f", str(self.args.rt_priority)]
        cmd += self.command()
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        ok = probe(self.kind, self.port)
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited at start (status %s); log: %s" % (self.kind, self.proc.returncode,
                                                                         self.tail()))
        if not ok:
            self.stop()
            raise RuntimeError("%s did not answer on 127.0.0.1:%d; log: %s" % (self.kind, self.port, self.tail()))
        # Threads started later inherit the affinity; this catches any created before (and any the server
        # pinned itself elsewhere).
        subprocess.run(["taskset", "-a", "-p", "-c", str(self.args.forwarder_cpu), str(self.proc.pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self.proc.pid

    def tail(self, n=800):
        try:
            with open(self.log_path) as f:
                return f.read()[-n:].strip()
        except OSError:
            return ""

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            self.proc.wait(timeout=self.args.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        return time.monotonic() - t0


def run_loadgen(args, kind, port, gen_port, pid, calls, rt=False, idle=0, window=None):
    mode = {"cforward": "forward", "coturn": "turn", "hopline": "hopline"}[kind]
    cmd = ["taskset", "-c", str(args.generator_cpu)]
    if rt:
        cmd += ["chrt", "-f", str(args.rt_priority)]
    cmd += [os.path.join(args.tools, "loadgen"), "--mode", mode, "--relay", "127.0.0.1:%d" % port,
            "--port", str(gen_port), "--pid", str(pid), "--rate", str(args.rate), "--size", str(args.size),
            "--seed", str(calls + 7), "--tick-us", str(args.tick_us)]
    if idle:
        cmd += ["--idle", str(idle), "--hold", str(args.idle_hold)]
    else:
        cmd += ["--calls", str(calls), "--direct", str(args.direct), "--warmup", str(args.warmup),
                "--window", str(window if window is not None else args.window)]
    if kind == "coturn":
        cmd += ["--turn-user", TURN_USER, "--turn-pass", TURN_PASS]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("loadgen failed (%d): %s" % (out.returncode, out.stderr.strip()[-500:]))
    if out.stderr.strip():
        log("  loadgen: " + out.stderr.strip()[-300:])
    return json.loads(out.stdout)


def derive(r, args):
    """Per-run figures from the generator's raw counters."""
    d = {}
    sent, got = r["sent_window"], r["received_of_window"]
    d["loss"] = (1 - got / sent) if sent else None
    d["forwarded_in_window"] = r["received_in_window"]
    d["pps"] = r["received_in_window"] / r["window_s"] if r["window_s"] else 0
    d["offered_pps"] = sent / r["window_s"] if r["window_s"] else 0
    d["nominal_pps"] = 2 * r["calls"] * args.rate
    d["cpu_us_per_pkt"] = (r["fwd_cpu_ns"] / 1e3 / r["received_in_window"]) if r["received_in_window"] else None
    d["fwd_core_load"] = r["fwd_cpu_ns"] / 1e9 / r["window_s"] if r["window_s"] else None
    d["gen_core_load"] = r["gen_cpu_ns"] / 1e9 / r["window_s"] if r["window_s"] else None
    d["added_p50_us"] = r["lat_p50_us"] - r["direct_p50_us"] if r["lat_p50_us"] >= 0 else None
    d["added_p99_us"] = r["lat_p99_us"] - r["direct_p99_us"] if r["lat_p99_us"] >= 0 else None
    d["direct_loss"] = (1 - r["direct_received_of_window"] / r["direct_sent_window"]) if r["direct_sent_window"] else None
    d["generator_limited"] = (d["gen_core_load"] or 0) > 0.95 or (
        d["nominal_pps"] and d["offered_pps"] < 0.98 * d["nominal_pps"])
    if r["calls"] and r["rss_before_kb"] >= 0 and r["rss_window_end_kb"] >= 0:
        d["rss_delta_kb"] = r["rss_window_end_kb"] - r["rss_before_kb"]
        d["bytes_per_session"] = d["rss_delta_kb"] * 1024 / r["calls"]
    d["integrity_errors"] = r["bad_magic"] + r["bad_destination"] + r["bad_payload"]
    return d


def one_run(args, kind, calls, workdir, ports, rt=False, gen_rt=False, idle=0, window=None):
    port = free_udp_port(ports["next"], set())
    gen_port = free_udp_port(port + 1, {port})
    ports["next"] = gen_port + 1
    if ports["next"] > 48000:
        ports["next"] = args.base_port
    fw = Forwarder(kind, args, port, workdir, rt)
    t0 = time.monotonic()
    pid = fw.start()
    try:
        r = run_loadgen(args, kind, port, gen_port, pid, calls, rt=gen_rt, idle=idle, window=window)
    finally:
        stop_s = fw.stop()
    r["forwarder_stop_s"] = stop_s
    r["forwarder_exit_status"] = fw.proc.returncode
    r["wall_s"] = time.monotonic() - t0
    r["forwarder_rt"], r["generator_rt"] = rt, gen_rt
    r["forwarder_log_tail"] = fw.tail(400) if kind != "cforward" else fw.tail(400)
    return r


def fmt(v, spec="%.2f", none="-"):
    return none if v is None else spec % v


def fmt_loss(v):
    if v is None:
        return "-"
    return "%.3f%%" % (100 * v)


def git_describe(path, ref):
    try:
        return subprocess.run(["git", "-C", path, "log", "-1", "--format=%h %s", ref], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
    except OSError:
        return "?"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", default=os.path.join(here, "out"), help="directory with cforward and loadgen")
    ap.add_argument("--hopline", default=os.path.join(root, ".build-bench", "release", "hopline"))
    ap.add_argument("--hopline-args", default="", help="extra arguments for `hopline relay`")
    ap.add_argument("--forwarders", default=",".join(FORWARDERS))
    ap.add_argument("--steps", default="10,100,250,500,1000,1500,2000")
    ap.add_argument("--rate", type=float, default=50.0, help="packets/s per endpoint (each direction of a call)")
    ap.add_argument("--size", type=int, default=120, help="datagram size on the endpoint-to-relay leg, bytes")
    ap.add_argument("--tick-us", type=float, default=100.0,
                    help="the generator's send grid: packets due within a tick leave in one sendmmsg")
    ap.add_argument("--direct", type=int, default=10, help="direct endpoint-to-endpoint calls (the baseline)")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--max-loss", type=float, default=0.001, help="stop a forwarder's sweep at this loss")
    ap.add_argument("--key-calls", type=int, default=1000, help="the N the CPU target is read at")
    ap.add_argument("--latency-calls", type=int, default=1000, help="N of the normal-priority latency runs (0: skip)")
    ap.add_argument("--latency-window", type=float, default=5.0)
    ap.add_argument("--rt-priority", type=int, default=50)
    ap.add_argument("--rt", choices=("auto", "on", "off"), default="auto",
                    help="run forwarder and generator under chrt -f in the sweep (auto: if permitted)")
    ap.add_argument("--idle", type=int, default=20000, help="idle sessions for Hopline's memory (0: skip)")
    ap.add_argument("--idle-coturn", type=int, default=15000, help="idle allocations for coturn (port range)")
    ap.add_argument("--idle-hold", type=float, default=2.0)
    ap.add_argument("--forwarder-cpu", type=int, default=0)
    ap.add_argument("--generator-cpu", type=int, default=1)
    ap.add_argument("--base-port", type=int, default=39000)
    ap.add_argument("--stop-timeout", type=float, default=3.0)
    ap.add_argument("--out", default=os.path.join(here, "out"))
    args = ap.parse_args()

    started = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="relay-bench-")
    kinds = [k.strip() for k in args.forwarders.split(",") if k.strip()]
    notes = []
    for tool in ("cforward", "loadgen"):
        if not os.access(os.path.join(args.tools, tool), os.X_OK):
            sys.exit("error: %s/%s missing (make bench-relay builds it)" % (args.tools, tool))
    if "hopline" in kinds:
        ok = os.access(args.hopline, os.X_OK)
        if ok:
            help_out = subprocess.run([args.hopline, "relay", "--help"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
            ok = help_out.returncode == 0
        if not ok:
            notes.append("Hopline relay not run: %s has no `relay` subcommand (or is missing)" % args.hopline)
            kinds.remove("hopline")
    if "coturn" in kinds and not shutil.which("turnserver"):
        notes.append("coturn not run: no turnserver on PATH")
        kinds.remove("coturn")
    rt_ok = args.rt != "off" and subprocess.run(["chrt", "-f", str(args.rt_priority), "true"],
                                                stderr=subprocess.DEVNULL).returncode == 0
    if args.rt == "on" and not rt_ok:
        sys.exit("error: chrt -f is not permitted here (--rt on)")
    if not rt_ok:
        notes.append("chrt -f not used: everything ran at normal priority, so other tenants' work on the two cores "
                     "shows in loss and delay")

    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    ports = {"next": args.base_port}
    runs = {k: {} for k in kinds}
    stopped = {}
    log("relay bench: forwarders %s, steps %s, %.0f s warm-up + %.0f s window each"
        % (", ".join(kinds), steps, args.warmup, args.window))
    for i, n in enumerate(steps):
        order = kinds if i % 2 == 0 else list(reversed(kinds))
        for kind in order:
            if kind in stopped:
                continue
            try:
                r = one_run(args, kind, n, workdir, ports, rt=rt_ok, gen_rt=rt_ok)
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
                log("  %s N=%d: %s" % (kind, n, e))
                stopped[kind] = "error at N=%d: %s" % (n, str(e)[:300])
                runs[kind][n] = {"error": str(e)[:2000]}
                continue
            d = derive(r, args)
            r["derived"] = d
            runs[kind][n] = r
            log("  %-8s N=%5d: %7.0f pkt/s  %6s us/pkt  loss %-8s  added p50/p99 %s/%s us  fwd %.0f%%  gen %.0f%%%s"
                % (kind, n, d["pps"], fmt(d["cpu_us_per_pkt"]), fmt_loss(d["loss"]), fmt(d["added_p50_us"], "%.0f"),
                   fmt(d["added_p99_us"], "%.0f"), 100 * d["fwd_core_load"], 100 * d["gen_core_load"],
                   "  (generator-limited)" if d["generator_limited"] else ""))
            if r["handshake_failed"]:
                stopped[kind] = "%d of %d handshakes failed at N=%d" % (r["handshake_failed"], n, n)
            elif d["loss"] is not None and d["loss"] >= args.max_loss:
                stopped[kind] = "loss %.3f%% at N=%d" % (100 * d["loss"], n)
            if d["integrity_errors"]:
                notes.append("%s at N=%d: %d datagrams arrived altered or misdelivered"
                             % (LABEL[kind], n, d["integrity_errors"]))

    # The other priority at the latency N: the forwarder at normal priority, sharing its core with whatever else
    # runs there (the generator stays under chrt -f: it is the instrument, and a starved generator measures itself).
    normal_runs = {}
    if args.latency_calls and rt_ok:
        for kind in kinds:
            try:
                r = one_run(args, kind, args.latency_calls, workdir, ports, rt=False, gen_rt=True,
                            window=args.latency_window)
                r["derived"] = derive(r, args)
                normal_runs[kind] = r
                log("  %-8s N=%5d forwarder at normal priority: %s us/pkt, added p50/p99 %s/%s us, loss %s" % (
                    kind, args.latency_calls, fmt(r["derived"]["cpu_us_per_pkt"]),
                    fmt(r["derived"]["added_p50_us"], "%.0f"),
                    fmt(r["derived"]["added_p99_us"], "%.0f"), fmt_loss(r["derived"]["loss"])))
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
                normal_runs[kind] = {"error": str(e)[:2000]}
                log("  %s normal-priority run: %s" % (kind, e))

    # Idle sessions: allocations with no traffic.
    idle_runs = {}
    for kind, count in (("hopline", args.idle), ("coturn", args.idle_coturn)):
        if kind in kinds and count:
            try:
                r = one_run(args, kind, 0, workdir, ports, rt=rt_ok, gen_rt=rt_ok, idle=count)
                if r.get("idle_sessions"):
                    r["bytes_per_session"] = (r["rss_hold_kb"] - r["rss_before_kb"]) * 1024 / r["idle_sessions"]
                idle_runs[kind] = r
                log("  %-8s idle: %d sessions, RSS %d -> %d kB, %s B/session" % (
                    kind, r["idle_sessions"], r["rss_before_kb"], r["rss_hold_kb"],
                    fmt(r.get("bytes_per_session"), "%.0f")))
            except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
                idle_runs[kind] = {"error": str(e)[:2000]}
                log("  %s idle run: %s" % (kind, e))

    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "hopline_binary": args.hopline if "hopline" in kinds else None,
        "repository_head": git_describe(root, "HEAD"),
        "settings": {k: v for k, v in vars(args).items()},
        "forwarders": kinds, "steps": steps, "stopped": stopped, "notes": notes,
        "runs": {k: {str(n): r for n, r in v.items()} for k, v in runs.items()},
        "normal_priority_runs": normal_runs, "rt": rt_ok, "idle_runs": idle_runs,
        "load": open("/proc/loadavg").read().strip(),
    }
    result["wall_s"] = time.monotonic() - started
    md = render(result, args)
    result["markdown"] = md
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    for name in ("relay-bench.json", "relay-bench-%s.json" % stamp):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(result, f, indent=1)
    with open(os.path.join(args.out, "relay-bench.md"), "w") as f:
        f.write(md)
    print(md)
    log("wrote %s and relay-bench.md (%.0f s)" % (os.path.join(args.out, "relay-bench.json"), result["wall_s"]))
    shutil.rmtree(workdir, ignore_errors=True)


def good(r, args):
    return ("derived" in r and not r.get("handshake_failed") and r["derived"]["loss"] is not None
            and r["derived"]["loss"] < args.max_loss)


def render(res, args):
    kinds = res["forwarders"]
    steps = res["steps"]
    runs = {k: {int(n): r for n, r in v.items()} for k, v in res["runs"].items()}
    L = []
    L.append("## Relay benchmark (%s)" % res["date"])
    L.append("")
    L.append("Repository: `%s`; Hopline binary: `%s`. One call = 2 endpoints x %.0f packets/s x %d bytes "
             "(each way through one relay hop); forwarder pinned to CPU %d, generator to CPU %d; %.0f s warm-up, "
             "%.0f s window per run. Load average at the end: %s." % (
                 res["repository_head"], res["hopline_binary"] or "-", args.rate, args.size, args.forwarder_cpu,
                 args.generator_cpu, args.warmup, args.window, res["load"]))
    L.append("")
    # Table 1: CPU per forwarded packet.
    head = ["calls", "offered pkt/s"] + ["%s us/pkt" % LABEL[k] for k in kinds]
    if "hopline" in kinds and "coturn" in kinds:
        head.append("Hopline / coturn")
    if "hopline" in kinds and "cforward" in kinds:
        head.append("Hopline / C")
    head.append("generator CPU")
    L.append("### CPU per forwarded packet (forwarder CPU time in the window / packets it forwarded)")
    L.append("")
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "|".join("---:" for _ in head) + "|")
    for n in steps:
        present = [k for k in kinds if n in runs[k] and "derived" in runs[k][n]]
        if not present:
            continue
        row = [str(n), "%.0f" % (2 * n * args.rate)]
        cpu = {}
        for k in kinds:
            r = runs[k].get(n)
            if r and "derived" in r:
                cpu[k] = r["derived"]["cpu_us_per_pkt"]
                mark = "" if good(r, args) else " (loss)"
                row.append(fmt(cpu[k]) + mark)
            else:
                row.append("-")
        if "hopline" in kinds and "coturn" in kinds:
            row.append(fmt(cpu["hopline"] / cpu["coturn"], "%.2fx") if cpu.get("hopline") and cpu.get("coturn") else "-")
        if "hopline" in kinds and "cforward" in kinds:
            row.append(fmt(cpu["hopline"] / cpu["cforward"], "%.2fx") if cpu.get("hopline") and cpu.get("cforward") else "-")
        gens = ["%.0f%%%s" % (100 * runs[k][n]["derived"]["gen_core_load"],
                              "!" if runs[k][n]["derived"]["generator_limited"] else "") for k in present]
        row.append(" / ".join(gens))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    # Table 2: loss and added latency.
    L.append("### Loss and added one-way delay (relayed minus direct loopback, same run; p50 / p99, us)")
    L.append("")
    head = ["calls"]
    for k in kinds:
        head += ["%s loss" % LABEL[k], "%s added p50 / p99" % LABEL[k]]
    head.append("direct baseline p50 / p99")
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "|".join("---:" for _ in head) + "|")
    for n in steps:
        present = [k for k in kinds if n in runs[k] and "derived" in runs[k][n]]
        if not present:
            continue
        row = [str(n)]
        for k in kinds:
            r = runs[k].get(n)
            if r and "derived" in r:
                d = r["derived"]
                fail = " (%d hs failed)" % r["handshake_failed"] if r["handshake_failed"] else ""
                row += [fmt_loss(d["loss"]) + fail, "%s / %s" % (fmt(d["added_p50_us"], "%.0f"),
                                                                 fmt(d["added_p99_us"], "%.0f"))]
            else:
                row += ["-", "-"]
        row.append(", ".join("%.0f / %.0f" % (runs[k][n]["direct_p50_us"], runs[k][n]["direct_p99_us"])
                             for k in present))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    # Table 3: summary per forwarder.
    L.append("### Summary per forwarder")
    L.append("")
    head = ["", ] + [LABEL[k] for k in kinds]
    L.append("| " + " | ".join(head) + " |")
    L.append("|---|" + "|".join("---:" for _ in kinds) + "|")
    key = args.key_calls
    summ = {}
    for k in kinds:
        s = {}
        r = runs[k].get(key)
        s["cpu_key"] = r["derived"]["cpu_us_per_pkt"] if r and "derived" in r else None
        passing = [n for n in steps if n in runs[k] and good(runs[k][n], args)]
        s["max_calls"] = max(passing) if passing else None
        s["max_calls_p99"] = runs[k][s["max_calls"]]["derived"]["added_p99_us"] if passing else None
        s["capped"] = s["max_calls"] == max(steps) and k not in res["stopped"]
        s["gen_limited_at_max"] = runs[k][s["max_calls"]]["derived"]["generator_limited"] if passing else None
        s["lat"] = (r["derived"]["added_p50_us"], r["derived"]["added_p99_us"]) if r and "derived" in r else None
        nr = res["normal_priority_runs"].get(k)
        s["normal"] = (nr["derived"]["added_p50_us"], nr["derived"]["added_p99_us"], nr["derived"]["loss"],
                       nr["derived"]["cpu_us_per_pkt"]) if nr and "derived" in nr else None
        big = max([n for n in steps if n in runs[k] and "derived" in runs[k][n]
                   and runs[k][n]["derived"].get("bytes_per_session") is not None] or [0])
        s["mem_active"] = runs[k][big]["derived"]["bytes_per_session"] if big else None
        s["mem_active_n"] = big
        idle = res["idle_runs"].get(k)
        s["mem_idle"] = idle.get("bytes_per_session") if idle else None
        s["idle_n"] = idle.get("idle_sessions") if idle else None
        s["threads"] = r["fwd_threads"] if r and "fwd_threads" in r else None
        summ[k] = s
    def row(label, f):
        L.append("| " + label + " | " + " | ".join(f(k, summ[k]) for k in kinds) + " |")
    row("CPU us per forwarded packet at %d calls" % key, lambda k, s: fmt(s["cpu_key"]))
    row("largest N with loss < %.1f%% (of %s)" % (100 * args.max_loss, ",".join(map(str, steps))),
        lambda k, s: ("-" if s["max_calls"] is None else
                      ("%s%d%s" % (">= " if s["capped"] else "", s["max_calls"],
                                   " (generator-limited)" if s["gen_limited_at_max"] else ""))))
    row("why the sweep stopped", lambda k, s: res["stopped"].get(k, "end of steps"))
    sweep_prio = "chrt -f" if res["rt"] else "normal priority"
    row("added delay p50 / p99 at %d calls (%s), us" % (key, sweep_prio),
        lambda k, s: "%s / %s" % (fmt(s["lat"][0], "%.0f"), fmt(s["lat"][1], "%.0f")) if s["lat"] else "-")
    if res["normal_priority_runs"]:
        row("added delay p50 / p99 at %d calls, forwarder at normal priority, us (loss)" % args.latency_calls,
            lambda k, s: "%s / %s (%s)" % (fmt(s["normal"][0], "%.0f"), fmt(s["normal"][1], "%.0f"),
                                           fmt_loss(s["normal"][2])) if s["normal"] else "-")
        row("CPU us per packet at %d calls, forwarder at normal priority" % args.latency_calls,
            lambda k, s: fmt(s["normal"][3]) if s["normal"] else "-")
    row("RSS per active session (largest N run)",
        lambda k, s: "%s B (N=%d)" % (fmt(s["mem_active"], "%.0f"), s["mem_active_n"]) if s["mem_active"] is not None else "-")
    row("RSS per idle session",
        lambda k, s: "%s B (%d sessions)" % (fmt(s["mem_idle"], "%.0f"), s["idle_n"]) if s["mem_idle"] is not None else "-")
    row("threads", lambda k, s: str(s["threads"]) if s["threads"] else "-")
    L.append("")
    # Targets.
    L.append("### Targets (issue 7)")
    L.append("")
    L.append("| target | measured | result |")
    L.append("|---|---|---|")
    h = summ.get("hopline")
    def verdict(ok):
        return "-" if ok is None else ("PASS" if ok else "**FAIL**")
    if h is None:
        L.append("| (Hopline relay not run) | | |")
    else:
        c = summ.get("coturn", {}).get("cpu_key")
        f = summ.get("cforward", {}).get("cpu_key")
        hv = h["cpu_key"]
        ratio_c = hv / c if hv and c else None
        ratio_f = hv / f if hv and f else None
        L.append("| Hopline CPU/packet <= 0.6 x coturn's at %d calls | %s us vs %s us = %s | %s |" % (
            key, fmt(hv), fmt(c), fmt(ratio_c, "%.2fx"), verdict(None if ratio_c is None else ratio_c <= 0.6)))
        L.append("| Hopline CPU/packet <= 1.3 x the C forwarder's at %d calls | %s us vs %s us = %s | %s |" % (
            key, fmt(hv), fmt(f), fmt(ratio_f, "%.2fx"), verdict(None if ratio_f is None else ratio_f <= 1.3)))
        r = runs["hopline"].get(1000)
        ok = None
        txt = "not run"
        if r and "derived" in r:
            d = r["derived"]
            ok = good(r, args) and d["added_p99_us"] is not None and d["added_p99_us"] < 5000
            txt = "1000 calls: loss %s, added p99 %s us" % (fmt_loss(d["loss"]), fmt(d["added_p99_us"], "%.0f"))
            if res["rt"]:
                txt += " (chrt -f)"
            nr = res["normal_priority_runs"].get("hopline")
            if nr and "derived" in nr and args.latency_calls == 1000:
                txt += "; forwarder at normal priority: loss %s, p99 %s us" % (
                    fmt_loss(nr["derived"]["loss"]), fmt(nr["derived"]["added_p99_us"], "%.0f"))
            txt += "; largest passing N %s" % (h["max_calls"],)
        L.append("| >= 1000 concurrent calls at < 0.1%% loss, p99 added delay < 5 ms | %s | %s |" % (txt, verdict(ok)))
        mi = h["mem_idle"]
        L.append("| < 2 KiB per idle session | %s | %s |" % (
            "%s B/session (%s idle sessions)" % (fmt(mi, "%.0f"), h["idle_n"]) if mi is not None else "not measured",
            verdict(None if mi is None else mi < 2048)))
    L.append("")
    for n in res["notes"]:
        L.append("- note: " + n)
    L.append("- wall time of the benchmark: %.0f s" % res["wall_s"])
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
