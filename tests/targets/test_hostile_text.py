"""Hostile text in every text slot of every target, the file name included (issue 16).

A spec's strings (docs, reasons, keys, prompts, soft-timeout messages, scope,
approver and assignee names, string constants in guards and `set`) and the
spec's file name are placed, all at once, into a spec that uses every slot.
Every target must then write output that its own reader accepts (Python
compiled as bytes, so a PEP 263 coding cookie would take effect; JSON; XML and
the BPMN XSD; Graphviz, which the `svg` target runs; a structural check for
Mermaid, Markdown and CSV), keep the text where it is data, and never turn it
into code: no Python NAME token, no `${...}` substitution and no extra line
of a line-structured format comes from the text.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import shutil
import subprocess
import tokenize
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.dsl.format import format_string
from statewright.ir import embedded, json_form
from statewright.pipeline import compile_text
from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import get_plugin_manager
from statewright.targets.asl import deployed
from statewright.targets.statechart import guard_legend, legend_lines
from statewright.testing.pytest_target.cases import step_source
from statewright.testing.scenario import Send
from tests.targets.bpmn.support import xsd_errors
from tests.targets.report.support import Page, refers_outside

SENTINEL = "pwned_sentinel"
"""A name the hostile strings try to smuggle into code; no generated Python may hold it as a NAME."""

NASTY = [
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\\\",
    '\\"',
    f'"); {SENTINEL}(); ("',
    f'""" + {SENTINEL}() + """',
    f"''' + {SENTINEL}() + '''",
    f"a\n{SENTINEL}()\n",
    "a\rb",
    "a\r\nb",
    "\n# -*- coding: utf-7 -*-\n",
    f"coding:utf-7 +ACIAIgAi-{SENTINEL}()",
    "\u2028",
    "\u2029",
    "\t",
    "${Name}",
    "${StatewrightDollar}",
    "$${x}",
    "]]>",
    "<!-- -->",
    "-->",
    "*/ /*",
    "{{ x }} {% if %}",
    "| a | b |",
    "\u202e\u2066bidi\u2069",
    "<script>&amp;</script>",
    "`code` %% mermaid",
    "é 日本 😀",
    "x" * 5000,
]
"""The fixed table of nasty strings (control characters other than tab/LF/CR are refused: SW018)."""

NASTY_FILE_NAMES = [
    "plain.wf",
    "x coding:utf-7 .wf",
    "a\n# -*- coding: utf-7 -*-\n.wf",
    "q\"'\\.wf",
    "${Name}.wf",
    "]]>-->*/.wf",
    "\u202ebidi.wf",
    "ctl\x01\x1b.wf",
]

_SPEC = """workflow Hostile {
  version 1
  doc @S
  scope @S
  context {
    tag: string = @S
    amount: int 0..10 = 0
  }
  events { go @S, stop @S, fix, ping }
  reject * @S
  initial state Draft {
    doc @S
    on go when tag == @S -> Work requires @S, @S scope @S { set tag = @S do notify key @S }
    on go else -> Work
    on stop -> Done
    warn after 5s @S
    timeout 1d -> Done
  }
  state Work {
    invoke check key @S service checks
    retry 2 backoff fixed 1s dead_letter -> Done
    done -> Pay
    reject stop @S
    timeout 1h -> Done
  }
  saga Pay {
    step charge compensate refund key @S compensate_key @S
    step mail no_compensation @S key @S
    done -> Approve
    compensated -> Done
    compensation_failed -> Done
  }
  approval Approve {
    routing sequential
    level 1 { approvers role:manager, user:@S quorum 1 timeout 1d escalate -> Done }
    approved -> Review
    rejected -> Done
  }
  checkpoint Review { prompt @S assignee user:@S acknowledged -> Done timeout 1h -> Done }
  final state Done { outcome failure @S }
}
"""


def spec(text: str) -> str:
    """The spec with `text` in every string slot."""
    return _SPEC.replace("@S", format_string(text))


def _machine(text: str) -> ir.Machine:
    result = compile_text(spec(text))
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    assert result.machine is not None and not errors, errors
    return result.machine


def generate_all(machine: ir.Machine, file_name: str) -> dict[str, dict[str, str]]:
    """Every registered target's artifacts (path -> text); a target failing fails the test."""
    written: dict[str, dict[str, str]] = {}
    for name, target in get_plugin_manager().targets().items():
        output = target.generate(machine, TargetOptions(source_name=file_name))
        errors = [d for d in output.diagnostics if d.severity.value == "error"]
        assert not errors, (name, errors)
        written[name] = {artifact.path: artifact.content for artifact in output.artifacts}
    return written


