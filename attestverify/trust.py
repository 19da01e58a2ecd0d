"""`Trust`: the anchors, untrusted intermediates and instant one path validation uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

__all__ = ["Trust"]


@dataclass(frozen=True, slots=True)
class Trust:
    """What a certificate path is validated against (resolved and checked, D1).

    Attributes:
        anchors: trust anchors for this format (bundled or given by the caller).
        intermediates: extra untrusted certificates for path building (never anchors).
        now: tz-aware instant used for every validity check.
    """

    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...]
    now: datetime
