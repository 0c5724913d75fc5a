"""Deployment settings, read once from the environment.

Every variable is documented in README.md. The embedded default keeps everything under
``./.creditbank/``: the SQLite database, the signing keys and the pseudonym secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from creditbank.statistics.disclosure import disclosure_k_default

__all__ = ["Settings", "load_settings"]

DEFAULT_DATA_DIR = ".creditbank"
DEFAULT_ORIGIN = "creditbank.example/ledger"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# How long a SQLite writer waits for another's lock before answering 503 database_busy.
sqlite_busy_timeout_ms = 60_000


@dataclass(frozen=True, kw_only=True)
class Settings:
    data_dir: Path
    database_url: str
    origin: str
    keys_dir: Path
    pseudonym_key_file: Path
    host: str
    port: int
    sqlite_busy_timeout_ms: int = sqlite_busy_timeout_ms
    # Signs the web pages' CSRF tokens. Made on first start; losing it only voids open forms.
    portal_key_file: Path | None = None
    # Statistics hide any cell counting fewer learners than this (and what would reveal it).
    disclosure_k: int = disclosure_k_default

    @property
    def portal_secret_file(self) -> Path:
        return self.portal_key_file or self.data_dir / "portal.key"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default: the process environment)."""
    env = dict(os.environ) if environ is None else environ
    data_dir = Path(env.get("CREDITBANK_DATA_DIR", DEFAULT_DATA_DIR))
    database_url = env.get(
        "CREDITBANK_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'creditbank.db'}"
    )
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        origin=env.get("CREDITBANK_LOG_ORIGIN", DEFAULT_ORIGIN),
        keys_dir=Path(env.get("CREDITBANK_KEYS_DIR", str(data_dir / "keys"))),
        pseudonym_key_file=Path(
            env.get("CREDITBANK_PSEUDONYM_KEY_FILE", str(data_dir / "pseudonym.key"))
        ),
        host=env.get("CREDITBANK_HOST", DEFAULT_HOST),
        port=int(env.get("CREDITBANK_PORT", str(DEFAULT_PORT))),
        portal_key_file=(
            Path(env["CREDITBANK_PORTAL_KEY_FILE"]) if "CREDITBANK_PORTAL_KEY_FILE" in env else None
        ),
        disclosure_k=int(env.get("CREDITBANK_DISCLOSURE_K", str(disclosure_k_default))),
        sqlite_busy_timeout_ms=int(
            env.get("CREDITBANK_SQLITE_BUSY_TIMEOUT_MS", str(sqlite_busy_timeout_ms))
        ),
    )
