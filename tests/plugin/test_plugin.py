# SPDX-License-Identifier: MIT
"""The pytest plugin and the one-line suite, run in inner pytest sessions (``pytester``).

Inner sessions run in subprocesses: an in-process session drops the modules it imported when it
ends, which would leave the kit's cached strategies pointing at discarded hypothesis classes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pht_rules.audit.cases import CaseRunner, load_cases

pytest_plugins = ["pytester"]

APP = '''
"""A health app's integration: questionnaire in, screen out."""
import pht_rules
from pht_rules.testing import Wrapper, as_answered_dict, read_outcomes

BANNERS = {
    "refer-emergency": "emergency",
    "refer-urgent": "urgent",
    "assess-before-loading": "assess",
}  # BUG: "refer-medical-review" (systemic symptoms, night pain) shows no banner


def advise(form):
    a = pht_rules.evaluate(form)
    return {
        "banner": BANNERS.get(a.decision("presentation").outcome),
        "running": {"advice": a.decision("running").outcome},
        "exercise": {"step": a.decision("loading").outcome},
    }


SHOWN = read_outcomes(
    {"presentation": "banner", "running": "running.advice", "loading": "exercise.step"},
    translate={"presentation": {v: k for k, v in BANNERS.items()}},
)
WRAPPER = Wrapper(advise, to_input=as_answered_dict, from_output=SHOWN, name="app.advise")
'''


@pytest.fixture
def app(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(app=APP)
    return pytester


def test_plugin_is_registered_and_inert(pytester: pytest.Pytester) -> None:
    """Installed, the plugin loads in every session and changes nothing until it is used."""
    pytester.makepyfile(
        test_plain="""
        def test_plain(request):
            assert request.config.pluginmanager.hasplugin("pht_rules")
            assert request.config.getoption("pht_rules_budget") is None
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "pht_rules" not in result.stdout.str()
    assert not (pytester.path / ".hypothesis").exists()
    off = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:pht_rules")
    off.assert_outcomes(failed=1)  # hasplugin is false once switched off


def test_plugin_imports_without_hypothesis() -> None:
    """Without the testing extra the plugin and the package import; the names that need
    hypothesis say so."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["hypothesis"] = None  # as if the extra were not installed
        import pht_rules.testing.plugin
        from pht_rules.testing import INVARIANTS, Wrapper, check_invariants
        try:
            from pht_rules.testing import patient_states
        except ImportError as exc:
            print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        "pht_rules.testing.patient_states needs hypothesis (pip install 'pht-rules[testing]')"
    )


def test_one_line_suite_passes_for_the_bundled_rules(pytester: pytest.Pytester) -> None:
    """``TestX = safety_suite()`` runs every check against the bundled rules."""
    pytester.makepyfile(
        test_rules="""
        from pht_rules.testing import safety_suite

        TestBundledRules = safety_suite()
        TestWithoutOneRelation = safety_suite(skip=["REL-UNREAD-FIELDS"])
        """
    )
    result = pytester.runpytest_subprocess("--pht-rules-budget=20", "-p", "no:cacheprovider", "-rs")
    # Each: invariants, 9 pictures and the relations pass; conformance (an app's) is skipped.
    result.assert_outcomes(passed=14 + 13, skipped=1 + 2)


def test_a_wrapper_that_drops_a_red_flag_is_caught(app: pytest.Pytester, tmp_path: Path) -> None:
    """The app that shows no banner for a medical-review referral fails, with the minimal
    patient printed (and written) as a clinical case that the rules pass."""
    app.makepyfile(
        test_app="""
        from app import WRAPPER
        from pht_rules.testing import safety_suite

        TestApp = safety_suite(WRAPPER)
        """
    )
    cases = tmp_path / "found"
    result = app.runpytest_subprocess(
        "--pht-rules-budget=300",
        f"--pht-rules-case-dir={cases}",
        "-p",
        "no:cacheprovider",
        "-k",
        "red-flag or conforms",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 1, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*FAILED test_app.py::TestApp::test_invariants_in_picture?red-flag?*"]
    )
    text = result.stdout.str()
    assert "INV-RED-FLAG-HALTS: red flag ['presentation." in text
    assert "Minimal patient as a clinical case" in text
    assert "presentation: refer-medical-review" in text
    written = sorted(cases.glob("*.yaml"))
    assert written, "no case file written"
    runner = CaseRunner()
    try:
        for path in written:
            for case in load_cases(path):
                assert runner.run(case).passed, (path.read_text(), runner.run(case).failures)
    finally:
        runner.close()


def test_the_fixed_wrapper_passes(app: pytest.Pytester) -> None:
    """With every referral mapped, the app passes the whole suite (no skips needed: a gap the
    rules themselves have is not the app's)."""
    app.makepyfile(
        test_app="""
        import app
        from pht_rules.testing import safety_suite

        app.BANNERS["refer-medical-review"] = "medical-review"
        app.SHOWN = app.read_outcomes(
            {"presentation": "banner", "running": "running.advice", "loading": "exercise.step"},
            translate={"presentation": {v: k for k, v in app.BANNERS.items()}},
        )
        TestApp = safety_suite(app.Wrapper(app.advise, to_input=app.as_answered_dict,
                                           from_output=app.SHOWN))
        """
    )
    result = app.runpytest_subprocess("--pht-rules-budget=40", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=15)


def test_budget_option_header_fixture_and_errors(pytester: pytest.Pytester) -> None:
    """The budget shows in the header and in the fixtures; a bad budget is a usage error."""
    pytester.makepyfile(
        test_budget="""
        def test_budget(pht_rules_budget, pht_rules_settings):
            assert pht_rules_budget == 7
            assert pht_rules_settings.max_examples == 7
            assert pht_rules_settings.deadline is None
        """
    )
    result = pytester.runpytest_subprocess("--pht-rules-budget=7", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["pht_rules testing kit: budget 7 (7 examples per property)"])
    bad = pytester.runpytest_subprocess("--pht-rules-budget=lots", "-p", "no:cacheprovider")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--pht-rules-budget: unknown example budget 'lots'*"])


def test_marker_selects_the_kit(pytester: pytest.Pytester) -> None:
    """``-m pht_rules_safety`` selects the suite's tests and nothing else."""
    pytester.makepyfile(
        test_mixed="""
        from pht_rules.testing import safety_suite

        TestRules = safety_suite()

        def test_other():
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "-m", "pht_rules_safety", "--collect-only", "-q", "--strict-markers"
    )
    assert "test_other" not in result.stdout.str()
    assert "TestRules::test_invariants" in result.stdout.str()


def test_kit_namespace_is_complete() -> None:
    """Every name in ``pht_rules.testing.__all__`` exists, and the list is sorted."""
    import pht_rules.testing as kit

    assert kit.__all__ == sorted(kit.__all__)
    assert all(getattr(kit, name) is not None for name in kit.__all__)
    assert len(kit.__all__) >= 50
