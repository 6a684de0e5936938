#!/usr/bin/env python
# SPDX-License-Identifier: MIT
"""Instructions per call of the headline paths, counted with valgrind's callgrind.

Wall-clock figures on a shared machine swing with load; instruction counts do not. Each path is run
twice under ``valgrind --tool=callgrind`` in a fresh process, once over ``--small`` states and once
over ``--large`` states (the same states, the same set-up work in both runs); the difference of the
two totals divided by the difference in calls is the cost of one call, with start-up, imports,
rule loading and workload set-up cancelled out.

    python benchmarks/bench_instructions.py                 # every path
    python benchmarks/bench_instructions.py explained hand  # some paths
    python benchmarks/bench_instructions.py --python /path/to/python3.13 interpreter

Used by bench_evaluate.py (section 7); prints one line per path, or JSON with ``--json``.
Without valgrind it says so and measures nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# What each path does per call; every path gets the same distinct states, each seen once by a
# fresh evaluator (the headline case of bench_evaluate.py).
PATHS: dict[str, str] = {
    "explained": "Evaluator().evaluate(dict), distinct states (headline)",
    "explained_json": "evaluate(dict).to_json(), distinct states",
    "outcomes": 'Evaluator().evaluate(dict, detail="outcomes"), distinct states',
    "interpreter": 'Evaluator(engine="interpreter").evaluate(dict), distinct states',
    "compiled": 'Evaluator(engine="compiled").evaluate(dict), distinct states',
    "compiled_outcomes": 'Evaluator(engine="compiled").evaluate(dict, detail="outcomes")',
    "validate": "parse_state(dict) (validation only)",
    "validate_model": "PatientState.model_validate(dict)",
    "validate_adapter": "TypeAdapter(PatientState).validate_python(dict), adapter prebuilt",
    "validate_json": "PatientState.model_validate_json(text), text prebuilt",
    "hand": "yardstick: hand-written if/else, all six decisions, over a PatientState",
    "json": "yardstick: json.loads(json.dumps(dict)) of the same dicts",
    "load_rules": "load_rules() (one call; not a difference)",
}
DEFAULT = (
    "explained",
    "explained_json",
    "outcomes",
    "compiled",
    "compiled_outcomes",
    "validate",
    "hand",
    "json",
)

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _child(path: str, n: int, states_file: str) -> None:
    """Runs under callgrind: set up, then ``n`` calls of ``path``."""
    with open(states_file) as fh:
        states: list[dict[str, Any]] = json.load(fh)
    import pht_rules

    if path == "load_rules":
        for _ in range(n):
            pht_rules.load_rules()
        return
    rules = pht_rules.load_rules()
    todo = states[:n]
    # As in bench_evaluate.py: the harness's own data is moved out of the collector's view, so
    # that it does not lengthen the library's collections (gc stays on for the library).
    gc.collect()
    gc.freeze()
    if os.environ.get("BENCH_NO_GC"):
        gc.disable()
    if path == "json":
        loads, dumps = json.loads, json.dumps
        for d in todo:
            loads(dumps(d))
        return
    if path == "validate":
        for d in todo:
            pht_rules.parse_state(d)
        return
    if path.startswith("validate_"):
        from pydantic import TypeAdapter

        model = pht_rules.PatientState
        adapter = TypeAdapter(model)
        texts = [json.dumps(d) for d in states]
        if path == "validate_model":
            for d in todo:
                model.model_validate(d)
        elif path == "validate_adapter":
            for d in todo:
                adapter.validate_python(d)
        else:
            for t in texts[:n]:
                model.model_validate_json(t)
        return
    if path == "hand":
        sys.path.insert(0, str(HERE))
        from bench_evaluate import hand_all

        models = [pht_rules.parse_state(d) for d in states]
        for m in models[:n]:
            hand_all(m)
        return
    engine = {
        "interpreter": "interpreter",
        "compiled": "compiled",
        "compiled_outcomes": "compiled",
    }.get(path)
    ev = pht_rules.Evaluator(rules) if engine is None else pht_rules.Evaluator(rules, engine=engine)
    ev.evaluate(states[-1])  # first call (lazy imports), the same in both runs
    evaluate = ev.evaluate
    if path == "explained_json":
        for d in todo:
            evaluate(d).to_json()
    elif path in ("outcomes", "compiled_outcomes"):
        for d in todo:
            evaluate(d, detail="outcomes")  # type: ignore[call-arg]
    else:
        for d in todo:
            evaluate(d)


def _count(python: str, path: str, n: int, states_file: str, env: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/cg.out",
            python,
            str(Path(__file__).resolve()),
            "--child",
            path,
            str(n),
            states_file,
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if res.returncode != 0:
            raise RuntimeError(f"{path}: child failed:\n{res.stderr[-2000:]}")
        found = _COLLECTED.findall(res.stderr)
        if not found:
            raise RuntimeError(f"{path}: no callgrind total in:\n{res.stderr[-2000:]}")
        return int(found[-1])


def measure(
    paths: list[str],
    states: list[dict[str, Any]],
    *,
    small: int = 100,
    large: int = 600,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    """Instructions per call of each path (``{}`` without valgrind)."""
    if shutil.which("valgrind") is None:
        return {}
    out: dict[str, float] = {}
    run_env = dict(os.environ if env is None else env)
    run_env.setdefault("PYTHONHASHSEED", "0")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(states[: large + 1], fh)  # the last one warms up
        states_file = fh.name
    try:
        for path in paths:
            if path == "load_rules":
                out[path] = float(
                    _count(python, path, 2, states_file, run_env)
                    - _count(python, path, 1, states_file, run_env)
                )
                continue
            a = _count(python, path, small, states_file, run_env)
            b = _count(python, path, large, states_file, run_env)
            out[path] = (b - a) / (large - small)
    finally:
        os.unlink(states_file)
    return out


def workload(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct valid states from bench_evaluate's generator."""
    sys.path.insert(0, str(HERE))
    from bench_evaluate import Workload

    import pht_rules

    return Workload(seed, dict(pht_rules.load_rules().defaults)).distinct(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help=f"any of {', '.join(PATHS)}")
    ap.add_argument("--python", default=sys.executable, help="interpreter to measure")
    ap.add_argument("--small", type=int, default=100)
    ap.add_argument("--large", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20261125)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.child[2])
        # No interpreter teardown: freeing caches that grow with the number of calls would be
        # counted as per-call work.
        sys.stdout.flush()
        os._exit(0)
    paths = args.paths or list(DEFAULT)
    unknown = [p for p in paths if p not in PATHS]
    if unknown:
        ap.error(f"unknown path(s): {unknown}")
    if shutil.which("valgrind") is None:
        print("valgrind not found: no instruction counts (apt-get install -y valgrind)")
        return
    states = workload(args.large + 1, args.seed)
    env = dict(os.environ)
    src = HERE.parent / "src"
    if args.python != sys.executable:  # another interpreter: run the checkout's sources
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    counts = measure(paths, states, small=args.small, large=args.large, python=args.python, env=env)
    if args.json:
        print(json.dumps(counts))
        return
    for p in paths:
        print(f"{counts[p] / 1000:10,.1f} k instructions/call  {p:<15} {PATHS[p]}")


if __name__ == "__main__":
    main()
