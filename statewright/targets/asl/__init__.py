"""The built-in `asl` target: a workflow as an AWS Step Functions state machine (Amazon States Language).

See docs/targets/asl.md for the construct-by-construct mapping. The target reads
only the IR; `compile.compile_machine` is shared with the Step Functions engine
driver (`statewright.testing.asl_engine`).
"""

from __future__ import annotations

from statewright.plugins.api import Target
from statewright.plugins.hookspecs import hookimpl
from statewright.targets.asl.target import AslTarget


@hookimpl
def statewright_targets() -> list[Target]:
    """Provide the `asl` target through the public plugin hook."""
    return [AslTarget()]
