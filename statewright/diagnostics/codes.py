"""SW0xx-SW2xx: the front end's codes (reading input, syntax, names, types).

Reported by `pipeline.py` (reading), `dsl/` (parsing) and `compiler/` (lowering and type
checking), which refer to them as `codes.NAME`. Every other family lives in
`statewright.diagnostics.catalog`; `statewright.diagnostics.registry` puts them all together.

Retired numbers are listed in `registry.RETIRED_CODES` and never reused.
"""

from __future__ import annotations

from statewright.diagnostics.model import Code as Code
from statewright.diagnostics.model import Severity as Severity

E = Severity.ERROR

# --- SW0xx: reading and parsing input ---------------------------------------
FILE_NOT_FOUND = Code(
    "SW001", "file-not-found", E, "input file does not exist", "check the path; statewright reads `.wf` files"
)
NOT_A_FILE = Code(
    "SW002",
    "not-a-file",
    E,
    "input path is not a regular file",
    "pass a `.wf` file, or a directory to `check` to read every `.wf` inside",
)
BAD_ENCODING = Code("SW003", "bad-encoding", E, "input is not valid UTF-8", "save the file as UTF-8")
FILE_TOO_LARGE = Code(
    "SW004",
    "file-too-large",
    E,
    "input is larger than the size limit",
    "split the workflow, or raise the limit with --max-bytes",
)
EMPTY_INPUT = Code(
    "SW005", "empty-input", E, "input holds no workflow", "start the file with `workflow Name { ... }`"
)
TOO_DEEP = Code(
    "SW006",
    "nesting-too-deep",
    E,
    "nesting is deeper than the limit",
    "flatten nested states or split long expressions",
)
UNREADABLE = Code("SW007", "unreadable-input", E, "input could not be read", "check the file's permissions")
BINARY_INPUT = Code(
    "SW008",
    "binary-input",
    E,
    "input contains NUL bytes or control characters",
    "this looks like a binary file, not a `.wf` source",
)
SYNTAX = Code("SW010", "syntax-error", E, "syntax error")
UNEXPECTED_CHAR = Code(
    "SW011",
    "unexpected-character",
    E,
    "character not allowed here",
    'remove it; names use ASCII letters, digits and `_`; text goes in "quotes"',
)
UNTERMINATED_STRING = Code(
    "SW012",
    "unterminated-string",
    E,
    "string is not closed on its line",
    'close the string with `"`; use `\\n` for a line break inside it',
)
BAD_ESCAPE = Code(
    "SW013", "bad-escape", E, "unknown escape sequence in string", 'use one of \\\\ \\" \\n \\t \\r \\u{hex}'
)
UNEXPECTED_EOF = Code(
    "SW014", "unexpected-end", E, "file ends before the workflow is complete", "close every `{` with `}`"
)
DUPLICATE_CLAUSE = Code("SW015", "duplicate-clause", E, "clause given twice", "keep one of them")
BAD_LITERAL = Code("SW016", "bad-literal", E, "literal out of range or malformed")
MULTIPLE_WORKFLOWS = Code(
    "SW017",
    "multiple-workflows",
    E,
    "more than one workflow in a file",
    "put each workflow in its own `.wf` file",
)
CONTROL_CHARACTER = Code(
    "SW018",
    "control-character",
    E,
    "string holds a control character",
    "remove it; a string may hold any text but control characters other than tab, line feed and "
    "carriage return (`\\t`, `\\n`, `\\r`), which no target can carry (XML forbids them)",
)

