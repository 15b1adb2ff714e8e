"""Every hook statewright calls, in one module. Plugins implement them with `hookimpl`.

Hook names carry the `statewright_` prefix. A plugin is any module or object with
`@hookimpl`-decorated functions, exposed under the entry-point group `statewright`
(see docs/PLUGINS.md); built-in targets, rules and engines are registered the same way.
"""

from __future__ import annotations

import pluggy

from statewright.plugins.api import EngineSpec, Rule, Target, TargetSpec

PROJECT = "statewright"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def statewright_targets() -> list[Target | TargetSpec]:  # type: ignore[empty-body]
    """Return the code-generation targets this plugin provides (a `TargetSpec` is loaded when first used)."""


@hookspec
def statewright_rules() -> list[Rule]:  # type: ignore[empty-body]
    """Return the verification rules this plugin provides."""


@hookspec
def statewright_engines() -> list[EngineSpec]:  # type: ignore[empty-body]
    """Return the scenario engines (`statewright test --targets`) this plugin provides."""