def _python_names(text: str) -> set[str]:
    data = text.encode("utf-8")
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    assert encoding == "utf-8", f"the generated file declares the encoding {encoding}"
    compile(data, "<generated>", "exec")  # bytes: a coding cookie would take effect here
    tokens = tokenize.tokenize(io.BytesIO(data).readline)
    return {token.string for token in tokens if token.type == tokenize.NAME}


def _dot() -> str:
    """Graphviz's `dot`, which the `svg` target needs too: missing, the test fails (never skips)."""
    found = shutil.which("dot")
    assert found is not None, "Graphviz `dot` is not installed (the svg target and these tests need it)"
    return found


def _embedded_ir(module: str) -> str:
    """The IR a generated Python file embeds (`_IR` or `MACHINE = embedded.load(...)`), re-dumped."""
    for node in ast.walk(ast.parse(module)):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.lstrip().startswith("{")
        ):
            try:
                return embedded.dump(embedded.load(node.value))
            except ValueError:  # some other text that happens to start like JSON
                continue
    raise AssertionError("no embedded IR in the generated file")


def _lines(text: str) -> list[str]:
    """The lines of a line-structured format (CR, LF or CRLF end one; U+2028 does not)."""
    return re.split(r"\r\n|\r|\n", text)


def check_artifacts(written: Mapping[str, Mapping[str, str]], machine: ir.Machine, text: str) -> None:
    """Every artifact parses with its own reader and holds `text` only as data."""
    for target, artifacts in written.items():
        for path, content in artifacts.items():
            where = f"{target}/{path}"
            if path.endswith(".py"):
                assert SENTINEL not in _python_names(content), where
                assert _embedded_ir(content) == embedded.dump(machine), where  # the text survives as data
            elif path.endswith(".json"):
                document = json.loads(content)
                if path.endswith(".ir.json"):
                    assert json_form.load(content) == machine, where
                if path.endswith(".asl.json"):
                    _check_asl(content, artifacts)
                assert document is not None
            elif path.endswith((".bpmn", ".svg")):
                ElementTree.fromstring(content.encode("utf-8"))
                if path.endswith(".bpmn"):
                    assert xsd_errors(content) == [], where
            elif path.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(content, newline="")))
                assert len({len(row) for row in rows}) == 1, where
            elif path.endswith(".dot"):
                assert SENTINEL + "()" not in _lines(content), where
                done = subprocess.run([_dot(), "-Tcanon"], input=content, capture_output=True, text=True)
                assert done.returncode == 0, (where, done.stderr)
            elif path.endswith((".mmd", ".md")):
                assert SENTINEL + "()" not in _lines(content), where  # no line of its own
            elif path.endswith(".html"):  # the design report: its own two scripts, nothing that fetches
                page = Page(content)
                assert [tag for tag, _ in page.tags].count("script") == 2, where
                assert refers_outside(page) == [], where


