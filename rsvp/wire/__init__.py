"""The RSVP wire codec: bytes <-> typed messages (RFC 2205, 2961, 3209, 3473 and more)."""

from .codec import decode, encode
from .errors import MalformedMessage
from .grammar import validate
from .message import Message, MsgType
from .model import ClassNum, RsvpObject, UnknownObject, UnknownRule

__all__ = ["decode", "encode", "validate", "MalformedMessage", "Message", "MsgType", "ClassNum", "RsvpObject", "UnknownObject", "UnknownRule"]
