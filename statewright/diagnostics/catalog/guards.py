"""SW4xx: guards and `set` actions, proved with z3.

SW401-SW404 are reported by `compiler/verify/rules/guards.py`, SW405-SW408 by
`rules/invariants.py`, and SW409 (an obligation z3 could not decide) by both, through
`rules/proofs.py`.
"""

from statewright.diagnostics.model import Code, Severity

DEAD_GUARD = Code(
    "SW401",
    "dead-guard",
    Severity.ERROR,
    "guard can never hold",
    "no context allowed by the declared types, bounds and invariants satisfies it, so the "
    "transition is dead: fix the guard or the bounds, or remove the transition",
)
OVERLAPPING_GUARDS = Code(
    "SW402",
    "overlapping-guards",
    Severity.ERROR,
    "guards of one state and event can hold together",
    "make the guards exclude each other (add `and not (...)`), or turn one into `else`",
)
GUARDS_NOT_EXHAUSTIVE = Code(
    "SW403",
    "guards-not-exhaustive",
    Severity.WARNING,
    "no guard holds in some contexts and nothing else decides the event",
    'add an `else` branch, widen a guard, or refuse the rest explicitly (`reject EVENT "why"`)',
)
CHOICE_MAY_STALL = Code(
    "SW404",
    "choice-may-stall",
    Severity.ERROR,
    "guarded choice has no way out in some contexts",
    "add an unguarded (or `else`) branch, or make the guards cover every context",
)
INVARIANT_NOT_PRESERVED = Code(
    "SW405",
    "invariant-not-preserved",
    Severity.ERROR,
    "`set` actions can break an invariant",
    "guard the transition so that the new values keep the invariant, or change the actions",
)
VALUE_OUT_OF_RANGE = Code(
    "SW406",
    "value-out-of-range",
    Severity.ERROR,
    "`set` can store a value outside the field's declared range",
    "guard the transition (e.g. `when attempts < 5`), or widen the field's bounds",
)
INITIAL_CONTEXT_INVALID = Code(
    "SW407",
    "initial-context-invalid",
    Severity.ERROR,
    "a new instance cannot satisfy the invariants",
    "change the defaults, or the invariant, so that a new instance starts in a valid context",
)
DIVISION_BY_ZERO = Code(
    "SW408",
    "division-by-zero",
    Severity.WARNING,
    "a divisor can be zero",
    "guard the division (`d != 0 and x / d > 1`) or give the divisor bounds that exclude 0; "
    "`x / 0` is 0 and `x % 0` is `x`",
)
SOLVER_UNKNOWN = Code(
    "SW409",
    "solver-unknown",
    Severity.WARNING,
    "the solver could not decide a guard property",
    "simplify the expression (products of two fields are hard to decide), or raise the time "
    "limit with `--smt-timeout MS`",
)
