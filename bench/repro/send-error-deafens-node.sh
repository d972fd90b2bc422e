#!/bin/bash
# Repro (found by make bench-failover): ONE datagram the node cannot send (EPERM: a local nftables OUTPUT rule drops it)
# makes `hopline listen` deaf for good: its socket stops receiving, while the process keeps running and writing stats.
# Runs in a private network namespace (unshare --net), 127.0.0.1 only. Usage (root): bench/repro/send-error-deafens-node.sh
set -u
H=$(realpath "${HOPLINE:-.build-failover/release/hopline}")
TONE=$(realpath "${TONE:-samples/demo-speech-16k.wav}")
[ "${IN_NS:-}" = 1 ] || exec env IN_NS=1 HOPLINE="$H" TONE="$TONE" unshare --net -- "$0" "$@"
ip link set lo up
D=$(mktemp -d); cd "$D"
nft -f - <<NFT
table inet t {
  chain out {
    type filter hook output priority 0; policy accept;
    udp dport 9999 counter drop
  }
}
NFT
"$H" listen --identity e.id --bind 127.0.0.1:5003 --auto-answer --no-status --play "$TONE" --record e.wav --stats e.jsonl > e.log 2>&1 &
sleep 0.5
call() { timeout 20 "$H" call 127.0.0.1:5003 --bind "127.0.0.1:$1" --identity c.id --play "$TONE" --duration 1 --record c.wav --no-status 2>&1 | tail -1; }
echo "1. call from port 9998:                         $(call 9998)"
echo "2. call from port 9999 (replies get EPERM):     $(call 9999)"
echo "3. call from port 9998 again:                   $(call 9998)"
nft list ruleset | grep counter | sed 's/^\s*/   nft: /'
sleep 1.5
python3 - <<'PY'
import json
lines = [json.loads(l) for l in open("e.jsonl")]
for l in lines[-3:]:
    print(f"   listener stats t={l['time']:.1f}s state={l['state']} datagramsReceived={l['datagramsReceived']} datagramsSent={l['datagramsSent']}")
PY
kill %1; wait; rm -rf "$D"
