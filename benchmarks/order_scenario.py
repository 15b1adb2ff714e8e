"""The order scenario of issue 20: examples/order_fulfilment.wf driven order by order, as data.

One order is: start (a draft), `submit`, the validation work, `valid`, then the
saga's work (the fulfilment record opened with stock reserved, the card
charged, the courier booked, the parcel handed over, the dispatch email sent,
the record closed and the shipment published). Every fifth order (`i % 5 == 4`)
is large (EUR 15,000 from a standard customer), so `valid` leads to
`ManagerApproval`, where two approvals (the sales manager's level 1, then the
sales director's level 2) send it on to the saga. Everything is deterministic:
order `i`'s steps and values depend on `i` only; the clock is fixed.

The small API other benchmarks share (the in-memory row here, the durable row in
the durable engineer's module):

- `SOURCE`, `ORDERS`: the spec file and a default number of orders;
- `order(i)`: order `i` as data (its context values and its `steps`);
- `steps(i)`: the steps alone; a `Step` is an event sent (with the approver's
  actor and permissions when it is an approval) or a round of owed work run;
- `handlers()`: the work handlers (every action succeeds; `charge_card` returns
  a receipt), as a `Runtime` or a generated machine takes them;
- `generated_module()`: the python target's module for the spec, built into a
  temporary directory and imported;
- `run_in_memory(module, i)`: order `i` through the module's in-memory machine;
  the final state's name (`Shipped`);
- `hand_written(i)`: the same flow as a plain-dict state machine, the reference.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "examples" / "order_fulfilment.wf"
"""The workflow every order runs."""
ORDERS = 1000
"""A default number of orders for a timed run."""
LARGE_EVERY = 5
"""Every fifth order is large and needs two approvals."""
CLOCK_MS = 1_700_000_000_000
"""The fixed time every step happens at (no timer is due during an order)."""
MODULE = "order_fulfilment_bench"
"""The name the generated module is imported under."""


@functools.cache
def actions() -> tuple[str, ...]:
    """Every action the workflow may call (a handler each), as `semantics.calls` answers it for the spec."""
    from statewright.pipeline import compile_text
    from statewright.semantics.calls import handler_names

    machine = compile_text(SOURCE.read_text("utf-8"), SOURCE.name).machine
    assert machine is not None, "the order example compiles"
    return handler_names(machine)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens to an order: an event sent, or a round of the owed work run.

    `kind` "send": `event` is sent, as `actor` with `permissions` when they are
    given (an approval). `kind` "work": every item of work owed now is run once
    with `handlers()` (`Machine.run_work()`); `actions` names them, in order, for
    the reader and the hand-written reference.
    """

    kind: Literal["send", "work"]
    event: str = ""
    actor: str | None = None
    permissions: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    """One order: the context it starts with, its steps and the state it ends in."""

    index: int
    values: Mapping[str, Any]
    steps: tuple[Step, ...]
    final: str


_APPROVALS = (
    Step("send", "approve", actor="sales.manager@example.com", permissions=("role:sales_manager",)),
    Step("send", "approve", actor="sales.director@example.com", permissions=("role:sales_director",)),
)
_SAGA = (
    Step("work", actions=("open_fulfilment_record", "reserve_stock")),
    Step("work", actions=("charge_card",)),
    Step("work", actions=("book_courier",)),
    Step("work", actions=("hand_over_parcel",)),
    Step("work", actions=("send_dispatch_email",)),
    Step("work", actions=("close_fulfilment_record", "publish_order_shipped")),
)


def is_large(i: int) -> bool:
    """Whether order `i` is one of the large ones (two approvals)."""
    return i % LARGE_EVERY == LARGE_EVERY - 1


@functools.cache
def order(i: int) -> Order:
    """Order `i`: a small order shipped straight away, or (every fifth) a large one approved twice."""
    large = is_large(i)
    amount = Decimal("15000.00") if large else Decimal(100 + i % 400) + Decimal("0.50")
    values = {"amount": amount, "items": 1 + i % 7}
    head = (Step("send", "submit"), Step("work", actions=("validate_order",)), Step("send", "valid"))
    return Order(i, values, head + (_APPROVALS if large else ()) + _SAGA, "Shipped")


def steps(i: int) -> tuple[Step, ...]:
    """The steps of order `i`, in order."""
    return order(i).steps


def _succeed(call: object) -> None:
    return None


def _charge(call: object) -> dict[str, str]:
    return {"receipt": "rcpt-1"}


def handlers() -> dict[str, Callable[[Any], object]]:
    """A handler for every action: each succeeds at once; `charge_card` returns its receipt."""
    table: dict[str, Callable[[Any], object]] = dict.fromkeys(actions(), _succeed)
    table["charge_card"] = _charge
    return table


