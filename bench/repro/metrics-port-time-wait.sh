#!/bin/bash
# Repro (found by make bench-failover): after one scrape of a relay's --metrics endpoint, a relay restarted within ~60 s
# on the same metrics address fails with "HOST:PORT is already in use" (the TCP listener does not set SO_REUSEADDR; the
# scrape left the server side in TIME-WAIT), and the message does not say it is the metrics port, not the relay's.
# Seen with relay-server at 5ebd254; no longer reproduces after merging main f513690 (the restart works): kept as a
# regression check. Runs in a private network namespace (unshare --net). Usage (root): bench/repro/metrics-port-time-wait.sh
set -u
H=$(realpath "${HOPLINE:-.build-failover/release/hopline}")
[ "${IN_NS:-}" = 1 ] || exec env IN_NS=1 HOPLINE="$H" unshare --net -- "$0" "$@"
ip link set lo up
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
"$H" relay --listen 127.0.0.1:5001 --no-status --metrics 127.0.0.1:9001 --identity "$D/r.id" > /dev/null 2>&1 &
sleep 0.5
python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:9001/metrics").read()'
kill %1; wait
ss -tan | grep 9001 | sed 's/^/ss: /'
echo "restart on another relay port, same metrics port:"
timeout 3 "$H" relay --listen 127.0.0.1:5011 --no-status --metrics 127.0.0.1:9001 --identity "$D/r.id" 2>&1 | head -2
