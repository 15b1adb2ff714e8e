"""The python target: every module is valid, typed, formatted and deterministic.

Compiled guards agree with the evaluator, no spec text can inject code, and
names never collide.
"""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.ir import embedded, json_form
from statewright.ir.embedded import transition_keys
from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import PluginManager
from statewright.runtime import compiled
from statewright.runtime.errors import EventNotAllowed, EventRejected
from statewright.semantics.values import holds
from statewright.targets.python import BAD_FORM, PythonTarget, render_module
from statewright.targets.python.guards import guard_body, return_lines
from statewright.targets.python.view import LINE_LENGTH, TABLE_FORM_STATES, module_view
from tests.generated import load_module
from tests.semantics.test_agreement import FIELDS, SCOPE, contexts
from tests.semantics.typed_exprs import typed
from tests.targets.specs import APPROVE, CHECKS, COLLIDING, SHOP, TRICKY, example_paths, machine_of

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
EXAMPLE_MACHINES = {path.stem: path for path in example_paths()}
SPECS = {"tricky": TRICKY, "colliding": COLLIDING, "shop": SHOP, "checks": CHECKS, "approve": APPROVE}


def machines() -> Iterator[tuple[str, ir.Machine, str]]:
    """Every example and every shared target spec, with a source name."""
    from statewright.pipeline import compile_path

    for name, path in EXAMPLE_MACHINES.items():
        result = compile_path(path)
        assert result.machine is not None
        yield name, result.machine, path.name
    for name, text in SPECS.items():
        yield name, machine_of(text), "spec.wf"


ALL = list(machines())


# --------------------------------------------------------------------------- every module


@pytest.mark.parametrize(("name", "machine", "source"), ALL, ids=[n for n, _, _ in ALL])
def test_module_is_deterministic_imports_and_embeds_the_ir(
    name: str, machine: ir.Machine, source: str, tmp_path: Path
) -> None:
    """Two renders are byte-identical; the module imports; its embedded IR is the machine (but its spans).

    The module keys its guards by stable transition keys; its `DEFINITION` has them by index.
    The `requirements` block is not embedded: it chooses an engine, nothing an instance does
    depends on it (ARCHITECTURE, "Engine recommendation").
    """
    text = render_module(machine, source)
    assert render_module(machine, source) == text
    module = load_module(text, tmp_path, name)
    portable = replace(machine, source=PurePath(machine.source).name, requirements=None)
    assert module.DEFINITION.machine == portable
    assert json_form.dump(module.DEFINITION.machine) == json_form.dump(_without_spans(portable))
    assert '"span":' not in text
    assert [s.value for s in module.State] == [s.name for s in machine.states]
    assert [e.value for e in module.Event] == [e.name for e in machine.events]
    guarded = {i for i, t in enumerate(machine.transitions) if t.guard is not None}
    keys = transition_keys(machine)
    assert set(module.GUARDS) == {keys[i] for i in guarded}
    assert set(module.DEFINITION.guards) == guarded
    for index in guarded:
        assert module.DEFINITION.guards[index] is module.GUARDS[keys[index]]


def test_guards_keyed_by_a_transition_the_ir_lacks_are_an_error() -> None:
    """A hand-edited module whose guard keys and IR disagree fails at import instead of dropping a guard."""
    machine = machine_of(TRICKY)
    text = embedded.dump(machine)
    holds_always: Callable[[Mapping[str, ir.Value]], bool] = lambda _context: True  # noqa: E731
    assert compiled.load_definition(text, {("Idle", "go", 2): holds_always}).guards == {1: holds_always}
    with pytest.raises(ValueError, match="Idle"):
        compiled.load_definition(text, {("Idle", "go", 3): holds_always})


def _without_spans(machine: ir.Machine) -> ir.Machine:
    """The machine as its embedded IR holds it: every span the model's default."""
    return embedded.load(embedded.dump(machine))


