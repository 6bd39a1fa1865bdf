"""``python -m derivations``: derive, cross-check and write the generated equation files.

    python -m derivations            derive, cross-check, regenerate derivations/generated/
    python -m derivations --check    exit 1 if a cross-check fails or a generated file drifted
    python -m derivations --list     the keys of every result
    python -m derivations --show K   one equation, its LaTeX and the rule that derived it
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import CHAPTERS, bruteforce, get, results

GENERATED = Path(__file__).parent / "generated"
CHECKS = {"rnn": bruteforce.rnn_checks}


def render(chapter: str) -> str:
    """The generated file of a chapter: every result's LaTeX and rule, as JSON."""
    table = {key: {"latex": d.latex, "rule": d.rule} for key, d in results(chapter).items()}
    return json.dumps(table, indent=2, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m derivations", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true", help="cross-check and compare, write nothing")
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
    for chapter in CHAPTERS:
        for c in CHECKS[chapter]():
            status = "ok  " if c.agrees else "FAIL"
            print(f"{status} {c.key:<24} |brute force − formula| = {c.difference:.1e}  ({c.seconds:.2f} s)")
            if not c.agrees:
                failed.append(c.key)
        path = GENERATED / f"{chapter}.json"
        text = render(chapter)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                failed.append(f"{path} differs from what the derivations produce now")
        elif not failed:
            GENERATED.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    seconds = time.perf_counter() - start
    if failed:
        print(f"\n{len(failed)} failed ({seconds:.1f} s):\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    print(f"{len(results())} results, all cross-checks agree ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
