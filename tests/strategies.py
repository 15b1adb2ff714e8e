"""Hypothesis strategies for random, syntactically valid statewright ASTs.

`workflows()` reaches every AST node type and every optional field (a test in
tests/dsl/test_format.py checks it); sizes are kept small so a few hundred
examples run in seconds.  Names come from a pool of identifiers plus keywords
that the contextual lexer lets through as names (`done`, `state`, `reject`, ...).
A keyword is only used where it round-trips: never a guard keyword inside a
guard, and never `level` as an escalation target.  Sagas never hold a
block-level `timeout D -> T` (the language has none: `timeout` after a step is
that step's clause).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, Literal, TypeAlias, TypeVar

from hypothesis import strategies as st

from statewright.compiler.typecheck import RESERVED
from statewright.dsl import ast
from statewright.dsl.parser import grammar_text

T = TypeVar("T")
S = st.SearchStrategy

KEYWORDS = frozenset(re.findall(r'"([a-z_]+)"', grammar_text()))
"""Every keyword in the grammar; random identifiers avoid them all."""

IDENTIFIERS = ("a", "b", "go", "Draft", "order_total", "x1", "_tmp", "Approve", "ms", "s1")
KEYWORD_NAMES = (
    "done",
    "state",
    "reject",
    "on",
    "step",
    "timeout",
    "key",
    "level",
    "all",
    "final",
    "initial",
    "region",
    "doc",
    "when",
    "else",
    "unlimited",
    "success",
    "approved",
)
"""Keywords that still round-trip as event, state, action and guard names."""

Common: TypeAlias = ast.CommonItem | ast.HardTimeout | ast.SoftTimeout
"""What `common_item` holds in the grammar: the AST's CommonItem plus both timeouts."""

INT64_MAX = 2**63 - 1
ARITH_OPS: tuple[ast.ArithOp, ...] = ("+", "-", "*", "/", "%")
COMPARE_OPS: tuple[ast.CompareOp, ...] = ("==", "!=", "<", "<=", ">", ">=")
_SPECIAL_CHARS = '"\\\n\t\r{}#é€😀 \u2028\u2029\u202e${}]]>'
"""Strings may hold any character but controls other than tab, LF and CR (SW018)."""


def build(target: Callable[..., T], /, *args: S[Any], **kwargs: S[Any]) -> S[T]:
    """Like `st.builds`, but the value is not recorded as a call.

    Hypothesis prints a recorded value by trying its call form once before
    printing it for real, at every level, so a failing example as deep as these
    trees took minutes to report; values built here print as plain reprs.
    """
    return _built(target, args, kwargs)


@st.composite
def _built(
    draw: st.DrawFn, target: Callable[..., T], args: tuple[S[Any], ...], kwargs: dict[str, S[Any]]
) -> T:
    return target(*(draw(arg) for arg in args), **{name: draw(kw) for name, kw in kwargs.items()})


def optional(strategy: S[T]) -> S[T | None]:
    """Return `strategy` or None, each half the time (grouped, so a `one_of` does not outvote None)."""
    return st.none() | grouped(strategy)


def grouped(strategy: S[T]) -> S[T]:
    """Keep a `one_of` as one branch when nested in another (Hypothesis flattens them otherwise).

    Without this, the eight common items would drown out the few items that are
    special to each kind of state.
    """
    return _drawn(strategy)


@st.composite
def _drawn(draw: st.DrawFn, strategy: S[T]) -> T:
    return draw(strategy)


@st.composite
def small_tuples(draw: st.DrawFn, strategy: S[T], min_size: int = 0, max_size: int = 3) -> tuple[T, ...]:
    """Return short tuples of `strategy`, the shape every AST list field has."""
    return tuple(draw(st.lists(strategy, min_size=min_size, max_size=max_size)))


@cache
def identifiers() -> S[str]:
    """Return plain names that are never keywords."""
    generated = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
        lambda name: name not in KEYWORDS
    )
    return st.sampled_from(IDENTIFIERS) | generated


@cache
def names() -> S[str]:
    """Return names for states, events, actions and guard references (some are keywords)."""
    return identifiers() | st.sampled_from(KEYWORD_NAMES)


@cache
def strings() -> S[str]:
    """Return short strings full of quotes, backslashes, line breaks and non-ASCII characters."""
    others = st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff")
    alphabet = st.sampled_from(_SPECIAL_CHARS) | others
    return st.text(alphabet, max_size=8)


@cache
def durations() -> S[int]:
    """Return durations in milliseconds, from 0 to about four months."""
    return st.integers(0, 10**10)


@cache
def decimals(signed: bool = False) -> S[Decimal]:
    """Return exact decimals with up to six places (non-negative unless `signed`)."""
    low = -(10**12) if signed else 0
    return build(_scaled, st.integers(low, 10**12), st.integers(0, 6))