def test_every_module_passes_mypy_strict_and_ruff(tmp_path: Path) -> None:
    """The generated modules type-check under `mypy --strict` and are as `ruff format` lays them out."""
    for name, machine, source in ALL:
        (tmp_path / f"{name}.py").write_text(render_module(machine, source), "utf-8")
    mypy = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # outside the repository: the installed package's py.typed must do
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = str(VENV_BIN / "ruff")
    formatted = _ruff_format_check(tmp_path)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--select",
            "E,F,W,I,B,UP,SIM,RUF,N",
            "--ignore",
            "E501",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def _ruff_format_check(path: Path) -> subprocess.CompletedProcess[str]:
    """`ruff format --check --diff` at the module's line length on a file or folder."""
    ruff = str(VENV_BIN / "ruff")
    return subprocess.run(
        [ruff, "format", "--check", "--diff", "--line-length", str(LINE_LENGTH), "--no-cache", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_guard_docstrings_name_the_dsl_line() -> None:
    """Each compiled guard is named after its state, event and position, and cites its spec line."""
    _, machine, source = next(item for item in ALL if item[0] == "order_fulfilment")
    text = render_module(machine, source)
    for function in (
        "_guard_validating_valid_1",
        "_guard_validating_valid_2",
        "_guard_validating_invalid_1",
        "_guard_quarantine_reviewed_1",
    ):
        assert f"def {function}(" in text
    for transition in machine.transitions:
        if transition.guard is not None:
            assert f"({source}:{transition.span.line})" in text


def test_long_names_give_guards_and_keys_laid_out_as_ruff_lays_them_out(tmp_path: Path) -> None:
    """Guard names stay short enough for their `def` line; a key too long for one line is split."""
    state = "Validating" + "AndCheckingEverything" * 5
    machine = machine_of(
        f"workflow Long {{\n context {{ n: int = 0 }}\n events {{ go }}\n"
        f" initial state {state} {{ on go when n > 1 -> B  on go when n > 0 -> B  on go else -> B }}\n"
        f" final state B\n}}\n"
    )
    text = render_module(machine, "long.wf")
    guard_defs = [line for line in text.splitlines() if line.startswith("def _guard_")]
    assert len(guard_defs) == 2 and len(set(guard_defs)) == 2
    assert all(len(line) <= LINE_LENGTH for line in guard_defs)
    (tmp_path / "long.py").write_text(text, "utf-8")
    formatted = _ruff_format_check(tmp_path / "long.py")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    module = load_module(text, tmp_path, "long")
    assert set(module.GUARDS) == {(state, "go", 1), (state, "go", 2)}
    assert module.LongMachine(n=1).go() is None


def test_the_target_is_registered_like_a_plugin_and_writes_one_module() -> None:
    """`python` comes through the plugin hook; the file is the workflow's name in snake case."""
    target = PluginManager(entry_points=False).target("python")
    machine = ALL[0][1]
    output = target.generate(machine, TargetOptions(source_name="x.wf"))
    assert machine.name == "NightlyCrmLoad"
    assert [a.path for a in output.artifacts] == ["nightly_crm_load.py"]
    assert not output.diagnostics


def test_an_unknown_form_is_a_diagnostic_not_a_file() -> None:
    """`--option python_form=fast` is SW913 and writes nothing."""
    output = PythonTarget().generate(ALL[0][1], TargetOptions(extra={"python_form": "fast"}))
    assert not output.artifacts
    assert [d.code for d in output.diagnostics] == [BAD_FORM.code]


# --------------------------------------------------------------------------- guards


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_compiled_guards_agree_with_the_evaluator(data: st.DataObject) -> None:
    """For random well-typed guards and contexts, the generated Python computes what `holds` computes."""
    expr = data.draw(typed(SCOPE, "bool", depth=3))
    context = data.draw(contexts)
    namespace: dict[str, Any] = {
        "Fraction": Fraction,
        "math": math,
        "as_int": compiled.as_int,
        "as_fraction": compiled.as_fraction,
        "as_bool": compiled.as_bool,
        "as_str": compiled.as_str,
        "quotient": compiled.quotient,
        "c": context,
    }
    expected = holds(expr, context)
    body = guard_body(expr, FIELDS)
    function = "\n".join(
        [
            "def guard(c):",
            *(f"    {line}" for line in body.bindings),
            *return_lines(body.expression, "    ", 100),
        ]
    )
    exec(function, namespace)
    assert namespace["guard"](context) is expected, function


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("amount > 3", "amount: int = 0", "amount > 3"),
        ("3 < amount", "amount: int = 0", "amount > 3"),
        ("amount <= 2.50", "amount: decimal = 0.0", 'amount <= Fraction("2.5")'),
        ("not flag", "flag: bool = false", "not flag"),
        ("flag == false", "flag: bool = false", "not flag"),
        ("tier in { a, b }", "tier: enum { a, b, c } = a", 'tier == "a" or tier == "b"'),
        ("a and b or not a", "a: bool = false\n b: bool = false", "(a and b) or not a"),
    ],
)
def test_guards_read_like_the_spec(text: str, fields: str, expected: str) -> None:
    """Comparisons keep the field first, `== false` is `not`, `and` inside `or` is parenthesised."""
    machine = machine_of(
        f"workflow G {{\n context {{ {fields} }}\n events {{ go }}\n"
        f" initial state A {{ on go when {text} -> B  on go else -> B }}\n final state B\n}}\n"
    )
    guard = machine.transitions[0].guard
    assert guard is not None
    assert guard_body(guard, machine.context).expression.text == expected