def clock() -> int:
    """The fixed clock every contender runs on."""
    return CLOCK_MS


def generated_module(folder: Path | None = None) -> Any:
    """Build the python target's module for `SOURCE` (into `folder`, default a temp dir) and import it."""
    from statewright.pipeline import compile_text
    from statewright.targets.python import render_module

    machine = compile_text(SOURCE.read_text("utf-8"), SOURCE.name).machine
    assert machine is not None, "examples/order_fulfilment.wf does not compile"
    folder = folder or Path(tempfile.mkdtemp(prefix="sw-order-"))
    path = folder / f"{MODULE}.py"
    path.write_text(render_module(machine, SOURCE.name), "utf-8")
    spec = importlib.util.spec_from_file_location(MODULE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    spec.loader.exec_module(module)
    return module


def run_in_memory(module: Any, i: int, work: Mapping[str, Callable[[Any], object]] | None = None) -> str:
    """Run order `i` through the generated module's in-memory machine; the state it ends in."""
    current = order(i)
    machine = module.OrderFulfilmentMachine(
        **current.values, handlers=work or handlers(), clock=clock, instance_id=f"order-{i}"
    )
    for step in current.steps:
        if step.kind == "work":
            machine.run_work()
        elif step.actor is None:
            machine.send(step.event)
        else:
            machine.send_as(step.event, actor=step.actor, permissions=step.permissions)
    return str(machine.state)


# ---------------------------------------------------------------------- the hand-written reference

LIMIT = Decimal("10000.00")
_SAGA_STEPS = ("reserve_stock", "charge_card", "book_courier", "hand_over_parcel", "send_dispatch_email")


def _after_valid(context: dict[str, Any]) -> str:
    total = context["amount"] * context["fx_rate"]
    if total <= LIMIT:
        return "Fulfilling"
    if context["customer_tier"] == "platinum" and total <= 2 * LIMIT:
        return "Fulfilling"
    return "ManagerApproval"


_EVENTS: dict[str, dict[str, Callable[[dict[str, Any]], str]]] = {
    "Draft": {"submit": lambda context: "Validating"},
    "Validating": {"valid": _after_valid},
    "ManagerApproval.level_1": {"approve": lambda context: "ManagerApproval.level_2"},
    "ManagerApproval.level_2": {"approve": lambda context: "Fulfilling"},
}
"""The plain-dict FSM: state -> event -> the next state (a guard where one decides)."""
_ENTRY: dict[str, tuple[str, ...]] = {
    "Validating": ("validate_order",),
    "Fulfilling": ("open_fulfilment_record",),
    "Shipped": ("publish_order_shipped",),
}
"""The work a state owes on entry."""
HAND_DEFAULTS: dict[str, Any] = {
    "currency": "eur",
    "fx_rate": Decimal("1.00"),
    "customer_tier": "standard",
    "validation_attempts": 0,
    "payment_receipt": "",
    "failure_reason": "",
}
"""The context defaults the hand-written references start from (the spec's, written out)."""


def hand_written(i: int, work: Mapping[str, Callable[[Any], object]] | None = None) -> str:
    """Run order `i` through a hand-written dict FSM of the same flow (the reference); its final state.

    It does what the flow needs and no more: the same steps, the guard on the
    amount, the approval levels, the entry work and the saga's steps in order,
    each handler called once with the action's name, the receipt kept.
    """
    table = work or handlers()
    current = order(i)
    context: dict[str, Any] = {**HAND_DEFAULTS, **current.values}
    state = "Draft"
    owed: list[str] = []
    saga = 0
    for step in current.steps:
        if step.kind == "send":
            target = _EVENTS[state][step.event](context)
            if target == "ManagerApproval":
                target = "ManagerApproval.level_1"
            if target == "Fulfilling":
                target = "Fulfilling." + _SAGA_STEPS[0]
                owed += ("open_fulfilment_record", _SAGA_STEPS[0])
            else:
                owed += _ENTRY.get(target, ())
            state = target
            continue
        running, owed = owed, []
        for action in running:
            result = table[action](action)
            if action == "charge_card":
                context["payment_receipt"] = result["receipt"]  # type: ignore[index]
            if saga < len(_SAGA_STEPS) and action == _SAGA_STEPS[saga]:
                saga += 1
                if saga < len(_SAGA_STEPS):
                    state = "Fulfilling." + _SAGA_STEPS[saga]
                    owed.append(_SAGA_STEPS[saga])
                else:
                    state = "Shipped"
                    owed += ("close_fulfilment_record", "publish_order_shipped")
    return state.split(".")[0]
