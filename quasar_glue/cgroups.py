"""A routelet's CPU and memory partition as a Linux cgroup (v1 or v2, whichever the host mounts).

v1: ``cpu.shares``, ``cpu.cfs_period_us``/``cpu.cfs_quota_us``, ``memory.limit_in_bytes``
(one directory per controller).  v2: ``cpu.weight``, ``cpu.max``, ``memory.max``
(one directory).  Values come from :class:`admission.shares.Shares`.  Writes use
``with open`` so the kernel's EINVAL/EBUSY raise (a bare ``write`` swallows them
until an unchecked close).
"""

from __future__ import annotations

import pathlib
import time

from admission.shares import Shares

ROOT = pathlib.Path("/sys/fs/cgroup")


def version(root: pathlib.Path = ROOT) -> int:
    """2 on a unified hierarchy with the cpu and memory controllers, 1 on a v1/hybrid layout."""
    controllers = root / "cgroup.controllers"
    if controllers.exists() and {"cpu", "memory"} <= set(controllers.read_text().split()):
        return 2
    if (root / "cpu").is_dir() and (root / "memory").is_dir():
        return 1
    raise OSError(f"no cpu and memory cgroup controllers under {root}")


def _write(path: pathlib.Path, value: str) -> None:
    with open(path, "w") as file:
        file.write(value)


class Cgroup:
    """``<controller>/<parent>/<name>``; created on construction, removed by :meth:`remove`."""

    def __init__(self, parent: str, name: str, root: pathlib.Path = ROOT) -> None:
        self.version = version(root)
        if self.version == 2:
            top = root / parent
            if not top.is_dir():
                top.mkdir()
                _write(top / "cgroup.subtree_control", "+cpu +memory")
            self.dirs = {"cpu": top / name, "memory": top / name}
        else:
            self.dirs = {c: root / c / parent / name for c in ("cpu", "memory")}
        for path in set(self.dirs.values()):
            path.mkdir(parents=True, exist_ok=True)

    @property
    def paths(self) -> list[str]:
        return sorted({str(p) for p in self.dirs.values()})

    @property
    def join_files(self) -> list[str]:
        """The files a single-threaded process writes "0" (itself) to, to join: v1 ``tasks``, as moving
        one thread skips the global threadgroup lock and its RCU grace period (5-20 ms a move);
        v2 ``cgroup.procs``, as v2 moves only whole processes between domains."""
        return sorted({str(p / ("cgroup.procs" if self.version == 2 else "tasks")) for p in self.dirs.values()})

    def apply(self, shares: Shares | None) -> None:
        """Set the CPU weight, the CFS cap and the memory limit; None lifts them all."""
        cpu, memory = self.dirs["cpu"], self.dirs["memory"]
        if self.version == 2:
            _write(cpu / "cpu.weight", str(shares.cgroup_cpu_weight if shares else 100))
            _write(cpu / "cpu.max", f"{shares.cgroup_cpu_quota_us} {shares.cgroup_cpu_period_us}"
                   if shares else "max")
            _write(memory / "memory.max", str(shares.memory_bytes) if shares else "max")
            return
        _write(cpu / "cpu.shares", str(shares.cgroup_cpu_shares if shares else 1024))
        if shares:
            _write(cpu / "cpu.cfs_period_us", str(shares.cgroup_cpu_period_us))
        _write(cpu / "cpu.cfs_quota_us", str(shares.cgroup_cpu_quota_us if shares else -1))
        _write(memory / "memory.limit_in_bytes", str(shares.memory_bytes) if shares else "-1")

    def read(self) -> dict[str, str]:
        """The limit files as the kernel reports them."""
        names = (("cpu", "cpu.weight"), ("cpu", "cpu.max"), ("memory", "memory.max")) if self.version == 2 else (
            ("cpu", "cpu.shares"), ("cpu", "cpu.cfs_period_us"), ("cpu", "cpu.cfs_quota_us"),
            ("memory", "memory.limit_in_bytes"))
        return {file: (self.dirs[c] / file).read_text().strip() for c, file in names}

    def remove(self, timeout_s: float = 2.0) -> None:
        """rmdir each directory once its processes are gone (the kernel refuses earlier with EBUSY)."""
        deadline = time.monotonic() + timeout_s
        for path in set(self.dirs.values()):
            while path.exists():
                try:
                    path.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)


def existing(parent: str, prefix: str, root: pathlib.Path = ROOT) -> set[str]:
    """Names of cgroups under ``parent`` that start with ``prefix`` (for reconciliation)."""
    tops = [root / parent] if version(root) == 2 else [root / c / parent for c in ("cpu", "memory")]
    return {p.name for top in tops if top.is_dir() for p in top.iterdir() if p.is_dir() and p.name.startswith(prefix)}


def remove_parent(parent: str, root: pathlib.Path = ROOT) -> None:
    """rmdir ``parent`` where it is empty (other daemons' routelets may still live in it)."""
    tops = [root / parent] if version(root) == 2 else [root / c / parent for c in ("cpu", "memory")]
    for top in tops:
        try:
            top.rmdir()
        except OSError:
            pass
