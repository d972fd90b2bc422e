#!/usr/bin/env python3
"""Unit tests of bench-quality's own logic: the stand-in proxy's impairment model, the GStreamer and real-call
delay arithmetic, the parsing of hopline's output, the block alignment, the per-sentence scoring and the
target verdicts (issue 3's and issue 10's). Run with the bench venv:

    bench/out/venv/bin/python -m unittest bench/test_quality_matrix.py -v

Traffic goes to 127.0.0.1 only; every wait is bounded.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import impair_proxy  # noqa: E402
import quality_compare  # noqa: E402
import quality_matrix as qm  # noqa: E402
import real_call  # noqa: E402

np = qm.np


class ProxyModelTests(unittest.TestCase):
    def lost(self, spec, packets=375):
        model = impair_proxy.Model(impair_proxy.parse_spec(spec))
        return [n for n in range(packets) if not model.fate(n * 20_000_000)]

    def test_same_packets_lost_as_hopline(self):
        # Measured with `hopline loopback --fast --impair SPEC` on s01_48k.wav (375 packets): network.dropped
        # was 35 for loss=10%,seed=1 and 23 for burst=0.05/0.5,seed=1. A different generator, seeding or draw
        # order would give other counts.
        self.assertEqual(len(self.lost("loss=10%,seed=1")), 35)
        self.assertEqual(len(self.lost("burst=0.05/0.5,seed=1")), 23)

    def test_loss_does_not_depend_on_jitter(self):
        # Every effect draws from its own stream: adding jitter must not change which packets are lost.
        self.assertEqual(self.lost("loss=10%,seed=4"), self.lost("loss=10%,delay=90ms,jitter=30ms,seed=4"))

    def test_stall_holds_packets_to_the_end_of_the_window(self):
        model = impair_proxy.Model(impair_proxy.parse_spec("stall=300ms/5s"))
        arrivals = [model.fate(n * 20_000_000) for n in range(400)]
        self.assertEqual(arrivals[250], [5_300_000_000])  # sent at 5.0 s, inside the window: leaves at 5.3 s
        self.assertEqual(arrivals[265], [5_300_000_000])  # sent at 5.3 s: the window has just ended
        self.assertEqual(arrivals[266], [5_320_000_000])

    def test_bad_spec_is_refused_with_the_item(self):
        with self.assertRaises(SystemExit):
            impair_proxy.parse_spec("loss=5%,wobble=3")


class ProxyProcessTests(unittest.TestCase):
    def test_forwards_after_the_delay(self):
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(2.0)
        listen = qm.free_udp_port()
        proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "impair_proxy.py"), "--listen",
                                  f"127.0.0.1:{listen}", "--forward", f"127.0.0.1:{receiver.getsockname()[1]}",
                                  "--impair", "delay=50ms", "--max-seconds", "20"], stdout=subprocess.DEVNULL)
        try:
            self.assertTrue(qm.wait_until_bound(listen, proxy), "proxy did not bind")
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            delays = []
            for n in range(10):
                sent = time.monotonic()
                sender.sendto(bytes([n]), ("127.0.0.1", listen))
                data, _ = receiver.recvfrom(100)
                delays.append(time.monotonic() - sent)
                self.assertEqual(data, bytes([n]))
            # 50 ms of model delay; the proxy's own loop adds well under 10 ms on an idle machine.
            self.assertGreaterEqual(min(delays), 0.049)
            self.assertLess(float(np.median(delays)), 0.080)
            sender.close()
        finally:
            receiver.close()
            proxy.terminate()
            proxy.wait(5)


class DelayArithmeticTests(unittest.TestCase):
    def test_gstreamer_delay_is_frame_plus_lookahead_plus_latency(self):
        # A sender pacing packet n at base + n x 20 ms - 6.5 ms (GStreamer's opusenc shifts PTS by the
        # look-ahead), a receiver playing output sample o at base_rx + PTS + 40 ms latency where the PTS is
        # the packet's arrival; the decoded stream holds input sample o - 312 (look-ahead) at sample o.
        base_tx, base_rx = 10_000_000_000, 10_000_000_000
        sent = [[0, n, 0, max(0, n * 20_000_000 - 6_500_000)] for n in range(100)]
        rendered = []
        for n in range(100):
            arrival_pts = n * 20_000_000 + 1_000_000  # 1 ms of network, relative to base_rx
            rendered.append([0, n * 960, 960, arrival_pts - 6_500_000])
        timing = {"base_time_ns": {"sender": base_tx, "receiver": base_rx}, "sent": sent,
                  "rendered": rendered, "receiver_latency_ms": 40.0}
        result = qm.gstreamer_delay(timing)
        qm.finish_gstreamer_delay(result, [(c, 6.5) for c in range(0, 32000, 4000)], 96_000)
        # 20 ms frame + 6.5 ms look-ahead + 1 ms network + 40 ms latency.
        self.assertAlmostEqual(result["e2e_mean_ms"], 67.5, delta=0.1)

    def test_block_lags_follow_a_delay_change(self):
        rng = np.random.default_rng(3)
        reference = np.concatenate([rng.normal(0, 0.3, 8000) if k % 2 == 0 else np.zeros(4000) for k in range(12)])
        first, second = int(0.120 * 16000), int(0.420 * 16000)
        half = len(reference) // 2
        degraded = np.concatenate([np.zeros(first), reference[:half], np.zeros(second - first), reference[half:]])
        lags = qm.block_lags(reference, degraded)
        early = [lag for centre, lag in lags if centre < half * 0.8]
        late = [lag for centre, lag in lags if centre > half * 1.3]
        self.assertTrue(early and late, lags)
        self.assertAlmostEqual(float(np.median(early)), 120.0, delta=0.5)
        self.assertAlmostEqual(float(np.median(late)), 420.0, delta=0.5)


class VerdictTests(unittest.TestCase):
    def test_a_missed_target_fails(self):
        hopline = {"pesq_median": 3.5, "pesq_median_gst_files": 3.5, "e2e_mean_ms": 50.0, "e2e_p95_ms": 50.0,
                   "fec_recovered_pct": 0.0, "concealed_pct": 0.0, "late_loss_pct": 0.0}
        summary = {"clean": {"hopline": hopline, "bare_codec_pesq_median": 3.5, "gstreamer_best": None,
                             "gstreamer_best_plc": None, "gstreamer_lowest_delay": None}}
        rows = {row["target"]: row["result"] for row in qm.targets(summary, None)}
        self.assertEqual(rows["clean: PESQ within 0.05 of the bare codec"], "PASS")
        self.assertEqual(rows["clean: mean end-to-end delay"], "FAIL")  # 50 ms > 45 ms
        self.assertEqual(rows["loss10: PESQ >= GStreamer best"], "n/a")


class RealCallTests(unittest.TestCase):
    def test_parses_the_listen_and_impair_lines(self):
        self.assertEqual(real_call.node_address("[ 0.004 s] listening on 127.0.0.1:40123 as hl-abcd-ef12-3456\n"),
                         (40123, "hl-abcd-ef12-3456"))
        self.assertIsNone(real_call.node_address("created a new identity: node ID hl-abcd\n"))
        self.assertEqual(real_call.proxy_port("listening on 127.0.0.1:51000, forwarding to 127.0.0.1:40123 from "
                                              "0.0.0.0:51001\n"), 51000)

    def test_reads_stats_lines_and_skips_a_cut_one(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            handle.write(json.dumps({"state": "active", "sendStartMonotonicS": 100.5, "framesConcealed": 3}) + "\n")
            handle.write(json.dumps({"state": "active", "sendStartMonotonicS": None, "framesConcealed": 7}) + "\n")
            handle.write('{"state": "act')  # the process ended mid-line
        try:
            lines = real_call.read_stats(handle.name)
            self.assertEqual(len(lines), 2)
            self.assertEqual(real_call.last_value(lines, "sendStartMonotonicS"), 100.5)
            self.assertEqual(real_call.last_value(lines, "framesConcealed"), 7)
            self.assertIsNone(real_call.last_value(lines, "rttMs"))
        finally:
            os.remove(handle.name)
        self.assertEqual(real_call.read_stats("/nonexistent/stats.jsonl"), [])

    def test_call_delay_is_playout_minus_capture_plus_lag(self):
        # The caller's first frame left at S = 1000.000 s, so input sample 0 was captured at S - 20 ms; the
        # callee's recording sample 0 left at P = 999.990 s (its session started before the first packet). A
        # recording lagging the source by 60 ms plays input sample i at P + (i + 60 ms): delay = P - S + 20 + 60.
        delays = real_call.call_delays(1000.000, 999.990, [(8000, 60.0), (16000, 80.0)])
        self.assertAlmostEqual(delays[0], 70.0, places=6)
        self.assertAlmostEqual(delays[1], 90.0, places=6)
        result = {"send_start_s": 1000.000, "playout_start_s": 999.990, "lag_ms": 60.0}
        qm.finish_call_delay(result, [(c, 60.0 + (10.0 if c >= 40000 else 0.0)) for c in range(0, 80000, 8000)])
        self.assertAlmostEqual(result["e2e_mean_ms"], 75.0, places=6)
        self.assertAlmostEqual(result["e2e_p95_ms"], 80.0, places=6)
        fallback = {"send_start_s": 5.0, "playout_start_s": 5.1, "lag_ms": 30.0}
        qm.finish_call_delay(fallback, [])  # no aligned block: the whole-file lag stands in
        self.assertAlmostEqual(fallback["e2e_mean_ms"], 150.0, places=6)
        missing = {"send_start_s": None, "playout_start_s": 5.0}
        qm.finish_call_delay(missing, [(0, 1.0)])
        self.assertIsNone(missing["e2e_mean_ms"])


class SegmentScoreTests(unittest.TestCase):
    def test_each_sentence_is_scored_on_the_whole_files_alignment(self):
        speech = os.path.join(HERE, "../../shared/speech/s02_48k.wav")
        if not os.path.exists(speech):
            self.skipTest(f"{speech} is missing")
        with wave.open(speech) as source:
            rate, frames = source.getframerate(), source.readframes(source.getnframes())
        with tempfile.TemporaryDirectory() as folder:
            late = os.path.join(folder, "late.wav")
            with wave.open(late, "wb") as out:  # the same speech 250 ms late, as a recording starts early
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(rate)
                out.writeframes(bytes(2 * rate // 4) + frames)
            result = qm.score(speech, late, max_lag_ms=1500, segments=[(0.0, 3.6), (3.6, 7.3)])
        self.assertAlmostEqual(result["lag_ms"], 250.0, delta=0.1)
        self.assertEqual(len(result["segments"]), 2)
        for value in result["segments"]:
            self.assertGreater(value, 4.4)  # identical speech once aligned: PESQ-WB's ceiling is 4.64
        self.assertEqual(result["pesq_segments"], float(np.median(result["segments"])))


class CompareTests(unittest.TestCase):
    def runs(self, pesq, delay, files=("s01", "s02")):
        return [{"file": f, "pesq": pesq, "pesq_segments": pesq, "pesq_whole": pesq - 0.2, "e2e_mean_ms": delay,
                 "e2e_p95_ms": delay + 10} for f in files]

    def gst(self, table, files=("s01", "s02")):
        return [{"file": f, "latency": latency, "fec": fec, "pesq": pesq, "pesq_segments": pesq,
                 "pesq_whole": pesq - 0.1, "e2e_mean_ms": delay, "e2e_p95_ms": delay, "delay_reliable": True}
                for (latency, fec), (pesq, delay) in table.items() for f in files]

    def test_targets_of_issue_10(self):
        conditions = ["clean", "burst", "jitter60+loss5"]
        lab = {"8s": {"clean": self.runs(4.02, 38) + self.runs(1.0, 38, ("s07",)), "burst": self.runs(3.0, 60),
                      "jitter60+loss5": self.runs(3.4, 250)}}
        calls = {"8s": {"clean": self.runs(3.90, 40), "burst": self.runs(3.30, 90),
                        "jitter60+loss5": self.runs(3.50, 270)}}
        table = {(40, False): (2.61, 87), (100, True): (3.24, 208), (200, True): (3.24, 328)}
        jitter = {(200, False): (2.60, 270), (200, True): (3.55, 390)}
        gst = {"8s": {"clean": self.gst({(40, False): (4.0, 67)}), "burst": self.gst(table),
                      "jitter60+loss5": self.gst(jitter)}}
        summary = quality_compare.summarise(lab, calls, gst, {"s01", "s02"}, conditions)
        # s07 is not a GStreamer file: it does not count in the 8 s set (the lab's median stays 4.02).
        self.assertEqual(summary["clean"]["8s"]["lab"]["pesq"], 4.02)
        self.assertEqual(summary["burst"]["8s"]["gst_fec"]["setting"], "L100+fec")  # the tie goes to less delay
        self.assertEqual(summary["burst"]["8s"]["gst_plc"]["setting"], "L40")
        rows = {r["target"]: r["result"] for r in quality_compare.targets(summary)}
        self.assertEqual(rows["burst, 8 s files: call PESQ >= GStreamer FEC + 0.05"], "PASS")  # 3.30 >= 3.29
        self.assertEqual(rows["burst, 8 s files: call delay <= half of GStreamer FEC's"], "PASS")  # 90 <= 104
        self.assertEqual(rows["jitter60+loss5, 8 s files: call PESQ >= GStreamer FEC"], "FAIL")  # 3.50 < 3.55
        self.assertEqual(rows["jitter60+loss5, 8 s files: call delay <= 2/3 of GStreamer FEC's"], "FAIL")  # 270 > 260
        self.assertEqual(rows["clean, 8 s files: call within 0.1 of the lab (same seed)"], "FAIL")  # -0.12
        self.assertNotIn("loss3, 8 s files: call within 0.1 of the lab (same seed)", rows)  # not run: no row
        text = quality_compare.markdown(summary, quality_compare.targets(summary), 1, "s01-s04")
        self.assertIn("| burst | 8 s files | 3.00 @ 60 ms | 3.30 @ 90 ms | 2.61 @ 87 ms (L40) | "
                      "3.24 @ 208 ms (L100+fec) |", text)

    def test_joined_set_is_judged_per_sentence_and_shows_the_whole_score(self):
        lab = {"joined": {"clean": [dict(self.runs(4.0, 38)[0], file="joined")]}}
        calls = {"joined": {"clean": [dict(self.runs(3.95, 40)[0], file="joined", pesq=1.0)]}}
        summary = quality_compare.summarise(lab, calls, {"joined": {}}, set(), ["clean"])
        row = summary["clean"]["joined"]
        self.assertEqual(row["call"]["pesq"], 3.95)  # pesq_segments, not the whole-file "pesq"
        self.assertAlmostEqual(row["call_whole"], 3.75)
        verdicts = {r["target"]: r["result"] for r in quality_compare.targets(summary)}
        self.assertEqual(verdicts["clean, joined sentences: call within 0.1 of the lab (same seed)"], "PASS")


if __name__ == "__main__":
    unittest.main()
