#!/usr/bin/env python3
"""CPU per call process: Hopline against baresip (issue 10's target: a `hopline` call process costs no more than
a `baresip` one in the same run). Each round runs, in turn (the order rotates from round to round):

- a Hopline call on 127.0.0.1: `hopline listen --auto-answer --play A --record X` and `hopline call
  ID@127.0.0.1:PORT --play B --record Y --duration SECONDS`, both with a private `--identity` and `--no-status`
  (with --baseline, the same again with another build, e.g. main's);
- a baresip call (Debian's baresip-core 1.0): two instances, each with a private config directory (`-f DIR`),
  Opus at the same bitrate, frame size and complexity, `aufile` sending the same WAVs, `sndfile` recording,
  a direct SIP call to 127.0.0.1, auto-answered, hung up (SIGTERM of the caller, which sends BYE) SECONDS after
  "Call established";
- with --baresip-srtp (default on), the same baresip call with SDES-SRTP required on both ends (Hopline always
  encrypts its media with SRTP).

Each process's CPU time (user + system, all threads, start to exit) comes from os.wait4's rusage. The table
gives the median and range per process for each system, the ratio to baresip, and the same per second of audio
the process recorded (the WAV it wrote). Standard library only; every process it starts is stopped on exit.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave

# Both sides: Opus 32 kbit/s mono, 20 ms frames, complexity 9, in-band FEC planned for 5 % loss, no DTX (Hopline's
# defaults, config/hopline.toml); baresip is told the same below.
OPUS_BITRATE = 32000
OPUS_COMPLEXITY = 9
OPUS_LOSS_PERCENT = 5


def free_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def wait_for(log_path, pattern, timeout, process=None):
    """The first match of `pattern` in the log file, waiting up to `timeout` seconds (None if the process died)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log_path, errors="replace") as log:
            match = re.search(pattern, log.read())
        if match:
            return match
        if process is not None and process.poll() is not None:
            return None
        time.sleep(0.02)
    return None


def reap(process):
    """Waits for `process` and returns its CPU seconds (user + system, all threads) from wait4's rusage."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def wav_seconds(path):
    try:
        with wave.open(path) as audio:
            return audio.getnframes() / audio.getframerate()
    except (FileNotFoundError, wave.Error, EOFError):
        return 0.0


class Processes:
    """Every process started, so an error or Ctrl-C leaves none behind."""

    def __init__(self):
        self.running = []

    def start(self, argv, log_path, **kwargs):
        log = open(log_path, "w")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)
        log.close()
        self.running.append(process)
        return process

    def stop_all(self):
        for process in self.running:
            if process.returncode is None and process.poll() is None:
                process.kill()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass


def hopline_call(processes, binary, work, inputs, seconds, first_audio):
    """One Hopline call; returns [(role, cpu seconds, recorded seconds)] for the listener and the caller, and adds
    each side's "first audio played" delay (ms) to `first_audio`."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    listener_log = os.path.join(work, "listener.log")
    listener = processes.start([
        binary, "listen", "--identity", os.path.join(work, "l.id"), "--bind", "127.0.0.1:0", "--auto-answer",
        "--play", inputs[0], "--record", os.path.join(work, "listener.wav"), "--no-status"], listener_log)
    ready = wait_for(listener_log, r"listening on 127\.0\.0\.1:(\d+) as (hl-[a-z0-9-]+)", 30, listener)
    if not ready:
        raise SystemExit(f"{binary} listen did not start:\n" + open(listener_log).read())
    caller_log = os.path.join(work, "caller.log")
    caller = processes.start([
        binary, "call", f"{ready.group(2)}@127.0.0.1:{ready.group(1)}", "--identity", os.path.join(work, "c.id"),
        "--play", inputs[1], "--record", os.path.join(work, "caller.wav"), "--duration", str(seconds),
        "--no-status"], caller_log)
    caller_cpu = reap(caller)
    if caller.returncode != 0:
        raise SystemExit(f"{binary} call failed ({caller.returncode}):\n" + open(caller_log).read())
    if not wait_for(listener_log, r"recorded [0-9.]+ s to", 30, listener):
        raise SystemExit(f"{binary} listen did not finish its recording:\n" + open(listener_log).read())
    listener.send_signal(signal.SIGTERM)
    listener_cpu = reap(listener)
    first_audio.extend(float(value) for log in (listener_log, caller_log)
                       for value in re.findall(r"first audio played ([0-9.]+) ms", open(log).read()))
    return [("listener", listener_cpu, wav_seconds(os.path.join(work, "listener.wav"))),
            ("caller", caller_cpu, wav_seconds(os.path.join(work, "caller.wav")))]


