"""Runs a command and appends the CPU seconds it used (user + system) to a file.
Usage: python3 benches/cputime.py OUT_FILE LABEL COMMAND..."""
import resource
import subprocess
import sys

out, label, *cmd = sys.argv[1:]
subprocess.run(cmd, check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "a") as f:
    f.write(f"{label} {r.ru_utime + r.ru_stime:.2f}\n")
