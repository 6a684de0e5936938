#!/usr/bin/env python
# SPDX-License-Identifier: MIT
"""Throughput and memory of population runs: 1 and 2 local workers and Spark local[2].

Run from the repository root with the ``population`` and ``spark`` extras installed::

    python benchmarks/bench_population.py                     # 1,000,000 patients
    python benchmarks/bench_population.py --patients 100000   # shorter
    python benchmarks/bench_population.py --skip-spark

Each configuration is one ``pht-rules batch`` command run end to end on the same synthetic
cohort (``pht-rules synth N --seed 1``, Parquet), in a child process whose stderr is a terminal
(so the progress bar runs, as for a person). The memory of the whole process tree (the command,
its worker processes; for Spark the JVM and its Python workers) is sampled every half second
from /proc. The baseline is the single-call rate of ``pht_rules.evaluate()`` on the first 20,000
patients of the cohort, in this process. The rows of every configuration are checked to be
identical. Figures are printed, never asserted; see docs/population.md for how to read them.
"""

from __future__ import annotations

import argparse
import os
import platform
import pty
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pht_rules
from pht_rules.population import read_results, synthetic_cohort, write_cohort

SEED = 1
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> Iterator[int]:
    yield pid
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            yield from _tree(int(child))


def _rss_mb(pid: int) -> float:
    total = 0
    for p in set(_tree(pid)):
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def run(label: str, argv: list[str]) -> dict[str, object]:
    """Run one command with a terminal on stderr; time it and sample its tree's RSS."""
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    samples: list[tuple[float, float]] = []
    output = bytearray()

    def sample() -> None:
        while proc.poll() is None:
            samples.append((time.perf_counter() - start, _rss_mb(proc.pid)))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            output += data
        elif proc.poll() is not None:
            break
    proc.wait()
    seconds = time.perf_counter() - start
    sampler.join()
    os.close(master)
    text = output.decode("utf-8", "replace")
    summary = next((line for line in reversed(re.split(r"[\r\n]+", text)) if "read " in line), "")
    bars = [b for b in re.split(r"[\r\n]+", text) if "patients/s" in b and "|" in b]
    return {
        "label": label,
        "code": proc.returncode,
        "seconds": seconds,
        "samples": samples,
        "summary": summary.strip(),
        "bar": bars[-1].strip() if bars else "",
    }


def single_call_rate(cohort: Path, n: int = 20_000) -> float:
    """Patients per second of evaluate(dict), one call each, on the cohort's first n patients."""
    records = [{k: v for k, v in r.items() if k != "id"} for r in synthetic_cohort(n, seed=SEED)]
    for r in records[:500]:
        pht_rules.evaluate(r)
    start = time.perf_counter()
    for r in records:
        pht_rules.evaluate(r)
    return n / (time.perf_counter() - start)


def same_rows(a: Path, b: Path) -> bool:
    """Whether two results files hold the same rows in the same order (streamed)."""
    ra, rb = read_results(a), read_results(b)
    while True:
        xa, xb = list(islice(ra, 10_000)), list(islice(rb, 10_000))
        if xa != xb:
            return False
        if not xa:
            return True


def same_prefix(short: Path, long: Path) -> bool:
    """Whether ``long`` starts with exactly the rows of ``short``."""
    rs, rl = read_results(short), read_results(long)
    return all(a == b for a, b in zip(rs, rl, strict=False))


def _rows_in(path: Path) -> int:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        return int(pf.metadata.num_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument(
        "--one-worker-patients",
        type=int,
        default=None,
        metavar="K",
        help="run the 1-worker configuration on the first K patients only (saves time on a "
        "loaded machine; its rate is still per patient)",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="pht-population-"))
    work.mkdir(parents=True, exist_ok=True)
    n = args.patients
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(f"pht_rules {pht_rules.__version__}, rule set {pht_rules.load_rules().fingerprint}")
    cohort = work / "cohort.parquet"
    if not cohort.exists() or _rows_in(cohort) != n:
        t = time.perf_counter()
        write_cohort(cohort, n, seed=SEED)
        print(f"synthetic cohort: {n:,} patients (seed {SEED}) in {time.perf_counter() - t:.1f} s")
    k = min(n, args.one_worker_patients or n)
    one_cohort = cohort
    if k < n:
        one_cohort = work / f"cohort-{k}.parquet"
        if not one_cohort.exists() or _rows_in(one_cohort) != k:
            write_cohort(one_cohort, k, seed=SEED)
    baseline = single_call_rate(cohort)
    print(f"single-call evaluate(dict): {baseline:,.0f} patients/s on one core")
    exe = [sys.executable, "-m", "pht_rules.cli"]
    configs = [
        (
            "1 worker",
            1,
            [
                *exe,
                "batch",
                str(one_cohort),
                "-o",
                str(work / "w1.parquet"),
                "--workers",
                "1",
                "--progress",
            ],
        ),
        (
            "2 workers",
            2,
            [
                *exe,
                "batch",
                str(cohort),
                "-o",
                str(work / "w2.parquet"),
                "--workers",
                "2",
                "--progress",
            ],
        ),
    ]
    if not args.skip_spark:
        configs.append(
            (
                "Spark local[2]",
                2,
                [
                    *exe,
                    "batch",
                    str(cohort),
                    "-o",
                    str(work / "spark.parquet"),
                    "--spark",
                    "local[2]",
                ],
            )
        )
    results = []
    for label, cores, argv in configs:
        print(f"running {label}: {' '.join(argv[2:])}", flush=True)
        r = run(label, argv)
        r["cores"] = cores
        results.append(r)
        print(f"  exit {r['code']}, {r['seconds']:.1f} s; {r['summary']}")
        if r["bar"]:
            print(f"  last progress bar: {r['bar']}")
    print()
    print(
        "| run | patients | wall s | patients/s | per core | vs 1 worker | "
        "RSS MB at 25/50/75/100 % of the run | max RSS MB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    one = None
    for r in results:
        size = k if r["label"] == "1 worker" else n
        rate = size / float(r["seconds"])  # type: ignore[arg-type]
        one = one or rate
        samples = [mb for _, mb in r["samples"]]  # type: ignore[attr-defined]
        quarters = (
            "/".join(
                f"{samples[min(len(samples) - 1, int(len(samples) * q))]:.0f}"
                for q in (0.25, 0.5, 0.75)
            )
            + f"/{samples[-1]:.0f}"
            if samples
            else "-"
        )
        print(
            f"| {r['label']} | {size:,} | {r['seconds']:.1f} | {rate:,.0f} | {rate / r['cores']:,.0f} | "
            f"{rate / one:.2f}x | {quarters} | {max(samples, default=0):.0f} |"
        )
    print(
        f"| single-call evaluate(dict), in process | 20,000 | | {baseline:,.0f} | "
        f"{baseline:,.0f} | | | |"
    )
    print()
    if k == n:
        print(
            "identical rows, 1 vs 2 workers:", same_rows(work / "w1.parquet", work / "w2.parquet")
        )
    else:
        print(
            f"identical rows, 1 worker vs the first {k:,} of 2 workers:",
            same_prefix(work / "w1.parquet", work / "w2.parquet"),
        )
    if not args.skip_spark:
        print(
            "identical rows, 2 workers vs Spark:",
            same_rows(work / "w2.parquet", work / "spark.parquet"),
        )
    print("outcomes-only mode: not measured (no such evaluation mode in this build)")
    print(f"files kept in {work}")


if __name__ == "__main__":
    main()