def _scaled(digits: int, places: int) -> Decimal:
    return Decimal(digits).scaleb(-places)


@cache
def int64s(signed: bool = False) -> S[int]:
    """Return integers the parser accepts (64-bit; negatives only where a sign may be written)."""
    return st.integers(-INT64_MAX if signed else 0, INT64_MAX)


# --------------------------------------------------------------------------- expressions


@cache
def literals() -> S[ast.Literal_]:
    """Return literals as the `literal` rule writes them: numbers (maybe negative), strings, bools, names."""
    numbers: S[ast.IntLit | ast.DecimalLit] = build(ast.IntLit, int64s()) | build(ast.DecimalLit, decimals())
    return st.one_of(
        numbers,
        build(ast.Negate, numbers),
        build(ast.StringLit, strings()),
        build(ast.BoolLit, st.booleans()),
        build(ast.NameRef, names()),
    )


@cache
def expressions(depth: int = 3) -> S[ast.Expr]:
    """Return guard expressions nested at most `depth` operators deep."""
    leaves = st.one_of(
        build(ast.IntLit, int64s()),
        build(ast.DecimalLit, decimals()),
        build(ast.StringLit, strings()),
        build(ast.BoolLit, st.booleans()),
        build(ast.NameRef, names()),
        build(ast.MemberRef, names(), names()),
    )
    if depth <= 0:
        return leaves
    sub = expressions(depth - 1)
    bool_ops: S[Literal["and", "or"]] = st.sampled_from(("and", "or"))
    return st.one_of(
        leaves,
        build(ast.Negate, sub),
        build(ast.Not, sub),
        build(ast.Binary, st.sampled_from(ARITH_OPS), sub, sub),
        build(ast.Compare, st.sampled_from(COMPARE_OPS), sub, sub),
        build(ast.make_boolop, bool_ops, small_tuples(sub, 2, 3)),
        build(ast.InSet, sub, small_tuples(literals(), 1, 3), st.booleans()),
    )


# --------------------------------------------------------------------------- workflow-level items


@cache
def type_specs() -> S[ast.TypeSpec]:
    """Return every context type, with and without bounds."""
    return st.one_of(
        build(ast.IntType, optional(int64s(signed=True)), optional(int64s(signed=True))),
        build(ast.DecimalType, optional(decimals(signed=True)), optional(decimals(signed=True))),
        build(ast.BoolType),
        build(ast.StringType),
        build(ast.EnumType, small_tuples(names(), 1, 3)),
    )


@cache
def fields() -> S[ast.Field]:
    """Return typed fields, as a context, a payload or a result declares them."""
    field_names = names().filter(lambda name: name not in RESERVED)
    return build(ast.Field, field_names, type_specs(), optional(literals()))


@cache
def contexts() -> S[ast.Context]:
    """Return `context { ... }` blocks (field names are plain identifiers, see the module doc)."""
    return build(ast.Context, small_tuples(fields()))


@cache
def events() -> S[ast.Events]:
    """Return `events { ... }` blocks, some events with a payload `( fields )`."""
    payload = optional(small_tuples(fields()))
    return build(
        ast.Events, small_tuples(build(ast.EventDecl, names(), optional(strings()), payload=payload))
    )


# --------------------------------------------------------------------------- actions and common items


@cache
def actions() -> S[ast.Action]:
    """Return `do`, `set` and `emit` actions."""
    return st.one_of(
        build(ast.DoAction, names(), optional(strings())),
        build(ast.SetAction, names(), expressions(2)),
        build(ast.EmitAction, names()),
    )


@cache
def action_blocks() -> S[tuple[ast.Action, ...] | None]:
    """Return an optional `{ actions }` block: absent, empty, one action or several."""
    return optional(small_tuples(actions()))


@st.composite
def transitions(draw: st.DrawFn) -> ast.Transition:
    """Return `on E [when G | else] -> T [requires ..] [scope ..] [evidence ..] [{ .. }]`.

    Some are `on error NAME ...` catches.
    """
    guard_kind = draw(st.sampled_from(("none", "when", "else")))
    caught = draw(optional(names()))
    return ast.Transition(
        "error" if caught is not None else draw(names()),
        draw(names()),
        guard=draw(expressions()) if guard_kind == "when" else None,
        is_else=guard_kind == "else",
        error=caught,
        requires=draw(small_tuples(strings())),
        scope=draw(optional(strings())),
        evidence=draw(small_tuples(names())),
        actions=draw(action_blocks()),
    )


