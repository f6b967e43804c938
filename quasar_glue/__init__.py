"""Routelets: each admitted reservation realised as its own partition of the router.

The daemon uses :class:`RouteletManager` (``install`` / ``remove`` /
``snapshot``); backends (``none``, ``libvirt``, ``netns``) are chosen by
:class:`GlueConfig`.  See ``docs/routelets.md``.
"""

from quasar_glue.config import GlueConfig
from quasar_glue.graph import ForwardingGraph
from quasar_glue.manager import RouteletManager, make_backend
from quasar_glue.model import GlueError, Routelet, State

__all__ = ["ForwardingGraph", "GlueConfig", "GlueError", "Routelet", "RouteletManager", "State", "make_backend"]
