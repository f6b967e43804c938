"""The one exception the codec raises for bad input."""

from __future__ import annotations


class MalformedMessage(Exception):
    """Bytes (or a decoded message) that RSVP cannot accept.

    ``error_code`` / ``error_value`` are the RFC 2205 ERROR_SPEC values a router
    would send back (for example 13 / class*256+C-Type for an unknown object class,
    RFC 2205 section 3.10), or ``None`` where no error message applies (framing
    damage is silently dropped).  ``offset`` is the byte offset into the message
    where the problem was found; ``class_num`` / ``c_type`` name the object.
    """

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        class_num: int | None = None,
        c_type: int | None = None,
        error_code: int | None = None,
        error_value: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.class_num = class_num
        self.c_type = c_type
        self.error_code = error_code
        self.error_value = error_value

    def at(self, base: int, class_num: int | None = None, c_type: int | None = None) -> MalformedMessage:
        """Re-anchor an error found inside an object body at message offset ``base``."""
        self.offset = base + (self.offset or 0)
        if self.class_num is None:
            self.class_num, self.c_type = class_num, c_type
        return self

    def __str__(self) -> str:
        where = []
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        if self.class_num is not None:
            where.append(f"object {self.class_num}/{self.c_type}")
        if self.error_code is not None:
            where.append(f"error {self.error_code}/{self.error_value}")
        return f"{self.reason} ({', '.join(where)})" if where else self.reason
