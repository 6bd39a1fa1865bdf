"""Time the book's clean build, its no-change rebuild and the regeneration of the derivations.

    .venv/bin/python benchmarks/build_times.py [--serial]

Each is a subprocess timed by wall clock, side by side in one run, against the targets for a
2-core machine: clean build ≤ 90 s, no-change rebuild ≤ 3 s, regeneration ≤ 10 s. The clean build
uses a fresh output folder and execution cache; the real _build/ and .cache/ are not touched.
Then the pages that took longest to execute, from the cache: conf.py's LONGEST names those that
start first in a clean build, and should be the top of this list.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"clean build": 90.0, "no-change rebuild": 3.0, "regeneration": 10.0}


def timed(cmd, env=None):
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serial", action="store_true", help="build without -j auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RNNLSTM_CACHE": str(Path(tmp) / "cache")}
        build = [sys.executable, "-m", "sphinx", "-nW", "--keep-going", "-q", "-c", ".", "docs", str(Path(tmp) / "html")]
        build += [] if args.serial else ["-j", "auto"]  # as scripts/docs.sh
        measured = {
            "clean build": timed(build, env),
            "no-change rebuild": timed(build, env),
            "regeneration": timed([sys.executable, "-m", "derivations"]),
        }
        pages = longest_pages(Path(tmp) / "cache")
    print(f"{'step':<20}{'seconds':>10}{'target':>10}{'ratio':>8}")
    for step, seconds in measured.items():
        target = TARGETS[step]
        print(f"{step:<20}{seconds:>10.1f}{target:>10.0f}{seconds / target:>8.2f}{'' if seconds <= target else '  over'}")
    print(f"\nexecuting the pages: {sum(pages.values()):.1f} s in all; the longest:")
    for page, seconds in list(pages.items())[:5]:
        print(f"  {page:<30}{seconds:>6.1f} s")


def longest_pages(cache):
    """{page: seconds of its execution} in the execution cache ``cache``, longest first."""
    from jupyter_cache import get_cache

    records = get_cache(cache).list_cache_records()
    seconds = {Path(r.uri).stem: r.data.get("execution_seconds", 0.0) for r in records}
    return dict(sorted(seconds.items(), key=lambda item: -item[1]))


if __name__ == "__main__":
    main()
