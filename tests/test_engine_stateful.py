"""Hypothesis state machine over a line of engines: churn, loss, link failures, restarts, time passing.

Hello and refresh reduction are on (the defaults): a silently lost link also loses the Hellos, so the
neighbours fail the LSPs through it within 17.5 s; a restart changes the node's Hello instance and epoch.

Invariants checked after every step (issue 3): labels consistent hop by hop for
every up LSP; reserved bandwidth never exceeds capacity; no leaked labels or
forwarding entries; and no state outlives L once its source is gone.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from rsvp.engine import LinkUp, Tunnel, TunnelAdded, TunnelRemoved, lifetime_s

from .engine_harness import Line

SIZE = 4
CAPACITY = 30e6
L = lifetime_s(30.0, 3)


class Churn(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.line = Line(SIZE, bandwidth_bps=CAPACITY)
        self.configured: dict[str, Tunnel] = {}
        self.next_id = 1
        self.removed_at: dict[str, float] = {}

    @rule(tail=st.integers(1, SIZE - 1), mbps=st.sampled_from([1, 5, 10, 20]))
    def add(self, tail: int, mbps: int) -> None:
        name = f"t{self.next_id}"
        tunnel = Tunnel(name, self.line.address(tail), mbps * 1e6, tunnel_id=self.next_id)
        self.next_id += 1
        self.configured[name] = tunnel
        self.line.handle(0, TunnelAdded(tunnel))

    @precondition(lambda self: self.configured)
    @rule(data=st.data())
    def remove(self, data) -> None:
        name = data.draw(st.sampled_from(sorted(self.configured)))
        del self.configured[name]
        self.removed_at[name] = self.line.now
        self.line.handle(0, TunnelRemoved(name))

    @rule(seconds=st.sampled_from([0.01, 1.0, 20.0, 60.0, 200.0]))
    def wait(self, seconds: float) -> None:
        self.line.run(self.line.now + seconds)

    @rule(link=st.integers(0, SIZE - 2))
    def lose_link_silently(self, link: int) -> None:
        self.line.down.add(link)

    @rule(link=st.integers(0, SIZE - 2))
    def fail_link(self, link: int) -> None:
        if link not in self.line.down:
            self.line.link_down(link)

    @precondition(lambda self: self.line.down)
    @rule(data=st.data())
    def repair_link(self, data) -> None:
        link = data.draw(st.sampled_from(sorted(self.line.down)))
        self.line.down.discard(link)
        self.line.routes[link].set_link("down", True)
        self.line.routes[link + 1].set_link("up", True)
        self.line.handle(link, LinkUp("down"))
        self.line.handle(link + 1, LinkUp("up"))

    @rule(node=st.integers(1, SIZE - 1))
    def restart(self, node: int) -> None:
        """A transit or egress node restarts; Hello (instance), epoch and NACKs must repair the LSPs."""
        self.line.restart(node)

    @invariant()
    def labels_consistent_hop_by_hop(self) -> None:
        """Whenever no message is in flight (news takes a link delay to travel) and no message was lost
        within the last L plus a refresh period (after a loss, soft state repairs itself within that)."""
        if self.line.queue or self.line.now - self.line.last_loss <= L + 46:
            return
        for record in self.line.lsps(0):
            if record["state"] != "up":
                continue
            tail = next(i for i in range(SIZE) if str(self.line.address(i)) == record["destination"])
            out_label = record["out_label"]
            for hop in range(1, tail + 1):
                match = [r for r in self.line.lsps(hop) if r["tunnel_id"] == record["tunnel_id"]]
                assert match, f"up LSP {record['name']} has no state at node {hop}"
                assert match[0]["in_label"] == out_label
                out_label = match[0]["out_label"]

    @invariant()
    def reservations_within_capacity(self) -> None:
        for node in self.line.nodes:
            for interface in node.config.interfaces:
                assert node.admission.reserved_bps(interface.name) <= CAPACITY + 1e-3

    @invariant()
    def no_leaked_labels_or_entries(self) -> None:
        for index, node in enumerate(self.line.nodes):
            held = {lsp.in_label for lsp in node.lsps.values() if lsp.in_label is not None and lsp.role != "ingress"}
            assert node.labels.in_use == held
            handles = {lsp.handle for lsp in node.lsps.values() if lsp.handle is not None}
            assert set(self.line.installed[index]) <= handles

    @invariant()
    def removed_tunnels_leave_no_state_after_lifetime(self) -> None:
        for name, when in self.removed_at.items():
            if self.line.now < when + L + 46:
                continue
            tunnel_id = int(name[1:])
            for index in range(1, SIZE):
                assert all(r["tunnel_id"] != tunnel_id for r in self.line.lsps(index)), (name, index)


Churn.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestChurn = Churn.TestCase
