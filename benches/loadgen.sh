#!/usr/bin/env bash
# Two figures benches/versus.py does not give (the side-by-side with wrk, oha and h2load is
# there):
#   1. fixed-rate accuracy at 10,000 arrivals/s, counted by nginx's access log, with the
#      latency percentiles of oha's `-q 10000` on the same target;
#   2. the bundled gateway's own throughput (closed loop on its proxy route).
# Usage: benches/loadgen.sh [closed-loop seconds, default 10]   (RATE_SECS=60 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
RATE_SECS=${RATE_SECS:-60}

source benches/nginx.sh
command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
PD=target/release/proofdeck
work=$(mktemp -d)
start_nginx "$work/nginx"
trap 'nginx -c "$NGINX_CONF" -s stop 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true' EXIT

echo "== fixed rate, ${RATE_SECS}s, achieved rate counted by nginx"
rate=10000
reset_log
$PD run --no-tui --target "$H1" --path /index.html --rate "$rate" --duration "${RATE_SECS}s" --report-dir "$work/rate" >/dev/null 2>&1 || true
counted=$(served)
expected=$((rate * RATE_SECS))
pd=$(python3 benches/summarize.py proofdeck "$work/rate/report.json" latency)
oha_q=$(oha --no-tui -q "$rate" --latency-correction -z "${RATE_SECS}s" --output-format json "$H1/index.html" | python3 benches/summarize.py oha latency)
off=$(python3 -c "print(f'{($counted - $expected) * 100 / $expected:+.3f}')")
echo "rate $rate/s: nginx served $counted of $expected planned ($off %); proofdeck $pd; oha -q --latency-correction: $oha_q"

echo "== bundled gateway, closed loop on its proxy route, 32 connections"
$PD gateway --listen 127.0.0.1:3999 --latency-scale 0 --no-rate-limit 2>/dev/null &
sleep 0.5
$PD run benches/gateway.toml --no-tui --target http://127.0.0.1:3999 --connections 32 --duration "${SECS}s" --report-dir "$work/gw" >/dev/null 2>&1 || true
echo "gateway proxy-request: $(python3 benches/summarize.py proofdeck "$work/gw/report.json" gateway)"
