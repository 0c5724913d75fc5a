"""The real application, driven through Litestar's AsyncTestClient (it runs the lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from creditbank.bank import Bank
from creditbank.settings import Settings
from creditbank.tokens import Principal
from tests.conftest import ORIGIN

ISSUER_ID = "acme-training"
LEARNER_REF = "0" * 64


@dataclass
class Api:
    client: AsyncTestClient[Litestar]
    tokens: dict[str, str]
    bank: Bank

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role in self.tokens else {}


def settings_for(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        origin=ORIGIN,
        keys_dir=tmp_path / "keys",
        pseudonym_key_file=tmp_path / "pseudonym.key",
        host="127.0.0.1",
        port=0,
    )


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    app = create_app(settings_for(database_url, tmp_path), announce_admin_token=False)
    async with AsyncTestClient(app=app) as client:
        bank: Bank = app.state.bank
        tokens = {"admin": app.state.bootstrap_admin_token}
        for principal in (
            Principal(role="issuer", issuer_id=ISSUER_ID),
            Principal(role="learner", learner_ref=LEARNER_REF),
            Principal(role="accreditor"),
            Principal(role="auditor"),
        ):
            tokens[principal.role] = await bank.create_token(principal)
        tokens["other_issuer"] = await bank.create_token(
            Principal(role="issuer", issuer_id="other")
        )
        yield Api(client=client, tokens=tokens, bank=bank)
