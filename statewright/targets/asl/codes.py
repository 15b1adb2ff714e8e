"""Diagnostic codes of the `asl` target (SW920-SW939): what Step Functions cannot say as written.

Defined in `statewright.diagnostics.catalog.asl`; the target's modules import them from here.
"""

from __future__ import annotations

from statewright.diagnostics.catalog.asl import DEFINITION_TOO_LARGE as DEFINITION_TOO_LARGE
from statewright.diagnostics.catalog.asl import DELEGATION_LIMIT as DELEGATION_LIMIT
from statewright.diagnostics.catalog.asl import EVALUATOR_USED as EVALUATOR_USED
from statewright.diagnostics.catalog.asl import HISTORY_BOUND as HISTORY_BOUND
from statewright.diagnostics.catalog.asl import HISTORY_UNBOUNDED as HISTORY_UNBOUNDED
from statewright.diagnostics.catalog.asl import NAME_TOO_LONG as NAME_TOO_LONG
from statewright.diagnostics.catalog.asl import NO_TERMINAL as NO_TERMINAL
from statewright.diagnostics.catalog.asl import OPTION_INVALID as OPTION_INVALID
from statewright.diagnostics.catalog.asl import PARALLEL_LIMIT as PARALLEL_LIMIT
from statewright.diagnostics.catalog.asl import RETRY_APPROXIMATED as RETRY_APPROXIMATED
from statewright.diagnostics.catalog.asl import RETRY_CATCH_ORDER as RETRY_CATCH_ORDER
from statewright.diagnostics.catalog.asl import SOFT_TIMEOUT_DROPPED as SOFT_TIMEOUT_DROPPED
from statewright.diagnostics.catalog.asl import TIMER_ROUNDED as TIMER_ROUNDED
from statewright.diagnostics.catalog.asl import UNBOUNDED_WAIT as UNBOUNDED_WAIT
