"""Every built-in diagnostic code after the front end's, one module per family.

Each module is a table of `Code` constants and nothing else: no registration, no imports
beyond the `Code` value, so importing it has no effect but defining names. The modules
that report a code import its constant from here (`from statewright.diagnostics.catalog.sagas
import SAGA_TOO_LONG`), which keeps every definition in one greppable place and makes the
registry (`statewright.diagnostics.registry`) complete without importing any stage.

Families (the front end's SW0xx-SW2xx are in `statewright.diagnostics.codes`):

- `operations` SW070-SW079: an operator's reroute, rollback and redrive of instances;
- `structure` SW3xx, `guards` SW4xx, `sagas` SW5xx, `waits` SW6xx, `retries` SW7xx,
  `parallel` SW8xx: the verification rules;
- `recommendation` SW810-SW819: the engine recommendation of `check`;
- `command` SW900-SW909 and SW912: plugins, crashed rules, the command line;
- `targets` SW910-SW919, `asl` SW920-SW939, `bpmn` SW940-SW950, `temporal` SW951-SW959:
  code generation;
- `runtime` SW960-SW979: runtime refusals and failures;
- `testing` SW980-SW989: `statewright test`;
- `migration` SW990-SW999: the `migrate` map, `statewright diff` and `statewright run migrate`.

A new code goes into its family's module (and its number into that family's range);
`tests/diagnostics/test_registry.py` fails for a code that is reported but not defined here.
"""

from __future__ import annotations

from types import ModuleType

from statewright.diagnostics.catalog import (
    asl,
    bpmn,
    command,
    guards,
    migration,
    operations,
    parallel,
    recommendation,
    retries,
    runtime,
    sagas,
    structure,
    targets,
    temporal,
    testing,
    waits,
)

FAMILIES: tuple[ModuleType, ...] = (
    operations,
    structure,
    guards,
    sagas,
    waits,
    retries,
    parallel,
    recommendation,
    command,
    targets,
    asl,
    bpmn,
    temporal,
    runtime,
    testing,
    migration,
)
"""The catalog's family modules, in code order."""
