"""Small specs and helpers shared by the target tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from statewright import ir
from statewright.ir import Machine
from statewright.pipeline import compile_path, compile_text
from statewright.plugins.manager import PluginManager
from tests.conftest import EXAMPLES

TRICKY = r"""workflow Tricky {
  context {
    label: string = "a|b"
    amount: int >= 0 = 0
  }
  events { go, stop "halt | now", poke }
  initial state Idle {
    on go when label == "x|y \"quoted\" é" -> Busy
    on go when amount > 3 -> Busy
    on stop -> Done
    reject poke "not now | later — «bientôt»"
  }
  state Busy {
    on stop -> Done
    on go -> note
    timeout 5s -> Idle
    initial state Inner {
      on go when amount > 3 -> Inner2
    }
    state Inner2 {
      ignore poke
      reject stop
    }
  }
  state note { on go -> Done  on stop -> end }
  state end { on go -> Done  on stop -> Done  on poke -> note }
  final state Done
}
"""
"""Guards and reasons with `|`, quotes and non-ASCII; a guarded child under an unguarded parent;
states named like Mermaid keywords."""

COLLIDING = """workflow Colliding {
  events { go }
  initial saga Pay {
    step charge compensate refund key "k1" compensate_key "k2"
    done -> Pay_charge
    compensated -> Failed
    compensation_failed -> Failed
  }
  state Pay_charge { on go -> Done }
  final state Done
  final state Failed { outcome failure "could not pay" }
}
"""
"""A synthesised name (`Pay.charge`) whose Mermaid id would collide with a user's state (`Pay_charge`)."""

BUILTINS = ("statewright.targets.ir_target", "statewright.targets.table", "statewright.targets.diagrams")


def machine_of(text: str) -> Machine:
    """Compile `text`; fail on any front-end finding."""
    result = compile_text(text, "spec.wf")
    assert result.machine is not None, result.diagnostics
    assert not result.diagnostics, result.diagnostics
    return result.machine


def example(name: str) -> Machine:
    """Compile one example spec by file stem."""
    result = compile_path(EXAMPLES / f"{name}.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def example_paths() -> list[Path]:
    """Every example spec."""
    return sorted(EXAMPLES.glob("*.wf"))


def manager() -> PluginManager:
    """A plugin manager with the ir, table and diagram targets and no entry points."""
    return PluginManager(builtins=BUILTINS, entry_points=False)


SHOP = """workflow Shop {
  events { cancel, resolved }
  initial saga Fulfilling {
    step reserve_stock compensate release_stock key "r-{id}" compensate_key "rr-{id}" service inventory
         timeout 30s retry 3 backoff exponential 1s..30s jitter full retry_on Timeout
    step charge_card compensate refund_card key "c-{id}" compensate_key "cr-{id}" service payments timeout 30s
    step hand_over pivot key "h-{id}" service shipping timeout 4h
    step notify no_compensation "an email cannot be recalled" key "n-{id}" service mail timeout 1m
    done -> Shipped
    compensated -> Cancelled
    compensation_failed -> ManualReview
    reject cancel "being fulfilled | ask support"
  }
  state ManualReview { on resolved -> Cancelled  ignore cancel  timeout 5d -> Cancelled }
  final state Shipped
  final state Cancelled { outcome failure "order cancelled" }
}
"""
"""A saga with compensations, a pivot and a no-compensation step."""

CHECKS = """workflow Checks {
  events { start, smoke_ok, probe_ok, abort }
  initial state Idle { on start -> Verifying  reject abort "nothing to abort" }
  parallel Verifying {
    region Smoke {
      initial state SmokeRunning { on smoke_ok -> SmokeDone }
      final state SmokeDone
    }
    region Health {
      initial state Probing { on probe_ok -> Healthy }
      final state Healthy
    }
    on abort -> Aborted
    done -> Deployed
  }
  final state Deployed
  final state Aborted { outcome failure "aborted" }
}
"""
"""A parallel state with two regions, a transition on the parallel state and a join."""

APPROVE = """workflow Approve {
  events { submit, cancel }
  initial state Draft { on submit -> Review }
  approval Review {
    level 1 { approvers role:manager quorum 1 timeout 24h escalate -> level 2 }
    level 2 { approvers role:director quorum 1 timeout 48h escalate -> Rejected }
    delegation allowed
    approved -> Done
    rejected -> Rejected
    on cancel -> Cancelled
  }
  final state Done
  final state Rejected { outcome failure "not approved" }
  final state Cancelled { outcome failure "cancelled" }
}
"""
"""A two-level sequential approval: implicit events, a delegation that stays, an escalation."""


HEALTHY_WINDOW: tuple[tuple[str, ir.Value], ...] = (("error_rate", Decimal("0.1")), ("latency_delta_ms", 0))
"""A `metrics_reported` payload of the deploy pipeline within the canary's error and latency budget."""
