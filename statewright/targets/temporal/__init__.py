"""The built-in `temporal` target: a workflow as a Temporal workflow on statewright's runtime.

`<workflow>_temporal.py` holds the embedded IR, the activity settings table
(timeouts, heartbeat, retry policy per work state, citing the spec's lines),
the activities to implement as a `Protocol`, one typed update per event, the
workflow class (a subclass of `statewright.temporal.shell.StatewrightWorkflow`,
which runs the runtime's own step functions) and a worker entry point. See
docs/targets/temporal.md for the construct-by-construct mapping; the wire
contract is `statewright.temporal.protocol`. The target reads only the IR.
"""

from __future__ import annotations

from statewright.plugins.api import Target
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.temporal.target import TemporalTarget, render_module

__all__ = ["TemporalTarget", "render_module", "statewright_targets"]


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `temporal` target through the public plugin hook."""
    return [TemporalTarget()]
