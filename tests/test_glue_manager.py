"""RouteletManager failure paths: a reservation the glue cannot realise reaches the engine as
LabelInstallFailed with the RFC 2205 Traffic Control System error (22) and leaves nothing half-made."""

from ipaddress import IPv4Address

from quasar_glue import GlueConfig, RouteletManager
from quasar_glue.backend import NoBackend
from quasar_glue.model import NO_ROUTELET, NOT_CONFIGURED, TRAFFIC_CONTROL_SYSTEM_ERROR, GlueError, Routelet
from rsvp.engine.actions import InstallLabel
from rsvp.engine.events import LabelInstalled, LabelInstallFailed

NEXT_HOP = IPv4Address("10.0.0.2")


class Faulty(NoBackend):
    """NoBackend that refuses to start or to configure routelets on demand."""

    def __init__(self, config: GlueConfig) -> None:
        super().__init__(config)
        self.refuse_create = self.refuse_assign = False
        self.destroyed: list[str] = []

    def create(self, routelet: Routelet) -> None:
        if self.refuse_create:
            raise GlueError("no memory for another domain")
        super().create(routelet)

    def assign(self, routelet: Routelet) -> None:
        if self.refuse_assign:
            raise GlueError("tc refused the class")
        super().assign(routelet)

    def destroy(self, name: str) -> None:
        self.destroyed.append(name)


def manager(pool_size: int) -> tuple[RouteletManager, Faulty]:
    config = GlueConfig(pool_size=pool_size, interfaces=("in",))
    backend = Faulty(config)
    result = RouteletManager(config, backend)
    result.start()
    return result, backend


def install(handle: int) -> InstallLabel:
    return InstallLabel(handle, 100 + handle, 200 + handle, "out", NEXT_HOP, 1e6)


def test_no_routelet_to_take_or_start_is_22_1():
    glue, backend = manager(pool_size=0)
    backend.refuse_create = True
    failed = glue.install(install(1), None)
    assert failed == LabelInstallFailed(1, "no memory for another domain", TRAFFIC_CONTROL_SYSTEM_ERROR, NO_ROUTELET)
    assert glue.snapshot() == []


def test_a_routelet_that_cannot_be_configured_is_22_2_and_goes_back_to_the_pool():
    glue, backend = manager(pool_size=1)
    backend.refuse_assign = True
    failed = glue.install(install(1), None)
    assert isinstance(failed, LabelInstallFailed)
    assert (failed.error_code, failed.error_value, failed.reason) == (22, NOT_CONFIGURED, "tc refused the class")
    assert [r["state"] for r in glue.snapshot()] == ["idle"]  # rolled back: idle again, nothing assigned
    backend.refuse_assign = False
    assert glue.install(install(2), None) == LabelInstalled(2)
    assert [r["state"] for r in glue.snapshot()] == ["assigned"]
