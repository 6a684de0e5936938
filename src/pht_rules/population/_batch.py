# SPDX-License-Identifier: MIT
"""Evaluating a stream of records on one or more cores, in order, in constant memory.

Records travel to worker processes in chunks; each worker compiles the rule set once (in its
initializer) and decodes, evaluates and turns into a row every record of a chunk. At most a few
chunks per worker are in flight, so memory does not grow with the input, and results come back
in input order, so the output is the same whatever the number of workers.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from pht_rules.definitions import Profile, RuleSet
from pht_rules.engine import EngineName
from pht_rules.errors import EvaluationError, UsageError
from pht_rules.evaluation import Evaluator
from pht_rules.loading import load_rules
from pht_rules.population._records import InputFormat, RawRecord, RecordError, decode
from pht_rules.population._rows import assessment_row, result_schema
from pht_rules.population._writers import OutputFormat

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RuleChoice:
    """Which rules a worker compiles: a rule directory (``None``: bundled), a profile, an engine.

    Plain data, so that it crosses process boundaries; every worker builds the same evaluator.
    """

    directory: str | None = None
    overrides: tuple[tuple[str, int], ...] = ()
    profile_name: str | None = None
    engine: EngineName = "auto"

    @classmethod
    def of(
        cls,
        directory: str | Path | None = None,
        profile: Profile | Mapping[str, int] | None = None,
        engine: EngineName = "auto",
    ) -> RuleChoice:
        """A choice from a directory, a profile (or overrides) and an engine name."""
        if isinstance(profile, Profile):
            return cls(str(directory) if directory else None, profile.key(), profile.name, engine)
        overrides = tuple(sorted((profile or {}).items()))
        return cls(str(directory) if directory else None, overrides, None, engine)

    def ruleset(self) -> RuleSet:
        """Load the chosen rule set (not compiled)."""
        return load_rules(self.directory) if self.directory else load_rules()

    def evaluator(self) -> Evaluator:
        """Load and compile the chosen rules."""
        ruleset = self.ruleset()
        profile = Profile(dict(self.overrides), name=self.profile_name)
        return Evaluator(ruleset, profile=profile, engine=self.engine)


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one record: its row, or why it was rejected (``problems``: field errors)."""

    position: int
    row: dict[str, Any] | None
    error: str | None = None
    problems: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Encoded:
    """A chunk's rows already in the output format (JSON Lines text or an Arrow record batch),
    so that the process writing the file only writes; ``rejected`` are the chunk's rejections."""

    read: int
    written: int
    payload: Any
    rejected: tuple[Result, ...]


class _Worker:
    """What one process needs to evaluate chunks: the compiled rules and the record format."""

    def __init__(
        self, choice: RuleChoice, fmt: InputFormat, full: bool, encode: OutputFormat | None = None
    ) -> None:
        self.evaluator = choice.evaluator()
        self.engine = choice.engine
        self.fmt = fmt
        self.full = full
        self.encode = encode
        self.schema = None
        if encode == "parquet":
            decisions = [d.id for d in self.evaluator.ruleset.decisions]
            self.schema = result_schema(decisions, full=full)

    def encoded(self, chunk: list[RawRecord]) -> Encoded:
        results = self.run(chunk)
        rows = [r.row for r in results if r.row is not None]
        rejected = tuple(r for r in results if r.row is None)
        payload: Any
        if self.encode == "parquet":
            import pyarrow as pa

            payload = pa.RecordBatch.from_pylist(rows, schema=self.schema)
        else:
            payload = "".join(
                json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
            )
        return Encoded(len(results), len(rows), payload, rejected)

    def run(self, chunk: list[RawRecord]) -> list[Result]:
        out: list[Result] = []
        evaluate = self.evaluator.evaluate
        for record in chunk:
            try:
                patient_id, state = decode(self.fmt, record)
                assessment = evaluate(state)
            except RecordError as exc:
                out.append(Result(record.position, None, str(exc), exc.problems))
                continue
            except EvaluationError as exc:
                out.append(Result(record.position, None, str(exc), (("<evaluation>", str(exc)),)))
                continue
            row = assessment_row(patient_id, assessment, engine=assessment.engine, full=self.full)
            out.append(Result(record.position, row))
        return out


_worker: _Worker | None = None


def _init_worker(
    choice: RuleChoice, fmt: InputFormat, full: bool, encode: OutputFormat | None
) -> None:
    global _worker
    _worker = _Worker(choice, fmt, full, encode)


def _call(method: Callable[[_Worker, list[RawRecord]], _T], chunk: list[RawRecord]) -> _T:
    assert _worker is not None, "worker used before its initializer ran"
    return method(_worker, chunk)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform has one)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return max(1, int(counter() or 1))
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _chunks(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def evaluate_records(
    records: Iterable[RawRecord],
    fmt: InputFormat,
    *,
    rules: RuleChoice | None = None,
    workers: int = 1,
    full: bool = False,
    chunk_size: int = 256,
) -> Iterator[Result]:
    """Evaluate ``records`` and yield one :class:`Result` per record, in input order.

    ``workers`` > 1 runs that many separate processes (durable-rules holds the GIL), each loading
    the rules once; ``workers`` == 1 evaluates in this process. At most ``2 * workers + 1`` chunks
    are in flight, so memory stays flat whatever the input size. The results do not depend on
    ``workers`` or ``chunk_size``.
    """
    for chunk in _ordered(_Worker.run, records, fmt, rules, workers, full, None, chunk_size):
        yield from chunk


def evaluate_encoded(
    records: Iterable[RawRecord],
    fmt: InputFormat,
    encode: OutputFormat,
    *,
    rules: RuleChoice | None = None,
    workers: int = 1,
    full: bool = False,
    chunk_size: int = 256,
) -> Iterator[Encoded]:
    """Like :func:`evaluate_records`, but each chunk comes back encoded for ``encode`` output by
    the worker that evaluated it (the writing process then only writes), in input order."""
    yield from _ordered(_Worker.encoded, records, fmt, rules, workers, full, encode, chunk_size)


def _ordered(
    method: Callable[[_Worker, list[RawRecord]], _T],
    records: Iterable[RawRecord],
    fmt: InputFormat,
    rules: RuleChoice | None,
    workers: int,
    full: bool,
    encode: OutputFormat | None,
    chunk_size: int,
) -> Iterator[_T]:
    if workers < 1:
        raise UsageError(f"workers must be at least 1, got {workers}")
    if chunk_size < 1:
        raise UsageError(f"chunk_size must be at least 1, got {chunk_size}")
    choice = rules or RuleChoice()
    if workers == 1:
        worker = _Worker(choice, fmt, full, encode)
        try:
            for chunk in _chunks(records, chunk_size):
                yield method(worker, chunk)
        finally:
            worker.evaluator.close()
        return
    # spawn, not fork: a forked child would inherit the parent's threads (a progress bar's
    # monitor, a caller's pool) and any engine state; each worker starts clean instead.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(choice, fmt, full, encode),
    ) as pool:
        pending: deque[Future[_T]] = deque()
        limit = 2 * workers + 1
        try:
            for chunk in _chunks(records, chunk_size):
                pending.append(pool.submit(_call, method, chunk))
                if len(pending) >= limit:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


__all__ = [
    "Encoded",
    "Result",
    "RuleChoice",
    "available_cpus",
    "evaluate_encoded",
    "evaluate_records",
]
