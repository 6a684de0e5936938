# SPDX-License-Identifier: MIT
"""Population scale: stream many patients through the rules, on all cores, and audit the results.

- :func:`run_file` - a file of patients (JSON Lines, CSV with dotted columns, Parquet, or FHIR
  Bulk Data NDJSON of QuestionnaireResponses) to a results file (JSON Lines or Parquet), one row
  per patient, rejected records to an error file, with counts checked at the end.
- :func:`evaluate_records` / :func:`read_raw` / :func:`decode` - the same, streamed, for callers
  that bring their own records; :func:`assessment_row` is the row of one assessment.
- :func:`synthetic_cohort` / :func:`write_cohort` - a reproducible synthetic cohort (assumed
  case mix, :class:`CaseMix`).
- :func:`summarise` / :func:`render_markdown` / :func:`render_html` - the population report.
- :func:`population_diff` - whose advice changes between two rule sets.

Needs the ``population`` extra (pyarrow for Parquet, tqdm for the progress bar); the report's
charts need the ``report`` extra (matplotlib).
"""

from pht_rules.population._batch import (
    Result,
    RuleChoice,
    available_cpus,
    evaluate_records,
)
from pht_rules.population._records import (
    INPUT_FORMATS,
    InputFormat,
    RawRecord,
    RecordError,
    count_records,
    decode,
    detect_format,
    read_raw,
    unflatten,
)
from pht_rules.population._rows import (
    ROW_COLUMNS,
    assessment_row,
    error_row,
    result_schema,
    ruleset_schema,
)
from pht_rules.population._run import RunSummary, default_errors_path, read_results, run_file
from pht_rules.population._writers import (
    JsonLinesWriter,
    OutputFormat,
    ParquetWriter,
    output_format,
    partial_path,
)
from pht_rules.population.diff import PopulationDiff, population_diff
from pht_rules.population.report import (
    PopulationSummary,
    render_html,
    render_markdown,
    summarise,
)
from pht_rules.population.synth import (
    DEFAULT_MIX,
    CaseMix,
    state_schema,
    synthetic_cohort,
    write_cohort,
)

__all__ = [
    "DEFAULT_MIX",
    "INPUT_FORMATS",
    "ROW_COLUMNS",
    "CaseMix",
    "InputFormat",
    "JsonLinesWriter",
    "OutputFormat",
    "ParquetWriter",
    "PopulationDiff",
    "PopulationSummary",
    "RawRecord",
    "RecordError",
    "Result",
    "RuleChoice",
    "RunSummary",
    "assessment_row",
    "available_cpus",
    "count_records",
    "decode",
    "default_errors_path",
    "detect_format",
    "error_row",
    "evaluate_records",
    "output_format",
    "partial_path",
    "population_diff",
    "read_raw",
    "read_results",
    "render_html",
    "render_markdown",
    "result_schema",
    "ruleset_schema",
    "run_file",
    "state_schema",
    "summarise",
    "synthetic_cohort",
    "unflatten",
    "write_cohort",
]
