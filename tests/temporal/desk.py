"""A test's activity desk: every activity attempt waits here until the test answers it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from temporalio import activity

from statewright import ir
from statewright.runtime.definition import Definition
from statewright.temporal.activities import define
from statewright.temporal.protocol import ActivityCall


class Desk:
    """Activity attempts in arrival order, each answered by the test (a result, or an exception to raise)."""

    def __init__(self) -> None:
        self.waiting: asyncio.Queue[tuple[ActivityCall, asyncio.Future[Any]]] = asyncio.Queue()
        self.seen: list[ActivityCall] = []
        self.beating = False

    async def attend(self, call: ActivityCall) -> Mapping[str, Any] | None:
        """One attempt: queue it, then heartbeat (when asked to) until the test answers."""
        self.seen.append(call)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self.waiting.put((call, answer))
        while True:
            done, _ = await asyncio.wait({answer}, timeout=0.2)
            if done:
                break
            if self.beating:
                activity.heartbeat()
        outcome = answer.result()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    async def next(self, timeout: float = 20.0) -> tuple[ActivityCall, asyncio.Future[Any]]:
        """The next attempt waiting for an answer."""
        return await asyncio.wait_for(self.waiting.get(), timeout)

    async def answer(self, action: str, outcome: object = None) -> ActivityCall:
        """Answer the next attempt, which must be of `action`; return its call."""
        call, future = await self.next()
        assert call.action == action, (call.action, action)
        future.set_result(outcome)
        return call

    def activities(self, definition: Definition) -> list[Callable[..., Any]]:
        """Every invoked action of the definition, served by this desk through `activities.define`."""
        actions = sorted(
            {s.invoke.action for s in definition.states.values() if s.invoke is not None}
            | {a.name for s in definition.states.values() for a in s.entry if isinstance(a, ir.Call)}
        )
        return [define(definition, action, self.attend) for action in actions]
