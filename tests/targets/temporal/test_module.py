"""The generated Temporal module: deterministic, typed (`mypy --strict`), ruff-clean, importable, complete.

Every example is rendered, written beside each other and checked by the real
tools against the real shell (`statewright.temporal`), so a contract change on
either side fails here. Hostile names (keywords, builtins, the shell's own
names, 128-character names) go through the same tools.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from statewright import ir
from statewright.ir import embedded
from statewright.targets.temporal import render_module
from statewright.targets.temporal.view import module_name
from statewright.temporal import protocol
from statewright.temporal.shell import StatewrightWorkflow
from tests.targets.temporal.support import EXAMPLE_STEMS, example, generate, machine_of

VENV_BIN = Path(sys.executable).parent
LINE_LENGTH = 100


def _tools(folder: Path) -> None:
    """Run `mypy --strict`, `ruff format --check` and `ruff check` over `folder`; each must pass."""
    mypy = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,  # outside the repository: the installed package's py.typed must do
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    ruff = str(VENV_BIN / "ruff")
    formatted = subprocess.run(
        [ruff, "format", "--check", "--diff", "--line-length", str(LINE_LENGTH), "--no-cache", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = subprocess.run(
        [ruff, "check", "--no-cache", "--select", "E,F,W,I,B,UP,SIM,RUF,N", "--ignore", "E501", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def _load(path: Path) -> ModuleType:
    """Import a generated module from its file (under a unique name; not left in sys.modules)."""
    spec = importlib.util.spec_from_file_location(f"_generated_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and typing resolve the module's names through it
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_every_example_module_passes_mypy_strict_and_ruff(tmp_path: Path) -> None:
    for stem in EXAMPLE_STEMS:
        files, _ = generate(example(stem), f"{stem}.wf")
        for path, text in files.items():
            (tmp_path / path).write_text(text, "utf-8")
    assert len(list(tmp_path.glob("*_temporal.py"))) == len(EXAMPLE_STEMS)
    _tools(tmp_path)


@pytest.mark.parametrize("stem", EXAMPLE_STEMS)
def test_module_is_deterministic_and_embeds_the_ir(stem: str) -> None:
    machine = example(stem)
    files, _ = generate(machine, f"{stem}.wf")
    assert list(files) == [f"{module_name(machine)}.py"]
    (text,) = files.values()
    assert text == generate(example(stem), f"{stem}.wf")[0][f"{module_name(machine)}.py"]
    assert embedded.dump(machine) in text
    assert f"statewright build {stem}.wf --target temporal --out ." in text


@pytest.mark.parametrize("stem", EXAMPLE_STEMS)
def test_the_module_declares_every_handler_the_contract_names(stem: str, tmp_path: Path) -> None:
    """The workflow class: run, the generic update and its validator, the query, a typed update per event.

    The settings table covers every work state; the activities cover every action.
    """
    machine = example(stem)
    path = tmp_path / f"{module_name(machine)}.py"
    path.write_text(render_module(machine, f"{stem}.wf"), "utf-8")
    module = _load(path)
    prefix = next(name[: -len("Workflow")] for name in module.__all__ if name.endswith("Workflow"))
    workflow_class = getattr(module, f"{prefix}Workflow")
    assert issubclass(workflow_class, StatewrightWorkflow)
    assert workflow_class.__temporal_workflow_definition.name == machine.name
    definition = workflow_class.__temporal_workflow_definition
    updates = set(definition.updates)
    assert protocol.SEND_UPDATE in updates
    assert {e.name for e in machine.events} <= updates
    assert protocol.SNAPSHOT_QUERY in definition.queries
    assert all(definition.updates[name].validator is not None for name in updates)
    work_states = {s.name for s in machine.states if s.invoke is not None}
    assert work_states <= set(module.ACTIVITY_SETTINGS)
    assert all(isinstance(s, protocol.ActivitySettings) for s in module.ACTIVITY_SETTINGS.values())
    actions = {s.invoke.action for s in machine.states if s.invoke is not None}

    class Everything:
        def __getattr__(self, name: str) -> object:
            async def run(call: protocol.ActivityCall) -> None:
                return None

            return run

    registered = module.activities(Everything())
    assert len(registered) == len({*actions, *_do_actions(machine)})


def _do_actions(machine: ir.Machine) -> set[str]:
    found = set()
    for state in machine.states:
        for action in (*state.entry, *state.exit, *(a for s in state.soft_timeouts for a in s.actions)):
            if isinstance(action, ir.Call):
                found.add(action.name)
    for transition in machine.transitions:
        found |= {a.name for a in transition.actions if isinstance(a, ir.Call)}
    return found


def test_a_typed_update_builds_the_generic_request(tmp_path: Path) -> None:
    """Payload (and start) fields by keyword, decimals as the codec writes them, identity carried over."""
    machine = machine_of(
        """workflow Pay {
  context { total: decimal = 0 }
  events {
    pay(amount: decimal 0..1000, note: string = "", kind: enum { card, cash } = card)
  }
  initial state Open { on pay -> Done { set total = event.amount } }
  final state Done
}
"""
    )
    path = tmp_path / "pay_temporal.py"
    path.write_text(render_module(machine, "pay.wf"), "utf-8")
    module = _load(path)
    update = module.PayUpdate(amount="12.50", actor="ann", permissions=["role:clerk"], key="k1")
    assert update.to_request() == protocol.SendRequest(
        event="pay",
        data={"amount": {"$decimal": "12.50"}, "note": "", "kind": "card"},
        actor="ann",
        permissions=["role:clerk"],
        key="k1",
    )
    with pytest.raises(TypeError):
        module.PayUpdate("12.50")  # keyword-only
    assert module.PayStart().to_input() == protocol.StartInput(context={"total": {"$decimal": "0"}})
    started = module.PayStart(total="7.25", actor="ann", seed=3).to_input()
    assert started == protocol.StartInput(context={"total": {"$decimal": "7.25"}}, actor="ann", seed=3)


NASTY_NAMES = [
    "class",
    "None",
    "print",
    "str",
    "self",
    "update",
    "run",
    "send",
    "snapshot",
    "definition",
    "activities",
    "Decimal",
    "ActivityCall",
    "SendAnswer",
    "StatewrightWorkflow",
    "main",
    "N" * 64,
]


REFUSED = {"class", "None"}
"""Names the front end refuses (keywords of the language's host)."""


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_nasty_names_give_a_typed_clean_module(name: str, tmp_path: Path) -> None:
    """A workflow, state, event, payload field, result field and action all named `name`."""
    text = (
        f"workflow {name[:64]} {{\n  context {{ {name}: int = 0 }}\n"
        f'  events {{ {name}({name}: int, other: string = ""), go }}\n'
        f'  initial state {name} {{\n    invoke {name} key "k" returns {{ {name}: int }}\n'
        f"    on {name} -> Done {{ do {name}_done }}\n    on go -> Done\n    done -> Done\n  }}\n"
        f"  final state Done\n}}\n"
    )
    from statewright.pipeline import compile_text

    result = compile_text(text)
    if result.machine is None or any(d.severity.value == "error" for d in result.diagnostics):
        assert name in REFUSED, result.diagnostics[:3]  # refused with a code (the hostile-text tests)
        return
    files, found = generate(result.machine, f"{name}.wf")
    assert files, found
    for path, content in files.items():
        (tmp_path / path).write_text(content, "utf-8")
    _tools(tmp_path)


def test_long_names_are_laid_out_as_ruff_lays_them_out(tmp_path: Path) -> None:
    """128-character actions, errors, events and states: every generated line ruff would split is split."""
    long = "a" * 120
    machine = machine_of(
        f"""workflow {"W" * 64} {{
  events {{ {long}_event({long}_field: enum {{ {long}_x, {long}_y }}) }}
  initial state {long}_state {{
    invoke {long}_action key "k" returns {{ {long}_result: int }}
    retry 2 backoff fixed 1s retry_on {long}_error, {long}_other
    on {long}_event -> Done
    done -> Done
  }}
  final state Done
}}
"""
    )
    files, _ = generate(machine, "long.wf")
    for path, content in files.items():
        (tmp_path / path).write_text(content, "utf-8")
        ast.parse(content)
    _tools(tmp_path)


def test_hostile_text_in_every_slot_gives_typed_clean_modules(tmp_path: Path) -> None:
    """The hostile-text spec (every string slot, every nasty string) through mypy --strict and ruff too.

    tests/targets/test_hostile_text.py already checks that no text becomes code in
    any target's output; here the temporal modules must also stay typed and formatted.
    """
    from tests.targets.test_hostile_text import NASTY, spec

    for number, text in enumerate(NASTY):
        files, found = generate(machine_of(spec(text)), "hostile.wf")
        assert files, found
        ((name, content),) = files.items()
        (tmp_path / f"h{number}_{name}").write_text(content, "utf-8")
    _tools(tmp_path)
