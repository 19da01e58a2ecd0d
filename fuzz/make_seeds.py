"""Write the seed corpora of the fuzz harnesses.

    python fuzz/make_seeds.py            # full corpora into fuzz/corpus-work/<harness>/ (gitignored)
    python fuzz/make_seeds.py --commit   # also rewrite the small committed set fuzz/seeds/

Sources: the real vectors in testdata/ (Windows TPM statements wrapped as ACME attStmts, the
YubiKey chains wrapped as `step` statements with a dummy signature, the Apple leaf, the swtpm
fixtures, the Android chains with a dummy signature) and statements generated with the test PKI
builders of tests/ (pki, apple_pki, yubikey_pki, tpm_pki, android_pki). Generated keys are
random, so `--commit` also rewrites
`fuzz/seeds/_pki/` (the test anchors, the known legitimate identities, the times) in the same
run: the committed seeds and their PKI always belong together.

Seed layouts follow each harness's input layout (see the harness docstrings).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import pathlib
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import android_pki  # noqa: E402
import apple_pki  # noqa: E402
import cbor2  # noqa: E402
import pki  # noqa: E402
import tpm_pki  # noqa: E402
import vectors  # noqa: E402
import yubikey_pki  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

import attestverify  # noqa: E402
from attestverify import tpm  # noqa: E402
from attestverify.android import STATUS_UNCHECKED  # noqa: E402
from attestverify.tpm import structures  # noqa: E402

WORK = REPO / "fuzz" / "corpus-work"
SEEDS = REPO / "fuzz" / "seeds"
PKI_DIR = SEEDS / "_pki"
MAX_COMMITTED_PER_HARNESS = 40
DUMMY_SIG = cbor2.dumps(bytes.fromhex("3006020101020101"))  # a well-formed but wrong ECDSA signature


@dataclass
class Statement:
    """One attStmt with what a harness needs to replay it."""

    label: str
    fmt: str
    att_stmt: dict[str, Any]
    test_roots: bool  # anchors: the seed PKI (True) or the bundled roots (False)
    time_index: int
    extra_data: bytes | None = None  # tpm: the extraData it binds, when not SHA-256(KA)
    real: bool = False

    def att_obj(self) -> bytes:
        return cbor2.dumps({"fmt": self.fmt, "attStmt": self.att_stmt})


@dataclass
class Collected:
    statements: list[Statement] = field(default_factory=list)
    roots: dict[str, list[x509.Certificate]] = field(
        default_factory=lambda: {"apple": [], "step": [], "tpm": [], "android-key": []}
    )
    times: list[str] = field(default_factory=list)

    def time_index(self, when: Any) -> int:
        iso = when.isoformat()
        if iso not in self.times:
            self.times.append(iso)
        return 1 + self.times.index(iso)  # index 0 is tests/pki.py NOW


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _real(c: Collected) -> None:
    for vid in vectors.vector_ids("tpm/webauthn-"):
        vec = vectors.load_vector(vid)
        folder = vectors.TESTDATA / "vectors" / vid
        doc = json.loads((folder / "attstmt.json").read_text())
        stmt = {
            "ver": doc["ver"] or "2.0",  # one source omits it; the T1 value is not under test
            "alg": int(doc["alg"]),
            "x5c": vec.x5c_der,
            "sig": bytes.fromhex(doc["sig_hex"]),
            "certInfo": bytes.fromhex(doc["certInfo_hex"]),
            "pubArea": bytes.fromhex(doc["pubArea_hex"]),
        }
        extra = structures.TpmsAttest.parse(stmt["certInfo"]).extra_data
        c.statements.append(Statement(vid, "tpm", stmt, False, c.time_index(vec.now), bytes(extra), True))
    for vid in vectors.vector_ids("step/"):
        vec = vectors.load_vector(vid)
        stmt = {"alg": -7, "sig": DUMMY_SIG, "x5c": vec.x5c_der}
        c.statements.append(Statement(vid, "step", stmt, False, c.time_index(vec.now), real=True))
    for vid in vectors.vector_ids("android-key/"):  # K10-K12 fail (no ACME binding); Sony needs (d)
        vec = vectors.load_vector(vid)
        stmt = {"alg": -7, "sig": b"\x30\x06\x02\x01\x01\x02\x01\x01", "x5c": vec.x5c_der}
        c.statements.append(Statement(vid, "android-key", stmt, False, c.time_index(vec.now), real=True))
    for vid in vectors.vector_ids("apple/"):
        vec = vectors.load_vector(vid)
        stmt = {"x5c": vec.x5c_der}
        c.statements.append(Statement(vid, "apple", stmt, False, c.time_index(vec.now), real=True))


def _swtpm(c: Collected) -> None:
    folder = REPO / "testdata" / "swtpm-generated"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        doc = json.loads(path.read_text())
        if doc.get("key_authorization") != pki.KEY_AUTHORIZATION:
            continue
        top = cbor2.loads(bytes.fromhex(doc["attobj_hex"]))
        c.roots["tpm"].append(x509.load_pem_x509_certificate(doc["root_pem"].encode()))
        c.statements.append(Statement(f"swtpm-{path.stem}", "tpm", top["attStmt"], True, 0))


def _generated(c: Collected) -> None:
    root, sub = apple_pki.hierarchy()
    c.roots["apple"].append(root.cert)
    leaf = apple_pki.leaf()
    c.statements.append(Statement("gen-apple", "apple", {"x5c": [leaf.der, sub.der]}, True, 0))
    no_nonce = apple_pki.leaf(values={apple_pki.P + "11.1": None})
    c.statements.append(Statement("gen-apple-no-nonce", "apple", {"x5c": [no_nonce.der, sub.der]}, True, 0))

    trees = {
        "p256": yubikey_pki.legacy_tree("p256"),
        "rsa": yubikey_pki.legacy_tree("rsa2048"),
        "ed25519": yubikey_pki.legacy_tree("ed25519"),
        "legacy-f9": yubikey_pki.legacy_tree("p256", legacy_f9=True),
        "574": yubikey_pki.tree_574("p256"),
        "managed": yubikey_pki.managed_device_tree(),
    }
    for label, tree in trees.items():
        if tree.root.cert not in c.roots["step"]:
            c.roots["step"].append(tree.root.cert)
        x5c = [tree.leaf.der, tree.f9.der, *(i.der for i in reversed(tree.intermediates))]
        stmt = {"alg": -7, "sig": cbor2.dumps(yubikey_pki.sign(tree.leaf.key)), "x5c": x5c}
        c.statements.append(Statement(f"gen-step-{label}", "step", stmt, True, 0))

    tpm_root, _ = tpm_pki.test_ca()
    c.roots["tpm"].append(tpm_root.cert)
    rsa_ak = pki.rsa_key(2048, "tpm-ak")
    variants = {
        "ecc-ecc": tpm_pki.statement(),
        "rsa-ak": tpm_pki.statement(ak=rsa_ak, alg=-257),
        "rsa-key": tpm_pki.statement(attested=pki.rsa_key(2048, "tpm-attested"), alg=-7),
        "rs1": tpm_pki.statement(ak=rsa_ak, alg=-65535),
        "permanent-id": tpm_pki.statement(
            san=[
                *tpm_pki.tpm_directory(),
                tpm_pki.permanent_identifier_san("device-42", "1.3.6.1.4.1.99999.1"),
            ]
        ),
        "hardware-module": tpm_pki.statement(
            san=[*tpm_pki.tpm_directory(), tpm_pki.hardware_module_san("1.3.6.1.4.1.99999.2", b"hsm-7")]
        ),
    }
    for label, st in variants.items():
        c.statements.append(Statement(f"gen-tpm-{label}", "tpm", st.att_stmt, True, 0))

    android_trees = {kind: android_pki.batch_tree(kind) for kind in ("p256", "p384", "rsa2048", "ed25519")}
    android_trees["rkp"] = android_pki.rkp_tree()
    for label, atree in android_trees.items():
        if atree.root.cert not in c.roots["android-key"]:
            c.roots["android-key"].append(atree.root.cert)
        stmt = android_pki.statement(atree)["attStmt"]
        c.statements.append(Statement(f"gen-android-{label}", "android-key", stmt, True, 0))  # type: ignore[arg-type]


def _known_identities(c: Collected) -> list[dict[str, Any]]:
    """Verify every legitimate seed as its harness would; the results are the only acceptances."""
    times = [pki.NOW] + [vectors.dt.datetime.fromisoformat(t) for t in c.times]
    known: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for st in c.statements:
        now = times[st.time_index]
        try:
            if st.extra_data is not None:
                identity = tpm.verify_certify(st.att_stmt, st.extra_data, now=now)
            elif st.test_roots:
                android = (
                    {"formats": (st.fmt,), "android_status": STATUS_UNCHECKED}
                    if st.fmt == "android-key"
                    else {}
                )
                identity = attestverify.verify(
                    st.att_obj(), pki.KEY_AUTHORIZATION, roots={st.fmt: c.roots[st.fmt]}, now=now,
                    apple_require_nonce=not st.label.endswith("no-nonce"), **android,
                )  # fmt: skip
            else:
                continue  # real apple/step material cannot be bound to a key authorization
        except attestverify.AttestationError as err:
            print(f"  seed {st.label} does not verify ({err.code} {err.check}); kept as a negative seed")
            continue
        key = (identity.fingerprint, identity.identifiers)
        known[key] = {"fingerprint": key[0], "identifiers": list(key[1]), "seed": st.label}
    return list(known.values())


def _options(st: Statement, certify: bool = False) -> int:
    value = 0x01 if st.test_roots else 0x00
    if st.label.endswith("no-nonce"):
        value |= 0x02
    if st.fmt == "android-key" and st.real:
        value |= 0x08  # allow unverified boot: three real Pixel chains reach K11 only with it
    return value


def _csr_material() -> tuple[dict[str, Any], list[bytes]]:
    key = pki.ec_key("p256", "fuzz-csr")
    permanent = ("device-42", "1.3.6.1.4.1.99999.1")
    spec = {
        "public_key_pem": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "permanent_identifiers": [list(permanent)],
    }
    ident = f"{permanent[0]}/{permanent[1]}"
    builders = []
    base = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    builders.append(base)
    builders.append(
        base.add_extension(
            x509.SubjectAlternativeName([tpm_pki.permanent_identifier_san(*permanent)]), critical=False
        )
    )
    builders.append(
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ident)]))
        .add_extension(
            x509.SubjectAlternativeName(
                [tpm_pki.permanent_identifier_san(*permanent), x509.DNSName("example.com")]
            ),
            critical=False,
        )
    )
    builders.append(
        base.add_extension(
            x509.SubjectAlternativeName([tpm_pki.hardware_module_san("1.3.6.1.4.1.99999.2", b"hsm-7")]),
            critical=True,
        )
    )
    csrs = [b.sign(key, hashes.SHA256()) for b in builders]
    other = base.sign(pki.ec_key("p256", "fuzz-csr-other"), hashes.SHA256())
    out = [c.public_bytes(serialization.Encoding.DER) for c in [*csrs, other]]
    out.append(csrs[1].public_bytes(serialization.Encoding.PEM))
    return spec, out


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def corpora(c: Collected, csr_seeds: list[bytes]) -> dict[str, list[bytes]]:
    """Seed inputs per harness, in the harness input layouts."""
    out: dict[str, list[bytes]] = {name: [] for name in HARNESSES}
    for st in c.statements:
        opts, when = _options(st), st.time_index
        obj = st.att_obj()
        # verify() enables android-key only with option bit 0x04 (common.verify_kwargs).
        vopts = opts | (0x04 if st.fmt == "android-key" else 0)
        out["verify"].append(bytes([vopts, 0, when]) + obj)
        out["verify_b64"].append(bytes([vopts, 0, when]) + _b64(obj))
        out["inspect"].append(b"\x00" + obj)
        out["inspect"].append(b"\x01" + _b64(obj))
        out["cbor"].append(b"\x00" + obj)
        out["cbor"].append(b"\x01" + _b64(obj))
        body = cbor2.dumps(st.att_stmt)
        out[_HARNESS.get(st.fmt, st.fmt)].append(bytes([opts, when, 0]) + body)
        if st.fmt == "tpm":
            extras = [hashlib.sha256(pki.KEY_AUTHORIZATION.encode()).digest(), *_extra_data(c)]
            index = extras.index(st.extra_data) if st.extra_data in extras else 0
            out["tpm"].append(bytes([opts | 0x02 | (index << 2), when, 0]) + body)
            for i, blob in enumerate((st.att_stmt["certInfo"], st.att_stmt["pubArea"], st.att_stmt["sig"])):
                out["tpm_structures"].append(bytes([i]) + blob)
        if st.fmt == "step":
            out["cbor"].append(b"\x02" + st.att_stmt["sig"])
        out["payload"].append(b"\x00" + json.dumps({"attObj": _b64(obj).decode()}).encode())
    for fmt in ("apple", "step", "tpm", "android"):  # structured mode: the provider reads from these bytes
        for fill in (b"\x00", b"\x01", b"\x7f", b"\xff"):
            out[fmt].append(bytes([0x01, 0, 0x01]) + fill * 96)
    out["payload"] += [
        b'\x01{"attObj": "o2NmbXRkbm9uZQ", "error": {"type": "x"}}',
        b'\x00{"attObj": "a", "attObj": "b"}',
        b"\x00[1, 2, {}]",
    ]
    out["asn1"] += _asn1_seeds(c)
    out["keydescription"] += keydescription_seeds()
    out["csr"] += [bytes([0x01 | (i << 1)]) + csr for i, csr in enumerate(csr_seeds)]
    return out


def _extra_data(c: Collected) -> list[bytes]:
    return [st.extra_data for st in c.statements if st.extra_data is not None]


def _asn1_seeds(c: Collected) -> list[bytes]:
    seeds = [
        b"\x00" + tpm_pki.permanent_identifier_san("device-42", "1.3.6.1.4.1.99999.1").value,
        b"\x00" + tpm_pki.permanent_identifier_san("device-42").value,
        b"\x01" + tpm_pki.hardware_module_san("1.3.6.1.4.1.99999.2", b"hsm-7").value,
        b"\x02" + yubikey_pki.der_integer(15732500),
        b"\x03" + yubikey_pki.utf8_sequence("device-0001"),
        b"\x04"
        + tpm_pki.permanent_identifier_san("a", "1.2.3").value
        + b"\x00\x00\x00"
        + tpm_pki.hardware_module_san("1.2.3", b"s").value,
    ]
    for st in c.statements:  # Yubico serial INTEGERs of the real leaves
        if st.fmt == "step" and st.real:
            cert = x509.load_der_x509_certificate(st.att_stmt["x5c"][0])
            for ext in cert.extensions:
                if ext.oid.dotted_string == yubikey_pki.OID_SERIAL:
                    seeds.append(b"\x02" + ext.value.value)  # type: ignore[attr-defined]
    return seeds


def keydescription_seeds() -> list[bytes]:
    """KeyDescription extension values: the real Android leaves (and the WebAuthn one), then generated."""
    leaves = [vectors.load_vector(v).x5c_der[0] for v in vectors.vector_ids("android-key/")]
    doc = vectors.read_json("vectors/webauthn/pywebauthn-android-key-pixel-8a.json")
    text = doc["registration_response"]["response"]["attestationObject"]
    leaves.append(cbor2.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))["attStmt"]["x5c"][0])
    seeds = []
    for der in leaves:
        cert = x509.load_der_x509_certificate(der)
        ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(android_pki.OID_KEY_DESCRIPTION))
        seeds.append(ext.value.value)  # type: ignore[attr-defined]
    for version in (1, 2, 3, 4, 100, 200, 300, 400, 401):
        rot = android_pki.root_of_trust(boot_hash=None if version < 3 else b"\x22" * 32)
        hardware = {**android_pki.hardware_fields("rsa2048"), android_pki.ROOT_OF_TRUST: rot}
        seeds.append(android_pki.key_description(version=version, hardware=hardware))
    return seeds


HARNESSES = (
    "verify", "verify_b64", "apple", "step", "tpm", "tpm_structures",
    "asn1", "cbor", "payload", "inspect", "csr", "keydescription", "android",
)  # fmt: skip
_HARNESS = {"android-key": "android"}  # format -> its harness, where the names differ


def _write(folder: pathlib.Path, seeds: Iterable[bytes]) -> int:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    count = 0
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        count += 1
    return count


def _committed_subset(seeds: list[bytes]) -> list[bytes]:
    unique = list(dict.fromkeys(seeds))
    return unique[:MAX_COMMITTED_PER_HARNESS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", action="store_true", help="also rewrite fuzz/seeds/ and its _pki/")
    args = parser.parse_args(argv)

    c = Collected()
    _real(c)
    _swtpm(c)
    _generated(c)
    csr_spec, csr_seeds = _csr_material()
    seeds = corpora(c, csr_seeds)
    if args.commit:
        if SEEDS.exists():
            shutil.rmtree(SEEDS)
        PKI_DIR.mkdir(parents=True)
        for fmt, roots in c.roots.items():
            pem = b"".join(r.public_bytes(serialization.Encoding.PEM) for r in roots)
            (PKI_DIR / f"{fmt}-roots.pem").write_bytes(pem)
        (PKI_DIR / "times.json").write_text(json.dumps(c.times, indent=1) + "\n")
        extras = [e.hex() for e in _extra_data(c)]
        (PKI_DIR / "tpm-extra-data.json").write_text(json.dumps(extras, indent=1) + "\n")
        (PKI_DIR / "known.json").write_text(json.dumps(_known_identities(c), indent=1) + "\n")
        (PKI_DIR / "csr-identity.json").write_text(json.dumps(csr_spec, indent=1) + "\n")
        for name, items in seeds.items():
            n = _write(SEEDS / name, _committed_subset(items))
            print(f"committed {name}: {n} seeds")
    elif not (PKI_DIR / "known.json").exists():
        print("fuzz/seeds/_pki/ is missing: run with --commit first", file=sys.stderr)
        return 1
    else:
        print("note: generated keys differ per run; only the committed seeds match fuzz/seeds/_pki/")
    for name, items in seeds.items():
        committed = SEEDS / name
        extra = [p.read_bytes() for p in committed.iterdir()] if committed.is_dir() else []
        n = _write(WORK / name, [*extra, *items])
        print(f"work corpus {name}: {n} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
