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


def old_repo(tmp, name, extra_files=0):
    """A repo made with templates 0.1.0 (plus `extra_files` of the owner's own), for upgrades."""
    root = os.path.join(tmp, name)
    subprocess.run([BIN, "new", root, "--template-version", "0.1.0", "--yes"], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "c")))
    for i in range(extra_files):
        folder = os.path.join(root, "owner", f"d{i // 100}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{i}.yaml"), "w") as f:
            f.write(f"key: {i}\n")
    return root


def bench_upgrade(name, extra_files, budget_ms, noop):
    """Times `upgrade` on fresh copies of a 0.1.0 repo (noop: upgraded once before timing)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "config"))
        template = old_repo(tmp, "template", extra_files)
        if noop:
            subprocess.run([BIN, "upgrade", template], check=True, stdout=subprocess.DEVNULL, env=env)
        samples = []
        for i in range(RUNS + 3):
            copy = os.path.join(tmp, f"run{i}")
            subprocess.run(["cp", "-a", template, copy], check=True)
            ms = timed([BIN, "upgrade", copy], env)
            if i >= 3:  # the first runs warm the page cache
                samples.append(ms)
            subprocess.run(["rm", "-rf", copy], check=True)
        samples.sort()
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
    ok &= bench_upgrade("upgrade, no-op (already current)", 0, 30, noop=True)
    ok &= bench_upgrade("upgrade 0.1.0 -> current (default)", 0, 30, noop=False)
    ok &= bench_upgrade("upgrade 0.1.0 -> current, +10,000 owner files", 10_000, 150, noop=False)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