@cache
def common_items() -> S[Common]:
    """Return the items every kind of state may hold (timeouts included, as in the grammar)."""
    items: S[Common] = st.one_of(
        build(ast.Doc, strings()),
        transitions(),
        build(ast.Reject, names(), optional(strings())),
        build(ast.Ignore, names()),
        build(ast.Entry, small_tuples(actions())),
        build(ast.Exit, small_tuples(actions())),
        hard_timeouts(),
        soft_timeouts(),
    )
    return grouped(items)


@cache
def hard_timeouts() -> S[ast.HardTimeout]:
    """Return `timeout D -> T [{ actions }]`."""
    return build(ast.HardTimeout, durations(), names(), action_blocks())


@cache
def soft_timeouts() -> S[ast.SoftTimeout]:
    """Return `warn after D ["message"] [{ actions }]`."""
    return build(ast.SoftTimeout, durations(), optional(strings()), action_blocks())


@cache
def invokes() -> S[ast.Invoke]:
    """Return `invoke ACTION [key "t"] [service s] [returns { fields }]`."""
    return build(
        ast.Invoke, names(), optional(strings()), optional(names()), returns=optional(small_tuples(fields()))
    )


@cache
def retries() -> S[ast.Retry]:
    """Return retry policies with every sub-clause optional (dead-letter actions only after a target)."""
    backoff = build(
        ast.Backoff,
        st.sampled_from(("fixed", "linear", "exponential")),
        durations(),
        optional(durations()),
        optional(decimals().filter(lambda factor: factor <= 100)),  # the largest factor (SW016)
    )
    jitter: S[ast.Jitter] = st.sampled_from(("none", "full", "equal", "decorrelated"))
    return build(
        ast.Retry,
        optional(st.integers(0, 1000)),
        optional(backoff),
        optional(jitter),
        small_tuples(names()),
        optional(names()),
        dead_letter_actions=optional(small_tuples(actions())),
    ).filter(lambda retry: retry.dead_letter is not None or retry.dead_letter_actions is None)


@st.composite
def guarded(draw: st.DrawFn) -> tuple[ast.Expr | None, bool]:
    """Return a guard and an `else` flag: none, `when G` or `else`."""
    kind = draw(st.sampled_from(("none", "when", "else")))
    return (draw(expressions(2)) if kind == "when" else None), kind == "else"


@st.composite
def outcomes(draw: st.DrawFn, *kinds: str, guards: bool = False) -> ast.Outcome:
    """Return `KIND [when G | else] -> TARGET [{ actions }]` (guards only where `guards`)."""
    guard, is_else = draw(guarded()) if guards else (None, False)
    return ast.Outcome(
        draw(st.sampled_from(kinds)),
        draw(names()),
        guard=guard,
        is_else=is_else,
        actions=draw(action_blocks()),
    )


@st.composite
def always(draw: st.DrawFn) -> ast.Always:
    """Return `always [when G | else] -> TARGET [{ actions }]`."""
    guard, is_else = draw(guarded())
    return ast.Always(draw(names()), guard, is_else, draw(action_blocks()))


# --------------------------------------------------------------------------- states


@cache
def state_decls(depth: int = 2) -> S[ast.StateDecl]:
    """Return any kind of state; compound and parallel ones nest `depth` levels at most."""
    return st.one_of(
        plain_states(depth),
        final_states(),
        parallel_states(depth),
        sagas(),
        approvals(),
        checkpoints(),
    )


@cache
def plain_states(depth: int) -> S[ast.State]:
    """Return atomic and compound `state` blocks."""
    items: S[ast.StateItem] = st.one_of(
        common_items(),
        invokes(),
        retries(),
        build(ast.Heartbeat, durations()),
        outcomes("done", guards=True),
        always(),
    )
    if depth > 0:
        items = items | grouped(state_decls(depth - 1))
    return build(ast.State, names(), small_tuples(items), st.booleans())


@cache
def final_states() -> S[ast.FinalState]:
    """Return `final state` declarations, with and without a body."""
    outcome_kind: S[Literal["success", "failure"]] = st.sampled_from(("success", "failure"))
    items: S[ast.FinalItem] = st.one_of(
        build(ast.Doc, strings()),
        build(ast.Entry, small_tuples(actions())),
        build(ast.FinalOutcome, outcome_kind, optional(strings())),
    )
    return build(ast.FinalState, names(), small_tuples(items, max_size=2), st.booleans())


@cache
def parallel_states(depth: int) -> S[ast.ParallelState]:
    """Return `parallel` states whose regions hold states `depth - 1` levels deep."""
    inner: S[ast.Doc | ast.StateDecl] = build(ast.Doc, strings())
    if depth > 0:
        inner = inner | grouped(state_decls(depth - 1))
    region = build(ast.Region, names(), small_tuples(inner, max_size=2))
    items: S[ast.ParallelItem | Common] = st.one_of(common_items(), region, outcomes("done", guards=True))
    return build(ast.ParallelState, names(), small_tuples(items), st.booleans())


