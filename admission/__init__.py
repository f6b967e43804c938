"""Admission control: Int-serv arithmetic, a capacity ledger and the policies built on it.

Policies satisfy :class:`rsvp.engine.admission.Admission` and are loaded by
name through :mod:`admission.registry` (``bandwidth``, ``quasar``, and any
third-party ``quasar_rsvp.admission`` entry point).  Pure: no I/O, no clock.
See docs/admission.md.
"""
