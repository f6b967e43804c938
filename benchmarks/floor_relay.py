"""A router that relays RSVP without an engine: the floor under rsvpd's setup latency (root, in a namespace).

    ip netns exec NS python -m benchmarks.floor_relay [--head TAIL --runs N --gap-ms G]

bench_testbed ``--floor`` starts one in each router of the four-router chain in
place of rsvpd.  Each uses rsvpd's own transport (:mod:`rsvp.daemon.transport`:
the raw protocol-46 socket with Router Alert interception, ``sendmsg`` with
``IP_PKTINFO`` and the Router Alert option) and the kernel's routes as rsvpd
reads them, but blocks in ``recvmsg`` (no event loop; with ``--trio``, it
waits in trio as rsvpd's engine task does) and decodes nothing: the
messages are bench_engine's Path and Resv of LSP ``i``, recognised by their
bytes.  A Path for an address beyond the router is sent on towards it with
Router Alert, the hop it came from remembered; at its destination it is
answered with LSP ``i``'s Resv; a Resv goes back to the hop its Path came from.
With ``--head``, the relay is the head: ``--runs`` times, it sends LSP ``i``'s
Path towards ``TAIL``, waits for the Resv, then ``--gap-ms``.

So the chain's latency with these relays is what the wire, the kernel and
waking four Python processes on this machine cost before rsvpd does any RSVP.
"""

from __future__ import annotations

import argparse
import socket
import time
from ipaddress import IPv4Address

import trio
from pyroute2 import IPRoute

from benchmarks.bench_engine import path_bytes, resv_bytes
from rsvp.daemon.routes import KernelRoutes, read_kernel
from rsvp.daemon.transport import Datagram, RawTransport, open_socket
from rsvp.engine.actions import Send

LSPS = 4096  # distinct LSPs the relays recognise (bench_testbed's --runs must not exceed it)
REFRESH_MS = 30_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor_relay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--head", type=IPv4Address, metavar="TAIL", help="be the head; send Paths towards TAIL")
    parser.add_argument("--runs", type=int, default=20, help="Paths the head sends, one at a time (default 20)")
    parser.add_argument("--trio", action="store_true",
                        help="wait for datagrams in trio's wait_readable under move_on_at, as rsvpd does")
    parser.add_argument("--gap-ms", type=float, default=50.0, help="the head's pause after each Resv (default 50)")
    args = parser.parse_args(argv)
    if args.runs > LSPS:
        parser.error(f"--runs: at most {LSPS}")
    paths = [path_bytes(i, REFRESH_MS) for i in range(LSPS)]
    resvs = [resv_bytes(i, REFRESH_MS) for i in range(LSPS)]
    path_lsp = {data: i for i, data in enumerate(paths)}
    resv_lsp = {data: i for i, data in enumerate(resvs)}
    with IPRoute() as ipr:
        state = read_kernel(ipr)
        local = {IPv4Address(entry.get("address")) for entry in ipr.get_addr(family=socket.AF_INET)}
    names = frozenset(name for name in state.addresses if name != "lo")
    routes = KernelRoutes(names, state)
    transport = RawTransport(open_socket(), {name: (state.links[name][0], state.addresses[name].ip) for name in names})
    transport.sock.setblocking(True)  # receive_nowait then blocks in recvmsg
    print("ready", flush=True)
    if args.head is not None:
        toward = routes.route(args.head)
        if toward is None:
            parser.error(f"no route to {args.head}")
        for i in range(args.runs):
            transport.send_nowait(Send(paths[i], toward.interface, args.head, router_alert=True))
            while (datagram := transport.receive_nowait()) is None or resv_lsp.get(datagram.data) != i:
                pass
            time.sleep(args.gap_ms / 1000)
        return 0
    upstream: dict[int, tuple[str, IPv4Address]] = {}  # LSP -> the interface and hop its Path came from

    def relay(datagram: Datagram) -> None:
        if (i := path_lsp.get(datagram.data)) is not None:
            if datagram.destination in local:
                transport.send_nowait(Send(resvs[i], datagram.interface, datagram.source))
                return
            upstream[i] = (datagram.interface, datagram.source)
            onward = routes.route(datagram.destination)
            if onward is not None:
                transport.send_nowait(Send(datagram.data, onward.interface, datagram.destination, router_alert=True))
        elif (i := resv_lsp.get(datagram.data)) is not None and i in upstream:
            interface, hop = upstream.pop(i)
            transport.send_nowait(Send(datagram.data, interface, hop))

    if not args.trio:
        while True:
            if (datagram := transport.receive_nowait()) is not None:
                relay(datagram)

    async def relay_in_trio() -> None:  # waiting as rsvpd's engine task does
        transport.sock.setblocking(False)
        while True:
            while (datagram := transport.receive_nowait()) is not None:
                relay(datagram)
            with trio.move_on_at(trio.current_time() + 60):
                await transport.wait_readable()

    trio.run(relay_in_trio)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
