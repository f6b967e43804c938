"""The forwarding graph: label operations (RFC 3032), the forwarder pipeline, and its Click rendering."""

from __future__ import annotations

import itertools
import math
import re
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quasar_glue import click, mpls
from quasar_glue.forwarder import Pipeline, TokenBucket
from quasar_glue.graph import ForwardingGraph

SRC, DST = "02:00:00:00:00:01", "02:00:00:00:00:02"


def graph(in_label=1001, out_label=2002, rate=math.inf, burst=3000, queue=64_000, shape=math.inf) -> ForwardingGraph:
    return ForwardingGraph(in_label, out_label, rate, burst, queue, shape, 1514, SRC, DST)


def ipv4(ttl: int = 64, size: int = 60) -> bytes:
    header = bytearray(b"\x45\x00" + size.to_bytes(2, "big") + b"\x00\x01\x00\x00" + bytes([ttl, 17]) + b"\x00\x00"
                       + bytes([10, 0, 0, 1, 10, 0, 0, 2]))
    total = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, 20, 2))
    total = (total & 0xFFFF) + (total >> 16)
    header[10:12] = (~total & 0xFFFF).to_bytes(2, "big")
    return bytes(header) + bytes(size - 20)


def checksum_ok(header: bytes) -> bool:
    total = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, 20, 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total == 0xFFFF


def labelled(label: int, ttl: int, tc: int = 0, bottom: bool = True) -> bytearray:
    return bytearray(b"\xff" * 12 + b"\x88\x47" + mpls.LabelEntry(label, tc, bottom, ttl).pack() + ipv4())


@given(st.integers(0, mpls.LABEL_MAX), st.integers(0, 7), st.booleans(), st.integers(0, 255))
def test_label_entry_round_trip(label, tc, bottom, ttl):
    entry = mpls.LabelEntry(label, tc, bottom, ttl)
    assert mpls.LabelEntry.unpack(entry.pack()) == entry


@given(st.integers(0, mpls.LABEL_MAX), st.integers(0, mpls.LABEL_MAX), st.integers(0, 7), st.integers(0, 255))
def test_swap_keeps_tc_and_s_and_decrements_ttl(in_label, out_label, tc, ttl):
    frame = labelled(in_label, ttl, tc)
    if mpls.swap(frame, out_label):
        assert mpls.LabelEntry.unpack(frame, 14) == mpls.LabelEntry(out_label, tc, True, ttl - 1)
    else:
        assert ttl <= 1


def test_push_and_pop_route_the_ip_packet():
    pushed = mpls.push(bytearray(b"\xff" * 12 + b"\x08\x00" + ipv4(64)), 3003)
    assert mpls.LabelEntry.unpack(pushed, 14) == mpls.LabelEntry(3003, 0, True, 255)
    assert pushed[18 + 8] == 63 and checksum_ok(pushed[18:38])
    popped = mpls.pop(labelled(3003, 9))
    assert popped[12:14] == b"\x08\x00" and popped[14 + 8] == 63 and checksum_ok(popped[14:34])
    assert mpls.pop(labelled(3003, 9, bottom=False)) is None
    assert mpls.push(bytearray(b"\xff" * 12 + b"\x08\x00" + ipv4(1)), 3003) is None


def test_pipeline_classifies_swaps_and_rewrites_macs():
    pipe = Pipeline(graph(), now=0.0)
    for frame in (labelled(1001, 64), labelled(1002, 64), labelled(1001, 1), labelled(1001, 64, bottom=False)):
        pipe.receive(frame, 0.0)
    (out,) = pipe.ready(0.0)
    assert out[:12] == bytes.fromhex("020000000002020000000001")
    assert mpls.LabelEntry.unpack(out, 14) == mpls.LabelEntry(2002, 0, True, 63)
    assert (pipe.counters["matched"], pipe.counters["other"], pipe.counters["expired"]) == (2, 2, 1)


