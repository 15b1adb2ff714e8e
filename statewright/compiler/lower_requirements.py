"""Lower a `requirements { key: value ... }` block to `ir.Requirements`.

The grammar takes any `NAME: value` pair, so a misspelt key or value is a named
finding here (SW126 unknown key, SW127 wrong value, SW128 a duration or volume
out of range, SW112 a key given twice) with what to write instead, never a bare
syntax error. The block is read only by the engine recommendation of
`statewright check`; nothing an instance does depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast, get_args

from statewright import ir
from statewright.compiler.lowerctx import LoweringContext
from statewright.compiler.typecheck import suggest
from statewright.diagnostics import codes
from statewright.dsl import ast
from statewright.ir.limits import MAX_DURATION_MS
from statewright.source import Span

ValueKind = Literal["choice", "yes_no", "duration", "rate"]


@dataclass(frozen=True, slots=True)
class Key:
    """One requirement key: the kind of value it takes and, for a choice, its words."""

    kind: ValueKind
    words: tuple[str, ...] = ()
    example: str = ""


KEYS: dict[str, Key] = {
    "durability": Key("choice", get_args(ir.Durability), "machine_loss"),
    "hosting": Key("choice", get_args(ir.Hosting), "either"),
    "longest_run": Key("duration", example="90d"),
    "volume": Key("rate", example="100/s"),
    "human_steps": Key("yes_no", ("yes", "no"), "yes"),
    "language": Key("choice", get_args(ir.Language), "python"),
    "vendor_lock": Key("choice", get_args(ir.VendorLock), "avoid"),
}
"""Every key a `requirements` block takes, in the order the language reference lists them."""

RATE_UNITS: tuple[str, ...] = get_args(ir.RateUnit)


def lower_requirements(ctx: LoweringContext, block: ast.Requirements) -> ir.Requirements:
    """Return the block's requirements, reporting each bad key or value (the rest still lowers)."""
    seen: dict[str, Span] = {}
    values: dict[str, object] = {}
    if not block.items:
        ctx.report(
            codes.EMPTY_BLOCK,
            "`requirements` block has nothing in it",
            block.span,
            help="declare at least one requirement, e.g. `requirements { durability: machine_loss }`, "
            "or remove the block",
        )
    for item in block.items:
        key = KEYS.get(item.key)
        if key is None:
            ctx.report(
                codes.UNKNOWN_REQUIREMENT,
                f"`{item.key}` is not a requirement{_hint(item.key, tuple(KEYS))}",
                item.key_span,
                help="a `requirements` block takes " + ", ".join(f"`{name}`" for name in KEYS),
            )
            continue
        if not ctx.once(seen, item.key, item.key_span, f"requirement `{item.key}`"):
            continue
        value = _value(ctx, item, key)
        if value is not None:
            values[item.key] = value
    return ir.Requirements(
        durability=cast(ir.Durability | None, values.get("durability")),
        hosting=cast(ir.Hosting | None, values.get("hosting")),
        longest_run_ms=cast(int | None, values.get("longest_run")),
        volume=cast(ir.Volume | None, values.get("volume")),
        human_steps=cast(bool | None, values.get("human_steps")),
        language=cast(ir.Language | None, values.get("language")),
        vendor_lock=cast(ir.VendorLock | None, values.get("vendor_lock")),
        span=block.span,
    )


def _value(ctx: LoweringContext, item: ast.Requirement, key: Key) -> object | None:
    """The IR value of one item, or None after reporting why it does not fit its key."""
    if key.kind in ("choice", "yes_no"):
        if item.kind == "word" and item.word in key.words:
            return item.word == "yes" if key.kind == "yes_no" else item.word
        word = item.word if item.kind == "word" and item.word is not None else None
        written = f"`{word}` is not a value of" if word is not None else "a word is needed for"
        hint = _hint(word, key.words) if word is not None else ""
        ctx.report(
            codes.BAD_REQUIREMENT_VALUE,
            f"{written} `{item.key}`{hint}: it takes " + _listed(key.words),
            item.value_span,
            help=f"write `{item.key}: {key.example}`",
        )
        return None
    if key.kind == "duration":
        return _duration(ctx, item, key)
    return _rate(ctx, item, key)


def _duration(ctx: LoweringContext, item: ast.Requirement, key: Key) -> int | None:
    if item.kind != "duration" or item.amount is None:
        unit = " (a duration needs a unit: ms, s, m, h or d)" if item.kind == "number" else ""
        ctx.report(
            codes.BAD_REQUIREMENT_VALUE,
            f"`{item.key}` takes a duration{unit}",
            item.value_span,
            help=f"write `{item.key}: {key.example}`",
        )
        return None
    if not 0 < item.amount < MAX_DURATION_MS:  # the builder reported a longer one (SW016)
        if item.amount == 0:
            ctx.report(
                codes.REQUIREMENT_OUT_OF_RANGE,
                f"`{item.key}` of zero: an instance runs for some time",
                item.value_span,
            )
        return None
    return item.amount


def _rate(ctx: LoweringContext, item: ast.Requirement, key: Key) -> ir.Volume | None:
    if item.kind != "rate":
        ctx.report(
            codes.BAD_REQUIREMENT_VALUE,
            f"`{item.key}` takes instances per period, written COUNT/PERIOD",
            item.value_span,
            help=f"write `{item.key}: {key.example}` (per s, m, h or d)",
        )
        return None
    if item.unit is None or item.amount is None:  # the builder reported it
        return None
    if item.unit not in RATE_UNITS:
        ctx.report(
            codes.BAD_REQUIREMENT_VALUE,
            f"`/{item.unit}` is not a period{_hint(item.unit, RATE_UNITS)}: a volume is per "
            + _listed(RATE_UNITS),
            item.value_span,
            help=f"write `{item.key}: {key.example}`",
        )
        return None
    if item.amount == 0:
        ctx.report(
            codes.REQUIREMENT_OUT_OF_RANGE,
            f"`{item.key}` of zero instances: nothing would run",
            item.value_span,
        )
        return None
    return ir.Volume(item.amount, cast(ir.RateUnit, item.unit))


def _hint(name: str, candidates: tuple[str, ...]) -> str:
    found = suggest(name, candidates)
    return f" ({found})" if found else ""


def _listed(words: tuple[str, ...]) -> str:
    quoted = [f"`{word}`" for word in words]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