# --------------------------------------------------------------------------- hostile text

HOSTILE = [
    '"""; import os; os._exit(7) #',
    "'''; raise SystemExit(7) #",
    "\\",
    "\\\\\"\\'",
    'r"""',
    "line one\nimport os\nos._exit(7)",
    "\r\nraise SystemExit\x0b\x0c\x1c\x85\u2028\u2029",
    "{braces} {{ }} {% raw %} {{ v.header }}",
    "naïve — «bientôt» 日本語 \U0001f600",
    "\x00 nul \x7f del",
    "end with backslash \\",
    'end with quote "',
]


def hostile_machine(text: str) -> ir.Machine:
    """An example machine whose every free-text field holds `text`."""
    base = machine_of(TRICKY)
    states = tuple(replace(s, doc=text, outcome_reason=text if s.outcome else None) for s in base.states)
    events = tuple(replace(e, doc=text) for e in base.events)
    rejects = tuple(replace(r, reason=text) for r in base.rejects)
    context = tuple(replace(f, default=text) if f.type.name == "string" else f for f in base.context)
    return replace(
        base, doc=text, states=states, events=events, rejects=rejects, context=context, source=text
    )


def _shape(tree: ast.AST) -> str:
    """The module's AST with every string constant blanked: what the code *does*."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


@pytest.mark.parametrize("text", HOSTILE)
def test_spec_text_cannot_inject_code(text: str, tmp_path: Path) -> None:
    """Quotes, triple quotes, backslashes, newlines and control characters stay inside literals and docs.

    The hostile module has exactly the benign module's code shape, imports, and
    carries the text back exactly through its embedded IR.
    """
    benign = render_module(hostile_machine("plain"), "spec.wf")
    hostile = render_module(hostile_machine(text), "spec.wf")
    assert _shape(ast.parse(hostile)) == _shape(ast.parse(benign))
    module = load_module(hostile, tmp_path, "hostile")
    assert module.DEFINITION.machine.doc == text
    assert module.DEFINITION.machine == replace(hostile_machine(text), source=PurePath(text).name)
    assert module.TrickyContext().label == text


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_round_trips_through_the_module(text: str) -> None:
    """Any text in docs and strings gives a module of the same shape whose IR holds that text."""
    hostile = render_module(hostile_machine(text), "spec.wf")
    assert _shape(ast.parse(hostile)) == _shape(ast.parse(render_module(hostile_machine("x"), "spec.wf")))
    namespace: dict[str, Any] = {}
    start = hostile.index('_IR = r"""')
    end = hostile.index('"""', start + 10) + 3
    exec(hostile[start:end], namespace)
    assert embedded.load(namespace["_IR"]).doc == text


# --------------------------------------------------------------------------- names

NAMES = """workflow class {
  context {
    from: int = 0
    seed: int = 1
    handlers: bool = false
    self: string = "me"
  }
  events { send, state, tick, import, __init__, _private, snapshot }
  initial state FooBar { on send -> Foo_bar  on import -> Foo_bar }
  state Foo_bar {
    on state -> FooBar
    on tick when from < 3 -> Foo_bar { set from = from + 1 }
    on __init__ -> Done
  }
  final state Done
}
"""


def test_dsl_names_never_clash_with_python_or_the_runtime(tmp_path: Path) -> None:
    """Keywords, the runtime's method names and near-identical state names all get distinct, valid names."""
    machine = machine_of(NAMES)
    view = module_view(machine, "names.wf")
    assert [m.name for m in view.states] == ["FOO_BAR", "FOO_BAR_2", "DONE"]
    methods = {m.event: m.method for m in view.methods}
    assert methods["send"] == "send_send" and methods["state"] == "send_state"
    assert methods["import"] == "send_import" and methods["__init__"] == "send___init__"
    assert {f.name: f.attribute for f in view.fields}["from"] == "from_"
    assert {f.name: f.attribute for f in view.fields}["seed"] == "seed_2"
    module = load_module(render_module(machine, "names.wf"), tmp_path, "names")
    machine_class = module.WClassMachine if hasattr(module, "WClassMachine") else module.ClassMachine
    m = machine_class(from_=1, seed_2=5, clock=lambda: 0)
    m.send_send()
    assert m.state == "Foo_bar"
    m.send_tick()
    assert m.context.from_ == 2
    m.send_state()
    m.send_import()
    m.send___init__()
    assert m.state == "Done" and m.status == "completed"


