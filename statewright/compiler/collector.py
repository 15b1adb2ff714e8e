"""Pause Python's cyclic garbage collector while a compiler stage builds a large, acyclic structure.

Parsing, lowering and verifying a big spec allocate millions of small immutable
objects (AST and IR nodes, spans, edges) that all stay alive. Each allocation
burst triggers collections, and every full collection walks the whole live heap
again, so with the collector on, lowering a 50,000-state spec took twice as long.
These stages create no reference cycles worth collecting early; whatever cyclic
garbage they do make is collected once the collector runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state after (nests)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