# --- SW060-SW069: configuration (`[tool.statewright]`) and inline suppressions -------
CONFIG_UNREADABLE = Code(
    "SW060",
    "config-unreadable",
    E,
    "the configuration file cannot be read or is not valid TOML",
    "fix the TOML syntax at the line shown (or the file's permissions and encoding: UTF-8)",
)
CONFIG_UNKNOWN_KEY = Code(
    "SW061",
    "config-unknown-key",
    E,
    "unknown key in `[tool.statewright]`",
    "use only `select`, `ignore`, `severity`, `strict` and `options` (docs/CONFIGURATION.md)",
)
CONFIG_BAD_VALUE = Code(
    "SW062",
    "config-bad-value",
    E,
    "a configuration value has the wrong type",
    "`select`/`ignore` are lists of code strings, `severity` maps codes to "
    '"error"/"warning"/"info", `strict` is true or false, `options.TARGET` maps keys to '
    "strings, numbers or booleans",
)
CONFIG_UNKNOWN_CODE = Code(
    "SW063",
    "config-unknown-code",
    E,
    "the configuration names a code no check reports",
    "check the spelling (`statewright explain SW301`); a prefix such as `SW6` names a family",
)
SUPPRESSION_UNUSED = Code(
    "SW065",
    "unused-suppression",
    Severity.WARNING,
    "a `# statewright: ignore[...]` comment suppresses nothing",
    "remove the code from the comment (or the whole comment): no finding with it points at this line",
)
SUPPRESSION_WITHOUT_REASON = Code(
    "SW066",
    "suppression-without-reason",
    Severity.WARNING,
    "a suppression gives no reason",
    "say why after the brackets: `# statewright: ignore[SW601] the caller times out for us`",
)
SUPPRESSION_MALFORMED = Code(
    "SW067",
    "malformed-suppression",
    Severity.WARNING,
    "a suppression comment names no code, or a code no check reports",
    "write `# statewright: ignore[SW601] reason` with one or more known codes in the brackets",
)

# --- SW1xx: names --------------------------------------------------------------
DUPLICATE_STATE = Code(
    "SW101",
    "duplicate-state",
    E,
    "state name defined twice",
    "state names are unique across the whole workflow, nesting included",
)
UNKNOWN_STATE = Code("SW102", "unknown-state", E, "reference to a state that does not exist")
UNKNOWN_EVENT = Code(
    "SW103",
    "unknown-event",
    E,
    "event is not declared",
    "declare it in the workflow's `events { ... }` block",
)
DUPLICATE_EVENT = Code("SW104", "duplicate-event", E, "event declared twice")
DUPLICATE_FIELD = Code("SW105", "duplicate-field", E, "context field declared twice")
UNKNOWN_NAME = Code("SW106", "unknown-name", E, "name is neither a context field nor an enum member")
NO_INITIAL = Code("SW107", "missing-initial", E, "no initial state", "mark exactly one state with `initial`")
MANY_INITIAL = Code(
    "SW108",
    "multiple-initial",
    E,
    "more than one initial state in one scope",
    "mark exactly one state per scope with `initial`",
)
RESERVED_NAME = Code("SW109", "reserved-name", E, "name is a reserved word of the guard language")
UNKNOWN_LEVEL = Code("SW110", "unknown-level", E, "escalation to a level that does not exist")
DUPLICATE_ITEM = Code("SW112", "duplicate-item", E, "item given twice in one block")
MISSING_ITEM = Code("SW113", "missing-item", E, "required item missing")
BAD_TARGET = Code("SW114", "bad-target", E, "transition target is not allowed here")
DUPLICATE_LEVEL = Code("SW115", "duplicate-level", E, "approval level number used twice")
EMPTY_BLOCK = Code("SW116", "empty-block", E, "block has nothing in it")
DUPLICATE_ENUM_MEMBER = Code("SW117", "duplicate-enum-member", E, "enum member listed twice")
AMBIGUOUS_NAME = Code(
    "SW118",
    "ambiguous-name",
    E,
    "name is both a context field and an enum member",
    "rename the field or the member",
)
NAME_TOO_LONG = Code(
    "SW119",
    "name-too-long",
    E,
    "name is longer than the limit",
    "shorten it; names become file names, identifiers and state names in every target",
)
DUPLICATE_APPROVER = Code(
    "SW120",
    "duplicate-approver",
    E,
    "an approver is listed twice in one approval level",
    "list each approver once: a listed approver is one place in the quorum, filled by one person",
)
UNKNOWN_INPUT_SCOPE = Code(
    "SW121",
    "unknown-input-scope",
    E,
    "`x.y` names no source of data",
    "data is read as `event.FIELD` (a payload), `result.FIELD` (a work result), `error.name` or "
    "`error.message` (a failure); a context field is written without a dot",
)
DUPLICATE_INPUT_FIELD = Code(
    "SW122",
    "duplicate-input-field",
    E,
    "a payload or result field is declared twice",
    "field names are unique within one event's payload and one work's `returns { }`",
)
ALWAYS_IN_WAITING_STATE = Code(
    "SW123",
    "always-in-waiting-state",
    E,
    "a state with `always` transitions also waits for events or work",
    "an `always` state only routes: move the `on`/`invoke`/`done` items to another state and route to it",
)
GUARD_NOT_ALLOWED = Code(
    "SW124",
    "guard-not-allowed",
    E,
    "a guard or clause is written where this construct takes none",
    "the `done` of a compound or parallel state takes no guard (route after it with `always when ... -> T`); "
    "`on error` takes no `requires`, `scope` or `evidence`",
)

