"""The diagnostic codes the command line registers and the exit codes it returns."""

from __future__ import annotations

from statewright.diagnostics import Code, Severity, register

OUTPUT_NOT_WRITABLE = register(
    Code(
        "SW903",
        "output-not-writable",
        Severity.ERROR,
        "an output file could not be written",
        "check that the output directory exists or can be created, and that you may write to it",
    )
)
TARGET_SKIPPED = register(
    Code(
        "SW912",
        "target-skipped",
        Severity.INFO,
        "`all` skipped a target whose tool is not installed",
        "install the tool to build that target too; naming the target explicitly reports it as an error",
    )
)
BAD_ARTIFACT_PATH = register(
    Code(
        "SW905",
        "bad-artifact-path",
        Severity.ERROR,
        "a target produced a file path outside its output directory",
        "this is a bug in the target's plugin; artifact paths must be relative and stay inside the output",
    )
)
NO_INPUTS = register(
    Code(
        "SW906",
        "no-inputs",
        Severity.ERROR,
        "no `.wf` files found",
        "pass `.wf` files, or directories that contain them",
    )
)
TARGET_FAILED = register(
    Code(
        "SW907",
        "target-failed",
        Severity.ERROR,
        "a target failed while generating",
        "nothing was written for this target; this is a bug in the target's plugin, please report it",
    )
)
ARTIFACT_COLLISION = register(
    Code(
        "SW908",
        "artifact-collision",
        Severity.ERROR,
        "two inputs would write the same output file",
        "give the workflows different names, or build them into different output directories",
    )
)
INTERNAL_ERROR = register(
    Code(
        "SW909",
        "internal-error",
        Severity.ERROR,
        "statewright failed unexpectedly",
        "this is a bug in statewright; please report it with the command and input that caused it",
    )
)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
