# SPDX-License-Identifier: MIT
"""The ``pht-rules`` command: one argparse tree, each subcommand's heavy imports made when it runs.

The tree and the exit codes are in :mod:`pht_rules.cli.commands`.
"""

from pht_rules.cli.commands import build_parser, main

__all__ = ["build_parser", "main"]