def test_pipeline_polices_bounds_the_queue_and_shapes():
    pipe = Pipeline(graph(rate=8_000 * 100, burst=1_000, queue=300, shape=8_000 * 10), now=0.0)
    for _ in range(20):  # 20 x 78 bytes at once: the bucket of 1000 bytes passes 12
        pipe.receive(labelled(1001, 64), 0.0)
    assert pipe.counters["policed"] == 8
    assert pipe.counters["queue_drops"] == 12 - 3  # 300 bytes hold 3 frames of 78
    assert len(pipe.ready(0.0)) == 3 and pipe.next_send(0.0) is None  # the shaper starts with 1514 bytes
    pipe.shaper.tokens = 0.0  # the shaper refills at 10,000 bytes/s: a 78-byte frame waits 7.8 ms
    pipe.receive(labelled(1001, 64), 30.0)
    pipe.shaper.stamp = 30.0
    assert pipe.ready(30.0) == [] and pipe.next_send(30.0) == pytest.approx(0.0078)
    assert len(pipe.ready(30.008)) == 1


def test_token_bucket_refills_at_its_rate():
    bucket = TokenBucket(8_000, 1_000, now=0.0)  # 1000 bytes/s
    assert bucket.take(1_000, 0.0) and not bucket.take(1, 0.0)
    assert bucket.delay(500, 0.0) == pytest.approx(0.5)
    assert bucket.take(500, 0.5)


def test_graph_json_round_trip_and_validation():
    g = graph(in_label=None, rate=1e6)
    assert ForwardingGraph.from_json(g.to_json()) == g and g.operation == "push"
    with pytest.raises(ValueError):
        graph(in_label=None, out_label=None)
    with pytest.raises(ValueError):
        graph(in_label=1 << 20)


DECL = re.compile(r"^(\w+) :: (\w+)(?:\((.*)\))?(?: -> (\w+))?;$")


def parse(config: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str]]]:
    """Declared elements (name -> class, args) and connection hops (from[port] -> to) of a Click config."""
    elements, edges = {}, []
    for statement in (s.strip() for line in config.splitlines() if not line.startswith("//")
                      for s in line.split(";") if s.strip()):
        match = DECL.match(statement + ";")
        if match and " -> " not in statement.split("::")[0]:
            elements[match[1]] = (match[2], match[3] or "")
            if match[4]:
                edges.append((match[1], match[4]))
            continue
        hops = [h.strip() for h in statement.split("->")]
        edges += list(itertools.pairwise(hops))
    return elements, edges


def test_click_swap_config_structure():
    config = click.render(graph(rate=1.6e6, shape=1.6e6, queue=6400))
    elements, edges = parse(config)
    assert elements["cl"] == ("Classifier", "12/8847 14/003e91%fffff1 !17/00 !17/01, -")
    assert elements["pol"] == ("BandwidthRatedSplitter", "200000Bps, BURST_BYTES 3000")
    assert elements["q"] == ("Queue", "100") and elements["shp"] == ("BandwidthShaper", "200000Bps")
    assert elements["mac"] == ("EtherRewrite", f"{SRC}, {DST}")
    assert len(elements["ttl"][1].split(",")) == 254
    stores = [(a, b) for a, b in edges if b.startswith("StoreData")]
    assert len(stores) == 254
    # ttl[k] matches TTL k+2 and writes label 2002, S=1, TTL k+1
    assert ("ttl[0]", "StoreData(14, \\<00 7d 21 01>)") in stores
    assert ("ttl[253]", "StoreData(14, \\<00 7d 21 fe>)") in stores
    assert ("q", "shp") in edges and ("shp", "out") in edges and ("pol[1]", "excess") in edges


def test_click_push_and_pop_configs():
    push = click.render(graph(in_label=None, out_label=3003))
    assert "cl :: Classifier(12/0800, -);" in push and "pol :: Null;" in push
    assert "Unstrip(4) -> StoreData(0, \\<00 bb b1 ff>) -> EtherEncap(0x8847" in push
    pop = click.render(graph(out_label=None))
    assert "Strip(18) -> CheckIPHeader -> DecIPTTL -> EtherEncap(0x0800" in pop and "q -> out;" in pop


def test_click_binary_accepts_config(tmp_path):
    binary = shutil.which("click")
    if binary is None:
        pytest.skip("no Click modular router binary on PATH (Click is built from source; see quasar-glue.md 2.1)")
    import subprocess

    path = tmp_path / "routelet.click"
    path.write_text(click.render(graph(rate=1e6, shape=1e6)))
    assert subprocess.run([binary, "-q", "-o", "/dev/null", str(path)], check=False, capture_output=True).returncode == 0
