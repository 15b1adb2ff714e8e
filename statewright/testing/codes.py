"""Diagnostic codes of `statewright test` (SW980–SW989), defined in `diagnostics.catalog.testing`."""

from __future__ import annotations

from statewright.diagnostics.catalog.testing import CONTEXT_NOT_COMPARED as CONTEXT_NOT_COMPARED
from statewright.diagnostics.catalog.testing import DESIGN_NOT_RUN as DESIGN_NOT_RUN
from statewright.diagnostics.catalog.testing import ENGINE_UNAVAILABLE as ENGINE_UNAVAILABLE
from statewright.diagnostics.catalog.testing import INVARIANT_BROKEN as INVARIANT_BROKEN
from statewright.diagnostics.catalog.testing import NOT_COVERED as NOT_COVERED
from statewright.diagnostics.catalog.testing import TARGETS_DIVERGE as TARGETS_DIVERGE
