"""The order fulfilment example on a runtime with recording handlers, driven to the states the tests need."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import TypedDict

from statewright import ir
from statewright.pipeline import compile_text
from statewright.runtime import replay
from statewright.runtime.definition import Definition
from statewright.runtime.memory import MemoryStore
from statewright.runtime.runner import Call, Runtime
from statewright.runtime.store import Store
from tests.conftest import EXAMPLES

ORDER = EXAMPLES / "order_fulfilment.wf"


class Operator(TypedDict):
    """The keyword arguments of a repair: who, why, and the permissions presented."""

    actor: str
    reason: str
    permissions: list[str]


OPERATOR: Operator = {
    "actor": "ann",
    "reason": "the customer called support",
    "permissions": ["role:operator"],
}
"""What an operator presents for a repair."""


class Timeout(Exception):  # noqa: N818 - the error name the spec's `retry_on Timeout` catches
    """A handler failure named `Timeout`."""


@cache
def order() -> Definition:
    """The order fulfilment example's definition (compiled once)."""
    return Definition(machine(ORDER.read_text()))


def machine(text: str) -> ir.Machine:
    """A spec the front end accepts, compiled."""
    result = compile_text(text, "spec.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


@dataclass
class Handlers:
    """Handlers that record every call and fail the actions listed in `failing`."""

    failing: dict[str, type[Exception]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    results: Mapping[str, Mapping[str, object]] = field(
        default_factory=lambda: {"charge_card": {"receipt": "rcpt-1"}}
    )

    def __call__(self, call: Call) -> object:
        """Record the call; raise for a failing action, else return its result."""
        self.calls.append(call)
        failure = self.failing.get(call.action)
        if failure is not None:
            raise failure(f"{call.action} failed")
        return self.results.get(call.action)

    def table(self) -> dict[str, Callable[[Call], object]]:
        """The handler under every action name the example uses."""
        names = {s.invoke.action for s in order().machine.states if s.invoke is not None}
        for state in order().machine.states:
            for action in (*state.entry, *state.exit):
                if isinstance(action, ir.Call):
                    names.add(action.name)
        return dict.fromkeys(sorted(names), self)


class Clock:
    """A fake clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000

    def __call__(self) -> int:
        return self.now


def runtime(handlers: Handlers, store: Store | None = None) -> tuple[Runtime, Clock]:
    """A runtime of the example on `store` (a fresh in-memory one by default) with a fake clock."""
    clock = Clock()
    return Runtime(order(), store or MemoryStore(), handlers.table(), clock=clock), clock


def start(rt: Runtime, instance_id: str = "o1") -> None:
    """Start a small order and submit it: it waits in Validating with its validation owed."""
    rt.start({"amount": Decimal("120.00")}, instance_id=instance_id)
    rt.send(instance_id, "submit")


def run_invoke(rt: Runtime, instance_id: str = "o1") -> str:
    """Run the one owed invoked work item (and the `do` work before it); return its action."""
    rt.run_work(instance_id, kinds=("do", "emit"))
    owed = [w for w in rt.store.work(instance_id) if w.kind == "invoke"]
    assert len(owed) == 1, owed
    rt.run_work(instance_id, keys=[owed[0].key])
    return owed[0].action


def into_saga(rt: Runtime, steps: int, instance_id: str = "o1") -> None:
    """Validate the order and complete the saga's first `steps` steps."""
    start(rt, instance_id)
    run_invoke(rt, instance_id)  # validation: the handler returns, nobody sent `valid` yet
    rt.send(instance_id, "valid")
    for _ in range(steps):
        run_invoke(rt, instance_id)


def drain(rt: Runtime, clock: Clock, instance_id: str = "o1", rounds: int = 40) -> None:
    """Run owed work and move the clock until nothing is owed or due."""
    for _ in range(rounds):
        ran = rt.run_work(instance_id)
        clock.now += 1_000  # within every step's timeout: only retries and backoffs fall due
        fired = rt.tick()
        if not ran and not fired:
            return


def replays(rt: Runtime, instance_id: str = "o1") -> None:
    """The instance's log replays to the stored instance (`run verify`)."""
    replay.check(rt.definition, rt.store, instance_id)
