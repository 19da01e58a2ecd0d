"""Project hygiene a security library is expected to have: licence, changelog, security policy,
classifiers, README links that resolve, and the TPM extra explained."""

from __future__ import annotations

import pathlib
import re

import attestverify

REPO = pathlib.Path(__file__).resolve().parents[1]
PYPROJECT = (REPO / "pyproject.toml").read_text()


def test_license_is_apache_2() -> None:
    text = (REPO / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert re.search(r'^license = "Apache-2.0"$', PYPROJECT, re.MULTILINE)
    assert re.search(r'^license-files = \["LICENSE"\]$', PYPROJECT, re.MULTILINE)
    # An SPDX license expression and a License :: classifier together are a build error.
    assert "License ::" not in PYPROJECT


def test_python_version_classifiers_match_requires_python() -> None:
    assert 'requires-python = ">=3.10"' in PYPROJECT
    versions = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)
    assert versions == ["3.10", "3.11", "3.12", "3.13"]


def test_changelog_keeps_a_changelog() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert headings[0] == "Unreleased" and headings[-1] == "0.1.0"
    assert attestverify.__version__ == "0.1.0"
    assert "keepachangelog.com" in text
    assert "tpm-rs1" in text  # this release's behaviour changes are listed


def test_security_policy() -> None:
    text = (REPO / "SECURITY.md").read_text()
    assert "## Reporting a vulnerability" in text and "privately" in text
    assert re.search(r"\| 0\.1\.x \| yes", text)


def test_readme_links_resolve() -> None:
    text = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)
    assert "docs/checks.md" in links and "docs/cli.md" in links and "LICENSE" in links
    for link in links:
        assert (REPO / link).exists(), link
    # Every documentation page is linked from the README.
    for page in ("acme", "cli", "security", "checks", "formats", "design", "reliability"):
        assert f"docs/{page}.md" in links, page


def test_tpm_extra_is_explained() -> None:
    # TPM verification is pure Python: the extra only generates statements for the tests.
    assert 'swtpm = ["tpm2-pytss>=2.3"]' in PYPROJECT and 'tpm = ["tpm2-pytss>=2.3"]' in PYPROJECT
    readme = (REPO / "README.md").read_text()
    assert "Verifying TPM statements needs nothing more" in readme


def test_security_notes_list_every_relaxation() -> None:
    from attestverify import apple, pinned, tpm

    names = {
        apple.NONCE_ABSENT, pinned.LEGACY_F9, pinned.SHA1_CHAIN, pinned.RSA_PARAMS_ABSENT,
        tpm.RELAXATION_RS1, tpm.RELAXATION_BARE_SIGNATURE,
    }  # fmt: skip
    text = (REPO / "docs" / "security.md").read_text()
    section = text[text.index("## Relaxations") : text.index("## Limits")]
    recorded = set(re.findall(r"\| `([a-z0-9-]+)` \|$", section, re.MULTILINE))
    assert names <= recorded
    assert "| — |" not in section  # no relaxation without a recorded name
