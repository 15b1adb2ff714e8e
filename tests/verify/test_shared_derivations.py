"""Values several rules read are derived once per verification run, not once per rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from statewright.compiler.verify import verify
from statewright.compiler.verify.rules import waits
from statewright.pipeline import compile_path
from statewright.plugins.manager import get_plugin_manager
from tests.conftest import EXAMPLES


def _counted(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Replace `module.name` by a wrapper that counts its calls."""
    calls = [0]
    original: Callable[..., Any] = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_the_waiting_leaves_are_found_once_for_every_waits_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = compile_path(EXAMPLES / "order_fulfilment.wf").machine
    assert machine is not None
    calls = _counted(monkeypatch, waits, "waiting_states")
    rules = [rule for rule in get_plugin_manager().rules() if rule.family == waits.FAMILY]
    assert len(rules) >= 3
    verify(machine, rules)
    assert calls[0] == 1
