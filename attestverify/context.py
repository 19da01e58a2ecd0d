"""What a format verifier receives from `verify()`: resolved anchors, time and options.

`api.py` turns the caller's arguments into one `Context` (after check D1), so each format
module sees only validated, concrete values and never re-parses caller arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

__all__ = ["Context"]


@dataclass(frozen=True, slots=True)
class Context:
    """Validated inputs of one verification.

    Attributes:
        key_authorization: the RFC 8555 key authorization `token.thumbprint` (syntax checked).
        now: tz-aware instant used for every validity check.
        anchors: trust anchors for this format (bundled or given by the caller).
        intermediates: extra untrusted certificates for path building (never anchors).
        apple_require_nonce: `apple` A6; `False` accepts a statement without freshness code.
        step_allow_legacy_f9: `step` relaxation (a), the YubiKey F9 without basicConstraints.
        tpm_allow_rs1: `tpm` accepts alg -65535 (RS1) for the AK signature.
        tpm_allow_sha1_chain: `tpm` relaxation (b), SHA-1 signatures on the AK certificate path.
    """

    key_authorization: str
    now: datetime
    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    apple_require_nonce: bool = True
    step_allow_legacy_f9: bool = True
    tpm_allow_rs1: bool = True
    tpm_allow_sha1_chain: bool = False

    @property
    def token(self) -> str:
        """The ACME challenge token: the part of the key authorization before the `.`."""
        return self.key_authorization.split(".", 1)[0]
