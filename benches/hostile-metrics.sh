#!/usr/bin/env bash
# proofdeck's peak memory against hostile /metrics endpoints (the README's figures come from
# it): a well-behaved target, a 3 MB (under the 4 MiB limit) and a 50 MB exposition (chunked, no length), and an
# endless stream. Each run is 20 s of load at 50 arrivals/s; the peak RSS is the kernel's
# VmHWM of the proofdeck process.
# Usage: benches/hostile-metrics.sh [seconds, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
PD=$PWD/target/release/proofdeck
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# One small Python server per case: /metrics is hostile, every other path answers "ok".
cat > "$work/server.py" <<'PY'
import http.server, socketserver, sys
size = sys.argv[2]
line = ('hostile_series_total{label="' + 'a' * 40 + '"} 1\n').encode() * 1500
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path != "/metrics":
            self.send_response(200); self.send_header("content-length", "2"); self.end_headers()
            self.wfile.write(b"ok"); return
        self.send_response(200); self.send_header("transfer-encoding", "chunked"); self.end_headers()
        sent, limit = 0, (None if size == "endless" else int(size))
        try:
            if limit == 0:
                body = b"gateway_requests_total{tool=\"t\",code=\"200\"} 1\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(body), body)); sent = limit
            while limit is None or sent < limit:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line)); sent += len(line)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY

printf '%-22s %14s %s\n' "/metrics" "peak RSS" "scrapes refused"
port=18930
for case in 0 3000000 50000000 endless; do
  port=$((port + 1))
  python3 "$work/server.py" "$port" "$case" & server=$!
  sleep 0.5
  $PD run --no-tui --target "http://127.0.0.1:$port" --path /ok --rate 50 --duration "${SECS}s" \
    --report-dir "$work/run-$case" >/dev/null 2>&1 & pd=$!
  peak=0
  while kill -0 $pd 2>/dev/null; do
    kb=$(awk '/VmHWM/ {print $2}' /proc/$pd/status 2>/dev/null || echo 0)
    [ "${kb:-0}" -gt "$peak" ] && peak=$kb
    sleep 0.05
  done
  wait $pd || true
  kill $server 2>/dev/null || true
  refused=$( (grep -o 'over the [0-9]* MiB limit' "$work/run-$case/report.json" || true) | wc -l)
  label=$case; [ "$case" = 0 ] && label="well-behaved (tiny)"
  printf '%-22s %10s MiB %s\n' "$label" "$(awk "BEGIN {printf \"%.1f\", $peak / 1024}")" "$refused"
done
