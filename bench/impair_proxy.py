#!/usr/bin/env python3
"""A one-way UDP impairment proxy: a Python port of Hopline's `ImpairmentModel` (HoplineCore/Impairment).

Stand-in for `hopline impair` while that command is not built: `quality_matrix.py` uses `hopline impair`
when the binary has it and this file otherwise (`--proxy`), and says which one in its table. Same grammar
subset (loss, burst=p/r[/h[/k]], delay, jitter, jitter-dist, reorder, dup, stall=DUR/PERIOD, skew, seed),
same generator (xoshiro256** seeded through SplitMix64, one stream per effect, stream 0), same per-packet
draw order, so the same seed loses the same packet indices as `hopline loopback --impair`. Jitter draws use
Python's math.log instead of Hopline's pure-Swift one: arrival times can differ by far below a microsecond.

Datagrams from --listen go to --forward after the model's delay (a packet's send instant is when the proxy
received it); replies from --forward go back to the last sender unimpaired. Runs until SIGTERM/SIGINT or
--max-seconds. Prints one JSON line of counters on exit.
"""

import argparse
import heapq
import json
import math
import select
import signal
import socket
import sys
import time

MASK = (1 << 64) - 1


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


class Random:
    """xoshiro256** seeded through SplitMix64, as ImpairmentRandom.swift."""

    def __init__(self, seed, stream):
        mixer = (seed ^ ((stream * 0xD1B54A32D192ED03) & MASK)) & MASK
        state = []
        for _ in range(4):
            mixer = (mixer + 0x9E3779B97F4A7C15) & MASK
            z = mixer
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state

    @staticmethod
    def _rotate(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (self._rotate((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotate(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def unit(self):
        return (self.next() >> 11) * 2.0**-53

    def unit_open(self):
        return ((self.next() >> 11) + 0.5) * 2.0**-53


def inverse_normal_cdf(p):
    """Acklam's approximation, as ImpairmentMath.inverseNormalCDF."""
    a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]

    def tail(q):
        return ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1))

    if p < 0.02425:
        return tail(math.sqrt(-2 * math.log(p)))
    if p > 1 - 0.02425:
        return -tail(math.sqrt(-2 * math.log(1 - p)))
    q = p - 0.5
    r = q * q
    return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1))


def parse_duration_ms(text, key):
    for suffix, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(suffix):
            number = text[: -len(suffix)]
            break
    else:
        number, scale = text, 1.0
    try:
        return float(number) * scale
    except ValueError:
        fail(f"--impair: {key}={text} is not a duration (expected e.g. 30ms, 1s)")


def parse_probability(text, key):
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        fail(f"--impair: {key} value '{text}' is not a probability (expected 0-1 or a percentage)")


def parse_spec(text):
    """The subset of ImpairmentSpec's grammar the benchmark uses (no presets)."""
    spec = {"loss": 0.0, "burst": None, "delay": 0.0, "jitter": 0.0, "dist": "normal", "reorder": True,
            "dup": 0.0, "stall": None, "skew": 0.0, "seed": 1}
    for item in (part.strip() for part in text.split(",")):
        if "=" not in item:
            fail(f"--impair: item '{item}' is not key=value (presets are not supported by this proxy)")
        key, value = (part.strip() for part in item.split("=", 1))
        if key == "loss":
            spec["loss"] = float(value.rstrip("%"))
        elif key == "burst":
            parts = [parse_probability(part, key) for part in value.split("/")]
            if not 2 <= len(parts) <= 4:
                fail(f"--impair: burst={value} (expected p/r[/h[/k]])")
            spec["burst"] = (parts + [1.0, 0.0][len(parts) - 2:])[:4]
        elif key == "delay":
            spec["delay"] = parse_duration_ms(value, key)
        elif key == "jitter":
            spec["jitter"] = parse_duration_ms(value, key)
        elif key == "jitter-dist":
            if value not in ("normal", "pareto"):
                fail(f"--impair: jitter-dist={value} (expected normal or pareto)")
            spec["dist"] = value
        elif key == "reorder":
            spec["reorder"] = value == "on"
        elif key == "dup":
            spec["dup"] = float(value.rstrip("%"))
        elif key == "stall":
            duration, _, period = value.partition("/")
            spec["stall"] = (parse_duration_ms(duration, key), parse_duration_ms(period, key))
        elif key == "skew":
            spec["skew"] = float(value[:-3] if value.endswith("ppm") else value)
        elif key == "seed":
            spec["seed"] = int(value)
        else:
            fail(f"--impair: unknown key '{key}' in '{item}'")
    return spec


