"""libvirt domain XML for a paravirtualised Xen routelet, and its ``<metadata>`` record.

The same XML is accepted unchanged by the ``test:///default`` driver
(``reference/quasar-glue.md`` section 1.2).  ``<cputune><shares>`` is the boot
credit weight, clamped to [2, 65535] (libvirt's floor, Xen's ceiling);
``<memory>`` is the maximum a pooled domain can be grown to and
``<currentMemory>`` what it holds now (no ballooning is relied on).  The
reservation and the routelet's Click configuration travel in ``<metadata>``
under :data:`NAMESPACE`.
"""

from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET

from quasar_glue.config import GlueConfig
from quasar_glue.model import Routelet

NAMESPACE = "urn:quasar-rsvp:routelet:1"
PREFIX = "quasar"
BOOT_WEIGHT_RANGE = (2, 65_535)
DEFAULT_WEIGHT = 256  # the credit scheduler's default


def boot_weight(weight: int) -> int:
    return min(max(weight, BOOT_WEIGHT_RANGE[0]), BOOT_WEIGHT_RANGE[1])


def domain(name: str, config: GlueConfig, memory_bytes: int, weight: int, uuid: str | None = None) -> str:
    """The domain's XML; ``uuid`` is given when redefining an existing domain (libvirt keys on it)."""
    root = ET.Element("domain", type="xen")
    ET.SubElement(root, "name").text = name
    if uuid is not None:
        ET.SubElement(root, "uuid").text = uuid
    ET.SubElement(root, "memory", unit="KiB").text = str(config.max_memory_bytes // 1024)
    ET.SubElement(root, "currentMemory", unit="KiB").text = str(memory_bytes // 1024)
    ET.SubElement(root, "vcpu").text = "1"
    ET.SubElement(ET.SubElement(root, "cputune"), "shares").text = str(boot_weight(weight))
    os_ = ET.SubElement(root, "os")
    ET.SubElement(os_, "type", arch="x86_64", machine="xenpv").text = "xen"
    ET.SubElement(os_, "kernel").text = config.kernel
    ET.SubElement(os_, "initrd").text = config.initrd
    ET.SubElement(os_, "cmdline").text = f"console=hvc0 quasar.routelet={name}"
    ET.SubElement(root, "on_crash").text = "destroy"
    interface = ET.SubElement(ET.SubElement(root, "devices"), "interface", type="bridge")
    ET.SubElement(interface, "source", bridge=config.bridge)
    ET.SubElement(interface, "script", path="vif-bridge")
    return ET.tostring(root, encoding="unicode")


def metadata(routelet: Routelet, click: str | None) -> str:
    """The ``<routelet>`` element stored under :data:`NAMESPACE` (unqualified; libvirt adds the prefix)."""
    root = ET.Element("routelet", state=routelet.state.value)
    if routelet.handle is not None:
        ET.SubElement(root, "handle").text = str(routelet.handle)
        for field in ("in_label", "out_label", "out_interface", "next_hop"):
            value = getattr(routelet, field)
            if value is not None:
                ET.SubElement(root, field).text = str(value)
        ET.SubElement(root, "bandwidth_bps").text = repr(routelet.bandwidth_bps)
    if routelet.shares is not None:
        shares = ET.SubElement(root, "shares")
        for key, value in dataclasses.asdict(routelet.shares).items():
            shares.set(key, "inf" if value == math.inf else repr(value))
    if click is not None:
        ET.SubElement(root, "click").text = click
    return ET.tostring(root, encoding="unicode")


def interface(xml_desc: str) -> tuple[str | None, str | None]:
    """(MAC, dom0 vif name) of the domain's first interface, from its live XML."""
    found = ET.fromstring(xml_desc).find("devices/interface")
    if found is None:
        return None, None
    mac, target = found.find("mac"), found.find("target")
    return (None if mac is None else mac.get("address")), (None if target is None else target.get("dev"))
