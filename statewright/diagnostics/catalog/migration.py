"""SW990-SW999: migrating running instances to a new definition (`diff`, `run migrate`).

Reported by the `migrate { Old -> New }` map's lowering, by the migration analysis
(`compiler/migration.py`, behind `statewright diff`) and by the runtime's
migration (`runtime/migrate.py`, behind `statewright run migrate`).
"""

from statewright.diagnostics.model import Code, Severity

MIGRATE_UNKNOWN_STATE = Code(
    "SW990",
    "migrate-unknown-state",
    Severity.ERROR,
    "a `migrate` map names a state the workflow does not have",
    "the right-hand name is a state of this (the new) workflow and the left-hand name a state of "
    "the old one; correct the spelling, or drop the entry",
)
MIGRATE_MAP_AMBIGUOUS = Code(
    "SW991",
    "migrate-map-ambiguous",
    Severity.ERROR,
    "a `migrate` map renames a state twice, renames two states to one, or chains renames",
    "give each old state at most one new name and each new name at most one old state; a name "
    "may not be both renamed and a rename's target (a chain or a cycle): rename in two versions",
)
MIGRATION_INPUT_INVALID = Code(
    "SW992",
    "migration-input-invalid",
    Severity.ERROR,
    "the two definitions cannot be compared: another workflow, or no newer `version`",
    "compare two versions of one workflow, the new one with a greater `version` "
    "(bump it for every change to a deployed spec)",
)
STATE_CANNOT_MIGRATE = Code(
    "SW993",
    "state-cannot-migrate",
    Severity.ERROR,
    "an instance waiting in this state cannot move to the new definition safely",
    "the reasons say what changed; keep the old behaviour for this state (or add a default, keep "
    "the compensation), or let the instances waiting there finish on the old definition",
)
MIGRATION_NEEDS_CHECK = Code(
    "SW994",
    "migration-needs-check",
    Severity.WARNING,
    "whether an instance can move depends on its stored data (a narrowed type, a new invariant, votes)",
    "`statewright run migrate` checks each instance and moves only those that fit; widen the type "
    "or relax the invariant if every instance must move",
)
STATE_REMOVED = Code(
    "SW995",
    "state-removed",
    Severity.ERROR,
    "a state of the old definition is neither in the new one nor renamed by its `migrate` map",
    "add `migrate { Old -> New }` to the new spec if the state was renamed, or let the instances "
    "waiting there finish on the old definition",
)
INSTANCE_CANNOT_MIGRATE = Code(
    "SW996",
    "instance-cannot-migrate",
    Severity.ERROR,
    "a running instance was not moved to the new definition; it is unchanged",
    "the message says why (its state, its stored data or its log); finish it on the old "
    "definition, or fix the new spec and migrate again",
)