EMIT_NEEDS_PAYLOAD = Code(
    "SW125",
    "emit-needs-payload",
    E,
    "`emit` raises an event whose payload has required fields",
    "an `emit` carries no data: give the payload fields defaults, or send the event from outside",
)

UNKNOWN_REQUIREMENT = Code(
    "SW126",
    "unknown-requirement",
    E,
    "a `requirements` block names something that is not a requirement",
    "the keys are durability, hosting, longest_run, volume, human_steps, language and vendor_lock "
    '(LANGUAGE.md, "Requirements")',
)
BAD_REQUIREMENT_VALUE = Code(
    "SW127",
    "bad-requirement-value",
    E,
    "a requirement's value is not one it takes",
    "write one of the values the message lists; durations as `90d`, volumes as `100/s`",
)
REQUIREMENT_OUT_OF_RANGE = Code(
    "SW128",
    "requirement-out-of-range",
    E,
    "a requirement's duration or volume is zero or past the limit",
    "a `longest_run` is between 1ms and 100 years; a `volume` is at least 1 per s, m, h or d",
)

# --- SW2xx: types ----------------------------------------------------------------
TYPE_MISMATCH = Code("SW201", "type-mismatch", E, "operand types do not fit the operator")
GUARD_NOT_BOOL = Code("SW202", "guard-not-bool", E, "guard or invariant is not a boolean expression")
BAD_DEFAULT = Code("SW203", "bad-default", E, "default value does not fit the field's type")
UNKNOWN_MEMBER = Code("SW204", "unknown-enum-member", E, "value is not a member of the enum")
BAD_BOUNDS = Code("SW205", "bad-bounds", E, "lower bound is greater than upper bound")
BAD_ASSIGNMENT = Code("SW206", "bad-assignment", E, "`set` assigns a value of the wrong type")
DIVISION_ON_INT = Code(
    "SW207",
    "int-division",
    E,
    "`/` is not defined on int",
    "use decimal fields for division, or `%` for remainders",
)
CONSTANT_OVERFLOW = Code("SW208", "constant-overflow", E, "integer constant is out of the 64-bit range")
INPUT_NOT_AVAILABLE = Code(
    "SW209",
    "input-not-available",
    E,
    "data of an event, a work result or a failure is read where it does not arrive",
    "read `event.F` in `on E` (E declares F), `result.F` in `done` after `invoke ... returns { F }` or a "
    "step's `then { }`, and `error.*` in `on error` and in `dead_letter` and `compensation_failed` actions",
)
UNKNOWN_INPUT_FIELD = Code(
    "SW210",
    "unknown-input-field",
    E,
    "the event, work result or failure has no such field",
    "declare the field in the event's `( ... )` or the work's `returns { ... }`, or fix the name",
)

del E
