"""SW6xx: approvals and waits (timeouts, escalations, quorums, delegation, recall).

Reported by the rules in `compiler/verify/rules/waits.py` and, for what an escalation
means (SW607, SW608), `compiler/verify/rules/approvals.py`.
"""

from statewright.diagnostics.model import Code, Severity

WAIT_WITHOUT_TIMEOUT = Code(
    "SW601",
    "wait-without-timeout",
    Severity.ERROR,
    "a waiting state has no timeout",
    "add `timeout D -> State` (on an approval level: `timeout D escalate -> ...`) so that no "
    "instance waits forever",
)
ESCALATION_WITHOUT_OUTCOME = Code(
    "SW602",
    "escalation-without-outcome",
    Severity.ERROR,
    "an escalation chain never ends in an outcome",
    "let the last escalation go to a state that leads to a final state (e.g. `escalate -> Expired`)",
)
QUORUM_OUT_OF_RANGE = Code(
    "SW603",
    "quorum-out-of-range",
    Severity.ERROR,
    "quorum is below 1 or above the number of approvers",
    "list enough approvers, or lower the quorum (`quorum all` = every listed approver)",
)
ESCALATION_AS_ERROR = Code(
    "SW604",
    "escalation-as-error",
    Severity.ERROR,
    "a waiting state is left by an `error` transition",
    "model the deadline as a timer with an escalation (`timeout D escalate -> ...`); errors are "
    "for failed work, not for time running out",
)
DELEGATION_UNBOUNDED = Code(
    "SW605",
    "delegation-unbounded",
    Severity.WARNING,
    "delegation could go round in a circle with nothing to stop it",
    "bound the level with a timeout that escalates, add a level to escalate to, or forbid delegation",
)
RECALL_AFTER_DECISION = Code(
    "SW606",
    "recall-after-decision",
    Severity.ERROR,
    "`recall` is possible after the approval has decided",
    "handle `recall` only in the approval (`recall -> State`); once approved or rejected, use an "
    "ordinary cancellation event",
)
ESCALATION_SKIPS_LEVEL = Code(
    "SW607",
    "escalation-skips-level",
    Severity.WARNING,
    "an escalation jumps over a level, which a silence then never asks",
    "escalate to the next level (`escalate -> level N+1`), or to a state if a silence should end "
    "the approval; `escalate -> level N` hands the request to level N, and the levels between are "
    "not asked",
)
ESCALATION_LOWERS_QUORUM = Code(
    "SW608",
    "escalation-lowers-quorum",
    Severity.WARNING,
    "an escalation hands the decision to a level that needs fewer approvals",
    "give the level escalated to at least the quorum of the level that fell silent, or escalate to "
    "a state: otherwise a silence lets fewer people decide than an answer would have needed",
)
