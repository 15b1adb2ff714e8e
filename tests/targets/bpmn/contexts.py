"""Starting contexts for the coverage walks: chosen so that every guarded route of each example is taken."""

from __future__ import annotations

from decimal import Decimal

from statewright import ir

WALK_CONTEXTS: dict[str, tuple[dict[str, ir.Value], ...]] = {
    "order_fulfilment": (
        {"amount": Decimal("50.00")},
        {"amount": Decimal("15000.00")},
        {"amount": Decimal("15000.00"), "customer_tier": "platinum"},
    ),
    "expense_approval": (
        {"amount": Decimal("20000.00"), "category": "equipment", "has_receipt": True, "cost_centre": "CC-1"},
        {"amount": Decimal("10.00"), "category": "meals", "cost_centre": "CC-1"},
        {"amount": Decimal("500.00"), "category": "travel", "nights": 1, "cost_centre": "CC-1"},
    ),
    "deploy_pipeline": (
        {"planned_changes": 3, "environment": "production"},
        {"planned_changes": 2, "change_risk": "low"},
        {"planned_changes": 0},
        {"planned_changes": 1, "environment": "production", "change_freeze": True},
    ),
    "data_pipeline": ({}, {"rows_rejected": 5, "rows_extracted": 10}),
    "publishing": ({}, {"mode": "release", "human_ack_required": True}),
}
