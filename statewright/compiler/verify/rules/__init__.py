"""Built-in verification rules: one module per rule family, each a plugin of the `statewright_rules` hook.

Each module registers its own diagnostic codes and provides its rules through
`@hookimpl statewright_rules()`, exactly as a third-party plugin would; the
plugin manager lists the modules in `BUILTIN_PLUGINS`. For example,
`structure` holds reachability, traps, deadlocks, unused events, state naming,
determinism and completeness (SW301–SW311), plus the state × event resolution
table that later rules and targets reuse.
"""
