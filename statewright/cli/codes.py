"""The diagnostic codes the command line reports (in `diagnostics.catalog.command`), and its exit codes."""

from __future__ import annotations

from statewright.diagnostics.catalog.command import ARTIFACT_COLLISION as ARTIFACT_COLLISION
from statewright.diagnostics.catalog.command import BAD_ARTIFACT_PATH as BAD_ARTIFACT_PATH
from statewright.diagnostics.catalog.command import INTERNAL_ERROR as INTERNAL_ERROR
from statewright.diagnostics.catalog.command import NO_INPUTS as NO_INPUTS
from statewright.diagnostics.catalog.command import OUTPUT_NOT_WRITABLE as OUTPUT_NOT_WRITABLE
from statewright.diagnostics.catalog.command import TARGET_FAILED as TARGET_FAILED
from statewright.diagnostics.catalog.command import TARGET_SKIPPED as TARGET_SKIPPED

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
