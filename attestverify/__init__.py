"""attestverify: verify ACME `device-attest-01` attestation statements.

```python
import attestverify

identity = attestverify.verify(att_obj, key_authorization, identifier=order_identifier)
print(identity.format, identity.fingerprint, identity.identifiers)
```

Every failure raises `attestverify.AttestationError` (one subclass per stable `.code`).
"""

from __future__ import annotations

from ._version import __version__
from .api import FORMATS, verify
from .certificates import load_certificates
from .csr import verify_csr
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
from .inspection import inspect
from .payload import parse_challenge_payload

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
