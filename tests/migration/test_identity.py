"""Definition identity: a changed spec is refused for existing instances with a code and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from statewright.cli import app
from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.runtime.errors import DefinitionChanged, WrongWorkflow
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Runtime
from tests.migration import corpus

CHANGED = corpus.OLD.read_text("utf-8").replace(
    "invariant validation_attempts <= 3", "invariant validation_attempts <= 2"
)
"""Version 3 edited without a version bump."""


def _definition(text: str) -> Definition:
    machine = compile_text(text, "order.wf").machine
    assert machine is not None
    return Definition(machine)


def _started(store: MemoryStore) -> None:
    Runtime(_definition(corpus.OLD.read_text("utf-8")), store).start({"amount": 5}, instance_id="o-1")


def test_a_spec_changed_without_a_version_bump_is_refused_with_what_to_do() -> None:
    store = MemoryStore()
    _started(store)
    with pytest.raises(DefinitionChanged) as raised:
        Runtime(_definition(CHANGED), store).send("o-1", "submit")
    message = str(raised.value)
    assert raised.value.code.code == "SW976"
    assert "the spec changed without a new `version`" in message
    assert "bump `version` and migrate with `statewright run migrate" in message
    assert "statewright run migrate" in raised.value.code.help
    assert store.load("o-1").version == 1  # nothing was applied


def test_a_newer_version_is_refused_and_points_at_migrate() -> None:
    store = MemoryStore()
    _started(store)
    with pytest.raises(WrongWorkflow) as raised:
        Runtime(_definition(corpus.RENAMED), store).send("o-1", "submit")
    assert raised.value.code.code == "SW969"
    assert "move it to this version with `statewright run migrate" in str(raised.value)


def test_an_older_version_is_refused_without_suggesting_a_migration_backwards() -> None:
    store = MemoryStore()
    Runtime(_definition(corpus.RENAMED), store).start({"amount": 5}, instance_id="o-1")
    with pytest.raises(WrongWorkflow) as raised:
        Runtime(_definition(corpus.OLD.read_text("utf-8")), store).send("o-1", "submit")
    assert "migrate" not in str(raised.value)


def test_the_command_line_shows_the_code_and_exits_without_a_traceback(tmp_path: Path) -> None:
    db = str(tmp_path / "o.db")
    changed = tmp_path / "order.wf"
    changed.write_text(CHANGED, "utf-8")
    runner = CliRunner()
    start = runner.invoke(
        app, ["run", "start", str(corpus.OLD), "--db", db, "--id", "o-1", "--set", "amount=5.00"]
    )
    assert start.exit_code == 0, start.output
    done = runner.invoke(app, ["run", "send", str(changed), "o-1", "submit", "--db", db])
    assert done.exit_code == 2
    assert "error[SW976]" in done.output and "statewright run migrate" in done.output
    assert "Traceback" not in done.output
