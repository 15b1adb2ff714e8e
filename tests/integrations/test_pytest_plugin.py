"""The pytest plugin (`pytest11` entry point), through `pytester`: opt-in `.wf` items, check and design."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

GOOD = (
    "workflow Good {\n  events { go }\n"
    "  initial state A { on go -> B  timeout 1h -> B }\n  final state B\n}\n"
)
BROKEN = (
    "workflow Broken {\n  events { submit, approve }\n"
    "  initial state Draft { on submit -> Waiting  timeout 1h -> Done }\n"
    "  state Waiting { on approve -> Done }\n  final state Done\n}\n"
)
"""Waiting has no timeout (SW601) and events go undecided (SW311): warnings only."""
ERROR = "workflow Bad {\n  events { go }\n  initial state A { on go -> Nowhere }\n}\n"
FAST = "[pytest]\nstatewright_max_examples = 3\nstatewright_steps = 3\nstatewright_depth = 4\n"


def test_wf_files_are_not_collected_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makefile(".wf", good=GOOD)
    result = pytester.runpytest("--collect-only", "-q")
    assert "good.wf" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_each_file_yields_a_check_and_a_design_item(pytester: pytest.Pytester) -> None:
    pytester.makeini(FAST)
    pytester.makefile(".wf", good=GOOD)
    result = pytester.runpytest("--statewright", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*good.wf::check PASSED*", "*good.wf::design PASSED*"])


def test_the_ini_option_switches_collection_on(pytester: pytest.Pytester) -> None:
    pytester.makeini(FAST + "statewright_collect = true\n")
    pytester.makefile(".wf", good=GOOD)
    pytester.runpytest().assert_outcomes(passed=2)


def test_errors_fail_the_check_with_the_rendered_findings(pytester: pytest.Pytester) -> None:
    pytester.makeini(FAST)
    pytester.makefile(".wf", bad=ERROR)
    result = pytester.runpytest("--statewright")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "statewright check bad.wf: 1 error, 0 warnings" in output
    assert "error[SW102]: unknown state `Nowhere`" in output and " --> bad.wf:3:30" in output
    assert "nothing to test" in output
    assert "Traceback" not in output and "def runtest" not in output


def test_warnings_pass_unless_strict_and_the_config_applies(pytester: pytest.Pytester) -> None:
    pytester.makeini(FAST)
    pytester.makefile(".wf", broken=BROKEN)
    pytester.runpytest("--statewright").assert_outcomes(passed=2)
    strict = pytester.runpytest("--statewright", "--statewright-strict", "-k", "check")
    strict.assert_outcomes(failed=1)
    assert "warning[SW601]" in strict.stdout.str()
    pytester.makepyprojecttoml('[tool.statewright]\nstrict = true\nignore = ["SW311"]\n')
    configured = pytester.runpytest("--statewright", "-k", "check")
    configured.assert_outcomes(failed=1)
    assert "SW601" in configured.stdout.str() and "SW311" not in configured.stdout.str()


def test_a_failing_design_test_shows_its_findings(pytester: pytest.Pytester) -> None:
    pytester.makeini(FAST)
    pytester.makefile(".wf", good=GOOD)
    pytester.makeconftest(
        """
import statewright.testing.suite as suite
from statewright.diagnostics import Diagnostic
from statewright.testing.codes import INVARIANT_BROKEN
from statewright.source import Span


def broken(machine, name, options, workflow=None, manager=None):
    finding = Diagnostic.of(INVARIANT_BROKEN, "invariant broken after `go`", name, Span(3, 3, 3, 9))
    return suite.SpecOutcome(name, diagnostics=[finding])


suite.test_machine = broken
"""
    )
    result = pytester.runpytest("--statewright")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert "statewright test good.wf: the design test failed" in output
    assert "error[SW980]: invariant broken after `go`" in output


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"\xff\xfe not utf-8", "SW003"), (b"workflow W {\x00}", "SW008"), (b"", "SW005")],
)
def test_hostile_files_fail_with_a_diagnostic(pytester: pytest.Pytester, content: bytes, code: str) -> None:
    pytester.makeini(FAST)
    (pytester.path / "hostile.wf").write_bytes(content)
    result = pytester.runpytest("--statewright")
    result.assert_outcomes(failed=2)
    assert f"error[{code}]" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_a_bad_ini_setting_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nstatewright_max_examples = many\n")
    pytester.makefile(".wf", good=GOOD)
    result = pytester.runpytest("--statewright", "-k", "design")
    assert "statewright_max_examples must be an integer" in result.stdout.str() + result.stderr.str()
