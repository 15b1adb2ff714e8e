"""SW810-SW819: the engine recommendation `statewright check` adds from declared requirements.

Reported by `statewright.report.recommendation` (the ranking is a pure function of the IR)
as notes in the check report and SARIF; the front end's own `requirements` errors are
SW126-SW128 in `statewright.diagnostics.codes`.
"""

from statewright.diagnostics.model import Code, Severity

ENGINE_RECOMMENDATION = Code(
    "SW810",
    "engine-recommendation",
    Severity.INFO,
    "engine recommendation: the engines that fit the declared requirements and the design, ranked",
    "each engine lists why it fits or not and what the workflow would lose on it (docs/ENGINES.md)",
)
NO_REQUIREMENTS = Code(
    "SW811",
    "no-requirements-declared",
    Severity.INFO,
    "no `requirements` block: no engine is recommended",
    "declare what the workflow needs from its engine, e.g. `requirements { durability: machine_loss, "
    "hosting: either, longest_run: 30d, volume: 10/s, human_steps: yes, language: python, "
    'vendor_lock: avoid }` (LANGUAGE.md, "Requirements")',
)
NO_ENGINE_FITS = Code(
    "SW812",
    "no-engine-fits",
    Severity.WARNING,
    "no supported engine meets every declared requirement",
    "relax the requirement the engines' reasons name (hosting, durability, vendor_lock), "
    "or change the design (a shorter wait, fewer loops)",
)
REQUIREMENT_CONTRADICTS_DESIGN = Code(
    "SW813",
    "requirement-contradicts-design",
    Severity.WARNING,
    "a declared requirement contradicts what the design does",
    "fix the requirement (e.g. `human_steps: yes` for a workflow with approvals, a `longest_run` "
    "at least its longest timer) or the design",
)
