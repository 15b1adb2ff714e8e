"""What a verification run proved, as plain data a target may be handed (`plugins.run.Verification`)."""

from __future__ import annotations

from statewright.compiler.smt.analysis import analysis_of
from statewright.plugins.run import Verification, VerificationRun
from statewright.semantics.dispatch import Dispatch
from statewright.semantics.inputs import all_inputs


def verification_of(run: VerificationRun) -> Verification:
    """The run's proofs a target may present: the guard-only levels whose guards always cover the domain.

    Asks the run's own analysis (so a proof the rules already made is not made
    again) the same exhaustiveness question the SW403 rule asks.
    """
    dispatch = run.derive(Dispatch)
    levels = dispatch.guarded_levels()
    if not levels:
        return Verification()
    analysis = analysis_of(run)
    inputs = run.derive(all_inputs)  # a level's transitions all read its event's payload
    return Verification(
        exhaustive=frozenset(
            key
            for key, guards in levels.items()
            if analysis.exhaustive(guards, inputs=inputs[dispatch.on_event[key][0]]).proved
        )
    )
