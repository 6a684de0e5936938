# SPDX-License-Identifier: MIT
"""Apache Spark: evaluate a DataFrame of patient states and get a DataFrame of result rows.

- :func:`evaluate_dataframe` - patient states as group struct columns (the Parquet layout of
  :func:`pht_rules.population.state_schema`), one ``state`` struct column, or dotted columns
  (``symptoms.pain_at_rest``) -> the result rows of :mod:`pht_rules.population`, plus ``error``.
- :func:`evaluate_text` - a DataFrame of text lines (JSON Lines or FHIR NDJSON) -> the same.
- :func:`run_spark_file` - a whole run over a file, as ``pht-rules batch --spark MASTER``.

Uses ``mapInArrow``: each Python worker of each executor compiles the rules once and reuses them
for every batch. Needs the ``spark`` extra (pyspark with its Arrow support).
"""

from pht_rules.population.spark._frames import (
    evaluate_dataframe,
    evaluate_text,
    spark_result_schema,
)
from pht_rules.population.spark._run import run_spark_file

__all__ = ["evaluate_dataframe", "evaluate_text", "run_spark_file", "spark_result_schema"]
