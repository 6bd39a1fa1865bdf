"""``python -m derivations``: derive and write the generated equation files, or check them.

    python -m derivations            derive every result and rewrite derivations/generated/;
                                     no brute-force cross-check (that is --check)
    python -m derivations --check    cross-check every result by brute force and compare the
                                     generated files, writing nothing: exit 1 on a failure or
                                     a drift
    python -m derivations --list     the keys of every result
    python -m derivations --show K   one equation, its LaTeX and the rule that derived it
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import CHAPTERS, bruteforce, chapter, get, results

GENERATED = Path(__file__).parent / "generated"


def render(name: str) -> str:
    """The generated file of a chapter: every result's LaTeX and rule, as JSON."""
    table = {key: {"latex": d.latex, "rule": d.rule} for key, d in results(name).items()}
    return json.dumps(table, indent=2, ensure_ascii=False) + "\n"


def _tasks():
    """What each process checks, as (chapter, prefix of the keys): a cell's chapter whole, the
    stack's one cell at a time (each cell's stack takes as long as a short chapter)."""
    for name in CHAPTERS:
        module = chapter(name)
        if hasattr(module, "RESULTS"):
            yield from ((name, f"{cell}.") for cell in module.RESULTS)
        else:
            yield name, ""


def run_checks():
    """Every chapter's brute-force cross-checks, in parallel processes (:func:`_tasks`)."""
    tasks = list(_tasks())
    with ProcessPoolExecutor(max_workers=min(len(tasks), os.cpu_count() or 1)) as pool:
        return [c for checks in pool.map(bruteforce.checks, *zip(*tasks)) for c in checks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m derivations", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true", help="cross-check and compare; write nothing")
    action.add_argument("--list", action="store_true", help="list the keys of every result")
    action.add_argument("--show", metavar="KEY", help="print one result")
    args = parser.parse_args(argv)

    if args.list:
        print("\n".join(results()))
        return 0
    if args.show:
        try:
            d = get(args.show)
        except KeyError as e:
            print(e.args[0], file=sys.stderr)
            return 2
        print(f"{args.show}\n  {d.latex}\n  rule: {d.rule}")
        return 0

    start = time.perf_counter()
    failed = []
    if args.check:
        for c in run_checks():
            status = "ok  " if c.agrees else "FAIL"
            print(f"{status} {c.key:<26} |brute force − formula| = {c.difference:.1e}  ({c.seconds:.2f} s)")
            if not c.agrees:
                failed.append(c.key)
    for name in CHAPTERS:
        path = GENERATED / f"{name}.json"
        text = render(name)
        if not args.check:
            GENERATED.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(results(name))} results)")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            failed.append(f"{path} differs from what the derivations produce now: run python -m derivations")
    seconds = time.perf_counter() - start
    if failed:
        print(f"\n{len(failed)} failed ({seconds:.1f} s):\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(results())} results: every cross-check agrees, every generated file is current ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
