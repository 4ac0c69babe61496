#!/usr/bin/env bash
# What the cockpit costs: CPU seconds of a 1,000 arrivals/s run for SECS seconds against nginx,
# with every panel live in a 200×60 tmux pane, against the same run headless; and the same
# pair for oha's TUI. Usage: benches/tui-cost.sh [seconds, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-30}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet
work=$(mktemp -d)
mkdir -p "$work/html" "$work/logs"
printf 'hello world' > "$work/html/index.html"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:8090; root $work/html; } }
CONF
nginx -c "$work/nginx.conf"
trap 'nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; tmux kill-session -t pdcost 2>/dev/null || true' EXIT
sleep 0.5
out="$work/cpu.txt"
PD="$PWD/target/release/proofdeck"
quick=(run --target http://127.0.0.1:8090 --path /index.html --rate 1000 --duration "${SECS}s" --report-dir "$work/r")

in_tmux() { # label, command…
  local label=$1; shift
  tmux new-session -d -s pdcost -x 200 -y 60 "python3 $PWD/benches/cputime.py $out $label $* ; tmux wait-for -S pdcost-done"
  # Both TUIs keep their last frame up until q.
  (sleep $((SECS + 5)); tmux send-keys -t pdcost q 2>/dev/null || true) &
  tmux wait-for pdcost-done
  tmux kill-session -t pdcost 2>/dev/null || true
}

python3 benches/cputime.py "$out" proofdeck-headless "$PD" "${quick[@]}" --no-tui >/dev/null 2>&1
in_tmux proofdeck-cockpit "$PD" "${quick[@]}"
python3 benches/cputime.py "$out" oha-no-tui oha --no-tui -q 1000 -z "${SECS}s" http://127.0.0.1:8090/index.html >/dev/null 2>&1
in_tmux oha-tui oha -q 1000 -z "${SECS}s" http://127.0.0.1:8090/index.html
python3 - "$out" "$SECS" <<'PY'
import sys
v = dict(l.split() for l in open(sys.argv[1]))
secs = float(sys.argv[2])
pct = lambda a, b: (float(v[a]) - float(v[b])) * 100 / secs
for k in v:
    print(f"{k:<20} {float(v[k]):6.2f} CPU s over {secs:.0f} s")
print(f"cockpit cost: {pct('proofdeck-cockpit', 'proofdeck-headless'):+.1f} % of a core; oha's TUI: {pct('oha-tui', 'oha-no-tui'):+.1f} % of a core")
PY
