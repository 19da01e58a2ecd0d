"""What a format verifier receives from `verify()`: the key authorization, trust and options.

`api.py` turns the caller's arguments into one `Context` (after check D1), so each format
module sees only validated, concrete values and never re-parses caller arguments. Format options
stay with their format: `options` carries `verify()`'s option flags by keyword name, and each
format builds its own `Options` from the names it knows, so a new format does not edit this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from cryptography import x509

from .trust import Trust

__all__ = ["Context"]


@dataclass(frozen=True, slots=True)
class Context:
    """Validated inputs of one verification.

    Attributes:
        key_authorization: the RFC 8555 key authorization `token.thumbprint` (syntax checked).
        now: tz-aware instant used for every validity check.
        anchors: trust anchors for this format (bundled or given by the caller).
        intermediates: extra untrusted certificates for path building (never anchors).
        options: `verify()`'s options by keyword name (`"apple_require_nonce"`, ...): flags as a
            checked `bool`, other values (`"android_status"`) checked by `verify()`; a name that
            is absent takes the format's default.
    """

    key_authorization: str
    now: datetime
    anchors: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def token(self) -> str:
        """The ACME challenge token: the part of the key authorization before the `.`."""
        return self.key_authorization.split(".", 1)[0]

    @property
    def trust(self) -> Trust:
        """The anchors, intermediates and instant as one `Trust`."""
        return Trust(anchors=tuple(self.anchors), intermediates=tuple(self.intermediates), now=self.now)

    def flag(self, name: str, default: bool) -> bool:
        """The option flag `name`, or `default` when `verify()` did not pass it."""
        value = self.options.get(name, default)
        return value if isinstance(value, bool) else default

    def setting(self, name: str) -> object:
        """The non-flag option `name` as `verify()` checked it, or `None` when it was not passed."""
        return self.options.get(name)
