"""SW980-SW989: `statewright test`.

Reported by `testing/` (the design property test and the cross-target comparison).
"""

from statewright.diagnostics.model import Code, Severity

INVARIANT_BROKEN = Code(
    "SW980",
    "design-invariant-broken",
    Severity.ERROR,
    "a property test of the generated code broke an invariant of the design",
    "the steps listed reproduce it (run `statewright test` with the same --seed); fix the spec, "
    "or the runtime if the spec is right",
)
TARGETS_DIVERGE = Code(
    "SW981",
    "targets-diverge",
    Severity.ERROR,
    "an engine's run of the generated artifact differs from the Python runtime",
    "the steps listed reproduce it; the target's mapping of this construct is wrong (a statewright bug, "
    "please report it) unless the target documents it as unsupported",
)
ENGINE_UNAVAILABLE = Code(
    "SW982",
    "engine-unavailable",
    Severity.ERROR,
    "the engine for a requested target cannot be loaded",
    "install the test extras (`pip install 'statewright[engines]'`) or drop the target from --targets",
)
NOT_COVERED = Code(
    "SW983",
    "transition-not-covered",
    Severity.INFO,
    "no path-covering scenario takes this transition within the search budget",
    "often a branch kept on purpose (an `else` that bounds a counter); otherwise raise --depth, "
    "or check the guards that lead here",
)
DESIGN_NOT_RUN = Code(
    "SW984",
    "design-test-not-run",
    Severity.ERROR,
    "the property test could not run on this workflow",
    "the message says why; this is a statewright bug unless the spec is refused by `statewright check`",
)
CONTEXT_NOT_COMPARED = Code(
    "SW985",
    "context-not-compared",
    Severity.WARNING,
    "an engine agreed on states but does not report its context, so the data it computed was not compared",
    "the engine's observations carry no context yet (a statewright gap, not a pass over data); "
    "the states were compared, the context after each step was not",
)
