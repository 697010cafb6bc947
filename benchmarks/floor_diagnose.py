"""The floor of the diagnose case: plan the same steps with lrplan, then read the log.

What diagnosing a per-step log cannot do without: ``lrplan show`` planning the same number of
steps to a CSV (in its own process, as the user would run it), then reading the metrics.csv
once with csv.reader. Usage:

    python benchmarks/floor_diagnose.py METRICS.csv OUT.csv LRPLAN [ARGS...]
"""

import csv
import subprocess
import sys

metrics, out, command = sys.argv[1], sys.argv[2], sys.argv[3:]
subprocess.run([*command, "--csv", out], check=True, stdout=subprocess.DEVNULL)
with open(metrics, newline="") as stream:
    for _ in csv.reader(stream):
        pass
