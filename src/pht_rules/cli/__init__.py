# SPDX-License-Identifier: MIT
"""The ``pht-rules`` command: one argparse tree, each subcommand's heavy imports made when it runs."""

from pht_rules.cli.commands import (
    EXIT_CHECK_FAILED,
    EXIT_EVALUATION,
    EXIT_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_RULES,
    EXIT_USAGE,
    build_parser,
    main,
)

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_EVALUATION",
    "EXIT_INPUT",
    "EXIT_IO",
    "EXIT_OK",
    "EXIT_RULES",
    "EXIT_USAGE",
    "build_parser",
    "main",
]
