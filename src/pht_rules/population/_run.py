# SPDX-License-Identifier: MIT
"""A whole population run over files: read, evaluate, write, count, and check the counts."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pht_rules.population._batch import Encoded, RuleChoice, evaluate_encoded
from pht_rules.population._records import InputFormat, count_records, detect_format, read_raw
from pht_rules.population._rows import error_row, ruleset_schema
from pht_rules.population._writers import (
    JsonLinesWriter,
    OutputFormat,
    open_writer,
    output_format,
)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The counts of a finished run: every record read was written or rejected."""

    read: int
    written: int
    rejected: int
    seconds: float
    output: Path
    errors: Path

    @property
    def balanced(self) -> bool:
        """``read == written + rejected``: nothing was lost."""
        return self.read == self.written + self.rejected

    def describe(self) -> str:
        """One line for people: the counts, the check, and the rate."""
        check = "ok" if self.balanced else "MISMATCH"
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        return (
            f"read {self.read:,} = written {self.written:,} + rejected {self.rejected:,} "
            f"({check}); {self.seconds:.1f} s, {rate:,.0f} patients/s; "
            f"results {self.output}, rejected records {self.errors}"
        )


def default_errors_path(output: str | Path) -> Path:
    """Where rejected records go unless told: ``OUTPUT.errors.jsonl`` beside the output."""
    p = Path(output)
    return p.with_name(p.name + ".errors.jsonl")


def _progress(chunks: Iterator[Encoded], total: int | None, show: bool) -> Iterator[Encoded]:
    if not show:
        yield from chunks
        return
    from tqdm import tqdm

    with tqdm(total=total, unit=" patients", unit_scale=True, file=sys.stderr) as bar:
        for chunk in chunks:
            yield chunk
            bar.update(chunk.read)


def run_file(
    source: str | Path,
    output: str | Path,
    *,
    input_format: InputFormat | None = None,
    output_format_: OutputFormat | None = None,
    errors: str | Path | None = None,
    rules: RuleChoice | None = None,
    workers: int = 1,
    full: bool = False,
    progress: bool = False,
) -> RunSummary:
    """Evaluate every record of ``source`` into ``output`` and rejected ones into ``errors``.

    Both files appear under their names only when the run completes (see
    :mod:`pht_rules.population._writers`): an interrupted run is restarted, not resumed.
    ``progress`` shows a bar with rate and ETA on stderr.
    """
    fmt = input_format or detect_format(source)
    out_fmt = output_format_ or output_format(output)
    errors_path = Path(errors) if errors else default_errors_path(output)
    choice = rules or RuleChoice()
    schema = None
    if out_fmt == "parquet":
        schema = ruleset_schema(choice.ruleset(), full=full)
    total = count_records(source, fmt) if progress else None
    read = written = rejected = 0
    start = time.perf_counter()
    label = str(source)
    with (
        open_writer(output, out_fmt, schema) as writer,
        JsonLinesWriter(errors_path) as error_writer,
    ):
        encoded = evaluate_encoded(
            read_raw(source, fmt), fmt, out_fmt, rules=choice, workers=workers, full=full
        )
        for chunk in _progress(encoded, total, progress):
            read += chunk.read
            writer.write_encoded(chunk.payload)
            written += chunk.written
            for result in chunk.rejected:
                error_writer.write(
                    error_row(label, result.position, result.error or "", result.problems)
                )
                rejected += 1
    return RunSummary(
        read, written, rejected, time.perf_counter() - start, Path(output), errors_path
    )


def read_results(path: str | Path) -> Iterator[dict[str, Any]]:
    """Stream the rows of a results file (JSON Lines or Parquet), in order."""
    import json

    if output_format(path) == "parquet":
        import pyarrow.parquet as pq

        p = Path(path)
        # A directory is a Spark output: its part files, in partition order.
        parts = sorted(p.glob("*.parquet")) if p.is_dir() else [p]
        for part in parts:
            with pq.ParquetFile(part) as pf:
                for batch in pf.iter_batches(batch_size=4096):
                    yield from batch.to_pylist()
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


__all__ = [
    "RunSummary",
    "default_errors_path",
    "read_results",
    "run_file",
]
