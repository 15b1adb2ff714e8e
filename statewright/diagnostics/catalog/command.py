"""SW900-SW909 and SW912: plugins, crashed rules, and the command line.

SW900, SW901 and SW904 are reported by `plugins/manager.py`, SW902 by
`compiler/verify/__init__.py`, the rest by the commands in `cli/`.
"""

from statewright.diagnostics.model import Code, Severity

PLUGIN_FAILED = Code(
    "SW900",
    "plugin-failed",
    Severity.WARNING,
    "a plugin failed to load or raised in a hook",
    "the plugin was skipped; fix or uninstall it (this is a bug in the plugin, not in your workflow)",
)
UNKNOWN_TARGET = Code(
    "SW901",
    "unknown-target",
    Severity.ERROR,
    "no registered target has this name",
    "run `statewright targets` to list the registered targets",
)
RULE_CRASHED = Code(
    "SW902",
    "rule-crashed",
    Severity.ERROR,
    "a verification rule failed to run",
    "the machine was not fully verified; this is a bug in the rule's plugin, please report it",
)
OUTPUT_NOT_WRITABLE = Code(
    "SW903",
    "output-not-writable",
    Severity.ERROR,
    "an output file could not be written",
    "check that the output directory exists or can be created, and that you may write to it",
)
PLUGIN_CONFLICT = Code(
    "SW904",
    "plugin-conflict",
    Severity.WARNING,
    "a plugin returned an invalid or clashing target or rule",
    "the offending item was skipped; rename it or uninstall one of the plugins",
)
BAD_ARTIFACT_PATH = Code(
    "SW905",
    "bad-artifact-path",
    Severity.ERROR,
    "a target produced a file path outside its output directory",
    "this is a bug in the target's plugin; artifact paths must be relative and stay inside the output",
)
NO_INPUTS = Code(
    "SW906",
    "no-inputs",
    Severity.ERROR,
    "no `.wf` files found",
    "pass `.wf` files, or directories that contain them",
)
TARGET_FAILED = Code(
    "SW907",
    "target-failed",
    Severity.ERROR,
    "a target failed while generating",
    "nothing was written for this target; this is a bug in the target's plugin, please report it",
)
ARTIFACT_COLLISION = Code(
    "SW908",
    "artifact-collision",
    Severity.ERROR,
    "two inputs would write the same output file",
    "give the workflows different names, or build them into different output directories",
)
INTERNAL_ERROR = Code(
    "SW909",
    "internal-error",
    Severity.ERROR,
    "statewright failed unexpectedly",
    "this is a bug in statewright; please report it with the command and input that caused it",
)
TARGET_SKIPPED = Code(
    "SW912",
    "target-skipped",
    Severity.INFO,
    "`all` skipped a target whose tool is not installed",
    "install the tool to build that target too; naming the target explicitly reports it as an error",
)
