"""A saga's early exits share one compensation chain in the diagram (issue 22).

`compiler/lower_saga_exits.py` gives every early exit from a saga its own IR
chain of compensation states, each ending in that exit's target: the runtime
and the other targets need the states apart. Drawn as they are, a trip saga
left by `cancel` or by `abort` showed every compensation task twice. Here the
interchangeable chains (`semantics.sagas.shared_undo`) are drawn once: each
way in first records which exit was taken in a process variable (a script
task, `exit_from_<saga> = k`), the compensations run once, and an exclusive
gateway on that variable continues toward the exit's own target.

`protocol.ProcessMap.shared` tells a caller which IR state a shared element
stands for, given the variable: the state of the recorded exit's chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from statewright import ir
from statewright.semantics.sagas import SharedUndo, shared_undo
from statewright.targets.bpmn.graph import ncname

__all__ = ["Position", "UndoChains", "chosen", "exit_variable", "exit_variables", "recorded", "within"]


def exit_variable(saga: str) -> str:
    """The name the process variable recording which early exit left `saga` is given when it is free."""
    return f"exit_from_{ncname(saga)}"


def exit_variables(machine: ir.Machine, sagas: Iterable[str]) -> dict[str, str]:
    """Each saga's exit variable, never a context field's or another saga's name.

    `exit_variable`, or with `_2`, `_3`, ... when a context field or an earlier saga
    has that name (`ncname` maps `_Pay` and `Pay` alike), so nothing is overwritten.
    """
    taken = {field.name for field in machine.context}
    chosen: dict[str, str] = {}
    for saga in sagas:
        if saga in chosen:
            continue
        base = name = exit_variable(saga)
        number = 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
        chosen[saga] = name
    return chosen


@dataclass(frozen=True, slots=True)
class Position:
    """One IR compensation state's place in a shared chain."""

    group: SharedUndo
    exit: int
    """1 for the group's first chain, 2 for its second, ..."""
    index: int
    """The state's position in its chain (0: the first compensation to run)."""
    variable: str
    """The process variable recording the exit (`exit_variables`)."""

    @property
    def drawn(self) -> str:
        """The state whose segment is drawn for this position: the first chain's."""
        return self.group.chains[0].states[self.index]

    @property
    def alike(self) -> tuple[str, ...]:
        """The states of every chain at this position, in exit order."""
        return tuple(chain.states[self.index] for chain in self.group.chains)

    @property
    def last(self) -> bool:
        """True for the chain's last compensation (its `done` leaves toward the exit's target)."""
        return self.index == len(self.group.chains[0].states) - 1


class UndoChains:
    """The shared exit chains of one machine, by IR state."""

    def __init__(self, machine: ir.Machine) -> None:
        self.groups = shared_undo(machine)
        variables = exit_variables(machine, (group.saga for group in self.groups))
        self.positions: dict[str, Position] = {
            state: Position(group, exit_, index, variables[group.saga])
            for group in self.groups
            for exit_, chain in enumerate(group.chains, 1)
            for index, state in enumerate(chain.states)
        }

    def skipped(self, state: str) -> bool:
        """True for a state drawn by another chain's segment (every chain's but the first)."""
        position = self.positions.get(state)
        return position is not None and position.exit > 1

    def inside(self, source: str, target: str) -> bool:
        """True for a `done` from one compensation of a shared chain to the next (no exit recorded)."""
        here, there = self.positions.get(source), self.positions.get(target)
        return here is not None and there is not None and here.group is there.group

    def shared(self) -> Mapping[str, tuple[str, tuple[str, ...]]]:
        """Drawn state -> (the variable, the states it stands for by recorded exit 1, 2, ...)."""
        return MappingProxyType(
            {
                position.drawn: (position.variable, position.alike)
                for position in self.positions.values()
                if position.exit == 1
            }
        )


def within(state: str) -> str:
    """The entry key of a drawn chain state's milestone for the chain's own `done` (no exit recorded).

    `Graph.entries[state]` is the way in that records exit 1; a state name
    never holds a space, so this key cannot be another state's.
    """
    return f"{state} (within)"


def recorded(variable: str, exit_: int) -> ir.Assign:
    """The `set` a way into a shared chain runs first: which exit it is."""
    return ir.Assign(variable, ir.Lit(exit_, "int"))


def chosen(variable: str, exit_: int) -> ir.Expr:
    """The condition of the continuation toward exit `exit_`'s target."""
    return ir.BinOp("==", ir.Var(variable, "int"), ir.Lit(exit_, "int"), "bool")