def _check_asl(definition: str, artifacts: Mapping[str, str]) -> None:
    """Every `${Name}` of the definition is a substitution of the SAM template (none from spec text)."""
    (sam,) = [content for path, content in artifacts.items() if path.endswith(".sam.json")]
    substitutions = json.loads(sam)["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition))
    assert used <= set(substitutions), used - set(substitutions)


@pytest.fixture(scope="module")
def benign() -> dict[str, dict[str, str]]:
    """Every target's output for a harmless text: the line structure hostile text must keep."""
    return generate_all(_machine("x"), "plain.wf")


@pytest.mark.parametrize("text", NASTY, ids=[repr(t)[:30] for t in NASTY])
def test_nasty_text_in_every_slot_of_every_target(text: str, benign: dict[str, dict[str, str]]) -> None:
    machine = _machine(text)
    written = generate_all(machine, "plain.wf")
    check_artifacts(written, machine, text)
    for target, artifacts in written.items():
        for path, content in artifacts.items():
            if path.endswith((".mmd", ".dot", ".md", ".csv")):
                # a long guard adds a legend note to the Mermaid diagram by design: one line per legend line
                legend = legend_lines(guard_legend(machine)) if path.endswith(".mmd") else []
                extra = len(legend) + 3 if legend else 0
                assert len(_lines(content)) == len(_lines(benign[target][path])) + extra, (target, path)


@pytest.mark.parametrize("file_name", NASTY_FILE_NAMES, ids=[repr(n)[:30] for n in NASTY_FILE_NAMES])
def test_a_nasty_file_name_is_safe_in_every_target(file_name: str) -> None:
    machine = _machine("x")
    written = generate_all(machine, file_name)
    check_artifacts(written, machine, "x")
    for target in ("python", "pytest"):
        for path, content in written[target].items():
            first_two = content.splitlines()[:2]
            assert not any(re.search(r"coding[:=]", line) for line in first_two), (target, path, first_two)


def test_a_utf7_cookie_in_the_file_name_cannot_run_a_hidden_docstring() -> None:
    """The exploit of the issue: `coding:utf-7` in the name made line 1 a coding declaration."""
    written = generate_all(_machine(f"+ACIAIgAi-{SENTINEL}()+ACIAIgAi-"), "x coding:utf-7 .wf")
    for target in ("python", "pytest"):
        for content in written[target].values():
            assert tokenize.detect_encoding(io.BytesIO(content.encode()).readline)[0] == "utf-8"


def test_dollar_braces_of_spec_text_survive_the_sam_substitutions() -> None:
    """`${Name}` in spec text is written so DefinitionSubstitutions give it back unchanged."""
    written = generate_all(_machine("${Name}"), "plain.wf")
    (definition,) = [c for p, c in written["asl"].items() if p.endswith(".asl.json")]
    assert "${Name}" not in definition
    assert "${Name}" in deployed(definition)
    (sam,) = [c for p, c in written["asl"].items() if p.endswith(".sam.json")]
    values = json.loads(sam)["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert values["StatewrightDollar"] == "$"


def test_a_requires_reason_with_a_double_quote_keeps_the_pytest_file_valid() -> None:
    """A permission `repr` writes in single quotes used to break the pytest target's line wrapper."""
    text = "needs \"approval, then\" a (team, lead) 'ok', " + "y" * 80
    written = generate_all(_machine(text), "plain.wf")
    for content in written["pytest"].values():
        _python_names(content)


_PIECES = ["\n", "\r", "\t", '"', "'", "\\", "${", "]]>", "-->", "coding:", "\u2028", '"""', "}", "|"]
_TEXT = st.lists(
    st.text(st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"), max_size=4)
    | st.sampled_from(_PIECES),
    max_size=10,
).map("".join)
_FILE_NAME = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/\x00"), max_size=30)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(_TEXT, _FILE_NAME)
def test_any_text_and_file_name_is_data_in_every_target(text: str, file_name: str) -> None:
    machine = _machine(text)
    check_artifacts(generate_all(machine, file_name + ".wf"), machine, text)


@given(st.lists(_TEXT, min_size=1, max_size=3))
def test_a_wrapped_send_step_is_always_valid_python(permissions: list[str]) -> None:
    """The pytest target's line wrapper splits at top-level commas only, whichever quote `repr` chose."""
    step = Send("go", actor="a'b\"c", permissions=(*permissions, "x \"y, z\" (w, v) 'q', " + "y" * 80))
    assert eval(step_source(step)) == step


NASTY_NAMES = [
    "class",
    "None",
    "def",
    "print",
    "__init__",
    "self",
    "Decimal",
    "_",
    "async",
    "lambda",
    "N" * 64,
]
"""Names the grammar allows that are keywords, builtins or dunders in the targets' languages."""


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_nasty_names_in_every_name_slot_of_every_target(name: str) -> None:
    """A state, event, field, work and role all named `name`, then every target's output is read back."""
    text = (
        f"workflow {name[:64]} {{\n  context {{ {name}: int = 0 }}\n  events {{ {name}, go }}\n"
        f'  initial state {name} {{\n    invoke {name} key "k"\n    on {name} when {name} > 0 -> Done\n'
        f"    on go -> Review\n    timeout 1h -> Done\n  }}\n"
        f'  checkpoint Review {{ prompt "p" assignee role:{name} acknowledged -> Done timeout 1h -> Done }}\n'
        f"  final state Done\n}}\n"
    )
    result = compile_text(text)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    if errors:  # a name the front end refuses (a reserved word) is refused with a code, never a crash
        assert all(d.code.startswith("SW") and d.span.line for d in errors), errors
        return
    assert result.machine is not None
    check_artifacts(generate_all(result.machine, f"{name}.wf"), result.machine, "")