# --------------------------------------------------------------------------- behaviour


def test_machine_and_durable_instance_run_a_spec(tmp_path: Path) -> None:
    """The in-memory machine and a durable SQLite instance take the same steps and refuse the same events."""
    module = load_module(render_module(machine_of(APPROVE), "approve.wf"), tmp_path, "approve")
    fast = module.ApproveMachine(clock=lambda: 0)
    fast.submit()
    assert fast.state == module.State.REVIEW_LEVEL_1
    fast.send_as("approve", actor="ann", permissions=["role:manager"])
    assert fast.state == module.State.REVIEW_LEVEL_2
    with pytest.raises(EventNotAllowed):
        fast.submit()
    assert fast.state == module.State.REVIEW_LEVEL_2
    with module.Approve(tmp_path / "approve.db", clock=lambda: 0) as flow:
        order = flow.start(instance_id="a1")
        assert order.submit(actor="cli") == module.State.REVIEW_LEVEL_1
        assert order.approve(actor="ann", permissions=["role:manager"]) == module.State.REVIEW_LEVEL_2
        with pytest.raises(EventNotAllowed):
            order.submit()
        assert [r.outcome for r in order.audit()] == ["applied", "applied", "applied", "not_allowed"]
        assert order.verify().active == ("Review.level_2",)
        assert flow.instance("a1").state == module.State.REVIEW_LEVEL_2
        assert flow.instance_ids() == ["a1"]


def test_event_methods_are_one_helper_keeping_their_names_and_docs(tmp_path: Path) -> None:
    """Every in-memory event method runs the same code (`sends`); the module repeats no fast-path body."""
    text = render_module(machine_of(TRICKY), "tricky.wf")
    assert "_row" not in text and "_engine_send" not in text
    module = load_module(text, tmp_path, "tricky_methods")
    cls = module.TrickyMachine
    assert cls.go.__code__ is cls.stop.__code__ is cls.poke.__code__
    assert (cls.go.__name__, cls.stop.__qualname__) == ("go", "TrickyMachine.stop")
    assert cls.stop.__doc__.startswith("Send `stop`: halt | now")
    m = cls(clock=lambda: 0)
    m.stop()
    assert m.state == module.State.DONE


def test_refusals_leave_the_fast_machine_where_it_was(tmp_path: Path) -> None:
    """A rejected event raises and changes nothing, even right after pure moves."""
    module = load_module(render_module(machine_of(TRICKY), "tricky.wf"), tmp_path, "tricky")
    m = module.TrickyMachine(clock=lambda: 0)
    with pytest.raises(EventRejected):
        m.poke()
    assert m.state == module.State.IDLE
    with pytest.raises(EventNotAllowed):
        m.send("no_such_event")
    with pytest.raises(EventNotAllowed):
        m.send(None)
    assert m.state == module.State.IDLE


def test_table_form_is_chosen_for_large_machines_and_behaves_the_same(tmp_path: Path) -> None:
    """From TABLE_FORM_STATES states the module is table-driven; forced on a small spec it still runs."""
    states = "\n".join(f"  state S{i} {{ on next -> S{i + 1} }}" for i in range(1, TABLE_FORM_STATES))
    big = machine_of(
        f"workflow Big {{\n events {{ next }}\n initial state S0 {{ on next -> S1 }}\n{states}\n"
        f"  final state S{TABLE_FORM_STATES}\n}}\n"
    )
    assert module_view(big, "big.wf").table_form
    assert not module_view(machine_of(SHOP), "shop.wf").table_form
    module = load_module(render_module(big, "big.wf"), tmp_path, "big")
    m = module.BigMachine(clock=lambda: 0)
    for _ in range(TABLE_FORM_STATES):
        m.next()
    assert m.state == f"S{TABLE_FORM_STATES}" and m.status == "completed"
    table = load_module(render_module(machine_of(TRICKY), "t.wf", form="table"), tmp_path, "tricky_table")
    assert table.GUARDS == {}
    t = table.TrickyMachine(clock=lambda: 0, amount=5)
    t.go()
    assert t.state == "Inner"


def _steps(factory: Callable[[], Any], events: list[str]) -> list[tuple[str, ...] | str]:
    """The active leaves after each event (or the refusal's code)."""
    machine = factory()
    seen: list[tuple[str, ...] | str] = []
    for event in events:
        try:
            machine.send(event)
            seen.append(tuple(machine.leaves))
        except Exception as exc:
            seen.append(getattr(getattr(exc, "code", None), "code", type(exc).__name__))
    return seen


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["go", "stop", "poke", "nope"]), max_size=12))
def test_code_and_table_forms_agree(events: list[str]) -> None:
    """Compiled guards and interpreted guards take the same steps."""
    code = _TRICKY_MODULES["code"]
    table = _TRICKY_MODULES["table"]
    assert _steps(lambda: code.TrickyMachine(amount=4, clock=lambda: 0), events) == _steps(
        lambda: table.TrickyMachine(amount=4, clock=lambda: 0), events
    )