BARESIP_CONFIG = """\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{sip_port}
call_max_calls\t\t1
audio_source\t\taufile,{source}
audio_player\t\taubridge,discard-{name}
audio_alert\t\taubridge,discard-{name}
ausrc_srate\t\t48000
auplay_srate\t\t48000
ausrc_channels\t\t1
auplay_channels\t\t1
audio_level\t\tno
rtcp_mux\t\tyes
rtp_stats\t\tno
module_path\t\t{module_path}
module\t\t\topus.so
module\t\t\taufile.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
{srtp_module}
module_tmp\t\taccount.so
module_app\t\tmenu.so
statmode_default\toff
ringback_disabled\tyes
opus_bitrate\t\t{bitrate}
opus_stereo\t\tno
opus_sprop_stereo\tno
opus_complexity\t\t{complexity}
opus_application\tvoip
opus_inbandfec\t\tyes
opus_packet_loss\t{loss}
opus_dtx\t\tno
snd_path\t\t{record_dir}
"""


def baresip_instance(work, name, source, sip_port, srtp, module_path):
    directory = os.path.join(work, name)
    record_dir = os.path.join(directory, "rec")
    os.makedirs(record_dir)
    with open(os.path.join(directory, "config"), "w") as config:
        config.write(BARESIP_CONFIG.format(
            sip_port=sip_port, source=source, name=name, module_path=module_path,
            srtp_module="module\t\t\tsrtp.so" if srtp else "", bitrate=OPUS_BITRATE, complexity=OPUS_COMPLEXITY,
            loss=OPUS_LOSS_PERCENT, record_dir=record_dir))
    with open(os.path.join(directory, "accounts"), "w") as accounts:
        accounts.write(f"<sip:{name}@127.0.0.1:{sip_port}>;regint=0;answermode=auto;ptime=20"
                       + (";mediaenc=srtp-mand" if srtp else "") + "\n")
    return directory, record_dir


def recorded_seconds(record_dir):
    """The decoded (received) audio sndfile dumped."""
    files = [name for name in os.listdir(record_dir) if name.endswith("-dec.wav")]
    return sum(wav_seconds(os.path.join(record_dir, name)) for name in files)


