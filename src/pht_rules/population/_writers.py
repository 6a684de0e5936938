# SPDX-License-Identifier: MIT
"""Writing result rows and rejected records, so that an interrupted run never looks finished.

Every file is written under a ``.partial`` name beside its target and renamed into place only
when the run completes (a rename is atomic on one file system). A run that is stopped half-way
leaves the ``.partial`` files and no output under the final name; running it again restarts from
the beginning and replaces them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal

from pht_rules.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

OutputFormat = Literal["jsonl", "parquet"]


def output_format(path: str | Path) -> OutputFormat:
    """``parquet`` for a ``.parquet`` file name, else ``jsonl``."""
    return "parquet" if str(path).lower().endswith((".parquet", ".pq")) else "jsonl"


def partial_path(path: str | Path) -> Path:
    """Where ``path`` is written until the run completes."""
    p = Path(path)
    return p.with_name(p.name + ".partial")


class JsonLinesWriter:
    """Rows as JSON Lines: one compact object per line, keys in row order, UTF-8."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._tmp = partial_path(self.path)
        self._fh: IO[str] = open(self._tmp, "w", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def write(self, row: dict[str, Any]) -> None:
        self._fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        self._fh.write("\n")

    def write_encoded(self, text: str) -> None:
        """Write rows already encoded as JSON Lines text."""
        self._fh.write(text)

    def close(self, *, commit: bool) -> None:
        """Close the file; rename it into place only if ``commit``."""
        self._fh.close()
        if commit:
            os.replace(self._tmp, self.path)

    def __enter__(self) -> JsonLinesWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(commit=kind is None)


class ParquetWriter:
    """Rows as Parquet with a fixed schema, flushed every ``batch_rows`` rows (bounded memory)."""

    def __init__(self, path: str | Path, schema: pa.Schema, *, batch_rows: int = 8192) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        self._tmp = partial_path(self.path)
        self._schema = schema
        self._rows: list[dict[str, Any]] = []
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._batch_rows = batch_rows
        self._writer: pq.ParquetWriter = pq.ParquetWriter(self._tmp, schema)

    def write(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self._batch_rows:
            self._flush()

    def write_encoded(self, batch: pa.RecordBatch) -> None:
        """Write rows already encoded as an Arrow record batch of the writer's schema."""
        self._rows_to_batch()
        if batch.num_rows:
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
            if self._pending_rows >= self._batch_rows:
                self._flush()

    def _rows_to_batch(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._pending.append(pa.RecordBatch.from_pylist(self._rows, schema=self._schema))
            self._pending_rows += len(self._rows)
            self._rows = []

    def _flush(self) -> None:
        import pyarrow as pa

        self._rows_to_batch()
        if self._pending:
            self._writer.write_table(pa.Table.from_batches(self._pending, schema=self._schema))
            self._pending, self._pending_rows = [], 0

    def close(self, *, commit: bool) -> None:
        """Write what is buffered and close; rename into place only if ``commit``."""
        try:
            if commit:
                self._flush()
        finally:
            self._writer.close()
        if commit:
            os.replace(self._tmp, self.path)

    def __enter__(self) -> ParquetWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(commit=kind is None)


def open_writer(
    path: str | Path, fmt: OutputFormat, schema: pa.Schema | None = None
) -> JsonLinesWriter | ParquetWriter:
    """A writer for ``fmt``; Parquet needs the result ``schema``."""
    if fmt == "parquet":
        if schema is None:
            raise UsageError("a Parquet output needs its schema")
        return ParquetWriter(path, schema)
    return JsonLinesWriter(path)


__all__ = [
    "JsonLinesWriter",
    "OutputFormat",
    "ParquetWriter",
    "open_writer",
    "output_format",
    "partial_path",
]
