# SPDX-License-Identifier: MIT
"""A quick, conservative check of a typical ``QuestionnaireResponse`` (no ``fhir.resources``).

It says "valid" only for a response made of the elements an intake response uses (``id``,
``meta`` version and time, ``questionnaire``, ``status``, ``subject`` reference, ``authored``,
``language``, items with ``linkId``/``text``/``definition``/``answer``/``item``, answers with a
primitive value or a ``Coding``), each of the R4 type and format it must have. Anything else, or
anything it cannot vouch for, returns ``False`` and the full ``fhir.resources`` validation decides
(and words the error). So it never accepts what the full validation refuses, for about a tenth of
the time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["quick_valid_response"]

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_URI = re.compile(r"\S+")
_STRING = re.compile(r"[ \r\n\t\S]+")
_DATE_TIME = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
    r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?"
)
_DATE = re.compile(
    r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
    r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?"
)
_STATUS = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
_INT32 = (-(2**31), 2**31 - 1)


def _str(value: object, pattern: re.Pattern[str] = _STRING) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _reference(value: object) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    checks = {"reference": _STRING, "display": _STRING, "type": _URI}
    return all(k in checks and _str(v, checks[k]) for k, v in value.items())


def _coding(value: object) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    for key, item in value.items():
        if key == "userSelected":
            if not isinstance(item, bool):
                return False
        elif key in ("system",):
            if not _str(item, _URI):
                return False
        elif key == "code":
            if not _str(item, _CODE):
                return False
        elif key in ("display", "version"):
            if not _str(item):
                return False
        else:
            return False
    return True


def _answer(answer: object) -> bool:
    if not isinstance(answer, Mapping):
        return False
    values = 0
    for key, value in answer.items():
        if key == "item":
            if not _items(value):
                return False
            continue
        values += 1
        if key == "valueBoolean":
            ok = isinstance(value, bool)
        elif key == "valueInteger":
            ok = (
                isinstance(value, int)
                and not isinstance(value, bool)
                and _INT32[0] <= value <= _INT32[1]
            )
        elif key == "valueString":
            ok = _str(value)
        elif key == "valueDate":
            ok = _str(value, _DATE)
        elif key == "valueDateTime":
            ok = _str(value, _DATE_TIME)
        elif key == "valueCoding":
            ok = _coding(value)
        else:
            return False
        if not ok:
            return False
    return values == 1


def _items(items: object) -> bool:
    if not isinstance(items, list) or not items:
        return False
    for item in items:
        if not isinstance(item, Mapping) or not _str(item.get("linkId")):
            return False
        for key, value in item.items():
            if key == "linkId":
                continue
            if key in ("text",):
                ok = _str(value)
            elif key == "definition":
                ok = _str(value, _URI)
            elif key == "answer":
                ok = isinstance(value, list) and bool(value) and all(_answer(a) for a in value)
            elif key == "item":
                ok = _items(value)
            else:
                return False
            if not ok:
                return False
    return True


def _meta(meta: object) -> bool:
    if not isinstance(meta, Mapping) or not meta:
        return False
    checks = {"versionId": _ID, "lastUpdated": _DATE_TIME, "source": _URI}
    return all(k in checks and _str(v, checks[k]) for k, v in meta.items())


def quick_valid_response(resource: Mapping[str, Any]) -> bool:
    """``True`` only if ``resource`` is certainly a structurally valid R4 QuestionnaireResponse."""
    if resource.get("resourceType") != "QuestionnaireResponse" or not _str(
        resource.get("status"), _CODE
    ):
        return False
    for key, value in resource.items():
        if key == "resourceType":
            continue
        if key == "id":
            ok = _str(value, _ID)
        elif key == "meta":
            ok = _meta(value)
        elif key == "questionnaire":
            ok = _str(value, _URI)
        elif key == "status":
            ok = value in _STATUS
        elif key == "subject":
            ok = _reference(value)
        elif key == "authored":
            ok = _str(value, _DATE_TIME) and "T" in value
        elif key == "language":
            ok = _str(value, _CODE)
        elif key == "item":
            ok = _items(value)
        else:
            return False
        if not ok:
            return False
    return True
