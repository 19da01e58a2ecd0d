"""attestverify: verify ACME `device-attest-01` attestation statements.

```python
import attestverify

identity = attestverify.verify(att_obj, key_authorization, identifier=order_identifier)
print(identity.format, identity.fingerprint, identity.identifiers)
```

Every failure raises `attestverify.AttestationError` (one subclass per stable `.code`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .api import FORMATS, verify
from .errors import (
    AttestationError,
    BadSignatureError,
    ChallengeMismatchError,
    IdentifierMismatchError,
    KeyMismatchError,
    MalformedError,
    PolicyError,
    UnsupportedFormatError,
    UntrustedChainError,
    UsageError,
)
from .identifiers import format_identifier, parse_identifier
from .identity import (
    AcmeIdentifier,
    AndroidDetails,
    AppleDetails,
    DeviceIdentity,
    FormFactor,
    HardwareModuleName,
    PermanentIdentifier,
    PinPolicy,
    StepDetails,
    TouchPolicy,
    TpmDetails,
    fingerprint,
)

if TYPE_CHECKING:
    from .certificates import load_certificates
    from .csr import verify_csr
    from .inspection import inspect
    from .payload import parse_challenge_payload

# Loaded on first access: `verify()` needs none of them (import time, issue 14).
_LAZY = {
    "inspect": "inspection",
    "load_certificates": "certificates",
    "parse_challenge_payload": "payload",
    "verify_csr": "csr",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "FORMATS",
    "AcmeIdentifier",
    "AndroidDetails",
    "AppleDetails",
    "AttestationError",
    "BadSignatureError",
    "ChallengeMismatchError",
    "DeviceIdentity",
    "FormFactor",
    "HardwareModuleName",
    "IdentifierMismatchError",
    "KeyMismatchError",
    "MalformedError",
    "PermanentIdentifier",
    "PinPolicy",
    "PolicyError",
    "StepDetails",
    "TouchPolicy",
    "TpmDetails",
    "UnsupportedFormatError",
    "UntrustedChainError",
    "UsageError",
    "fingerprint",
    "format_identifier",
    "inspect",
    "load_certificates",
    "parse_challenge_payload",
    "parse_identifier",
    "verify",
    "verify_csr",
]
