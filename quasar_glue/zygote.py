"""Forwarders forked from one pre-started, pre-imported process, so a routelet starts in milliseconds.

Starting ``python -m quasar_glue.forwarder`` costs 0.3-0.4 s (interpreter and
imports); forking a process that has imported it already costs about a
millisecond.  :class:`Zygote` starts ``python -m quasar_glue.zygote`` once per
backend, its stdin one end of a Unix ``SOCK_SEQPACKET`` pair.  A request is a
JSON object (``netns``: the namespace file, ``cgroup_join``: the
cgroup files to write "0" to, :attr:`~quasar_glue.cgroups.Cgroup.join_files`, ``device``) carrying two descriptors
(SCM_RIGHTS): the read end of the forwarder's control input and the write end
of its output.  The zygote forks and answers ``{"pid": N}``; the child

1. joins the routelet's cgroups, so
   that what it allocates from then on is charged and limited there;
2. enters the network namespace (``setns``), brings ``lo`` and the device
   up (ioctl: no netlink socket to open) and opens its AF_PACKET socket
   there;
3. runs the forwarder on the two descriptors.  If 1 or 2 fails, its one reply
   is ``{"ok": false, "error": ...}`` and it exits.

Memory: pages the child still shares with the zygote after the fork stay
charged where the zygote is (moving a process never moves its charges in
cgroup v2, nor in v1 without the deprecated ``memory.move_charge_at_immigrate``);
every page the forwarder allocates or writes afterwards (its heap, socket
buffers, queue) is charged to the routelet, whose limit holds it.

The zygote ignores SIGCHLD, so the kernel reaps the forwarders; the backend
follows each through a pidfd.  End of the zygote's input (the backend closed
it, or died) ends the zygote; a forwarder ends at the end of its control input.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import pathlib
import select
import signal
import socket
import struct
import subprocess
from typing import TextIO

from quasar_glue import forwarder
from quasar_glue.model import GlueError

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
IFREQ_FLAGS = struct.Struct("16sH22x")  # struct ifreq: name, then ifr_flags in a 24-byte union
REQUEST_TIMEOUT_S = 5.0  # includes the zygote's own start on its first request
PACKAGE_PARENT = str(pathlib.Path(__file__).resolve().parent.parent)


class Zygote:
    """The backend's side: the zygote process and the socket to it."""

    def __init__(self, python: str) -> None:
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:  # its own session: a terminal's Ctrl-C is for the daemon, which closes it
            self.process = subprocess.Popen([python, "-m", "quasar_glue.zygote"], stdin=theirs,
                                            env={**os.environ, "PYTHONPATH": PACKAGE_PARENT}, start_new_session=True)

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, netns_path: str, cgroup_join: list[str], device: str) -> tuple[int, TextIO, TextIO]:
        """Fork a forwarder into the routelet: its pid, control input (write) and output (read)."""
        in_read, in_write = os.pipe()
        out_read, out_write = os.pipe()
        request = {"netns": netns_path, "cgroup_join": cgroup_join, "device": device}
        try:
            socket.send_fds(self.channel, [json.dumps(request).encode()], [in_read, out_write])
            ready, _, _ = select.select([self.channel], [], [], REQUEST_TIMEOUT_S)
            reply = json.loads(self.channel.recv(4096) or "{}") if ready else {}
        except OSError as error:
            reply = {"error": str(error)}
        finally:
            os.close(in_read)
            os.close(out_write)
        if "pid" not in reply:
            os.close(in_write)
            os.close(out_read)
            raise GlueError(f"forwarder zygote: {reply.get('error', 'no answer')} (exit status {self.process.poll()})")
        return reply["pid"], os.fdopen(in_write, "w"), os.fdopen(out_read)

    def close(self) -> None:
        self.channel.close()  # end of its input: it exits
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _setns(path: str) -> None:
    """Enter the network namespace at ``path`` (Python 3.11 has no ``os.setns``)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), path)
    finally:
        os.close(fd)


def _up(ifname: str) -> None:
    """Set ``ifname`` (in this thread's network namespace) up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        _, flags = IFREQ_FLAGS.unpack(fcntl.ioctl(sock, SIOCGIFFLAGS, IFREQ_FLAGS.pack(ifname.encode(), 0)))
        fcntl.ioctl(sock, SIOCSIFFLAGS, IFREQ_FLAGS.pack(ifname.encode(), flags | IFF_UP))


def _child(request: dict, control_in: int, control_out: int) -> int:
    """In the forked child: join the routelet, then forward until the control input ends."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    with os.fdopen(control_in) as requests, os.fdopen(control_out, "w") as replies:
        try:
            for path in request["cgroup_join"]:
                with open(path, "w") as file:  # raises if the kernel refuses
                    file.write("0")
            _setns(request["netns"])
            for ifname in ("lo", request["device"]):
                _up(ifname)
            running = forwarder.Forwarder(request["device"])
        except OSError as error:
            replies.write(json.dumps({"ok": False, "error": f"cannot enter the routelet: {error}"}) + "\n")
            return 1
        running.run(requests, replies)
    return 0


def serve(channel: socket.socket) -> None:
    """Fork a forwarder for each request on ``channel`` until it ends."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the forwarders
    while True:
        message, fds, _, _ = socket.recv_fds(channel, 65536, 2)
        if not message:
            return
        try:
            pid = os.fork()
        except OSError as error:
            reply = {"error": f"fork: {error}"}
        else:
            if pid == 0:  # the child (an unexpected exception ends it with a traceback, status 1)
                channel.close()
                os._exit(_child(json.loads(message), *fds))
            reply = {"pid": pid}
        for fd in fds:
            os.close(fd)
        channel.send(json.dumps(reply).encode())


if __name__ == "__main__":
    serve(socket.socket(fileno=0))
