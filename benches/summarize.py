"""Small readers for benches/loadgen.sh: proofdeck's report.json and oha's JSON output."""
import json
import sys


def proofdeck(path, what):
    r = json.load(open(path))
    if what == "rps":
        return f"{r['totals']['requests'] / r['duration_s']:.0f}"
    t = r["tools"][0]
    if what == "latency":
        lat = t["latency"]
        return f"p50 {lat['p50_ms']:.3f} p99 {lat['p99_ms']:.3f} ms"
    if what == "gateway":
        return f"{t['requests'] / r['duration_s']:.0f} req/s, {t['ok']} ok of {t['requests']}, p99 {t['latency']['p99_ms']:.2f} ms"
    if what == "requests":
        return str(r["totals"]["requests"])
    raise SystemExit(f"unknown field {what}")


def oha(what):
    d = json.load(sys.stdin)
    s = d["summary"]
    if what == "rps":
        return f"{s['requestsPerSec']:.0f}"
    p = d["latencyPercentiles"]
    return f"p50 {p['p50'] * 1000:.3f} p99 {p['p99'] * 1000:.3f} ms, {s['requestsPerSec']:.1f} req/s"


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    print(proofdeck(*args) if kind == "proofdeck" else oha(*args))
