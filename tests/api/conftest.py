"""The real application, driven through Litestar's AsyncTestClient (it runs the lifespan)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from creditbank.settings import Settings
from creditbank.storage.access import create_token
from creditbank.storage.engine import create_engine
from creditbank.tokens import Principal
from tests.conftest import ORIGIN

ISSUER_ID = "acme-training"
LEARNER_REF = "0" * 64


@dataclass
class Api:
    client: AsyncTestClient[Litestar]
    tokens: dict[str, str]
    database_url: str

    async def token_for(self, principal: Principal) -> str:
        # The app runs on the test client's own loop; tokens are made through a separate engine.
        engine = create_engine(self.database_url)
        try:
            async with engine.begin() as connection:
                return await create_token(connection, principal)
        finally:
            await engine.dispose()

    async def token_for_issuer(self, issuer_id: str) -> str:
        return await self.token_for(Principal(role="issuer", issuer_id=issuer_id))

    async def token_for_learner(self, learner_ref: str) -> str:
        return await self.token_for(Principal(role="learner", learner_ref=learner_ref))

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
        tokens = {"admin": app.state.bootstrap_admin_token}
        # The app runs on the test client's own loop; tokens are made through a separate engine.
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                for name, principal in (
                    ("issuer", Principal(role="issuer", issuer_id=ISSUER_ID)),
                    ("learner", Principal(role="learner", learner_ref=LEARNER_REF)),
                    ("accreditor", Principal(role="accreditor")),
                    ("auditor", Principal(role="auditor")),
                    ("other_issuer", Principal(role="issuer", issuer_id="other")),
                ):
                    tokens[name] = await create_token(connection, principal)
        finally:
            await engine.dispose()
        yield Api(client=client, tokens=tokens, database_url=database_url)
