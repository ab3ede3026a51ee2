#!/usr/bin/env python3
"""Whole-process benchmarks of the release binary: median wall time over many runs.

Usage: scripts/bench.py [RUNS]   (builds target/release/ironplate first)
Each case runs the real binary as a user would, into a fresh temp folder per run.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ironplate")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def timed(argv, env):
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def bench(name, make_argv, budget_ms):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "config"))
        for i in range(3):  # warm the page cache
            timed(make_argv(tmp, f"warm{i}"), env)
        samples = sorted(timed(make_argv(tmp, f"run{i}"), env) for i in range(RUNS))
    median = statistics.median(samples)
    verdict = "ok" if median < budget_ms else "OVER BUDGET"
    print(f"{name:40} median {median:6.2f} ms  min {samples[0]:6.2f}  max {samples[-1]:6.2f}"
          f"  (budget {budget_ms} ms, {RUNS} runs) {verdict}")
    return median < budget_ms


def main():
    subprocess.run(["cargo", "build", "--quiet", "--release"], cwd=ROOT, check=True)
    ok = bench("new --preset default --yes",
               lambda tmp, run: [BIN, "new", os.path.join(tmp, run), "--preset", "default", "--yes"], 20)
    ok &= bench("new --preset example-org --yes",
                lambda tmp, run: [BIN, "new", os.path.join(tmp, run), "--preset", "example-org", "--yes"], 20)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
