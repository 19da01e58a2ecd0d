"""Every check id of attestverify in one table: its error code, what it checks, a typical fix.

`err.check` (and, for path validation, `err.rule`) names a row of `CHECKS`. The table is the one
source of the check reference page: `python -m attestverify.checks --markdown > docs/checks.md`
writes it, and the tests assert that the page is up to date and that every check id the package
raises is listed here with the code of the error class that raises it.

This module imports nothing else of the package.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["CHECKS", "GROUPS", "Check", "markdown"]


@dataclass(frozen=True)
class Check:
    """One check id.

    Attributes:
        id: the check id, e.g. `"T10"` (the value of `err.check`, or of `err.rule` for `P1`...`P10`).
        codes: the error codes it raises, the usual one first; empty for a step that never fails.
        summary: what it checks.
        fix: what an integrator typically does about a failure.
    """

    id: str
    codes: tuple[str, ...]
    summary: str
    fix: str


_M, _U, _C = "malformed", "unsupported-format", "untrusted-chain"
_CH, _S, _K, _P, _I = "challenge-mismatch", "bad-signature", "key-mismatch", "policy", "identifier-mismatch"

_DEVICE = "The client sent a broken statement: reject the challenge (`err.acme_problem()`); nothing to fix server-side."
_CHAIN = (
    "Check `roots=` (per format) and `intermediates=`, and `now`; `err.rule` names the path rule. "
    "A device whose CA you do not trust is correctly rejected."
)
_BINDING = (
    "Pass the key authorization of *this* challenge (`token.thumbprint`); a stale or replayed "
    "statement is correctly rejected."
)

_ROWS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    # --- verify(): arguments, decoding, dispatch
    ("D1", (_M,), "Caller arguments (raised as `UsageError`): `key_authorization` is `token.thumbprint`; `now` tz-aware; `roots` a mapping keyed by implemented formats, or an iterable with exactly one enabled format; certificate items are `x509.Certificate`; `formats` enables at least one implemented format; `statement` is bytes, str or a Mapping; option flags are `bool`; `load_certificates` sources.",
     "A bug or misconfiguration in your server, not the device: fix the call (the message says which argument). Do not turn it into an ACME problem for the client."),
    ("D2", (_M,), "Statement input form and size: 1 ... 65 536 bytes; a `str` is unpadded base64url (no `=`, `+`, `/`, whitespace) of at most 87 382 characters.",
     "Pass the `attObj` string exactly as the payload carries it (`parse_challenge_payload`), or the decoded CBOR bytes. Otherwise: " + _DEVICE),
    ("D3", (_M,), "CBOR decoding: exactly one data item, nesting at most 16, at most 256 entries per container, no tags, no floats, no duplicate map keys, valid UTF-8.", _DEVICE),
    ("D4", (_M,), "The top level is a map with a text `fmt`.", _DEVICE),
    ("D5", (_U,), "`fmt` is implemented and enabled by `formats=` (exact case).",
     "Enable the format in `formats=` if you mean to accept it; otherwise the rejection is intended."),
    ("D6", (_M,), "`attStmt` is present and a map with text keys.", _DEVICE),
    ("D7", (_I,), "`identifier=` is among the attested identifiers of the requested type (permanent-identifier unless `identifier_type` says otherwise).",
     "Compare the order identifier with `identity.identifiers`; a hardware-module identifier needs `identifier_type=\"hardware-module\"`. A device attesting another identity is correctly rejected."),
    # --- apple
    ("A1", (_M,), "apple: `x5c` present, an array of 1 ... 10 byte strings.", _DEVICE),
    ("A2", (_M,), "apple: every `x5c` element is a strict DER certificate.", _DEVICE),
    ("A3", (_C,), "apple: the chain validates from `x5c[0]` to the Apple Enterprise Attestation Root CA (or your `roots[\"apple\"]`) at `now`.", _CHAIN),
    ("A4", (_P,), "apple: the leaf is not a CA and its key is EC P-256 or P-384.", "Not a Secure Enclave key: correctly rejected."),
    ("A5", (_M,), "apple: the serial number and UDID extensions decode as strict UTF-8.", _DEVICE),
    ("A6", (_CH,), "apple: the freshness code (OID 1.2.840.113635.100.8.11.1) equals SHA-256 of the ACME token; absent only with `apple_require_nonce=False` (relaxation `apple-nonce-absent`).", _BINDING),
    ("A7", (), "apple: builds the identity; `identifiers` = UDID and serial number when they are valid ACME values.", "Never fails."),
    # --- step
    ("S1", (_M,), "step: `x5c` present, an array of 1 ... 10 byte strings.", _DEVICE),
    ("S2", (_M,), "step: every `x5c` element is a strict DER certificate.", _DEVICE),
    ("S3", (_M,), "step: `sig` is a byte string (at most 1 024 bytes) holding exactly one CBOR byte string.", _DEVICE),
    ("S4", (_C,), "step: the chain validates to the Yubico roots (or your `roots[\"step\"]`), with the bundled 5.7.4+ intermediates and relaxation `yubikey-legacy-f9`.", _CHAIN + " Managed devices chain to your own CA: pass it as `roots={\"step\": ...}`."),
    ("S5", (_P,), "step: the leaf is not a CA; its key is EC P-256, RSA 2 048 ... 4 096 (no ROCA fingerprint, firmware 4.3.5 or later) or Ed25519.", "A weak or vulnerable key (ROCA-affected YubiKey): correctly rejected; the device needs a new key or replacement."),
    ("S6", (_S,), "step: `sig` verifies with the leaf key over the UTF-8 key authorization.", _BINDING),
    ("S7", (_M,), "step: the serial (YubiKey 41482.3.7 or smallstep managed-device id) decodes strictly.", _DEVICE),
    ("S8", (), "step: YubiKey details (firmware, PIN and touch policy, form factor); informational.", "Never fails."),
    # --- tpm
    ("T1", (_M,), "tpm: `ver` is the text \"2.0\".", _DEVICE),
    ("T2", (_M, _P), "tpm: `alg` is -257 (RS256), -7 (ES256) or -65535 (RS1); RS1 is `policy` with `tpm_allow_rs1=False` and recorded as relaxation `tpm-rs1` when accepted.", "For `policy`: allow RS1 (the default) if you accept SHA-1 AK signatures. Otherwise: " + _DEVICE),
    ("T3", (_M,), "tpm: `x5c` as A1/A2.", _DEVICE),
    ("T4", (_M,), "tpm: `sig`, `certInfo` and `pubArea` are byte strings of 1 ... 2 048 bytes.", _DEVICE),
    ("T5", (_C,), "tpm: the AK certificate chain validates to the Microsoft TPM root (or your `roots[\"tpm\"]`), SHA-1 only with `tpm_allow_sha1_chain=True`.", _CHAIN + " AK certificates from your own attestation CA need `roots={\"tpm\": load_certificates(...)}`; never pass TPM manufacturer EK roots."),
    ("T6", (_P,), "tpm: AK certificate profile: v3, empty subject, not a CA, EKU 2.23.133.8.3, TPM manufacturer/model/version in the SAN, RSA 2 048 ... 4 096 without ROCA fingerprint or EC P-256/384/521.", "Your attestation CA issues non-conforming AK certificates: fix its profile."),
    ("T7", (_M,), "tpm: PermanentIdentifier / HardwareModuleName otherNames in the AK SAN decode strictly.", "Your attestation CA encodes identities wrongly: fix its profile. Otherwise: " + _DEVICE),
    ("T8", (_M,), "tpm: `pubArea`, `certInfo` and `sig` parse exactly (magic, type, reserved attribute bits zero, no trailing bytes).", _DEVICE),
    ("T9", (_S, _P), "tpm: the AK signature over `certInfo` verifies with the `alg` hash; `policy` when the crypto backend refuses SHA-1.", "`policy`: your OpenSSL policy forbids SHA-1; use RS256 AKs. Otherwise: " + _DEVICE),
    ("T10", (_CH,), "tpm: `extraData` equals SHA-256 of the UTF-8 key authorization (constant time).", _BINDING + " Statements bound otherwise (WebAuthn) go through `tpm.verify_certify`."),
    ("T11", (_P,), "tpm: `pubArea.nameAlg` is SHA-256, SHA-384 or SHA-512.", "Create the attested key with a SHA-256 (or stronger) name algorithm."),
    ("T12", (_K,), "tpm: the certified name equals the name of `pubArea` (so the AK certified this very key).", "The statement mixes keys: correctly rejected."),
    ("T13", (_P,), "tpm: attested key attributes (fixedTPM, fixedParent, sensitiveDataOrigin set; restricted clear; symmetric NULL), RSA 2 048 ... 4 096 without ROCA fingerprint or EC P-256/384/521.", "Create the key inside the TPM as a non-restricted, non-duplicable signing key."),
    ("T14", (_M,), "tpm: the attested public key is valid (point on the curve, valid modulus).", _DEVICE),
    # --- android-key
    ("K1", (_M,), "android-key: `x5c` present, an array of 1 ... 10 byte strings.", _DEVICE),
    ("K2", (_M,), "android-key: every `x5c` element is a strict DER certificate.", _DEVICE),
    ("K3", (_M,), "android-key: `sig` is a byte string of 1 ... 1 024 bytes.", _DEVICE),
    ("K4", (_C,), "android-key: the chain validates to the Google hardware attestation roots (relaxation `android-batch-not-ca`).", _CHAIN),
    ("K5", (_C,), "android-key: no certificate of the path is listed in the attestation status list; unchecked only with `STATUS_UNCHECKED` (relaxation `android-status-unchecked`).", "A revoked or suspended attestation key: correctly rejected. Keep your cached status list fresh."),
    ("K6", (_P, _M), "android-key: the leaf, and only the leaf, carries a decodable KeyDescription extension.", _DEVICE),
    ("K7", (_P,), "android-key: the leaf is not a CA; its key is EC P-256/384/521, RSA 2 048 ... 4 096 without ROCA fingerprint, or Ed25519.", "A weak key: correctly rejected."),
    ("K8", (_P,), "android-key: attestation and KeyMint security levels are TrustedEnvironment or StrongBox, not Software.", "A software-backed key: correctly rejected."),
    ("K9", (_P,), "android-key: hardware-enforced origin GENERATED, purpose SIGN, no allApplications.", "Generate the key in Keystore (not imported) with purpose SIGN."),
    ("K10", (_P,), "android-key: verified boot state Verified and device locked; unverified boot only with `android_allow_unverified_boot=True` (relaxation `android-unverified-boot`).", "An unlocked or modified device: correctly rejected unless you allow it."),
    ("K11", (_CH,), "android-key: attestationChallenge equals the UTF-8 key authorization (constant time).", _BINDING),
    ("K12", (_S,), "android-key: `sig` verifies with the leaf key over the key authorization (ECDSA or RSA PKCS#1 v1.5 with SHA-256, or Ed25519).", "Clients must authorise digest SHA-256 (and PKCS#1 v1.5 padding for RSA) when generating the key."),
    ("K13", (_M,), "android-key: builds the identity; the hardware-enforced attestationIdSerial is strict UTF-8.", _DEVICE),
    # --- verify_csr
    ("C1", (_M,), "verify_csr: the CSR parses (DER, PEM with one CERTIFICATE REQUEST block, or unpadded base64url).", "Pass the finalize payload's `csr` member as is, or its DER/PEM. Otherwise the client sent a broken CSR: answer `badCSR`."),
    ("C2", (_S,), "verify_csr: the CSR self-signature verifies.", "The client sent a broken CSR: answer `badCSR`."),
    ("C3", (_K,), "verify_csr: the CSR key equals the attested key (`identity.public_key_der`, constant time).", "Pass the identity of *this* authorization; a CSR for another key is correctly rejected."),
    ("C4", (_I,), "verify_csr: with `identifier`, it is among the identity's identifiers of the requested type (unless `match_identity=False`).", "Pass the order identifier and the identity verified for it."),
    ("C5", (_I,), "verify_csr: with `identifier`, every non-empty subject CN equals it.", "The client asked for another name: answer `badCSR`."),
    ("C6", (_I,), "verify_csr: each PermanentIdentifier / HardwareModuleName SAN in the CSR is a valid value, equals `identifier` and is attested with its own type.", "The client asked for an identity it did not attest: answer `badCSR`."),
    ("C7", (_P,), "verify_csr: an identifier SAN is present with `forbid_identifier_in_csr`, or absent with `require_identifier_in_csr`.", "Align the option with your certificate profile, or answer `badCSR`."),
    ("C8", (_P,), "verify_csr: no other subjectAltName names (dNSName, rfc822Name, URI, IP, UPN ...) unless `allow_other_sans=True`.", "Answer `badCSR`, or allow other SANs if your profile copies none of them."),
    ("C9", (_P,), "verify_csr: no requested extension a CA must never honour (cA=TRUE, keyCertSign/cRLSign, anyExtendedKeyUsage, nameConstraints, issuerAltName, unknown critical extensions) and no Microsoft `SAN:` enrollment attribute.", "The CSR asks for CA powers or a smuggled SAN: answer `badCSR`; never copy CSR extensions into certificates."),
    # --- certificate path validation profile (err.rule)
    ("P1", (_C,), "Path rule: anchors are only the format's roots, each a CA valid at `now`; no `x5c` certificate is ever an anchor.", _CHAIN),
    ("P2", (_C,), "Path rule: leaf = `x5c[0]`; issuers from `x5c[1:]` and `intermediates`; at most 8 certificates between leaf and anchor.", "Pass the missing intermediate CA with `intermediates=`. " + _CHAIN),
    ("P3", (_C,), "Path rule: each signature verifies under the issuer's key and names chain.", _CHAIN),
    ("P4", (_C,), "Path rule: every certificate, anchor included, is valid at `now` (inclusive, no skew).", "Check the clock or the `now=` you pass; an expired device certificate is correctly rejected."),
    ("P5", (_C,), "Path rule: issuers are v3 CAs (basicConstraints cA=TRUE); pathLenConstraint and nameConstraints are honoured.", _CHAIN),
    ("P6", (_C,), "Path rule: no unknown critical extension anywhere.", _CHAIN),
    ("P7", (_C,), "Path rule: signatures RSA PKCS#1 v1.5 / PSS or ECDSA with SHA-256/384/512; issuer keys RSA 2 048 ... 8 192 or EC P-256/384/521 (SHA-1 only with relaxation `tpm-sha1-chain`).", "A weak CA: correctly rejected (for legacy SHA-1 TPM CAs, `tpm_allow_sha1_chain=True`)."),
    ("P8", (_C,), "Path rule: no EKU or keyCertSign requirement on the path.", "Never fails on its own."),
    ("P9", (_C,), "Path rule: the leaf is not itself an anchor (a self-signed leaf fails).", _CHAIN),
    ("P10", (_C,), "Path rule: no revocation or certificate fetching; nothing is downloaded.", "Pass every CA the path needs; check revocation yourself if your policy requires it."),
    # --- other functions
    ("R1", (_M,), "DeviceIdentity.from_record: the stored record has exactly the shape of record version 1 and its key matches its fingerprint.", "The stored record is corrupt or from another version: re-run the verification."),
    ("I1", (_M,), "parse_identifier: the identifier value follows the draft-09 syntax (`device-id[/OID]`, `serial/OID`).", "Answer the newOrder with ACME `malformed`."),
    ("J1", (_M,), "parse_challenge_payload: the payload is JSON (at most 1 MiB, nesting 64) with a string `attObj` and no `error` member.", "The client sent a broken payload, or reported an attestation failure in `error`: reject the challenge."),
)  # fmt: skip

CHECKS: Mapping[str, Check] = MappingProxyType({row[0]: Check(*row) for row in _ROWS})
"""Every check id, in reference order."""

GROUPS: tuple[tuple[str, str], ...] = (
    ("D", "verify(): arguments, decoding, dispatch"),
    ("A", "apple"),
    ("S", "step"),
    ("T", "tpm"),
    ("K", "android-key"),
    ("C", "verify_csr"),
    ("P", "certificate path validation (err.rule)"),
    ("R", "identity records"),
    ("I", "identifier syntax"),
    ("J", "challenge payload"),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The check reference page (docs/checks.md) as Markdown."""
    lines = [
        "# Check reference",
        "",
        "<!-- Generated by `python -m attestverify.checks --markdown > docs/checks.md`"
        " from attestverify/checks.py; do not edit. -->",
        "",
        "Every `AttestationError` carries the id of the check that failed in `err.check` (path",
        "validation failures also name the path rule in `err.rule`). Callers branch on `err.code`;",
        "the check id tells you, or your logs, *why*. Each row names the code(s) the check raises,",
        "what it checks and what an integrator typically does about it.",
        "",
    ]
    for prefix, title in GROUPS:
        rows = [c for c in CHECKS.values() if c.id.startswith(prefix)]
        lines += [
            f"## {prefix}: {title}",
            "",
            "| check | code | what it checks | typical fix |",
            "|---|---|---|---|",
        ]
        for check in rows:
            codes = ", ".join(f"`{c}`" for c in check.codes) or "—"
            lines.append(f"| {check.id} | {codes} | {_cell(check.summary)} | {_cell(check.fix)} |")
        lines.append("")
    lines += ["## By error code", "", "| code | checks |", "|---|---|"]
    by_code: dict[str, list[str]] = {}
    for check in CHECKS.values():
        for code in check.codes:
            by_code.setdefault(code, []).append(check.id)
    for code, ids in by_code.items():
        lines.append(f"| `{code}` | {', '.join(ids)} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m attestverify.checks --markdown`: print docs/checks.md."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["--markdown"]:
        print("usage: python -m attestverify.checks --markdown > docs/checks.md", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
