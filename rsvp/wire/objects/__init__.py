"""Object model, one module per family; importing this registers them all."""

from . import core, intserv  # noqa: F401
from . import refresh, integrity, attributes  # noqa: F401
from . import te, routes, frr  # noqa: F401
from . import gmpls_traffic, extra  # noqa: F401
