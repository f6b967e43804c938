"""The sans-IO RSVP-TE engine: events in, actions out, time passed in (see node.py)."""

from .actions import Action, InstallLabel, RemoveLabel, Send
from .admission import Admission, BandwidthPolicy, Rejected, Request
from .config import EroHop, FlowRequest, Interface, IntServSession, NodeConfig, TrafficSpec, Tunnel, lifetime_s
from .events import (
    Event, LabelInstalled, LabelInstallFailed, LinkDown, LinkUp, MessageReceived, PacketReceived, ReservationRemoved,
    ReservationRequested, SenderAdded, SenderRemoved, ShutdownRequested, TunnelAdded, TunnelRemoved,
)
from .node import Node
from .routing import Route, Routes, StaticRoutes

__all__ = [
    "Action", "InstallLabel", "RemoveLabel", "Send", "Admission", "BandwidthPolicy", "Rejected", "Request",
    "EroHop", "FlowRequest", "Interface", "IntServSession", "NodeConfig", "TrafficSpec", "Tunnel", "lifetime_s",
    "Event", "LabelInstalled", "LabelInstallFailed", "LinkDown", "LinkUp", "MessageReceived", "PacketReceived", "ReservationRemoved",
    "ReservationRequested", "SenderAdded", "SenderRemoved", "ShutdownRequested", "TunnelAdded", "TunnelRemoved", "Node", "Route",
    "Routes", "StaticRoutes",
]
