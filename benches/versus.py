#!/usr/bin/env python3
"""proofdeck side by side with wrk, oha and h2load, in one run, against one nginx worker on
loopback serving an 11-byte file over HTTP/1.1, h2c and TLS (benches/nginx.sh). Every request
count is nginx's (its access log), CPU is user+system of the tool's process (wait4), and each
figure is also given as a ratio to the other tools'. Prints the README's benchmark rows as a
Markdown table.

Usage: benches/versus.py [--secs 8] [--rate-secs 20] [--rounds 2] [--rate-rounds N] [--soak-requests 10000000]
                         [--only closed,rate,h2,tls,soak,ticks,build]
"""
import argparse
import json
import os
import re
from statistics import median
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Set by --profile: `release` (what `cargo run --release` builds) or `dist` (release artifacts).
PD = os.path.join(ROOT, "target", "release", "proofdeck")
CONNS = 32


def sh(script, **kw):
    return subprocess.run(["bash", "-c", script], check=True, text=True, **kw)


class Nginx:
    def __init__(self, work):
        self.dir = os.path.join(work, "nginx")
        out = sh(f'set -e; source {ROOT}/benches/nginx.sh; start_nginx {self.dir} >&2; trap - EXIT; echo "$H1 $H2C $TLS"',
                 capture_output=True).stdout.split()
        self.h1, self.h2c, self.tls = out
        self.log = os.path.join(self.dir, "logs", "access.log")

    def reset(self):
        open(self.log, "w").close()

    def served(self):
        with open(self.log, "rb") as f:
            return sum(chunk.count(b" /index.html ") for chunk in iter(lambda: f.read(1 << 20), b""))

    def stop(self):
        subprocess.run(["nginx", "-c", os.path.join(self.dir, "nginx.conf"), "-s", "stop"], check=False)


class Measured:
    """One tool's run: CPU seconds, peak RSS, wall time, requests nginx counted, its output."""

    def __init__(self, cpu, rss_mib, wall, served, out):
        self.cpu, self.rss_mib, self.wall, self.served, self.out = cpu, rss_mib, wall, served, out

    def us_per_request(self):
        return self.cpu * 1e6 / max(self.served, 1)


def measure(nginx, cmd, rss_samples=None):
    """Runs `cmd` to its end and measures it; `rss_samples` (a list) gets (seconds, MiB) every 2 s."""
    nginx.reset()
    started = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = []
    reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
    reader.start()
    usage = None
    while rss_samples is not None:
        pid, _, finished = os.wait4(p.pid, os.WNOHANG)
        if pid:
            usage = finished
            break
        time.sleep(2)
        try:
            with open(f"/proc/{p.pid}/status") as f:
                kb = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            rss_samples.append((time.monotonic() - started, kb / 1024))
        except (OSError, AttributeError):
            pass
    if usage is None:
        _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    reader.join()
    wall = time.monotonic() - started
    return Measured(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall, nginx.served(), out[0] if out else "")


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return r.stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def proofdeck(args, work, label):
    report = os.path.join(work, label)
    return [PD, "run", "--no-tui", "--path", "/index.html", "--report-dir", report, "--format", "json", *args], report


def pd_report(report):
    with open(os.path.join(report, "report.json")) as f:
        return json.load(f)


def oha_cmd(url, secs, extra=()):
    return ["oha", "--no-tui", "--output-format", "json", "-z", f"{secs}s", *extra, url + "/index.html"]


def oha_latency(m):
    d = json.loads(m.out)
    p = d["latencyPercentiles"]
    return p["p50"] * 1000, p["p99"] * 1000


