#!/usr/bin/python3
"""One GStreamer RTP/Opus call at real time, sender and receiver in this process, with wall-clock timing.

Run by `quality_matrix.py` with Debian's /usr/bin/python3 (it needs python3-gi and gir1.2-gstreamer-1.0,
which a venv's interpreter may not see). The two pipelines are the reference the issue names:

  sender:   filesrc ! wavparse ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1
            ! opusenc inband-fec=true packet-loss-percentage=P bitrate=B frame-size=20
            ! rtpopuspay ! identity sync=true (paces at real time) ! udpsink  -> --send-port (the proxy)
  receiver: udpsrc port=--recv-port ! rtpjitterbuffer latency=L do-lost=true ! rtpopusdepay
            ! opusdec plc=true use-inband-fec=F ! audioconvert ! S16LE 48 kHz mono
            ! fakesink sync=true processing-deadline=0

The encoder gets Hopline's codec settings (voice, automatic bandwidth, complexity 9, B bit/s, 20 ms) so the
comparison is about transport, buffering and loss handling. do-lost=true makes rtpjitterbuffer announce lost
packets, without which opusdec never conceals or FEC-decodes them (the lost frames would just be missing).
processing-deadline=0 removes basesink's default 20 ms rendering allowance: the lowest delay a GStreamer sink
can be configured for (a real audio sink adds its device buffer on top).

Both use GStreamer's system clock (CLOCK_MONOTONIC). Timing recorded:
- sent: for every RTP packet, [clock time it left `identity sync=true` for udpsink (a pad probe on
  identity's src pad, after its clock wait), RTP sequence number, RTP timestamp, buffer PTS];
- rendered: for every decoded buffer, [clock time the `sync=true` sink rendered it (fakesink's handoff
  runs after the sink's clock wait), samples before it in the output stream, its samples, its PTS]. The
  instant an audio device would play it is the receiver's base time + PTS + the pipeline latency
  ("receiver_latency_ms", from a latency query), all in "base_time_ns" / ns.
The rendered samples, in order, are written to --out (16-bit 48 kHz mono WAV, what wavenc would write).
A JSON summary goes to stdout. Bounded: the call stops at --max-seconds whatever happens.
"""

import argparse
import json
import struct
import sys
import threading
import time
import wave

try:
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import GLib, Gst
except (ImportError, ValueError) as missing:
    print(f"error: {missing} for {sys.executable} (needs Debian's python3-gi and gir1.2-gstreamer-1.0)",
          file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--in", dest="input", required=True, help="speech WAV to send")
    parser.add_argument("--out", required=True, help="WAV to write the received audio to")
    parser.add_argument("--send-port", type=int, required=True, help="UDP port on 127.0.0.1 to send to")
    parser.add_argument("--recv-port", type=int, required=True, help="UDP port on 127.0.0.1 to receive on")
    parser.add_argument("--latency", type=int, required=True, help="rtpjitterbuffer latency, ms")
    parser.add_argument("--fec", action="store_true", help="opusdec use-inband-fec=true")
    parser.add_argument("--loss-percent", type=int, default=0, help="opusenc packet-loss-percentage")
    parser.add_argument("--bitrate", type=int, default=32000, help="opusenc bitrate, bit/s")
    parser.add_argument("--drain-ms", type=int, default=1500, help="how long the receiver runs after the sender's end")
    parser.add_argument("--max-seconds", type=float, default=120, help="hard limit for the whole call")
    args = parser.parse_args()

    Gst.init(None)
    clock = Gst.SystemClock.obtain()
    receiver = Gst.parse_launch(
        f"udpsrc address=127.0.0.1 port={args.recv_port} "
        f"caps=\"application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96\" "
        f"! rtpjitterbuffer latency={args.latency} do-lost=true ! rtpopusdepay "
        f"! opusdec plc=true use-inband-fec={'true' if args.fec else 'false'} "
        f"! audioconvert ! audio/x-raw,format=S16LE,rate=48000,channels=1 "
        f"! fakesink name=sink sync=true processing-deadline=0 signal-handoffs=true")
    sender = Gst.parse_launch(
        f"filesrc location=\"{args.input}\" ! wavparse ! audioconvert ! audioresample "
        f"! audio/x-raw,rate=48000,channels=1 "
        f"! opusenc inband-fec=true packet-loss-percentage={args.loss_percent} bitrate={args.bitrate} "
        f"frame-size=20 audio-type=voice bandwidth=auto complexity=9 ! rtpopuspay pt=96 ! identity name=pace sync=true "
        f"! udpsink host=127.0.0.1 port={args.send_port} sync=false async=false")
    for pipeline in (receiver, sender):
        pipeline.use_clock(clock)

    sent, rendered, chunks, gaps = [], [], [], []
    samples = [0]
    lock = threading.Lock()

    def on_sent(_pad, info):
        buffer = info.get_buffer()
        header = buffer.extract_dup(0, 8)
        sequence, timestamp = struct.unpack("!HI", header[2:8])
        with lock:
            sent.append((clock.get_time(), sequence, timestamp, buffer.pts))
        return Gst.PadProbeReturn.OK

    expected_pts = [None]

    def on_render(_sink, buffer, _pad):
        now = clock.get_time()
        data = buffer.extract_dup(0, buffer.get_size())
        with lock:
            # A hole in the timestamps (nothing decoded for a while) is silence on a real audio sink:
            # write it as silence so the file keeps the timeline.
            if expected_pts[0] is not None and buffer.pts > expected_pts[0] + Gst.MSECOND:
                gap = (buffer.pts - expected_pts[0]) * 48000 // Gst.SECOND
                chunks.append(bytes(2 * gap))
                samples[0] += gap
                gaps.append(gap)
            rendered.append((now, samples[0], len(data) // 2, buffer.pts))
            samples[0] += len(data) // 2
            chunks.append(data)
            expected_pts[0] = buffer.pts + (len(data) // 2) * Gst.SECOND // 48000

    sender.get_by_name("pace").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, on_sent)
    receiver.get_by_name("sink").connect("handoff", on_render)

    loop = GLib.MainLoop()
    errors = []
    state = {"sender_done": None}

    def on_message(_bus, message, name):
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            errors.append(f"{name}: {error.message} ({debug})")
            loop.quit()
        elif message.type == Gst.MessageType.EOS and name == "sender":
            state["sender_done"] = time.monotonic()
            GLib.timeout_add(args.drain_ms, lambda: loop.quit() or False)

    for pipeline, name in ((receiver, "receiver"), (sender, "sender")):
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", on_message, name)
    GLib.timeout_add(int(args.max_seconds * 1000), lambda: (errors.append("timed out") or loop.quit()) and False)

    receiver.set_state(Gst.State.PLAYING)
    receiver.get_state(5 * Gst.SECOND)
    time.sleep(0.1)  # let udpsrc bind before the first packet
    sender.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    finally:
        latency = None
        query = Gst.Query.new_latency()
        if receiver.query(query):
            live, minimum, _ = query.parse_latency()
            latency = minimum / 1e6
        bases = {"sender": sender.get_base_time(), "receiver": receiver.get_base_time()}
        sender.set_state(Gst.State.NULL)
        receiver.set_state(Gst.State.NULL)

    with wave.open(args.out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(48000)
        wav.writeframes(b"".join(chunks))
    json.dump({"base_time_ns": bases, "sent": sent, "rendered": rendered, "receiver_latency_ms": latency, "errors": errors, "gap_samples": sum(gaps), "gaps": len(gaps),
               "samples": samples[0]}, sys.stdout)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
