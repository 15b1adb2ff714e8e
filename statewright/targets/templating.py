"""The Jinja environment every template-based target uses: strict, no autoescape, Python-safe strings."""

from __future__ import annotations

import functools

import jinja2

from statewright.targets.python_literals import string


@functools.cache
def template(package: str, name: str) -> jinja2.Template:
    """The template `name` from `package`'s `templates/` folder (undefined names are errors)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    environment.filters["pyrepr"] = string
    return environment.get_template(name)
