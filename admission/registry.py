"""Admission policies by name, through the ``quasar_rsvp.admission`` entry-point group.

The built-ins (``bandwidth``, ``quasar``) are declared in this project's
pyproject.toml; a third-party package adds its own policy by declaring, in
its own metadata::

    [project.entry-points."quasar_rsvp.admission"]
    mine = "my_package.module:MyPolicy"

where ``MyPolicy(interfaces, **options)`` satisfies
:class:`rsvp.engine.admission.Admission`.
"""

from __future__ import annotations

import inspect
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from rsvp.engine.admission import Admission
from rsvp.engine.config import Interface

GROUP = "quasar_rsvp.admission"


class PolicyError(ValueError):
    """An unknown policy name, or options the policy does not take."""


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available() -> list[str]:
    """Names of the installed policies, sorted."""
    return sorted(_entry_points())


def load(name: str, interfaces: tuple[Interface, ...], **options: Any) -> Admission:
    """Build the policy registered as ``name`` for ``interfaces`` with ``options`` (keyword arguments
    of its constructor); :class:`PolicyError` names what is known when ``name`` or an option is not."""
    found = _entry_points().get(name)
    if found is None:
        raise PolicyError(f"no admission policy {name!r}; known: {', '.join(available()) or 'none'}")
    factory = found.load()
    parameters = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    accepted = [n for n, p in parameters.items()
                if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)][1:]
    unknown = sorted(set(options) - set(accepted))
    if unknown and not takes_any:
        raise PolicyError(f"admission policy {name!r} takes no option {', '.join(unknown)}; "
                          f"it takes: {', '.join(accepted) or 'none'}")
    try:
        return factory(interfaces, **options)
    except (TypeError, ValueError) as error:
        raise PolicyError(f"admission policy {name!r}: {error}") from error
