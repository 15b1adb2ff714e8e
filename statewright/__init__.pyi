# What type checkers see of `statewright`: the version and the public API, which
# `__init__.py` imports lazily through a module `__getattr__` (see statewright/api.py).
from statewright.api import BuildResult as BuildResult
from statewright.api import CheckResult as CheckResult
from statewright.api import Spec as Spec
from statewright.api import SpecError as SpecError
from statewright.api import load as load
from statewright.api import load_path as load_path
from statewright.api import load_text as load_text

__version__: str
