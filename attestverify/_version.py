"""The one place the version is written: `pyproject.toml` reads it (dynamic version) and
`attestverify.__version__` re-exports it, so an uninstalled checkout reports it too."""

from __future__ import annotations

__version__ = "0.1.0"
