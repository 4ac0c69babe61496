#!/usr/bin/env bash
# Side-by-side loopback benchmarks on this machine (the figures in the README come from it):
#   1. closed-loop maximum throughput: proofdeck vs wrk, oha and hey, 32 connections, nginx
#      serving a small file;
#   2. fixed-rate accuracy at 1,000 and 10,000 arrivals/s for 60 s, counted by nginx's access
#      log, with latency percentiles next to oha's `-q` measurement of the same target;
#   3. memory over a compressed soak (millions of requests): proofdeck's RSS sampled every 5 s;
#   4. the bundled gateway's own throughput (closed loop on its proxy route).
# Usage: benches/loadgen.sh [closed-loop seconds, default 10] [soak seconds, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
SOAK=${2:-300}
RATE_SECS=${RATE_SECS:-60}

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need nginx nginx; need wrk wrk; need hey hey
command -v oha >/dev/null || cargo install oha --locked
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
  keepalive_requests 10000000;
  server { listen 127.0.0.1:8089; root $work/html; }
}
CONF
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true' EXIT
URL=http://127.0.0.1:8089/index.html
sleep 0.5

echo "== closed loop, 32 connections, ${SECS}s each, nginx small file"
wrk_rps=$(wrk -t2 -c32 -d"${SECS}s" "$URL" | awk '/Requests\/sec/ {print $2}')
oha_rps=$(oha --no-tui -z "${SECS}s" -c 32 --output-format json "$URL" | python3 benches/summarize.py oha rps)
hey_rps=$(hey -z "${SECS}s" -c 32 "$URL" | awk '/Requests\/sec/ {print $2}')
$PD run --no-tui --target http://127.0.0.1:8089 --path /index.html --connections 32 --duration "${SECS}s" --report-dir "$work/cl" >/dev/null 2>&1 || true
pd_rps=$(python3 benches/summarize.py proofdeck "$work/cl/report.json" rps)
printf '%-22s %10s req/s\n' wrk "$wrk_rps" "oha --no-tui" "$oha_rps" hey "$hey_rps" "proofdeck --connections" "$pd_rps"

echo "== fixed rate, ${RATE_SECS}s, achieved rate counted by nginx"
for rate in 1000 10000; do
  : > "$work/logs/access.log"
  $PD run --no-tui --target http://127.0.0.1:8089 --path /index.html --rate "$rate" --duration "${RATE_SECS}s" --report-dir "$work/rate$rate" >/dev/null 2>&1 || true
  served=$(grep -c "GET /index.html" "$work/logs/access.log" || true)
  expected=$((rate * RATE_SECS))
  pd=$(python3 benches/summarize.py proofdeck "$work/rate$rate/report.json" latency)
  oha_q=$(oha --no-tui -q "$rate" -z "${RATE_SECS}s" -c 64 --output-format json "$URL" | python3 benches/summarize.py oha latency)
  off=$(python3 -c "print(f'{($served - $expected) * 100 / $expected:+.3f}')")
  echo "rate $rate/s: nginx served $served of $expected planned ($off %); proofdeck $pd; oha -q: $oha_q"
done

echo "== memory over a ${SOAK}s soak at 10,000 arrivals/s"
$PD run --no-tui --target http://127.0.0.1:8089 --path /index.html --rate 10000 --duration "${SOAK}s" --report-dir "$work/soak" >/dev/null 2>&1 &
pid=$!
samples=()
# Sample while the load runs (setup and the report at the end are not the soak).
for _ in $(seq 1 $((SOAK / 5))); do
  sleep 5
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || true)
  [ -n "$rss" ] && samples+=("$rss")
done
wait $pid || true
python3 - "${samples[@]}" <<'PY'
import sys
s = [int(x) for x in sys.argv[1:]]
warm = s[min(11, len(s) - 1)]  # one minute in
print(f"RSS at 1 min {warm/1024:.1f} MiB, at the end of the load {s[-1]/1024:.1f} MiB, peak {max(s)/1024:.1f} MiB: growth after warm-up {(s[-1]-warm)*100/warm:+.1f} %")
PY
echo "soak requests $(python3 benches/summarize.py proofdeck "$work/soak/report.json" requests)"

echo "== bundled gateway, closed loop on its proxy route, 32 connections"
$PD gateway --listen 127.0.0.1:3999 --latency-scale 0 --no-rate-limit 2>/dev/null &
sleep 0.5
$PD run benches/gateway.toml --no-tui --target http://127.0.0.1:3999 --connections 32 --duration "${SECS}s" --report-dir "$work/gw" >/dev/null 2>&1 || true
echo "gateway proxy-request: $(python3 benches/summarize.py proofdeck "$work/gw/report.json" gateway)"
