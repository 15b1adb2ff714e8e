"""The registry of diagnostic codes: every finding statewright reports has one.

Codes are stable: once published a code keeps its meaning.  Families:
SW0xx input and syntax, SW1xx names, SW2xx types, SW3xx structure,
SW4xx guards, SW5xx sagas, SW6xx approvals and waits, SW7xx retries and
timeouts, SW8xx parallel and compound states, SW90x plugins and the command
line, SW91x and up targets.
Plugins register their own codes with `register` (any prefix but ``SW``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    """How bad a finding is; errors make `check` fail and `build` refuse."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return a number that orders severities, errors first."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Code:
    """A registered diagnostic code with its default severity and a short title."""

    code: str
    name: str
    severity: Severity
    title: str
    help: str = ""


CODES: dict[str, Code] = {}


def register(code: Code) -> Code:
    """Add `code` to the registry; re-registering the same definition is allowed."""
    existing = CODES.get(code.code)
    if existing is not None and existing != code:
        raise ValueError(f"diagnostic code {code.code} is already registered as {existing.name}")
    CODES[code.code] = code
    return code


def lookup(code: str) -> Code:
    """Return the registered definition of `code` (KeyError if unknown)."""
    return CODES[code]


def _code(code: str, name: str, severity: Severity, title: str, help: str = "") -> Code:
    return register(Code(code, name, severity, title, help))


E = Severity.ERROR

# --- SW0xx: reading and parsing input ---------------------------------------
FILE_NOT_FOUND = _code(
    "SW001", "file-not-found", E, "input file does not exist", "check the path; statewright reads `.wf` files"
)
NOT_A_FILE = _code(
    "SW002",
    "not-a-file",
    E,
    "input path is not a regular file",
    "pass a `.wf` file, or a directory to `check` to read every `.wf` inside",
)
BAD_ENCODING = _code("SW003", "bad-encoding", E, "input is not valid UTF-8", "save the file as UTF-8")
FILE_TOO_LARGE = _code(
    "SW004",
    "file-too-large",
    E,
    "input is larger than the size limit",
    "split the workflow, or raise the limit with --max-bytes",
)
EMPTY_INPUT = _code(
    "SW005", "empty-input", E, "input holds no workflow", "start the file with `workflow Name { ... }`"
)
TOO_DEEP = _code(
    "SW006",
    "nesting-too-deep",
    E,
    "nesting is deeper than the limit",
    "flatten nested states or split long expressions",
)
UNREADABLE = _code("SW007", "unreadable-input", E, "input could not be read", "check the file's permissions")
BINARY_INPUT = _code(
    "SW008",
    "binary-input",
    E,
    "input contains NUL bytes or control characters",
    "this looks like a binary file, not a `.wf` source",
)
SYNTAX = _code("SW010", "syntax-error", E, "syntax error")
UNEXPECTED_CHAR = _code(
    "SW011",
    "unexpected-character",
    E,
    "character not allowed here",
    'remove it; names use ASCII letters, digits and `_`; text goes in "quotes"',
)
UNTERMINATED_STRING = _code(
    "SW012",
    "unterminated-string",
    E,
    "string is not closed on its line",
    'close the string with `"`; use `\\n` for a line break inside it',
)
BAD_ESCAPE = _code(
    "SW013", "bad-escape", E, "unknown escape sequence in string", 'use one of \\\\ \\" \\n \\t \\r \\u{hex}'
)
UNEXPECTED_EOF = _code(
    "SW014", "unexpected-end", E, "file ends before the workflow is complete", "close every `{` with `}`"
)
DUPLICATE_CLAUSE = _code("SW015", "duplicate-clause", E, "clause given twice", "keep one of them")
BAD_LITERAL = _code("SW016", "bad-literal", E, "literal out of range or malformed")
MULTIPLE_WORKFLOWS = _code(
    "SW017",
    "multiple-workflows",
    E,
    "more than one workflow in a file",
    "put each workflow in its own `.wf` file",
)

# --- SW1xx: names --------------------------------------------------------------
DUPLICATE_STATE = _code(
    "SW101",
    "duplicate-state",
    E,
    "state name defined twice",
    "state names are unique across the whole workflow, nesting included",
)
UNKNOWN_STATE = _code("SW102", "unknown-state", E, "reference to a state that does not exist")
UNKNOWN_EVENT = _code(
    "SW103",
    "unknown-event",
    E,
    "event is not declared",
    "declare it in the workflow's `events { ... }` block",
)
DUPLICATE_EVENT = _code("SW104", "duplicate-event", E, "event declared twice")
DUPLICATE_FIELD = _code("SW105", "duplicate-field", E, "context field declared twice")
UNKNOWN_NAME = _code("SW106", "unknown-name", E, "name is neither a context field nor an enum member")
NO_INITIAL = _code("SW107", "missing-initial", E, "no initial state", "mark exactly one state with `initial`")
MANY_INITIAL = _code(
    "SW108",
    "multiple-initial",
    E,
    "more than one initial state in one scope",
    "mark exactly one state per scope with `initial`",
)
RESERVED_NAME = _code("SW109", "reserved-name", E, "name is a reserved word of the guard language")
UNKNOWN_LEVEL = _code("SW110", "unknown-level", E, "escalation to a level that does not exist")
FINAL_WITH_EXITS = _code(
    "SW111",
    "final-with-exits",
    E,
    "final state has outgoing transitions",
    "final states are absorbing; move the transitions to another state",
)
DUPLICATE_ITEM = _code("SW112", "duplicate-item", E, "item given twice in one block")
MISSING_ITEM = _code("SW113", "missing-item", E, "required item missing")
BAD_TARGET = _code("SW114", "bad-target", E, "transition target is not allowed here")
DUPLICATE_LEVEL = _code("SW115", "duplicate-level", E, "approval level number used twice")
EMPTY_BLOCK = _code("SW116", "empty-block", E, "block has nothing in it")
DUPLICATE_ENUM_MEMBER = _code("SW117", "duplicate-enum-member", E, "enum member listed twice")
AMBIGUOUS_NAME = _code(
    "SW118",
    "ambiguous-name",
    E,
    "name is both a context field and an enum member",
    "rename the field or the member",
)


# --- SW2xx: types ----------------------------------------------------------------
TYPE_MISMATCH = _code("SW201", "type-mismatch", E, "operand types do not fit the operator")
GUARD_NOT_BOOL = _code("SW202", "guard-not-bool", E, "guard or invariant is not a boolean expression")
BAD_DEFAULT = _code("SW203", "bad-default", E, "default value does not fit the field's type")
UNKNOWN_MEMBER = _code("SW204", "unknown-enum-member", E, "value is not a member of the enum")
BAD_BOUNDS = _code("SW205", "bad-bounds", E, "lower bound is greater than upper bound")
BAD_ASSIGNMENT = _code("SW206", "bad-assignment", E, "`set` assigns a value of the wrong type")
DIVISION_ON_INT = _code(
    "SW207",
    "int-division",
    E,
    "`/` is not defined on int",
    "use decimal fields for division, or `%` for remainders",
)
CONSTANT_OVERFLOW = _code("SW208", "constant-overflow", E, "integer constant is out of the 64-bit range")

del E
