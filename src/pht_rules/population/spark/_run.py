# SPDX-License-Identifier: MIT
"""A whole population run on Spark: read a file, evaluate on the executors, write, count."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pht_rules.population import (
    InputFormat,
    JsonLinesWriter,
    RecordError,
    RuleChoice,
    RunSummary,
    default_errors_path,
    detect_format,
    error_row,
    partial_path,
)
from pht_rules.population.spark._frames import POSITION, evaluate_dataframe, evaluate_text

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def session(master: str, app_name: str = "pht-rules") -> SparkSession:
    """A Spark session on ``master`` (``local[2]``, ``spark://...``, ``yarn``...).

    In local mode the Python workers run this interpreter unless ``PYSPARK_PYTHON`` says
    otherwise, so they see the same pht-rules installation as the driver.
    """
    from pyspark.sql import SparkSession

    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def _replace_dir(tmp: Path, target: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    tmp.rename(target)


def run_spark_file(
    source: str | Path,
    output: str | Path,
    *,
    master: str = "local[2]",
    input_format: InputFormat | None = None,
    errors: str | Path | None = None,
    rules: RuleChoice | None = None,
    full: bool = False,
    spark: SparkSession | None = None,
) -> RunSummary:
    """Evaluate ``source`` on Spark into ``output``, a directory of Parquet part files.

    The rows are those of :func:`pht_rules.population.run_file`, in input order. Rejected records
    go to ``errors`` (JSON Lines) with their id. Results are staged and moved into place only
    when the run completes: an interrupted run is restarted, not resumed.
    """
    from pyspark.sql import functions as F

    fmt = input_format or detect_format(source)
    out = Path(output)
    errors_path = Path(errors) if errors else default_errors_path(out)
    own = spark is None
    spark = spark or session(master)
    start = time.perf_counter()
    staging = out.with_name(out.name + ".staging")
    try:
        if fmt == "parquet":
            df = spark.read.parquet(str(source))
        elif fmt in ("jsonl", "fhir-ndjson"):
            df = spark.read.text(str(source)).filter(F.trim(F.col("value")) != "")
        else:
            raise RecordError(
                f"{source}: Spark runs read Parquet, JSON Lines or FHIR NDJSON, not {fmt}",
                [("<file>", f"format {fmt} not supported on Spark")],
            )
        # A single input file is often a single split: spread it over every core, keeping the
        # input order in a column so that the output can be put back in it.
        df = df.withColumn(POSITION, F.monotonically_increasing_id())
        df = df.repartition(max(1, spark.sparkContext.defaultParallelism) * 4)
        if fmt == "parquet":
            results = evaluate_dataframe(df, rules=rules, full=full)
        else:
            results = evaluate_text(df, input_format=fmt, rules=rules, full=full)
        results.write.mode("overwrite").parquet(str(staging))
        staged = spark.read.parquet(str(staging))
        tmp = partial_path(out)
        (
            staged.filter(F.col("error").isNull())
            .orderBy(POSITION)
            .drop("error", POSITION)
            .write.mode("overwrite")
            .parquet(str(tmp))
        )
        rejected = 0
        with JsonLinesWriter(errors_path) as writer:
            bad = staged.filter(F.col("error").isNotNull()).orderBy(POSITION)
            for row in bad.select("id", "error").toLocalIterator():
                writer.write(error_row(str(source), None, row["error"], (), patient_id=row["id"]))
                rejected += 1
        read = staged.count()
        written = spark.read.parquet(str(tmp)).count()
        _replace_dir(tmp, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if own:
            spark.stop()
    return RunSummary(read, written, rejected, time.perf_counter() - start, out, errors_path)


__all__ = [
    "run_spark_file",
    "session",
]
