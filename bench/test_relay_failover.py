"""Unit tests of bench/relay_failover.py's gap detector (no Hopline needed):
bench/out/venv/bin/python -m unittest bench/test_relay_failover.py"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relay_failover as rf  # noqa: E402

np = rf.np
RATE = rf.RATE


class DetectorTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.rng = np.random.default_rng(1)

    def wav(self, samples):
        path = os.path.join(self.dir, "x.wav")
        rf.write_wav(path, samples + self.rng.normal(0, 0.002, len(samples)))
        return path

    def test_clean_tone_has_no_damage(self):
        signal = np.concatenate([np.zeros(1440), rf.tone(rf.TONES_CALLER, 6)])
        result = rf.detect(self.wav(signal), rf.TONES_CALLER)
        self.assertEqual(result["damaged_ms"], 0)
        self.assertGreater(result["steady_purity_median"], 0.99)

    def test_silent_gap_is_counted_to_the_block(self):
        signal = rf.tone(rf.TONES_CALLER, 6)
        start, end = 3 * RATE, 3 * RATE + int(0.2 * RATE)  # 200 ms on block boundaries
        signal[start:end] = 0
        result = rf.detect(self.wav(signal), rf.TONES_CALLER)
        self.assertEqual(result["damaged_ms"], 200)
        self.assertEqual(len(result["events"]), 1)
        self.assertAlmostEqual(result["events"][0]["start_s"], 3.0, places=2)

    def test_phase_jump_inside_a_block_counts_that_block(self):
        signal = rf.tone(rf.TONES_CALLER, 6)
        cut = 3 * RATE + 240  # mid-block: drop 1.25 ms of signal (half a period of 400 Hz)
        signal = np.concatenate([signal[:cut], signal[cut + 60:]])
        result = rf.detect(self.wav(signal), rf.TONES_CALLER)
        self.assertGreaterEqual(result["damaged_ms"], 10)
        self.assertLessEqual(result["damaged_ms"], 20)

    def test_noise_at_the_right_level_is_damage(self):
        signal = rf.tone(rf.TONES_CALLER, 6)
        span = slice(3 * RATE, 3 * RATE + int(0.1 * RATE))
        signal[span] = self.rng.normal(0, rf.TONE_AMPLITUDE, span.stop - span.start)
        result = rf.detect(self.wav(signal), rf.TONES_CALLER)
        self.assertEqual(result["damaged_ms"], 100)

    def test_other_side_tone_is_not_mistaken_for_ours(self):
        result = rf.detect(self.wav(rf.tone(rf.TONES_CALLEE, 6)), rf.TONES_CALLER)
        self.assertIn("error", result)  # our tones never arrived

    def test_analysis_stops_at_until(self):
        signal = rf.tone(rf.TONES_CALLER, 6)
        signal[4 * RATE:] = 0  # the far side hung up at 4 s
        self.assertGreater(rf.detect(self.wav(signal), rf.TONES_CALLER)["damaged_ms"], 1000)
        self.assertEqual(rf.detect(self.wav(signal), rf.TONES_CALLER, until_s=4.0)["damaged_ms"], 0)


if __name__ == "__main__":
    unittest.main()