@cache
def steps() -> S[ast.Step]:
    """Return saga steps with every clause optional."""
    return build(
        ast.Step,
        names(),
        key=optional(strings()),
        compensate=optional(names()),
        compensate_key=optional(strings()),
        no_compensation=optional(strings()),
        pivot=st.booleans(),
        service=optional(names()),
        timeout_ms=optional(durations()),
        retry=optional(retries()),
        returns=optional(small_tuples(fields())),
        then=optional(small_tuples(actions())),
    )


@cache
def sagas() -> S[ast.SagaState]:
    """Return `saga` states."""
    items: S[ast.SagaItem | Common] = st.one_of(
        common_items(), steps(), outcomes("done", "compensated", "compensation_failed")
    )
    no_block_timeout = items.filter(lambda item: not isinstance(item, ast.HardTimeout))
    return build(ast.SagaState, names(), small_tuples(no_block_timeout), st.booleans())


@cache
def approvers() -> S[ast.Approver]:
    """Return `kind:name` approvers; names that are not identifiers print quoted."""
    return build(ast.Approver, names(), names() | strings())


@cache
def escalation_targets() -> S[str]:
    """Return state names for `escalate -> NAME` (`level` would read as `escalate -> level N`)."""
    return names().filter(lambda name: name != "level")


@st.composite
def levels(draw: st.DrawFn) -> ast.Level:
    """Return approval levels with every clause optional."""
    quorum = draw(st.sampled_from(("none", "count", "all")))
    escalate = draw(st.sampled_from(("none", "level", "state")))
    return ast.Level(
        draw(int64s()),
        draw(optional(expressions(2))),
        approvers=draw(small_tuples(approvers())),
        quorum=draw(int64s()) if quorum == "count" else None,
        quorum_all=quorum == "all",
        timeout_ms=draw(optional(durations())),
        escalate_level=draw(int64s()) if escalate == "level" else None,
        escalate_state=draw(escalation_targets()) if escalate == "state" else None,
    )


@cache
def approvals() -> S[ast.ApprovalState]:
    """Return `approval` states."""
    routing: S[Literal["sequential", "parallel", "conditional"]] = st.sampled_from(
        ("sequential", "parallel", "conditional")
    )
    items: S[ast.ApprovalItem | Common] = st.one_of(
        common_items(),
        build(ast.Routing, routing),
        levels(),
        build(ast.Delegation, st.booleans()),
        outcomes("approved", "rejected", "recall"),
    )
    return build(ast.ApprovalState, names(), small_tuples(items), st.booleans())


@cache
def checkpoints() -> S[ast.CheckpointState]:
    """Return `checkpoint` states."""
    items: S[ast.CheckpointItem | Common] = st.one_of(
        common_items(),
        build(ast.Prompt, strings()),
        build(ast.Assignee, approvers()),
        outcomes("acknowledged"),
    )
    return build(ast.CheckpointState, names(), small_tuples(items), st.booleans())


# --------------------------------------------------------------------------- the file


@cache
def requirements() -> S[ast.Requirements]:
    """Return `requirements { key: value }` blocks, any key with every way of writing a value."""
    keys = identifiers()
    item = st.one_of(
        build(ast.Requirement, keys, st.just("word"), word=identifiers()),
        build(ast.Requirement, keys, st.just("duration"), amount=durations()),
        build(ast.Requirement, keys, st.just("rate"), amount=st.integers(0, 10**6), unit=identifiers()),
        build(ast.Requirement, keys, st.just("number"), amount=st.integers(0, 10**6)),
    )
    return build(ast.Requirements, small_tuples(item))


@cache
def migrates() -> S[ast.Migrate]:
    """Return `migrate { Old -> New }` blocks (any names: lowering checks them, not the grammar)."""
    return build(ast.Migrate, small_tuples(build(ast.Rename, names(), names())))


@cache
def header_items() -> S[ast.WorkflowItem]:
    """Return the workflow items that are not states."""
    return st.one_of(
        build(ast.Version, int64s()),
        build(ast.Doc, strings()),
        build(ast.ScopeDecl, strings()),
        contexts(),
        build(ast.Invariant, expressions()),
        events(),
        requirements(),
        migrates(),
    )


@st.composite
def workflows(draw: st.DrawFn) -> ast.Workflow:
    """Return whole workflows: a few header items and one to four states, in any order."""
    items: list[ast.WorkflowItem] = [
        *draw(small_tuples(header_items())),
        *draw(small_tuples(state_decls(), 1, 4)),
    ]
    return ast.Workflow(draw(names()), tuple(draw(st.permutations(items))))