class Bench:
    def __init__(self, opts):
        self.o = opts
        self.work = tempfile.mkdtemp(prefix="versus.")
        self.nginx = Nginx(self.work)
        self.rows = []
        self.n = 0

    def label(self, name):
        self.n += 1
        return f"{self.n:02d}-{name}"

    def row(self, what, result):
        self.rows.append((what, result))
        print(f"| {what} | {result} |", file=sys.stderr, flush=True)

    def closed_set(self, title, tools):
        """Each tool in turn, `rounds` times, interleaved; medians of throughput and CPU/request."""
        runs = {name: [] for name, _ in tools}
        for r in range(self.o.rounds):
            # Each round starts with another tool, so no tool always runs first: what the
            # order itself costs (a cold cache, the last run's leftovers) is shared out.
            for name, cmd in tools[r % len(tools):] + tools[:r % len(tools)]:
                m = measure(self.nginx, cmd() if callable(cmd) else cmd)
                runs[name].append(m)
                print(f"  {title} {name}: {m.served / self.o.secs:,.0f} req/s served, "
                      f"{m.us_per_request():.1f} µs CPU/request, RSS {m.rss_mib:.0f} MiB", file=sys.stderr)
        figures = {}
        for name, ms in runs.items():
            figures[name] = (median([m.served / self.o.secs for m in ms]), median([m.us_per_request() for m in ms]),
                             max(m.rss_mib for m in ms))
        return figures

    def describe(self, figures):
        pd_rps, pd_us, pd_rss = figures["proofdeck"]
        parts = [f"proofdeck **{pd_rps:,.0f} req/s**, **{pd_us:.1f} µs CPU/request**, RSS {pd_rss:.0f} MiB"]
        for name, (rps, us, rss) in figures.items():
            if name != "proofdeck":
                parts.append(f"{name} {rps:,.0f} req/s, {us:.1f} µs, {rss:.0f} MiB "
                             f"(proofdeck **{pd_rps / rps:.2f}×** its throughput, **{pd_us / us:.2f}×** its CPU/request)")
        return " · ".join(parts)

    def pd_closed(self, base, *extra):
        def cmd():
            c, _ = proofdeck(["--target", base, "--connections", str(CONNS), "--duration", f"{self.o.secs}s", *extra],
                             self.work, self.label("closed"))
            return c
        return cmd

    def closed(self):
        s = self.o.secs
        figures = self.closed_set("h1", [
            ("wrk", ["wrk", "-t2", f"-c{CONNS}", f"-d{s}s", self.nginx.h1 + "/index.html"]),
            ("oha", oha_cmd(self.nginx.h1, s, ["-c", str(CONNS)])),
            ("proofdeck", self.pd_closed(self.nginx.h1)),
        ])
        self.row(f"closed loop, HTTP/1.1, {CONNS} connections, {s} s, nginx-counted (median of {self.o.rounds})",
                 self.describe(figures))

    def h2(self):
        s = self.o.secs
        figures = self.closed_set("h2c", [
            ("h2load", ["h2load", "-t2", f"-c{CONNS}", "-m1", "-D", str(s), self.nginx.h2c + "/index.html"]),
            ("oha", oha_cmd(self.nginx.h2c, s, ["-c", str(CONNS), "--http2"])),
            ("proofdeck", self.pd_closed(self.nginx.h2c, "--http2", "--streams", "1")),
        ])
        self.row(f"closed loop, HTTP/2 h2c, {CONNS} connections of one stream (`--http2 --streams 1`; oha `--http2`, "
                 f"h2load `-m1`), {s} s", self.describe(figures))

    def tls(self):
        s = self.o.secs
        figures = self.closed_set("tls", [
            ("wrk", ["wrk", "-t2", f"-c{CONNS}", f"-d{s}s", self.nginx.tls + "/index.html"]),
            ("oha", oha_cmd(self.nginx.tls, s, ["-c", str(CONNS), "--insecure"])),
            ("proofdeck", self.pd_closed(self.nginx.tls, "--insecure")),
        ])
        self.row(f"closed loop, HTTPS (TLS 1.3, HTTP/1.1), {CONNS} connections, {s} s", self.describe(figures))
        figures = self.closed_set("tls-h2", [
            ("h2load", ["h2load", "-t2", f"-c{CONNS}", "-m1", "-D", str(s), self.nginx.tls + "/index.html"]),
            ("oha", oha_cmd(self.nginx.tls, s, ["-c", str(CONNS), "--http2", "--insecure"])),
            ("proofdeck", self.pd_closed(self.nginx.tls, "--http2", "--streams", "1", "--insecure")),
        ])
        self.row(f"closed loop, HTTPS with HTTP/2 by ALPN, {CONNS} connections of one stream, {s} s",
                 self.describe(figures))

    def rate(self):
        s = self.o.rate_secs
        for rate in (150, 1000):
            pd_runs, oha_runs = [], []

            def run_proofdeck():
                cmd, report = proofdeck(["--target", self.nginx.h1, "--rate", str(rate), "--duration", f"{s}s"],
                                        self.work, self.label(f"rate{rate}"))
                m = measure(self.nginx, cmd)
                r = pd_report(report)
                lat, svc = r["tools"][0]["latency"], r["tools"][0]["service"]
                pd_runs.append((m, lat["p50_ms"], lat["p99_ms"], svc["p50_ms"], r["dispatch_lag"]["p50_ms"]))

            def run_oha():
                m = measure(self.nginx, oha_cmd(self.nginx.h1, s, ["-q", str(rate), "--latency-correction"]))
                oha_runs.append((m, *oha_latency(m)))

            for round_no in range(self.o.rate_rounds):
                # Pairs in turn A-B, B-A: neither tool always runs first.
                for run in (run_proofdeck, run_oha) if round_no % 2 == 0 else (run_oha, run_proofdeck):
                    run()
            expected = rate * s

            def med(runs, i):
                return median([run[i] for run in runs])

            pc, oc = median([run[0].cpu for run in pd_runs]), median([run[0].cpu for run in oha_runs])
            ratios = sorted(p[0].cpu / o[0].cpu for p, o in zip(pd_runs, oha_runs))
            served = [run[0].served for run in pd_runs]
            oserved = [run[0].served for run in oha_runs]
            off = max(abs(n - expected) for n in served) * 100 / expected
            p50, p99, svc50, lag50 = (med(pd_runs, i) for i in (1, 2, 3, 4))
            o50, o99 = med(oha_runs, 1), med(oha_runs, 2)
            self.row(f"fixed {rate:,}/s for {s} s, {self.o.rate_rounds} rounds, each tool first in turn (medians)",
                     f"proofdeck CPU **{pc:.2f} s**, **{pc / oc:.2f}×** oha's {oc:.2f} s (pairs "
                     f"{ratios[0]:.2f}–{ratios[-1]:.2f}×) · nginx counted {', '.join(f'{n:,}' for n in served)} of "
                     f"{expected:,} (worst {off:.3f} %; oha {', '.join(f'{n:,}' for n in oserved)}) · proofdeck p50 "
                     f"**{p50:.3f}** / p99 {p99:.3f} ms from the intended start (dispatch lateness p50 {lag50:.3f}), "
                     f"**{svc50:.3f}** from the send; oha `--latency-correction` {o50:.3f} / {o99:.3f} ms, "
                     f"from its timer's wake-up (p50 {1000 * (p50 - o50):+.0f} µs from the intended start, "
                     f"{1000 * (svc50 - o50):+.0f} µs from the send)")

    def soak(self):
        # As fast as the closed loop goes, long enough for the requests asked for.
        probe, _ = proofdeck(["--target", self.nginx.h1, "--connections", str(CONNS), "--duration", "3s"],
                             self.work, self.label("soak-probe"))
        rps = measure(self.nginx, probe).served / 3
        secs = int(self.o.soak_requests / rps * 1.05) + 1
        samples = []
        cmd, report = proofdeck(["--target", self.nginx.h1, "--connections", str(CONNS), "--duration", f"{secs}s"],
                                self.work, self.label("soak"))
        m = measure(self.nginx, cmd, rss_samples=samples)
        load = [(t, r) for t, r in samples if t <= secs]
        early = next(r for t, r in load if t >= secs * 0.1)
        late = load[-1][1]
        self.row(f"soak: closed loop of {CONNS} until {self.o.soak_requests / 1e6:.0f} M requests ({secs} s)",
                 f"nginx counted {m.served:,}; proofdeck's RSS {early:.1f} MiB at 10 % of the run, {late:.1f} MiB at "
                 f"the end of the load (**{(late - early) * 100 / early:+.1f} %**), peak {m.rss_mib:.1f} MiB")

    def ticks(self):
        for bench, what in (("ticks", "the aggregator's tick over a simulated day: 10 tools, 4 ticks/s, 1,000 "
                                      "requests/s recorded (`cargo bench --bench ticks`)"),
                            ("series", "publishing the per-second series with a snapshot, 10 tools (`cargo bench "
                                       "--bench series`)")):
            out = subprocess.run(["cargo", "bench", "--quiet", "--profile", self.o.profile, "--bench", bench],
                                 cwd=ROOT, capture_output=True, text=True, check=True).stdout
            self.row(what, " · ".join(" ".join(line.split()) for line in out.splitlines() if line.strip()))

    def build(self):
        target = os.path.join(self.work, "build-target")
        started = time.monotonic()
        p = subprocess.Popen(["cargo", "build", "--release", "--quiet"], cwd=ROOT,
                             env={**os.environ, "CARGO_TARGET_DIR": target})
        _, _, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - started
        cpu = usage.ru_utime + usage.ru_stime
        self.row("clean `cargo build --release` (crates downloaded)",
                 f"**{wall / 60:.0f} min {wall % 60:.0f} s** wall, **{cpu:.0f} s CPU** on {os.cpu_count()} cores")
        subprocess.run(["rm", "-rf", target], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--secs", type=int, default=8)
    ap.add_argument("--rate-secs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rate-rounds", type=int, help="rounds of the fixed-rate rows (default: --rounds); "
                    "their CPU moves ±15-30 %% between runs here, so they want more")
    ap.add_argument("--soak-requests", type=int, default=10_000_000)
    ap.add_argument("--only", default="closed,rate,h2,tls,soak,ticks,build")
    ap.add_argument("--profile", default="release", help="cargo profile proofdeck is built with (release, dist)")
    o = ap.parse_args()
    o.rate_rounds = o.rate_rounds or o.rounds
    global PD
    PD = os.path.join(ROOT, "target", o.profile, "proofdeck")
    sh(f"source {ROOT}/benches/nginx.sh; need wrk wrk; need h2load nghttp2-client; "
       "command -v oha >/dev/null || cargo install oha --locked")
    subprocess.run(["cargo", "build", "--profile", o.profile, "--quiet"], cwd=ROOT, check=True)
    bench = Bench(o)
    try:
        versions = ", ".join(tool_version(c) for c in (["wrk", "-v"], ["oha", "--version"], ["h2load", "--version"],
                                                        ["nginx", "-v"]))
        print(f"tools: {versions}; {os.cpu_count()} cores; proofdeck built with --profile {o.profile}; "
              f"work in {bench.work}", file=sys.stderr)
        for part in o.only.split(","):
            getattr(bench, part)()
    finally:
        bench.nginx.stop()
    print("| what | result |\n|---|---|")
    for what, result in bench.rows:
        print(f"| {what} | {result} |")


if __name__ == "__main__":
    main()
