"""rsvpctl: the operator's client for rsvpd's control socket (``client``), and the text tables (``tables``)."""
