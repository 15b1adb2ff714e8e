"""Labelled bad inputs: each names a common mistake and says how to fix it.

When parsing fails, the parser replays these examples (lark's match_examples)
and picks the label whose example fails in the same parser state.  Tests replay
every example and check it gets its own label, so the table cannot rot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SyntaxErrorLabel:
    """One named mistake: a message, what to do, and inputs that make it."""

    key: str
    message: str
    help: str
    examples: tuple[str, ...]


SYNTAX_ERRORS: tuple[SyntaxErrorLabel, ...] = (
    SyntaxErrorLabel(
        "missing-workflow",
        "a file starts with `workflow Name {`",
        "wrap the states in `workflow Name { ... }`",
        ("state A { }", "initial state A", "context { }"),
    ),
    SyntaxErrorLabel(
        "missing-workflow-name",
        "the workflow needs a name",
        "write `workflow OrderFlow { ... }`",
        ("workflow { }",),
    ),
    SyntaxErrorLabel(
        "missing-arrow",
        "a transition is written `on EVENT -> TARGET`",
        "add `->` before the target state",
        ("workflow W { state A { on go B } }", "workflow W { state A { on go when x > 1 B } }"),
    ),
    SyntaxErrorLabel(
        "missing-target",
        "`->` must be followed by the name of a state",
        "name the state to go to, e.g. `-> Done`",
        ("workflow W { state A { on go -> } }", "workflow W { state A { timeout 5s -> } }"),
    ),
    SyntaxErrorLabel(
        "action-outside-braces",
        "actions of a transition go in braces after the target",
        "write `on go -> B { do notify  set n = n + 1 }`",
        (
            "workflow W { state A { on go -> B do x } }",
            "workflow W { state A { on go -> B set x = 1 } }",
            "workflow W { state A { on go -> B emit y } }",
            "workflow W { state A { done -> B set x = 1 } }",
            "workflow W { state A { always -> B set x = 1 } }",
            "workflow W { state A { invoke w retry 1 dead_letter -> B set x = 1 } }",
            "workflow W { saga S { compensated -> B set x = 1 } }",
        ),
    ),
    SyntaxErrorLabel(
        "state-body-without-braces",
        "a state's items go inside `{ ... }`",
        "write `state A { on go -> B }`",
        (
            "workflow W { state A on go -> B }",
            "workflow W { state A timeout 5s -> B }",
            "workflow W { initial state A on go -> B }",
            "workflow W { initial state A invoke x }",
            "workflow W { state A invoke x }",
            "workflow W { initial state A timeout 5s -> B }",
        ),
    ),
    SyntaxErrorLabel(
        "item-outside-state",
        "this item belongs inside a state",
        "move it into a `state Name { ... }` block",
        (
            "workflow W { on go -> A }",
            "workflow W { reject go }",
            "workflow W { timeout 5s -> A }",
            "workflow W { entry do x }",
        ),
    ),
    SyntaxErrorLabel(
        "missing-state-keyword",
        "`initial` and `final` are followed by `state` (or another state kind)",
        "write `initial state A` or `final state Done`",
        ("workflow W { initial A }", "workflow W { final A }"),
    ),
    SyntaxErrorLabel(
        "field-missing-colon",
        "a field is written `name: type`",
        "add `:` between the field name and its type",
        (
            "workflow W { context { x int } }",
            "workflow W { events { submit(amount) } }",
            "workflow W { events { submit(amount int) } }",
            "workflow W { state A { invoke w returns { x } } }",
        ),
    ),
    SyntaxErrorLabel(
        "unknown-type",
        "unknown type",
        "field types are int, decimal, bool, string and enum { ... }",
        ("workflow W { context { x: integer } }", "workflow W { context { x: float } }"),
    ),
    SyntaxErrorLabel(
        "assignment-in-guard",
        "`=` assigns; comparisons use `==`",
        "write `when x == 1`",
        (
            "workflow W { state A { on go when x = 1 -> B } }",
            "workflow W { initial state A { on go when x = 1 -> B } }",
            "workflow W { state P { initial state A { on go when x = 1 -> B } } }",
            "workflow W { state A { always when x = 1 -> B } }",
            "workflow W { initial state A { always when x = 1 -> B } }",
            "workflow W { invariant x = 1 }",
        ),
    ),
    SyntaxErrorLabel(
        "chained-comparison",
        "comparisons do not chain",
        "write `a < b and b < c`",
        ("workflow W { invariant 1 < x < 3 }", "workflow W { invariant x == y == z }"),
    ),
    SyntaxErrorLabel(
        "missing-guard",
        "`when` must be followed by a condition",
        "write `when amount > 100`, or drop `when`",
        ("workflow W { state A { on go when -> B } }",),
    ),
    SyntaxErrorLabel(
        "requirement-not-key-value",
        "a requirement is written `key: value`",
        "write a colon after the key and one value: a word (`durability: machine_loss`), a duration "
        "(`longest_run: 90d`) or a volume (`volume: 100/s`); LANGUAGE.md §18 lists them",
        (
            "workflow W { requirements { durability machine_loss } }",
            "workflow W { requirements { durability = machine_loss } }",
            "workflow W { requirements { volume: 100 per s } }",
            'workflow W { requirements { language: "python" } }',
            "workflow W { requirements { longest_run: 90 d } }",
            "workflow W { requirements { volume: 1.5/s } }",
        ),
    ),
    SyntaxErrorLabel(
        "duration-without-unit",
        "durations need a unit",
        "write 500ms, 30s, 5m, 2h or 7d",
        ("workflow W { state A { timeout 30 -> B } }", "workflow W { state A { heartbeat 10 } }"),
    ),
    SyntaxErrorLabel(
        "step-outside-saga",
        "`step` belongs in a `saga` block",
        "declare `saga Name { step ... }`",
        ("workflow W { state A { step x } }",),
    ),
    SyntaxErrorLabel(
        "level-outside-approval",
        "`level` belongs in an `approval` block",
        "declare `approval Name { level 1 { ... } }`",
        ("workflow W { state A { level 1 { } } }",),
    ),
    SyntaxErrorLabel(
        "approver-without-kind",
        "approvers are written `kind:name`",
        'write `role:manager` or `user:"ann@example.com"`',
        ("workflow W { approval A { level 1 { approvers manager } } }",),
    ),
    SyntaxErrorLabel(
        "retry-without-count",
        "`retry` is followed by the number of retries or `unlimited`",
        "write `retry 3 backoff exponential 1s..30s`",
        ("workflow W { state A { retry backoff fixed 1s } }",),
    ),
    SyntaxErrorLabel(
        "enum-without-commas",
        "enum members are separated by commas",
        "write `enum { eu, us, apac }`",
        ("workflow W { context { e: enum { a b } } }",),
    ),
    SyntaxErrorLabel(
        "number-with-exponent",
        "numbers are written in full; there is no exponent notation",
        "write `1000` or `0.001` instead of `1e3` or `1e-3`",
        ("workflow W { invariant x == 1e3 }",),
    ),
    SyntaxErrorLabel(
        "trailing-comma-in-list",
        "a list ends without a trailing comma",
        "remove the comma before the next clause",
        (
            "workflow W { approval A { level 1 { approvers role:a, quorum 1 } } }",
            'workflow W { state A { on go -> B requires "p", scope "s" } }',
        ),
    ),
    SyntaxErrorLabel(
        "payload-in-parentheses",
        "an event's payload is written in parentheses after its name",
        'write `submit(amount: decimal 0..1000, note: string = "")`',
        ("workflow W { events { submit { amount: int } } }",),
    ),
    SyntaxErrorLabel(
        "returns-without-braces",
        "`returns` lists the work's result fields in braces",
        "write `returns { rate: decimal 0..1, samples: int >= 0 }`",
        (
            "workflow W { state A { invoke w returns x: int } }",
            "workflow W { state A { invoke w returns (x: int) } }",
            "workflow W { saga S { step a returns x: int } }",
        ),
    ),
    SyntaxErrorLabel(
        "then-without-braces",
        "a step's `then` actions go in braces",
        "write `then { set receipt = result.receipt }`",
        ("workflow W { saga S { step a then set x = 1 } }", "workflow W { saga S { step a then do x } }"),
    ),
    SyntaxErrorLabel(
        "guard-on-outcome",
        "this outcome takes no guard",
        "only `done` of a plain state takes `when`/`else`; route on data in the target state with "
        "`always when ... -> T`",
        (
            "workflow W { saga S { step a done when x -> B } }",
            "workflow W { saga S { compensated else -> B } }",
            "workflow W { approval A { approved when x -> B } }",
            "workflow W { checkpoint C { acknowledged when x -> B } }",
        ),
    ),
    SyntaxErrorLabel(
        "always-with-event",
        "`always` takes no event: it is taken at once, when its guard holds",
        "write `always when GUARD -> T` (or `always else -> T`); to wait for an event write `on EVENT -> T`",
        ("workflow W { state A { always on go -> B } }", "workflow W { state A { always go -> B } }"),
    ),
    SyntaxErrorLabel(
        "nested-member",
        "data is read one level deep: `event.FIELD`, `result.FIELD`, `error.name`",
        "payload, result and error fields are flat: write `event.amount`",
        ("workflow W { invariant event.a.b > 1 }", "workflow W { invariant result. > 1 }"),
    ),
    SyntaxErrorLabel(
        "one-event-per-ignore",
        "`ignore` and `reject` name one event each",
        'write one per line: `ignore a` and `ignore b` (`reject a "why"` and `reject b "why"`)',
        (
            "workflow W { state A { ignore a, b } }",
            "workflow W { initial state A { ignore a, b } }",
            'workflow W { state A { reject a, b "no" } }',
            'workflow W { initial state A { reject a, b "no" } }',
        ),
    ),
    SyntaxErrorLabel(
        "events-without-braces",
        "events are listed in braces",
        "write `events { submit, cancel }`",
        ("workflow W { events submit }",),
    ),
)
