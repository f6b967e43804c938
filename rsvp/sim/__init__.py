"""A deterministic discrete-event simulator: RSVP engines exchanging real encoded bytes.

``python -m rsvp.sim FILE`` runs a scenario (see ``--help`` for the TOML format);
:class:`Simulation` runs one from Python, :func:`summary` gives its final state.
"""

from .network import SimNode, SimOptions, Simulation, SimulationError
from .report import summary, tables
from .scenario import Scenario, ScenarioError, load, loads

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimNode",
    "SimOptions",
    "Simulation",
    "SimulationError",
    "bundled_scenarios",
    "load",
    "loads",
    "summary",
    "tables",
]


def bundled_scenarios() -> dict[str, str]:
    """The example scenarios shipped in ``rsvp/sim/scenarios``: name -> TOML text."""
    from importlib import resources

    folder = resources.files(__name__) / "scenarios"
    return {f.name.removesuffix(".toml"): f.read_text(encoding="utf-8")
            for f in sorted(folder.iterdir(), key=lambda f: f.name) if f.name.endswith(".toml")}
