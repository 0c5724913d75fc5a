"""A separate process that imports one file, for the crash test.

    python -m tests.imports.importer_child DATABASE_URL KEYS_DIR DATA_DIR FILE

It prints its job id as soon as the job exists, then runs the import in the foreground.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.service.imports.pipeline import ImportOptions
from creditbank.storage.engine import create_engine
from tests.imports.files import ISSUER_ID

ORIGIN = "creditbank.test/ledger"
SECRET = bytes(range(32))  # the pseudonymizer of tests/conftest.py


async def run(url: str, keys_dir: Path, data_dir: Path, path: Path) -> None:
    engine = create_engine(url)
    bank = Bank(
        engine=engine,
        keys=KeyRing.load(keys_dir, ORIGIN, create=False),
        pseudonymizer=Pseudonymizer(SECRET),
        data_dir=data_dir,
    )
    try:
        job = await bank.imports.run_local(
            ImportOptions(issuer_id=ISSUER_ID, file_format="csv"), path
        )
        print(f"finished {job.result}", flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, keys_dir, data_dir, path = sys.argv[1:5]
    asyncio.run(run(url, Path(keys_dir), Path(data_dir), Path(path)))
