"""The guard language's meaning as JavaScript (bpmn-engine): an `Algebra` whose terms are JS expressions.

`interpret` over `JsText` writes every construct from the language's one
definition, as `feel.py` does for FEEL. JavaScript numbers are doubles, which
would make `0.1 + 0.2 > 0.3` true where the runtime's exact decimals say no, so
numbers are exact rationals over `BigInt`: a number is a `{n, d}` object built
and combined by the few helpers of `PRELUDE` (`Q` normalises, `N` reads a
process variable or literal, `A`/`S`/`M`/`G`/`D` add, subtract, multiply,
negate and divide, `F` floors, `E`/`L` compare, `W` writes a value back as
text). Every condition and `set` script of the flavor starts with the prelude,
so the generated process needs nothing from its engine but JavaScript.
Booleans, strings and enum members are plain JS values compared with `===`.

A property test runs the text in node (as bpmn-engine's script runner does) on
drawn contexts and compares it with `semantics.values`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from statewright import ir
from statewright.semantics.algebra import binding_name
from statewright.semantics.interpret import fits_scale, interpret, store
from statewright.semantics.spelling import field_types

VARIABLES = "environment.variables"
"""Where bpmn-engine's scripts read and write the process variables."""

PRELUDE = (
    "const g=(a,b)=>{a=a<0n?-a:a;b=b<0n?-b:b;while(b){[a,b]=[b,a%b];}return a;};"
    "const Q=(n,d)=>{if(d<0n){n=-n;d=-d;}const k=g(n,d)||1n;return {n:n/k,d:d/k};};"
    "const N=(v)=>{if(v!==null&&typeof v==='object')return v;const s=String(v);const i=s.indexOf('/');"
    "if(i>=0)return Q(BigInt(s.slice(0,i)),BigInt(s.slice(i+1)));"
    "const m=/^([-+]?)(\\d*)(?:\\.(\\d*))?(?:e([-+]?\\d+))?$/i.exec(s);const f=m[3]||'';"
    "const e=Number(m[4]||0)-f.length;const n=BigInt((m[1]==='-'?'-':'')+(m[2]||'0')+f);"
    "return e>=0?Q(n*10n**BigInt(e),1n):Q(n,10n**BigInt(-e));};"
    "const A=(a,b)=>Q(a.n*b.d+b.n*a.d,a.d*b.d);const S=(a,b)=>Q(a.n*b.d-b.n*a.d,a.d*b.d);"
    "const M=(a,b)=>Q(a.n*b.n,a.d*b.d);const G=(a)=>Q(-a.n,a.d);const D=(a,b)=>Q(a.n*b.d,a.d*b.n);"
    "const F=(a)=>{let q=a.n/a.d;if(a.n%a.d!==0n&&a.n<0n)q-=1n;return Q(q,1n);};"
    "const E=(a,b)=>a.n===b.n&&a.d===b.d;const L=(a,b)=>a.n*b.d<b.n*a.d;"
    "const W=(a)=>a.d===1n?String(a.n):a.n+'/'+a.d;"
)
"""Exact rational arithmetic over BigInt, defined at the top of every script (see the module doc)."""

Kind = Literal["number", "other"]

# JavaScript's binding strengths as used here, loosest first.
_TERNARY, _OR, _AND, _EQUALITY, _UNARY, _ATOM = range(6)


@dataclass(frozen=True, slots=True)
class Js:
    """A JavaScript expression, its binding strength, and whether it is a rational number."""

    text: str
    strength: int
    kind: Kind = "other"

    def at(self, strength: int) -> str:
        """The text, parenthesised when it binds looser than `strength` needs."""
        return self.text if self.strength >= strength else f"({self.text})"


def js_string(text: str) -> str:
    """A JavaScript string literal (JSON's escaping, which JavaScript reads alike; U+2028/9 escaped)."""
    return json.dumps(text).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _call(name: str, *args: Js) -> Js:
    return Js(f"{name}({','.join(a.text for a in args)})", _ATOM, "number")


def _rational(value: Fraction) -> Js:
    return Js(f"Q({value.numerator}n,{value.denominator}n)", _ATOM, "number")


