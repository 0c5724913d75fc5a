"""Opening a deployment: the database, the signing keys and the pseudonym secret.

Secrets are created only for a new log. A log with checkpoints but no signing key, or with
learners but no pseudonym secret, is a misconfigured deployment (a wrong path, a lost volume):
inventing new secrets there would fork the log's signatures or unlink every learner, so the
service refuses to start instead.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from creditbank.errors import ConfigurationError
from creditbank.keys import KeyRing, load_or_create_secret
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.settings import Settings
from creditbank.storage.audit_reads import deployment_state
from creditbank.storage.engine import create_engine

__all__ = ["open_bank"]


async def open_bank(settings: Settings) -> Bank:
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with engine.connect() as connection:
            state = await deployment_state(connection)
    except SQLAlchemyError as error:
        await engine.dispose()
        raise ConfigurationError(
            f"cannot read the database ({type(error).__name__}); run `creditbank db upgrade`"
        ) from error
    try:
        keys = KeyRing.load(settings.keys_dir, settings.origin, create=not state.has_checkpoints)
        secret = load_or_create_secret(settings.pseudonym_key_file, create=not state.has_learners)
    except ConfigurationError:
        await engine.dispose()
        raise
    return Bank(
        engine=engine,
        keys=keys,
        pseudonymizer=Pseudonymizer(secret),
        data_dir=settings.data_dir,
        disclosure_k=settings.disclosure_k,
    )
