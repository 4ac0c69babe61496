#!/usr/bin/env bash
# A sharded run on one machine: a coordinator and N shard processes (default 8) at a combined
# fixed rate against nginx on loopback. Prints the server-counted requests against the
# schedule, the measured start skew and the coordinator's merge cost per second of run.
# Usage: benches/shards.sh [shards, default 8] [combined rate/s, default 2000] [seconds, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
SHARDS=${1:-8}
RATE=${2:-2000}
SECS=${3:-20}

command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
cargo build --release --quiet
PD=target/release/proofdeck

work=$(mktemp -d)
mkdir -p "$work/html" "$work/logs"
printf 'hello world' > "$work/html/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 8192; }
http {
    access_log $work/logs/access.log;
    server {
        listen 127.0.0.1:18090;
        root $work/html;
        location = /metrics { access_log off; return 404; }
    }
}
CONF
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true' EXIT
sleep 0.5

plan=(--rate "$RATE" --duration "${SECS}s" --path /index.html --no-tui --max-inflight 10000)
"$PD" coordinate --shards "$SHARDS" --listen 127.0.0.1:0 --target http://127.0.0.1:18090 \
    --report-dir "$work/coordinator" "${plan[@]}" >"$work/coordinator.out" 2>"$work/coordinator.err" &
coord=$!
for _ in $(seq 50); do grep -q "listening on" "$work/coordinator.err" && break; sleep 0.1; done
addr=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/coordinator.err" | awk '{print $3}')
for i in $(seq 0 $((SHARDS - 1))); do
    "$PD" run --shard "$i/$SHARDS" --coordinator "$addr" --report-dir "$work/shard-$i" "${plan[@]}" \
        >/dev/null 2>&1 &
done
wait $coord || true
wait || true

python3 - "$work" "$RATE" "$SECS" "$SHARDS" <<'PY'
import json, sys
work, rate, secs, shards = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
served = sum(1 for l in open(f"{work}/logs/access.log") if "GET /index.html" in l)
r = json.load(open(f"{work}/coordinator/report.json"))
d = r["distribution"]
planned = int(rate * secs)
print(f"shards {shards}, combined {rate:.0f}/s for {secs:.0f} s: schedule {planned}, "
      f"server counted {served} ({(served - planned) / planned * 100:+.3f} %), "
      f"coordinator counted {r['totals']['requests']}")
print(f"start skew {d['start_skew_ms']:.3f} ms (clock offsets ±{d['clock_uncertainty_ms']:.3f} ms), "
      f"merge {d['merge_us_per_s']:.0f} µs per second of run "
      f"({d['merge_us_per_s'] / 1e4:.3f} % of a core), p99 {r['tools'][0]['latency']['p99_ms']:.2f} ms")
PY
