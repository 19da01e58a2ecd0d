"""The record store: identity records between the challenge and finalize, in their own sqlite file.

The challenge validator writes one row per validated authorization (keyed by acme2certifier's
order and authorization names); the finalize check reads the rows of its order and restores the
identities with `DeviceIdentity.from_record` (no second verification).
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

_SCHEMA = """CREATE TABLE IF NOT EXISTS identity_record (
    order_name TEXT NOT NULL, authorization_name TEXT NOT NULL PRIMARY KEY,
    identifier_type TEXT NOT NULL, identifier_value TEXT NOT NULL, record TEXT NOT NULL)"""


def _connect() -> sqlite3.Connection:
    db = sqlite3.connect(os.environ["A2C_GLUE_RECORDS"], timeout=10)
    db.execute(_SCHEMA)
    return db


def save(order: str, authorization: str, id_type: str, id_value: str, record: dict[str, Any]) -> None:
    with _connect() as db:
        db.execute(
            "INSERT OR REPLACE INTO identity_record VALUES (?, ?, ?, ?, ?)",
            (order, authorization, id_type, id_value, json.dumps(record)),
        )


def load(order: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(identifier type, identifier value, record) of every validated authorization of `order`."""
    with _connect() as db:
        rows = db.execute(
            "SELECT identifier_type, identifier_value, record FROM identity_record WHERE order_name = ?",
            (order,),
        ).fetchall()
    return [(t, v, json.loads(r)) for t, v, r in rows]