class Model:
    """ImpairmentModel.fate(ofPacketSentAt:) with times in ns."""

    PARETO_SHAPE = 2.5

    def __init__(self, spec, stream=0):
        self.spec = spec
        base = stream * 8
        seed = spec["seed"]
        self.loss_random, self.burst_random, self.jitter_random = (Random(seed, base + i) for i in range(3))
        self.dup_random, self.dup_jitter_random = Random(seed, base + 3), Random(seed, base + 4)
        self.bad = False
        self.origin = None
        self.latest = None
        self.counters = {"packets": 0, "lost": 0, "duplicated": 0}

    def _jitter(self, random):
        uniform = random.unit_open()
        jitter = self.spec["jitter"]
        if jitter <= 0:
            return 0
        if self.spec["dist"] == "normal":
            return round(jitter * inverse_normal_cdf(uniform) * 1e6)
        scale = jitter * (self.PARETO_SHAPE - 1)
        extra = scale * (math.exp(-math.log(uniform) / self.PARETO_SHAPE) - 1)
        return round(min(extra, 100 * jitter) * 1e6)

    def _burst(self):
        loss_draw, transition_draw = self.burst_random.unit(), self.burst_random.unit()
        burst = self.spec["burst"]
        if burst is None:
            return False
        p, r, h, k = burst
        lost = loss_draw < (h if self.bad else k)
        if self.bad:
            if transition_draw < r:
                self.bad = False
        elif transition_draw < p:
            self.bad = True
        return lost

    def _departure(self, sent):
        elapsed = sent - self.origin
        if self.spec["skew"]:
            elapsed += round(elapsed * self.spec["skew"] / 1e6)
        if self.spec["stall"]:
            duration, period = (round(v * 1e6) for v in self.spec["stall"])
            if elapsed >= period:
                window = elapsed - elapsed % period
                if elapsed - window < duration:
                    elapsed = window + duration
        return self.origin + elapsed

    def _arrival(self, departure, jitter):
        arrival = departure + max(0, round(self.spec["delay"] * 1e6) + jitter)
        if not self.spec["reorder"] and self.latest is not None and arrival < self.latest:
            arrival = self.latest
        return arrival

    def fate(self, sent):
        """Arrival instants (ns, possibly none) of the packet sent at `sent` ns."""
        if self.origin is None:
            self.origin = sent
        self.counters["packets"] += 1
        random_loss = self.loss_random.unit() < self.spec["loss"] / 100
        burst_loss = self._burst()
        jitter = self._jitter(self.jitter_random)
        duplicate = self.dup_random.unit() < self.spec["dup"] / 100
        dup_jitter = self._jitter(self.dup_jitter_random)
        if random_loss or burst_loss:
            self.counters["lost"] += 1
            return []
        departure = self._departure(sent)
        first = self._arrival(departure, jitter)
        if not duplicate:
            self.latest = first
            return [first]
        self.counters["duplicated"] += 1
        second = self._arrival(departure, dup_jitter)
        first, second = min(first, second), max(first, second)
        self.latest = second
        return [first, second]


def parse_address(text):
    host, _, port = text.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        fail(f"address '{text}' is not HOST:PORT")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to receive on")
    parser.add_argument("--forward", required=True, help="HOST:PORT to forward to")
    parser.add_argument("--impair", required=True, help="impairment spec (hopline loopback --help)")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop after this long (default 600)")
    args = parser.parse_args()
    model = Model(parse_spec(args.impair))
    listen, forward = parse_address(args.listen), parse_address(args.forward)

    inbound = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    inbound.bind(listen)
    outbound = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    outbound.bind(("127.0.0.1", 0))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    queue, order, last_sender = [], 0, None
    deadline = time.monotonic() + args.max_seconds
    forwarded = 0
    while not stop and time.monotonic() < deadline:
        now = time.monotonic_ns()
        while queue and queue[0][0] <= now:
            _, _, payload = heapq.heappop(queue)
            outbound.sendto(payload, forward)
            forwarded += 1
        timeout = 0.05 if not queue else max(0.0, (queue[0][0] - time.monotonic_ns()) / 1e9)
        try:
            ready, _, _ = select.select([inbound, outbound], [], [], min(timeout, 0.05))
        except InterruptedError:
            continue
        for sock in ready:
            payload, sender = sock.recvfrom(65536)
            if sock is inbound:
                last_sender = sender
                for arrival in model.fate(time.monotonic_ns()):
                    order += 1
                    heapq.heappush(queue, (arrival, order, payload))
            elif last_sender is not None:
                inbound.sendto(payload, last_sender)
    print(json.dumps({**model.counters, "forwarded": forwarded}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
