# SPDX-License-Identifier: MIT
"""Strict reading of untrusted input: JSON text and Python values, before any model sees them.

Every entry point that takes JSON (``evaluate`` on text, the command line, case files, profiles,
service bodies) reads it here, so the same rules hold everywhere:

- a key given twice in one object is an error naming its path (JSON parsers usually keep the last
  value, which could silently drop a red flag);
- ``NaN``, ``Infinity`` and numbers too long to be a patient's answer are errors;
- a UTF-8 byte-order mark is accepted; bytes that are not UTF-8 are one clear error;
- nesting deeper than any valid input is an error, not a ``RecursionError``;
- a float with an integral value (``5.0``, ``72e0``) is read as that integer: JSON has one number
  type, and the JSON Schema calls these integers.

Problems are reported as :class:`~pht_rules.errors.FieldProblem` values whose text is bounded and
escaped (:func:`shown`), safe to print on one terminal line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from pht_rules.errors import FieldProblem, ProblemsError

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_DIGITS",
    "MAX_SHOWN",
    "InputProblems",
    "loads",
    "normalise",
    "path_text",
    "shown",
    "shown_key",
    "shown_text",
]

MAX_DEPTH = 32
"""Deepest nesting accepted; valid inputs are at most three levels deep."""

MAX_NUMBER_DIGITS = 30
"""Longest number (in characters) accepted in JSON text; no answer needs more."""

MAX_SHOWN = 60
"""Longest text shown for a value or a key in a message; longer ones are cut with an ellipsis."""

_BOM = "\ufeff"


class InputProblems(ProblemsError[FieldProblem], ValueError):
    """Problems found while reading input strictly; callers usually re-raise them as their own
    error (:class:`~pht_rules.errors.PatientStateError`, :class:`~pht_rules.errors.ProfileError`)."""


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A short, printable description of ``value`` for an error message.

    Never raises and never returns more than about ``limit`` characters: control characters,
    ANSI escapes and other unprintable characters are shown escaped, long text is cut, huge
    integers are described by their size, deep structures are summarised.
    """
    try:
        if isinstance(value, bool) or value is None:
            text = repr(value)
        elif isinstance(value, int):
            digits = value.bit_length() * 0.30103
            text = (
                repr(value) if digits < limit else f"<an integer of about {int(digits) + 1} digits>"
            )
        elif isinstance(value, float | str):
            text = repr(value)
        elif isinstance(value, bytes | bytearray):
            text = repr(bytes(value[: limit + 1]))
        elif isinstance(value, Mapping | list | tuple | set | frozenset):
            text = f"<{type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''}>"
        else:
            text = f"<{type(value).__name__}>"
    except Exception:  # a value whose repr or len fails says nothing useful either
        text = f"<{type(value).__name__}>"
    return _cut(_escape(text), limit)


def shown_text(text: str, limit: int = 200) -> str:
    """A message text made safe to print: unprintable characters escaped, cut at ``limit``."""
    return _cut(_escape(text), limit)


def shown_key(key: object, limit: int = MAX_SHOWN) -> str:
    """A key of a path in an error message: the text itself if plain, else escaped and cut."""
    if isinstance(key, str) and key.isprintable() and len(key) <= limit:
        return key
    return shown(key, limit)


def _escape(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def path_text(parts: tuple[object, ...] | list[object]) -> str:
    """A dotted path of keys (list positions in brackets), each shown safely."""
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + shown_key(part)
    return _cut(out, 4 * MAX_SHOWN)


class _Object(dict[str, Any]):
    """A JSON object as read; ``repeated`` lists the keys given more than once."""

    __slots__ = ("repeated",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated: list[str] = []
        if len(self) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen and key not in self.repeated:
                    self.repeated.append(key)
                seen.add(key)


def _constant(name: str) -> Any:
    raise _Rejected(f"{name} is not a number that JSON allows")


def _number(text: str) -> Any:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _Rejected(
            f"a number of {len(text)} characters is too long (at most {MAX_NUMBER_DIGITS})"
        )
    return None


class _Rejected(ValueError):
    pass


def _parse_int(text: str) -> int:
    _number(text)
    return int(text)


def _parse_float(text: str) -> float | int:
    _number(text)
    value = float(text)
    if not math.isfinite(value):
        raise _Rejected(f"{shown(text)} is out of range")
    return value


def loads(text: str | bytes | bytearray, *, what: str = "input") -> Any:
    """Parse JSON text strictly (see the module docstring); integral floats become integers.

    Raises :class:`InputProblems` with one problem naming where the text is wrong; ``what``
    names the input in messages (for example ``"profile"``).
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputProblems(
                [
                    FieldProblem(
                        "",
                        f"{what} is not valid JSON: not UTF-8 text (invalid byte at position "
                        f"{exc.start})",
                    )
                ]
            ) from None
    if text.startswith(_BOM):
        text = text[1:]
    try:
        data = json.loads(
            text,
            object_pairs_hook=_Object,
            parse_constant=_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except _Rejected as exc:
        raise InputProblems([FieldProblem("", f"{what} is not valid JSON: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise InputProblems(
            [
                FieldProblem(
                    "",
                    f"{what} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                )
            ]
        ) from None
    except RecursionError:
        raise InputProblems(
            [FieldProblem("", f"{what} is nested too deeply (at most {MAX_DEPTH} levels)")]
        ) from None
    problems = list(_repeated_keys(data, ()))
    if problems:
        raise InputProblems(problems)
    return normalise(data)


def _repeated_keys(node: Any, path: tuple[object, ...]) -> Iterator[FieldProblem]:
    stack: list[tuple[Any, tuple[object, ...]]] = [(node, path)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Object):
            for key in node.repeated:
                yield FieldProblem(
                    path_text([*path, key]), "is given more than once (each key at most once)"
                )
            stack.extend((v, (*path, k)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node))))


def normalise(data: Any) -> Any:
    """A plain copy of ``data`` (mappings as dicts, lists) with integral floats as integers.

    Raises :class:`InputProblems` for nesting deeper than :data:`MAX_DEPTH` and for NaN or
    infinite floats, naming the path. Other values pass through for the model to judge.
    """
    return _normalise(data, (), 0)


def _normalise(value: Any, path: tuple[object, ...], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InputProblems(
            [FieldProblem(path_text(path), f"is nested too deeply (at most {MAX_DEPTH} levels)")]
        )
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputProblems([FieldProblem(path_text(path), f"{value} is not a number")])
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception as exc:
            raise InputProblems(
                [FieldProblem(path_text(path), f"cannot be read ({type(exc).__name__})")]
            ) from None
        return {k: _normalise(v, (*path, k), depth + 1) for k, v in items}
    if isinstance(value, list):
        return [_normalise(v, (*path, i), depth + 1) for i, v in enumerate(value)]
    return value
