"""What the step functions derive from a definition alone, computed once per definition.

Ancestor chains, exit and entry sets per configuration, timer keys, the domain
check of each field, staged guards and `set` actions: every table is a pure
function of the definition (and, for the memoized ones, of a configuration or
a transition), so a step reads what the hierarchy functions would compute
without walking the hierarchy again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from statewright import ir
from statewright.runtime.definition import Definition
from statewright.runtime.staging import Sets, remembered, staged_or, staged_sets
from statewright.semantics.interpret import INT_MAX, INT_MIN, fields_of
from statewright.semantics.values import (
    apply_sets,
    value_in_domain,
)

_T = TypeVar("_T")
_V = TypeVar("_V")
Key = tuple[str, ...]
Program = tuple[tuple[int, Sets | ir.Call | ir.Emit], ...]
"""A list of actions as steps: each run of `set`s one staged function, each `do`/`emit` itself."""
_MEMO_MAX = 4096
"""Entries a plan memoizes per table (configurations) before it starts over."""


class Plan:
    """What the step functions derive from a definition, computed once (or once per configuration).

    Every table is a pure function of the definition (and, for the memoized ones,
    of an active configuration or a transition), so a step reads the same values
    the hierarchy functions would compute, without walking the hierarchy again.
    """

    def __init__(self, definition: Definition) -> None:
        hierarchy = definition.hierarchy
        states = definition.states
        self.hierarchy = hierarchy
        self.order = hierarchy.order
        self.chain: dict[str, tuple[str, ...]] = {name: tuple(hierarchy.chain(name)) for name in states}
        self.below: dict[str, frozenset[str]] = {
            name: frozenset(leaves) for name, leaves in hierarchy.descendants.items()
        }
        self.top_final = frozenset(name for name in states if hierarchy.is_top_final(name))
        self.timer_keys: dict[str, tuple[str, ...]] = {name: _timer_keys(definition, name) for name in states}
        """Per state, the keys of the timers it owns: exactly those leaving it cancels."""
        self.entry_timers: dict[str, tuple[tuple[str, int, str, int | None], ...]] = {}
        """Per state, the timers entering it starts: (key, delay, kind, transition)."""
        for name, state in states.items():
            specs: list[tuple[str, int, str, int | None]] = [
                (f"timeout:{name}:{index}", definition.transitions[index].after_ms or 0, "timeout", index)
                for index in definition.eventless.get((name, "timeout"), ())
            ]
            specs += [
                (f"soft:{name}:{number}", soft.after_ms, "soft_timeout", None)
                for number, soft in enumerate(state.soft_timeouts)
            ]
            self.entry_timers[name] = tuple(specs)
        entered = {name for leaf in hierarchy.initial_leaves for name in hierarchy.chain(leaf)}
        self.initial_entry: tuple[str, ...] = tuple(
            sorted(entered, key=lambda n: (len(hierarchy.ancestors(n)), hierarchy.order[n]))
        )
        """The states entered when an instance starts, outermost first."""
        self.settling = frozenset(
            name
            for name in states
            if definition.eventless.get((name, "always")) or definition.eventless.get((name, "completion"))
        )
        """States with an eventless transition (`always`, `completion`) that `settle` must look at."""
        self.checks: tuple[tuple[str, Callable[[ir.Value], bool], ir.FieldType], ...] = tuple(
            (name, accepts_values(field_.type), field_.type) for name, field_ in definition.fields.items()
        )
        self.definition_guards = definition.guards
        self.transitions = definition.transitions
        self.fields = tuple(definition.machine.context)
        self.invariants = tuple(
            (invariant.text, staged_or(invariant.expr)) for invariant in definition.machine.invariants
        )
        self._guards: dict[int, Callable[[Mapping[str, ir.Value]], bool]] = {}
        self._sets: dict[int, tuple[tuple[ir.Action, ...], Sets | None]] = {}
        self._programs: dict[int, tuple[tuple[ir.Action, ...], Program]] = {}
        self._states: dict[Key, tuple[str, ...]] = {}
        self._held: dict[Key, frozenset[str]] = {}
        self._settle: dict[Key, tuple[str, ...]] = {}
        self._exits: dict[tuple[Key, str, str], tuple[str, ...]] = {}
        self._moves: dict[tuple[Key, str, str], tuple[tuple[str, ...], tuple[str, ...], Key]] = {}
        self._entries: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def guard_holds(self, index: int, context: Mapping[str, ir.Value]) -> bool:
        """`Definition.guard_holds`: a compiled guard the definition supplies, else the staged guard.

        A compiled guard is remembered per combination of the values it reads, as a
        staged one is (`staging.remembered`): it is compiled from the guard's
        expression, so it is a pure function of the fields the expression names.
        """
        test = self._guards.get(index)
        if test is None:
            guard = self.transitions[index].guard
            compiled = self.definition_guards.get(index)
            if compiled is not None:
                test = compiled if guard is None else remembered(compiled, tuple(sorted(fields_of(guard))))
            elif guard is None:
                return True
            else:
                test = staged_or(guard)
            self._guards[index] = test
        return test(context)

    def sets(self, actions: tuple[ir.Action, ...]) -> Sets | None:
        """`apply_sets` for these actions (walked once), or None when none of them is a `set`."""
        found = self._sets.get(id(actions))
        if found is not None and found[0] is actions:
            return found[1]
        fields = self.fields
        run: Sets | None = None
        if any(isinstance(action, ir.Assign) for action in actions):
            try:
                run = staged_sets(actions, fields)
            except Exception:  # a malformed action raises where `apply_sets` raises: when it runs

                def run(context: Mapping[str, ir.Value]) -> dict[str, ir.Value]:
                    return apply_sets(actions, context, fields)

        _memo(self._sets, id(actions), (actions, run))  # the actions are the IR's: alive while this plan is
        return run

    def program(self, actions: tuple[ir.Action, ...]) -> Program:
        """The actions as steps in order: each run of `set`s one staged function, then each `do`/`emit`.

        A `do`/`emit` keeps its 1-based position in the list (its automatic key names it).
        """
        found = self._programs.get(id(actions))
        if found is not None and found[0] is actions:
            return found[1]
        steps: list[tuple[int, Sets | ir.Call | ir.Emit]] = []
        run: list[ir.Action] = []
        for number, action in enumerate(actions, start=1):
            if isinstance(action, ir.Assign):
                run.append(action)
                continue
            if run:
                sets = self.sets(tuple(run))
                assert sets is not None
                steps.append((number, sets))
                run = []
            if isinstance(action, ir.Call | ir.Emit):
                steps.append((number, action))
        if run:
            sets = self.sets(tuple(run))
            assert sets is not None
            steps.append((len(actions), sets))
        program = tuple(steps)
        _memo(self._programs, id(actions), (actions, program))
        return program

    def states_of(self, active: Key) -> tuple[str, ...]:
        """Every state active when the leaves `active` are, in IR order (`Hierarchy.active_states`)."""
        found = self._states.get(active)
        if found is None:
            found = tuple(self.hierarchy.active_states(active))
            _memo(self._states, active, found)
        return found

    def held(self, active: Key) -> frozenset[str]:
        """The timer keys that may be pending in configuration `active` (those its states own)."""
        found = self._held.get(active)
        if found is None:
            found = frozenset(key for name in self.states_of(active) for key in self.timer_keys[name])
            _memo(self._held, active, found)
        return found

    def settle_states(self, active: Key) -> tuple[str, ...]:
        """The active states, in IR order, that have an eventless transition."""
        found = self._settle.get(active)
        if found is None:
            found = tuple(name for name in self.states_of(active) if name in self.settling)
            _memo(self._settle, active, found)
        return found

    def exits(self, active: Key, source: str, target: str) -> tuple[str, ...]:
        """`Hierarchy.exit_set` of a transition taken in configuration `active`."""
        key = (active, source, target)
        found = self._exits.get(key)
        if found is None:
            found = tuple(self.hierarchy.exit_set(active, source, target))
            _memo(self._exits, key, found)
        return found

    def move(self, active: Key, source: str, target: str) -> tuple[tuple[str, ...], tuple[str, ...], Key]:
        """A transition taken in configuration `active`: what it exits, what it enters, the leaves after."""
        key = (active, source, target)
        found = self._moves.get(key)
        if found is None:
            exited = self.exits(active, source, target)
            entry, entered = self.entries(source, target)
            kept = [leaf for leaf in active if leaf not in exited]
            found = (exited, entry, tuple(sorted({*kept, *entered}, key=self.order.__getitem__)))
            _memo(self._moves, key, found)
        return found

    def entries(self, source: str, target: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """`Hierarchy.entry_set` and `Hierarchy.entered` of a transition."""
        key = (source, target)
        found = self._entries.get(key)
        if found is None:
            hierarchy = self.hierarchy
            found = (tuple(hierarchy.entry_set(source, target)), hierarchy.entered(source, target))
            _memo(self._entries, key, found)
        return found


def _memo(table: dict[_T, _V], key: _T, value: _V) -> None:
    if len(table) >= _MEMO_MAX:
        table.clear()
    table[key] = value


def _timer_keys(definition: Definition, name: str) -> tuple[str, ...]:
    """Every timer key a state can own."""
    state = definition.states[name]
    keys = [f"timeout:{name}:{i}" for i in definition.eventless.get((name, "timeout"), ())]
    keys += [f"soft:{name}:{i}" for i in range(len(state.soft_timeouts))]
    if state.invoke is not None:
        keys += [f"retry:{name}", f"heartbeat:{name}"]
    return tuple(keys)


def accepts_values(field_type: ir.FieldType) -> Callable[[ir.Value], bool]:
    """`value_in_domain` for one field type: inlined for ints and bools, remembered per value otherwise."""
    kind = field_type.name
    if kind == "int":
        low = INT_MIN if field_type.min is None else int(field_type.min)
        high = INT_MAX if field_type.max is None else int(field_type.max)
        return lambda value: isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind == "bool":
        return lambda value: isinstance(value, bool)
    known: dict[tuple[type, ir.Value], bool] = {}

    def accepts(value: ir.Value) -> bool:
        key = (value.__class__, value)  # the class too: `True == 1`, `Decimal(1) == 1`
        try:
            return known[key]
        except KeyError:
            pass
        except TypeError:  # unhashable (not a value at all, or a signalling NaN)
            return value_in_domain(value, field_type)
        found = value_in_domain(value, field_type)
        _memo(known, key, found)
        return found

    return accepts


def plan_of(definition: Definition) -> Plan:
    """The definition's plan, built on first use and kept on the definition itself."""
    plan = definition.plan
    if plan is None:
        plan = definition.plan = Plan(definition)
    return plan
