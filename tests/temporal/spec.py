"""A small workflow for the Temporal shell's tests, and a hand-written workflow class over it.

The class is what a generated module declares (`protocol.py`): every handler
delegating to `StatewrightWorkflow`. The tests drive it on a real
`temporal server start-dev`, with activities they answer themselves.
"""

from __future__ import annotations

from temporalio import workflow

from statewright.pipeline import compile_text
from statewright.runtime.definition import Definition
from statewright.temporal.protocol import (
    SEND_SIGNAL,
    SEND_UPDATE,
    SNAPSHOT_QUERY,
    SendAnswer,
    SendRequest,
    Snapshot,
    StartInput,
)
from statewright.temporal.shell import StatewrightWorkflow

SPEC = """
workflow Shop {
  version 1
  context {
    amount: int 0..1000 = 10
    receipt: string = ""
    why: string = ""
  }
  events {
    go(amount: int 1..1000) "start the order"
    stop
    ping
    pong
  }
  reject * "not now"
  initial state Idle {
    on go -> Checking { set amount = event.amount }
    on ping -> Idle { emit pong }
    on pong -> Pinged
    on stop -> Waiting
  }
  state Pinged {
    entry do note
    on go -> Checking { set amount = event.amount }
    on stop -> Stuck
  }
  state Stuck {
    on stop -> Done
    timeout 1s -> Failed { set amount = amount + 1000 }
  }
  state Checking {
    invoke check
    heartbeat 30s
    retry 2 backoff fixed 1s retry_on Busy, HeartbeatTimeout dead_letter -> Failed { set why = error.name }
    on error Declined -> Failed { set why = error.message }
    done -> Paying
  }
  saga Paying {
    step reserve key "r-{amount}" compensate release compensate_key "rel-{amount}"
    step charge key "c-{amount}" compensate refund compensate_key "ref-{amount}"
        returns { receipt: string }
        then { set receipt = result.receipt }
    step ship key "s-{amount}"
    done -> Done
    compensated -> Undone
    compensation_failed -> Failed
  }
  state Waiting {
    on stop -> Done
    timeout 2s -> Failed
  }
  final state Done { outcome success }
  final state Undone { outcome failure "compensated" }
  final state Failed { outcome failure "failed" }
}
"""


def definition() -> Definition:
    """The spec's runtime definition (compiled from the text above)."""
    result = compile_text(SPEC, "shop.wf")
    assert result.machine is not None, [d.message for d in result.diagnostics]
    return Definition(result.machine)


@workflow.defn(name="Shop")
class ShopWorkflow(StatewrightWorkflow):
    """What a generated module would declare for `Shop`."""

    @workflow.run
    async def run(self, start: StartInput) -> Snapshot:
        """The run: the shell's."""
        return await self._execute(start)

    @workflow.update(name=SEND_UPDATE)
    async def send(self, request: SendRequest) -> SendAnswer:
        """Any event."""
        return await self._send(request)

    @send.validator
    def check_send(self, request: SendRequest) -> None:
        """Refusals before the history."""
        self._validate_send(request)

    @workflow.signal(name=SEND_SIGNAL)
    async def deliver(self, request: SendRequest) -> None:
        """Any event, fire and forget."""
        await self._deliver(request)

    @workflow.query(name=SNAPSHOT_QUERY)
    def snapshot(self) -> Snapshot:
        """The instance now."""
        return self._snapshot()
