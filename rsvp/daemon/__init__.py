"""rsvpd: the RSVP-TE router daemon (trio) around the sans-IO engine.

Modules: ``config`` (strict TOML), ``transport`` (raw IPv4 protocol 46 with
Router Alert), ``routes`` (the kernel routing table as engine ``Routes``),
``performers`` (label/routelet backends), ``policies`` (admission by name),
``runner`` (the task that owns the engine), ``control`` (the Unix control
socket), ``metrics``, ``logs``, ``demo`` and ``testbed``; ``cli`` is ``rsvpd``.
Operator documentation: ``docs/daemon.md``.
"""