def _tricky_modules() -> Mapping[str, ModuleType]:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="sw-python-target-"))
    machine = machine_of(TRICKY)
    return {
        form: load_module(render_module(machine, "t.wf", form=form), folder, f"tricky_{form}")
        for form in ("code", "table")
    }


_TRICKY_MODULES = _tricky_modules()


def test_decimal_defaults_keep_their_digits() -> None:
    """A decimal default is written as `Decimal("1.00")`, never through a float."""
    view = module_view(ALL[0][1], "x.wf")
    for field in view.fields:
        if field.annotation == "Decimal" and field.default is not None:
            assert field.default.startswith('Decimal("')
    assert eval('Decimal("1.00")', {"Decimal": Decimal}).as_tuple() == Decimal("1.00").as_tuple()


def test_the_module_does_not_depend_on_the_path_the_spec_was_given_by() -> None:
    """`build examples/x.wf` and `build /abs/path/x.wf` write the same bytes (no absolute path leaks)."""
    machine = ALL[0][1]
    here = render_module(replace(machine, source="examples/data_pipeline.wf"), "data_pipeline.wf")
    there = render_module(replace(machine, source="/home/someone/src/data_pipeline.wf"), "data_pipeline.wf")
    assert here == there
    assert "/home/someone" not in there


@pytest.mark.parametrize("char", ["\x01", "\xad", "\u200b", "\\", '"', "\U0001f600"])
def test_long_docs_are_cut_without_breaking_an_escape(char: str) -> None:
    """A long doc is shortened before it is escaped, so the cut never splits `\\x01` or `\\\\`."""
    for length in range(190, 205):
        text = "a" * length + char * 3 + "tail "
        machine = replace(machine_of(TRICKY), doc=text)
        states = tuple(replace(s, doc=text) for s in machine.states)
        source = render_module(replace(machine, states=states), "t.wf")
        compile(source, "t.py", "exec")


FIELD_NAMES = """workflow Names {
  context {
    super: int = 0
    Decimal: int = 1
    from_values: int = 2
    to_values: int = 3
    dict: bool = false
    str: string = "s"
    Value: int = 4
    created: int = 5
    type_alias: enum { a, b } = a
    tier: enum { lo, hi } = lo
    Tier: int = 6
    values: int = 7
  }
  events { go }
  initial state A { on go when super < Decimal and tier == hi -> B  on go else -> B }
  final state B
}
"""


def test_fields_named_like_builtins_and_the_modules_own_names_work(tmp_path: Path) -> None:
    """Fields may be named `super`, `Decimal`, `from_values`, ...: the module renames them and still runs."""
    machine = machine_of(FIELD_NAMES)
    text = render_module(machine, "names.wf")
    (tmp_path / "names_fields.py").write_text(text, "utf-8")
    mypy = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # outside the repository: the installed package's py.typed must do
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    module = load_module(text, tmp_path, "names_fields_run")
    view = module_view(machine, "names.wf")
    attributes = {f.name: f.attribute for f in view.fields}
    assert attributes["super"] != "super" and attributes["Decimal"] != "Decimal"
    assert len(set(attributes.values()) | {a.name for a in view.aliases}) == len(attributes) + len(
        view.aliases
    )
    m = module.NamesMachine(**{attributes["tier"]: "hi"}, clock=lambda: 0)
    m.go()
    assert m.state == "B" and m.values["super"] == 0
    assert getattr(m.context, attributes["from_values"]) == 2


def test_an_error_catch_named_like_an_event_is_not_a_move_of_that_event() -> None:
    """`on error submit` catches an error called submit: the `submit` method lists only real moves.

    A catch's IR `event` names the error it catches; the method docs used to list
    the catch as one of `submit`'s moves.
    """
    machine = machine_of(
        """workflow W {
  events { submit }
  initial state A {
    invoke work
    on error submit -> Caught
    done -> B
    on submit -> B
  }
  final state B
  final state Caught
}
"""
    )
    text = render_module(machine, "spec.wf")
    method = text[text.index("def submit(") :]
    method = method[: method.index("\n    def ", 1)] if "\n    def " in method[1:] else method
    assert "Caught" not in method, method
    assert "B" in method
