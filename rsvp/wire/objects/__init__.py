"""Object model, one module per family; importing this registers them all."""

from . import core, intserv  # noqa: F401
