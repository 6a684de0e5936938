# SPDX-License-Identifier: MIT
"""No input slips past or crashes: duplicate keys anywhere, encodings, byte-order marks, and
bounded, escaped, one-line error messages on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pht_rules
from pht_rules import PatientStateError, ProfileError, RuleFileError
from pht_rules.audit.cases import load_cases
from pht_rules.cli.commands import EXIT_INPUT, EXIT_OK, EXIT_RULES, main
from tests.helpers import EXAMPLES

EXAMPLE = EXAMPLES / "less-irritable-marathoner.json"
RED_FLAG_TWICE = (
    '{"presentation": {"cauda_equina_symptoms": true, "onset": "gradual", '
    '"cauda_equina_symptoms": false}}'
)


def test_a_key_given_twice_is_an_error_naming_its_path() -> None:
    """A red flag cannot vanish behind a second, later value of the same key."""
    for text in (RED_FLAG_TWICE, RED_FLAG_TWICE.encode()):
        with pytest.raises(PatientStateError) as info:
            pht_rules.evaluate(text)
        assert info.value.field_paths == ("presentation.cauda_equina_symptoms",)
        assert "is given more than once" in str(info.value)


def test_cli_refuses_duplicate_keys_in_states_and_profiles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 3 with one line naming the repeated key, for the state and for a profile."""
    state = tmp_path / "state.json"
    state.write_text(RED_FLAG_TWICE, encoding="utf-8")
    assert main(["evaluate", str(state)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "presentation.cauda_equina_symptoms" in err
    profile = tmp_path / "p.json"
    profile.write_text('{"stop_running_days": 14, "stop_running_days": 21}', encoding="utf-8")
    assert main(["evaluate", str(EXAMPLE), "--profile", str(profile)]) == EXIT_INPUT
    assert "stop_running_days: is given more than once" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        ({1: 2}, "1"),
        ([("stop_running_days", 14)], "<root>"),
        ("stop_running_days", "<root>"),
    ],
)
def test_profiles_are_validated_like_states(profile: object, field: str) -> None:
    """A profile that is not a mapping of names to whole numbers is a ProfileError."""
    with pytest.raises(ProfileError) as info:
        pht_rules.evaluate({}, profile)  # type: ignore[arg-type]
    assert str(info.value).startswith(f"invalid profile: {field}: ")


def test_profile_name_must_be_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``"name": 5`` is refused, never echoed into the assessment."""
    with pytest.raises(ProfileError, match="name: must be text, got 5"):
        pht_rules.Profile({}, name=5)  # type: ignore[arg-type]
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"name": 5, "overrides": {}}), encoding="utf-8")
    assert main(["evaluate", str(EXAMPLE), "--profile", str(path)]) == EXIT_INPUT
    assert "name: must be text, got 5" in capsys.readouterr().err
    assessment = pht_rules.evaluate({}, {"stop_running_days": 21.0})
    assert [p.value for p in assessment.parameters if p.name == "stop_running_days"] == [21]


def test_case_files_refuse_duplicate_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case whose state gives a key twice is a case-file error with its line, exit 4."""
    path = tmp_path / "cases.yaml"
    path.write_text(
        "cases:\n"
        "  - id: twice\n"
        "    description: A red flag given twice.\n"
        "    state:\n"
        "      presentation: {cauda_equina_symptoms: true, cauda_equina_symptoms: false}\n"
        "    expect: {outcomes: {presentation: refer-emergency}}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="'cauda_equina_symptoms' is given more than once"):
        load_cases(path)
    assert main(["check", str(path)]) == EXIT_RULES
    assert "line 5" in capsys.readouterr().err


def _run(*args: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pht_rules.cli", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **env},
        check=False,
    )


def test_bom_and_bad_encoding_from_file_and_stdin(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark is accepted; invalid UTF-8 gives the same exit code and message
    from a file and from standard input, whatever the locale and stream encoding."""
    text = EXAMPLE.read_bytes()
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + text)
    assert main(["evaluate", str(bom), "--indent", "0"]) == EXIT_OK
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"age_years": 4\xff}')
    results = [
        _run("evaluate", str(bad)),
        _run("evaluate", "-", stdin=bad.read_bytes()),
        _run("evaluate", "-", stdin=bad.read_bytes(), PYTHONIOENCODING="ascii", LC_ALL="C"),
    ]
    for r in results:
        assert r.returncode == EXIT_INPUT, r.stderr
        assert b"Traceback" not in r.stderr and r.stderr.count(b"\n") == 1
    assert results[0].stderr == results[1].stderr == results[2].stderr
    assert b"not UTF-8 text (invalid byte at position 15)" in results[0].stderr


def test_cli_error_is_one_escaped_bounded_line(tmp_path: Path) -> None:
    """An unknown key with a newline, an ANSI escape and a megabyte of text, or a number of 5,000
    digits, is shown escaped and cut: one short line, safe for a terminal."""
    key = "evil\n\x1b[31mred" + "x" * 1_000_000
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps({key: 1}), encoding="utf-8")
    huge = tmp_path / "huge.json"
    huge.write_text('{"age_years": 1' + "0" * 5000 + "}", encoding="utf-8")
    errors = []
    for path in (evil, huge):
        r = _run("evaluate", str(path))
        assert r.returncode == EXIT_INPUT
        err = r.stderr.decode("utf-8")
        assert err.count("\n") == 1 and "\x1b" not in err and len(err) < 1000
        errors.append(err)
    assert "evil\\n\\x1b[31mred" in errors[0] and "..." in errors[0]
    assert "a number of 5001 characters is too long" in errors[1]
