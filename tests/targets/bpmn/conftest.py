"""Fixtures shared by the BPMN target's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from statewright.plugins.manager import PluginManager
from statewright.testing.bpmn_node_engine import NodeBpmnEngine, missing
from statewright.testing.engine import load_engine


@pytest.fixture(scope="module")
def node_engine() -> Iterator[NodeBpmnEngine]:
    """One bpmn-engine node process for a module's runs, loaded as `statewright test` loads it."""
    assert missing() is None, missing()
    loaded = load_engine(PluginManager(entry_points=False), "bpmn-engine")
    assert isinstance(loaded, NodeBpmnEngine)
    with loaded:
        yield loaded
