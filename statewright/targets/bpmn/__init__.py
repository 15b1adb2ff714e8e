"""The built-in BPMN 2.0 targets (`bpmn`, `bpmn-zeebe`, `bpmn-svg`), registered through the plugin hook."""

from __future__ import annotations

from statewright.plugins.api import Target
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.bpmn.svg import SVG
from statewright.targets.bpmn.target import GENERIC, ZEEBE


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the BPMN targets."""
    return [GENERIC, ZEEBE, SVG]
