# SPDX-License-Identifier: MIT
"""Timings for episodes of care: evaluating the example episodes, rendering their reports, and
the exhaustive programme verification. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pht_rules.episodes import evaluate_episode, render_report, verify_programme

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "episodes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-visits", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.json"))}
    for name, text in texts.items():
        start = time.perf_counter()
        for _ in range(args.repeat):
            result = evaluate_episode(text)
        evaluated = (time.perf_counter() - start) / args.repeat
        start = time.perf_counter()
        render_report(result)
        rendered = time.perf_counter() - start
        print(
            f"{name:28s} {len(result.visits)} visits: evaluate {evaluated * 1e3:7.1f} ms, "
            f"report {rendered * 1e3:7.1f} ms"
        )
    start = time.perf_counter()
    report = verify_programme(args.max_visits)
    elapsed = time.perf_counter() - start
    print(report.summary())
    print(f"verify_programme({args.max_visits}): {elapsed:.1f} s")


if __name__ == "__main__":
    main()
