# SPDX-License-Identifier: MIT
"""The one text vocabulary of pht_rules: how values and placeholders read.

Explanations, generated documents, cards, audit, verification and diff reports and the safety
kit's reports all show values through :func:`show_value`; advice and detail texts name parameters
as ``{name}`` placeholders, read and filled only here.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

__all__ = ["fill_placeholders", "placeholder_names", "show_value", "with_values"]


def show_value(value: object) -> str:
    """A field value as it reads in every report: ``yes`` / ``no``, ``unknown`` for ``None``."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def placeholder_names(text: str) -> list[str]:
    """The parameter names ``text`` refers to as ``{name}``, in order (``ValueError`` if malformed)."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def fill_placeholders(text: str, params: Mapping[str, int]) -> str:
    """``text`` with each ``{name}`` replaced by the parameter's value."""
    return text.format_map(params) if "{" in text else text


def with_values(text: str, params: Mapping[str, int]) -> str:
    """``text`` with each ``{name}`` placeholder followed by its value: ``{name} (=value)``."""
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            value = params.get(name)
            out.append("{" + name + "}" + ("" if value is None else f" (={value})"))
    return "".join(out)
