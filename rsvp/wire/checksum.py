"""RFC 1071 Internet checksum as RSVP uses it (RFC 2205 section 3.1.1)."""

from __future__ import annotations


def internet_checksum(data: bytes) -> int:
    """One's complement of the one's-complement sum of 16-bit words.

    Uses the identity sum(w_i * 2**(16 i)) mod 0xFFFF == sum(w_i) mod 0xFFFF:
    one big-integer reduction instead of a Python loop over words.
    """
    if len(data) % 2:
        data += b"\x00"
    total = int.from_bytes(data, "big")
    folded = total % 0xFFFF
    if folded == 0 and total:
        folded = 0xFFFF  # a non-zero sum that is a multiple of 0xFFFF folds to 0xFFFF
    return ~folded & 0xFFFF