def baresip_call(processes, binary, work, inputs, seconds, srtp, module_path):
    """One baresip call; returns [(role, cpu seconds, recorded seconds)] for the callee and the caller."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    callee_port, caller_port = free_port(), free_port()
    callee_dir, callee_rec = baresip_instance(work, "callee", inputs[0], callee_port, srtp, module_path)
    caller_dir, caller_rec = baresip_instance(work, "caller", inputs[1], caller_port, srtp, module_path)
    callee_log = os.path.join(work, "callee.log")
    callee = processes.start([binary, "-f", callee_dir], callee_log)
    if not wait_for(callee_log, r"baresip is ready", 30, callee):
        raise SystemExit("baresip (callee) did not start:\n" + open(callee_log).read())
    caller_log = os.path.join(work, "caller.log")
    caller = processes.start([binary, "-f", caller_dir, "-e", f"/dial sip:callee@127.0.0.1:{callee_port}"], caller_log)
    if not wait_for(caller_log, r"Call established", 30, caller):
        raise SystemExit("baresip (caller) did not connect:\n" + open(caller_log).read())
    time.sleep(seconds)
    caller.send_signal(signal.SIGTERM)  # baresip hangs up (BYE) and exits
    caller_cpu = reap(caller)
    wait_for(callee_log, r"terminated", 10, callee)
    callee.send_signal(signal.SIGTERM)
    callee_cpu = reap(callee)
    suite = None
    if srtp:
        match = re.search(r"SRTP is Enabled \(cryptosuite=([A-Za-z0-9_]+)\)", open(caller_log).read())
        if not match:
            raise SystemExit("baresip did not report SRTP as enabled:\n" + open(caller_log).read())
        suite = match.group(1)
    return [("callee", callee_cpu, recorded_seconds(callee_rec)),
            ("caller", caller_cpu, recorded_seconds(caller_rec))], suite


def join_wavs(out_path, paths):
    """Two sentences back to back (48 kHz mono 16-bit, as aufile needs), so both systems send speech the whole call."""
    frames = b""
    for path in paths:
        with wave.open(path) as audio:
            if (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) != (48000, 1, 2):
                raise SystemExit(f"{path}: expected 48 kHz mono 16-bit")
            frames += audio.readframes(audio.getnframes())
    with wave.open(out_path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(frames)


def summary(values):
    return f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hopline", required=True, help="the hopline build to measure (release)")
    parser.add_argument("--baseline", help="another hopline build measured in the same run (e.g. main's)")
    parser.add_argument("--also", action="append", default=[], metavar="LABEL=PATH",
                        help="one more hopline build to measure in the same run (repeatable)")
    parser.add_argument("--baresip", default="baresip")
    parser.add_argument("--baresip-modules", default="/usr/lib/baresip/modules")
    parser.add_argument("--no-baresip-srtp", action="store_true", help="skip the baresip call with SDES-SRTP")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--speech", default="../shared/speech", help="directory with s01_48k.wav ... s04_48k.wav")
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    if shutil.which(args.baresip) is None:
        raise SystemExit(f"{args.baresip} not found (Debian: apt-get install baresip-core)")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hopline-cpu-")
    inputs = [os.path.join(work, "a.wav"), os.path.join(work, "b.wav")]
    join_wavs(inputs[0], [os.path.join(args.speech, "s01_48k.wav"), os.path.join(args.speech, "s02_48k.wav")])
    join_wavs(inputs[1], [os.path.join(args.speech, "s03_48k.wav"), os.path.join(args.speech, "s04_48k.wav")])

    builds = [("hopline (this build)", args.hopline)] + ([("hopline (baseline)", args.baseline)] if args.baseline else [])
    for extra in args.also:
        label, _, path = extra.partition("=")
        if not path:
            raise SystemExit(f"--also {extra}: expected LABEL=PATH")
        builds.append((f"hopline ({label})", path))
    first_audio = {name: [] for name, _ in builds}
    systems = [(name, lambda w, name=name, path=path: (
        hopline_call(processes, path, w, inputs, args.seconds, first_audio[name]), None)) for name, path in builds]
    systems.append(("baresip", lambda w: baresip_call(processes, args.baresip, w, inputs, args.seconds, False, args.baresip_modules)))
    if not args.no_baresip_srtp:
        systems.append(("baresip + SRTP", lambda w: baresip_call(processes, args.baresip, w, inputs, args.seconds, True, args.baresip_modules)))

    processes = Processes()
    results = {name: [] for name, _ in systems}
    suites = set()
    try:
        for round_index in range(args.rounds):
            turn = systems[round_index % len(systems):] + systems[:round_index % len(systems)]
            for name, run in turn:
                rows, suite = run(os.path.join(work, "call"))
                if suite:
                    suites.add(suite)
                results[name].extend(rows)
                print(f"round {round_index + 1}/{args.rounds} {name}: " + ", ".join(
                    f"{role} {cpu:.3f} s CPU / {audio:.1f} s audio" for role, cpu, audio in rows), file=sys.stderr, flush=True)
    finally:
        processes.stop_all()
        shutil.rmtree(work, ignore_errors=True)

    reference = [cpu for _, cpu, _ in results["baresip"]]
    reference_per_second = [cpu / audio for _, cpu, audio in results["baresip"] if audio > 0]
    lines = [
        f"CPU per call process, {args.rounds} rounds of a {args.seconds:g} s call with files on both ends "
        f"(2 processes per call; median (min-max))",
        "",
        "| system | processes | CPU per process | vs baresip | CPU per second of audio | vs baresip |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, _ in systems:
        cpus = [cpu for _, cpu, _ in results[name]]
        per_second = [cpu / audio for _, cpu, audio in results[name] if audio > 0]
        ratio = statistics.median(cpus) / statistics.median(reference)
        ratio_per_second = statistics.median(per_second) / statistics.median(reference_per_second) if per_second else 0
        lines.append(f"| {name} | {len(cpus)} | {summary(cpus)} | {ratio:.2f}x | "
                     f"{statistics.median(per_second) * 1000:.1f} ms/s ({min(per_second) * 1000:.1f}-"
                     f"{max(per_second) * 1000:.1f}) | {ratio_per_second:.2f}x |")
    for side, (hopline_role, baresip_role) in (("answering side (hopline listen, baresip callee)", ("listener", "callee")),
                                               ("calling side", ("caller", "caller"))):
        parts = []
        for name, _ in systems:
            role = hopline_role if name.startswith("hopline") else baresip_role
            cpus = [cpu for r, cpu, _ in results[name] if r == role]
            parts.append(f"{name} {statistics.median(cpus):.3f} s")
        lines.append("")
        lines.append(f"{side}, median per process: " + ", ".join(parts))
    lines.append("")
    lines.append("First audio played after the call started (both sides), median (min-max): " + ", ".join(
        f"{name} {statistics.median(values):.1f} ms ({min(values):.1f}-{max(values):.1f})"
        for name, values in first_audio.items() if values))
    lines.append("")
    lines.append("Both: Opus 32 kbit/s mono, 20 ms frames, complexity 9, in-band FEC planned for 5 % loss, no DTX, "
                 "48 kHz, files in and out. Hopline: SRTP (AEAD_AES_128_GCM), RTCP, adaptive jitter buffer, "
                 "streamed recording. baresip 1.0: aufile source, sndfile recording (both directions), aubridge "
                 "player without a reader (nothing paced pulls the decoded audio), jitter buffer 5-10 frames; "
                 + ("without SRTP, and with SDES-SRTP (" + ", ".join(sorted(suites)) + ")." if suites else "without SRTP."))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "cpu_compare.md"), "w") as report:
        report.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