class JsText:
    """The guard language's primitives as JavaScript over exact rationals (`PRELUDE`)."""

    def int_lit(self, value: int) -> Js:
        """An int literal."""
        return _rational(Fraction(value))

    def decimal_lit(self, value: Fraction) -> Js:
        """A decimal literal, exactly."""
        return _rational(value)

    def bool_lit(self, value: bool) -> Js:
        """`true` or `false`."""
        return Js("true" if value else "false", _ATOM)

    def string_lit(self, value: str) -> Js:
        """A string literal."""
        return Js(js_string(value), _ATOM)

    def enum_lit(self, member: str) -> Js:
        """An enum member is its name, as a string."""
        return Js(js_string(member), _ATOM)

    def add(self, left: Js, right: Js) -> Js:
        """Sum."""
        return _call("A", left, right)

    def sub(self, left: Js, right: Js) -> Js:
        """Difference."""
        return _call("S", left, right)

    def mul(self, left: Js, right: Js) -> Js:
        """Product."""
        return _call("M", left, right)

    def neg(self, operand: Js) -> Js:
        """Negation."""
        return _call("G", operand)

    def divide(self, left: Js, right: Js) -> Js:
        """Quotient (never by zero: `interpret` guards it)."""
        return _call("D", left, right)

    def floor(self, operand: Js) -> Js:
        """The greatest integer not above the operand."""
        return _call("F", operand)

    def to_decimal(self, operand: Js) -> Js:
        """Ints and decimals are both rationals."""
        return operand

    def eq(self, left: Js, right: Js) -> Js:
        """Equality: of rationals by `E`, of anything else by `===`."""
        if left.kind == "number" or right.kind == "number":
            return Js(f"E({left.text},{right.text})", _ATOM)
        return Js(f"{left.at(_UNARY)} === {right.at(_UNARY)}", _EQUALITY)

    def lt(self, left: Js, right: Js) -> Js:
        """Strict order of rationals."""
        return Js(f"L({left.text},{right.text})", _ATOM)

    def not_(self, operand: Js) -> Js:
        """Negation."""
        return Js(f"!{operand.at(_UNARY)}", _UNARY)

    def and_(self, left: Js, right: Js) -> Js:
        """Conjunction."""
        return Js(f"{left.at(_AND)} && {right.at(_AND + 1)}", _AND)

    def or_(self, left: Js, right: Js) -> Js:
        """Disjunction."""
        return Js(f"{left.at(_OR)} || {right.at(_OR + 1)}", _OR)

    def share(self, term: Js, body: Callable[[Js], Js]) -> Js:
        """`body` over `term` computed once: `((_swN) => BODY)(TERM)` when BODY uses it twice.

        Keeps the text linear in the expression's size (nested divisions would
        otherwise copy their divisor per level).
        """
        if term.strength == _ATOM and len(term.text) <= 40:
            return body(term)
        name = binding_name(term.text)
        result = body(Js(name, _ATOM, term.kind))
        if result.text.count(name) <= 1:
            return Js(result.text.replace(name, term.at(_ATOM)), result.strength, result.kind)
        return Js(f"(({name}) => {result.text})({term.text})", _ATOM, result.kind)

    def ite(self, condition: Js, then: Callable[[], Js], otherwise: Callable[[], Js]) -> Js:
        """`c ? a : b` (JavaScript evaluates only the branch taken)."""
        chosen = then()
        return Js(
            f"{condition.at(_OR)} ? {chosen.at(_OR)} : {otherwise().at(_TERNARY)}", _TERNARY, chosen.kind
        )


def variable(name: str) -> str:
    """A process variable as JavaScript (`environment.variables["name"]`); an input `event.F` is a member.

    The inputs arrive as objects in the process variables `event`, `result` and
    `error` (the message payload, the work result, the failure; see `protocol`):
    `event.amount` reads `environment.variables["event"]["amount"]`.
    """
    found = ir.input_of(name)
    if found is not None:
        return f"{VARIABLES}[{js_string(found[0])}][{js_string(found[1])}]"
    return f"{VARIABLES}[{js_string(name)}]"


def translate(expr: ir.Expr) -> Js:
    """`expr` as JavaScript over the process variables named like the fields."""
    env = {
        name: (
            Js(f"N({variable(name)})", _ATOM, "number")
            if type_name in ("int", "decimal")
            else Js(variable(name), _ATOM)
        )
        for name, type_name in field_types(expr).items()
    }
    return interpret(expr, JsText(), env)


def expr_js(expr: ir.Expr) -> str:
    """A typed guard-language expression as a JavaScript expression (needs `PRELUDE` in scope)."""
    return translate(expr).text


def assignment_js(field: str, value: ir.Expr) -> str:
    """A `set` action as a JavaScript statement (numbers are written back as exact text by `W`)."""
    term = store(translate(value), value.type, ir.FieldType(value.type), JsText(), fits_scale(value))
    written = f"W({term.text})" if term.kind == "number" else term.text
    return f"{variable(field)} = {written};"
