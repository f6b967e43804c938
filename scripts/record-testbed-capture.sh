#!/bin/sh
# Remake captures/testbed-chain4.pcap (root): tcpdump on A's link to B while examples/testbed-chain4.toml
# runs in network namespaces: Hellos, the LSP a-d set up (Path with Router Alert, Resv, ACKs), a 200 Mb/s
# tunnel refused by B (PathErr 1/2), then A stopped with SIGTERM (PathTear).
#   sudo scripts/record-testbed-capture.sh [OUT]     (default captures/testbed-chain4.pcap)
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python - "${1:-captures/testbed-chain4.pcap}" <<'EOF'
import signal, subprocess, sys, tempfile, time
from pathlib import Path

from rsvp.ctl.client import request
from rsvp.daemon.testbed import Testbed, load_topology

out = Path(sys.argv[1]).resolve()
scenario, hello = load_topology(Path("examples/testbed-chain4.toml"))
bed = Testbed(scenario, "rec", Path(tempfile.mkdtemp(prefix="rsvpd-capture-")) / "run", hello_interval_s=hello)


def lsp(name):
    return next((l for l in request(str(bed.socket("A")), {"command": "show", "what": "lsps"}) if l["name"] == name), {})


def wait(what, check, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.05)


try:
    bed.build()
    tcpdump = subprocess.Popen(["ip", "netns", "exec", bed.namespace("A"), "tcpdump", "--immediate-mode", "-U", "-i",
                                "to-B", "-w", str(out), "ip proto 46"], stderr=subprocess.PIPE)
    try:
        assert b"listening on" in tcpdump.stderr.readline()
        bed.start()
        wait("a-d up", lambda: lsp("a-d").get("state") == "up")
        request(str(bed.socket("A")), {"command": "tunnel-add", "name": "big", "destination": "192.0.2.4",
                                       "bandwidth_bps": 200e6})
        wait("big refused", lambda: "PathErr" in (lsp("big").get("reason") or ""))
        time.sleep(2 * hello)
        bed.stop("A")
        wait("no state on B", lambda: not request(str(bed.socket("B")), {"command": "show", "what": "lsps"}))
        time.sleep(0.5)
    finally:
        tcpdump.send_signal(signal.SIGINT)
        tcpdump.wait(5)
finally:
    bed.down()
print(f"wrote {out}")
EOF
