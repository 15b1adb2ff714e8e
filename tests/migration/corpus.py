"""Version pairs of examples/order_fulfilment.wf: version 3 and an edited version 4 per kind of change.

Each NEW spec is the example with textual edits (asserted to apply), so the
corpus follows the example as it evolves.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OLD = ROOT / "examples" / "order_fulfilment.wf"


def edited(*edits: tuple[str, str]) -> str:
    """The example as version 4 with each (old, new) text replaced (every occurrence; each must occur)."""
    text = OLD.read_text("utf-8").replace("version 3", "version 4", 1)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


RENAMED = edited(
    ("Quarantine", "ReviewQueue"),
    (
        "  context {\n",
        "  migrate { Quarantine -> ReviewQueue }\n  context {\n    channel: enum { web, phone } = web\n",
    ),
)
"""The worked example of docs/OPERATIONS.md: a state renamed, a field added with a default."""

REMOVED = edited(
    ("dead_letter -> Quarantine", "dead_letter -> Cancelled"),
    ("timeout 2m -> Quarantine", "timeout 2m -> Cancelled"),
    (
        "on invalid when validation_attempts < 3 -> Quarantine",
        "on invalid when validation_attempts < 3 -> Cancelled",
    ),
    (
        """  state Quarantine {
    doc "Dead-letter queue: orders that failed validation wait here for a human."
    entry do open_review_ticket key "order-{order_id}-quarantine"
    on reviewed when validation_attempts < 3 -> Validating
    on reviewed else -> Cancelled  # three strikes: stop re-validating
    on discard -> Cancelled
    on cancel -> Cancelled
    warn after 1d "quarantined order waiting for review for a day"
    timeout 7d -> Cancelled
  }
""",
        "",
    ),
    ('    reviewed "an operator corrected a quarantined order"\n', ""),
    ('    discard "an operator discarded a quarantined order"\n', ""),
)
"""Quarantine removed (its inflows go to Cancelled)."""

NARROWED = edited(("items: int 1..500 = 1", "items: int 1..100 = 1"))
"""`items` narrowed from 1..500 to 1..100: instances with more items cannot move."""

INVARIANT = edited(
    (
        "  invariant validation_attempts <= 3\n",
        "  invariant validation_attempts <= 3\n  invariant amount <= 50000.00\n",
    )
)
"""A new invariant some stored contexts break."""

NO_COMPENSATION = edited(
    (
        """        compensate refund_card compensate_key "order-{order_id}-refund"
""",
        """        no_compensation "refunds are issued by finance by hand"
""",
    ),
)
"""The charge's compensation removed: instances past the charge would owe a refund NEW cannot run."""

APPROVERS = edited(
    ("level 1 { approvers role:sales_manager quorum 1", "level 1 { approvers role:regional_manager quorum 1"),
)
"""Approval level 1 has other approvers: votes cast there would not mean the same."""

TIMEOUT = edited(
    (
        "    timeout 7d -> Cancelled\n  }\n\n  state ManualReview",
        "    timeout 3d -> Cancelled\n  }\n\n  state ManualReview",
    )
)
"""Quarantine's timeout shortened: an instance waiting there would time out on other terms."""
