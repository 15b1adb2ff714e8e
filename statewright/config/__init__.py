"""Configuration: `[tool.statewright]` in `pyproject.toml` and inline `# statewright: ignore[...]`.

`settings` finds and reads the table (`Config`, `find_config`, `load_config`);
`suppressions` reads the comments of a `.wf` file; `apply` applies both to a file's
findings. Reading never raises: bad configuration is a finding (SW060-SW067).
"""

from statewright.config.apply import apply, stops_compilation
from statewright.config.settings import DEFAULT, Config, find_config, load_config
from statewright.config.suppressions import Suppression, suppressions_of

__all__ = [
    "DEFAULT",
    "Config",
    "Suppression",
    "apply",
    "find_config",
    "load_config",
    "stops_compilation",
    "suppressions_of",
]
