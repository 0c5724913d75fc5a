"""The account desk on both databases: staff links, learners' activation, sign-in failures that
say nothing and slow down, sessions that end, and who may print whose activation codes."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank import limits
from creditbank.errors import (
    AccountExistsError,
    LinkInvalidError,
    MalformedError,
    SignInFailedError,
    TooManyAttemptsError,
    UnknownIssuerError,
)
from creditbank.passwords import code_hash, new_activation_code, normalise_code
from creditbank.service.bank import Bank
from creditbank.throttle import FailureWindow
from creditbank.tokens import Principal
from tests.factories import issuer_registration, outcome_record, resident_id

ISSUER = Principal(role="issuer", issuer_id="acme-training")
ADMIN = Principal(role="admin")


async def _with_learners(bank: Bank, serials: range, issuer_id: str = "acme-training") -> None:
    await bank.deposits.register_issuer(issuer_registration(issuer_id))
    issuer = Principal(role="issuer", issuer_id=issuer_id)
    for serial in serials:
        await bank.deposits.record_outcome(issuer, outcome_record(serial, issuer_id=issuer_id))


async def test_a_staff_link_sets_the_password_once_and_signs_in(bank: Bank) -> None:
    """The link works once; afterwards the password signs in and a wrong one is refused."""
    await bank.deposits.register_issuer(issuer_registration())
    account, link = await bank.accounts.create_staff("issuer", "hr", "acme-training")
    assert account.password_hash is None
    signed = await bank.accounts.set_password_by_link(link, "long enough secret")
    assert await bank.accounts.session(signed.session_id) is not None
    with pytest.raises(LinkInvalidError):
        await bank.accounts.set_password_by_link(link, "another secret 123")
    again = await bank.accounts.sign_in_staff("hr", "long enough secret", "10.0.0.1")
    assert again.session_id != signed.session_id, "every sign-in starts a new session id"
    with pytest.raises(SignInFailedError) as wrong:
        await bank.accounts.sign_in_staff("hr", "wrong password!", "10.0.0.1")
    with pytest.raises(SignInFailedError) as unknown:
        await bank.accounts.sign_in_staff("nobody", "wrong password!", "10.0.0.1")
    assert wrong.value.message == unknown.value.message, "failures must not tell them apart"


async def test_staff_accounts_are_checked(bank: Bank) -> None:
    """Roles, usernames, issuers and duplicates are refused with their own codes."""
    with pytest.raises(UnknownIssuerError):
        await bank.accounts.create_staff("issuer", "hr", "not-registered")
    with pytest.raises(MalformedError):
        await bank.accounts.create_staff("learner", "someone")
    with pytest.raises(MalformedError):
        await bank.accounts.create_staff("auditor", "Bad Name")
    with pytest.raises(MalformedError):
        await bank.accounts.create_staff("auditor", "audit", "acme-training")
    await bank.accounts.create_staff("auditor", "audit")
    with pytest.raises(AccountExistsError):
        await bank.accounts.create_staff("accreditor", "audit")


async def test_the_first_admin_is_made_once(bank: Bank) -> None:
    """An empty bank gets one admin and a link; the next start gets none."""
    link = await bank.accounts.bootstrap_admin_link()
    assert link is not None
    assert await bank.accounts.bootstrap_admin_link() is None
    signed = await bank.accounts.set_password_by_link(link, "first admin password")
    assert signed.account.role == "admin"
    assert signed.account.username == "admin"


async def test_a_learner_activates_with_a_code_and_a_new_code_resets_the_password(
    bank: Bank,
) -> None:
    """Codes are one-time, bound to their learner, typed loosely; a second code sets a new
    password and ends the sessions of the old one."""
    await _with_learners(bank, range(1, 3))
    invitations, missing = await bank.accounts.invite_identifiers(
        ADMIN, [("cn_resident_id", resident_id(1)), ("cn_resident_id", resident_id(2))], "admin"
    )
    assert missing == []
    assert len(invitations) == 2
    first, second = invitations
    with pytest.raises(SignInFailedError):  # another learner's code
        await bank.accounts.activate(
            "cn_resident_id", resident_id(1), second.code, "password one", "10.0.0.2"
        )
    typed = first.code.lower().replace("-", " ")
    signed = await bank.accounts.activate(
        "cn_resident_id", resident_id(1), typed, "password one", "10.0.0.2"
    )
    assert signed.account.learner_ref == first.invitee.learner_ref
    with pytest.raises(SignInFailedError):  # used
        await bank.accounts.activate(
            "cn_resident_id", resident_id(1), first.code, "password two", "10.0.0.2"
        )
    again = await bank.accounts.sign_in_learner(
        "cn_resident_id", resident_id(1).lower(), "password one", "10.0.0.2"
    )
    assert again.account.account_id == signed.account.account_id
    [renewed], _ = await bank.accounts.invite_identifiers(
        ADMIN, [("cn_resident_id", resident_id(1))], "admin"
    )
    await bank.accounts.activate(
        "cn_resident_id", resident_id(1), renewed.code, "password two", "10.0.0.3"
    )
    assert await bank.accounts.session(signed.session_id) is None
    with pytest.raises(SignInFailedError):
        await bank.accounts.sign_in_learner(
            "cn_resident_id", resident_id(1), "password one", "10.0.0.3"
        )


async def test_an_issuer_invites_only_its_own_learners(bank: Bank) -> None:
    """Knowing an ID number is not enough: an officer prints codes for its issuer's learners."""
    await _with_learners(bank, range(1, 2))
    await _with_learners(bank, range(5, 6), issuer_id="other-school")
    identifiers = [("cn_resident_id", resident_id(1)), ("cn_resident_id", resident_id(5))]
    invitations, missing = await bank.accounts.invite_identifiers(ISSUER, identifiers, "hr")
    assert [i.invitee.identifier for i in invitations] == [resident_id(1)]
    assert missing == [1]
    everyone, none_missing = await bank.accounts.invite_identifiers(ADMIN, identifiers, "admin")
    assert len(everyone) == 2
    assert none_missing == []


async def test_a_batch_invites_its_learners_in_order(bank: Bank) -> None:
    """Codes for a range of entries name each learner once, in entry order."""
    await _with_learners(bank, range(1, 4))
    invitations = await bank.accounts.invite_batch(ADMIN, "acme-training", 0, 100, "hr")
    assert [i.invitee.identifier for i in invitations] == [
        resident_id(serial) for serial in range(1, 4)
    ]


async def test_failed_sign_ins_slow_down_then_wait(bank: Bank) -> None:
    """After the allowed failures even the right password waits (a guesser cannot go on)."""
    await bank.deposits.register_issuer(issuer_registration())
    _, link = await bank.accounts.create_staff("auditor", "audit")
    await bank.accounts.set_password_by_link(link, "the right password")
    for _ in range(limits.sign_in_failures_max):
        with pytest.raises(SignInFailedError):
            await bank.accounts.sign_in_staff("audit", "a wrong password", "10.0.0.4")
    with pytest.raises(TooManyAttemptsError) as waiting:
        await bank.accounts.sign_in_staff("audit", "the right password", "10.0.0.5")
    assert waiting.value.retry_after > 0


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 12, 4, 9, 0, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    """A clock the session test moves by hand."""
    return _Clock()


async def test_sessions_end_when_idle_and_at_their_limit(bank: Bank, clock: _Clock) -> None:
    """Used sessions stay alive up to the absolute limit; an idle one ends; sign-out ends one."""
    _, link = await bank.accounts.create_staff("auditor", "audit")
    signed = await bank.accounts.set_password_by_link(link, "the right password")
    step = datetime.timedelta(seconds=limits.session_idle_seconds - 60)
    elapsed = datetime.timedelta()
    while elapsed + step < datetime.timedelta(seconds=limits.session_absolute_seconds):
        clock.now += step
        elapsed += step
        assert await bank.accounts.session(signed.session_id) is not None
    clock.now += step
    assert await bank.accounts.session(signed.session_id) is None, "past the absolute limit"
    idle = await bank.accounts.sign_in_staff("audit", "the right password", "10.0.0.6")
    clock.now += datetime.timedelta(seconds=limits.session_idle_seconds + 1)
    assert await bank.accounts.session(idle.session_id) is None, "idle too long"
    ended = await bank.accounts.sign_in_staff("audit", "the right password", "10.0.0.6")
    await bank.accounts.sign_out(ended.session_id)
    assert await bank.accounts.session(ended.session_id) is None


_TYPING = st.sampled_from(["", " ", "-", "  "])


_CODES = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=12, max_size=12).map(
    lambda raw: "-".join((raw[:4], raw[4:8], raw[8:]))
)


@given(_CODES, st.data())
def test_a_code_survives_how_people_type_it(code: str, data: st.DataObject) -> None:
    """Any case, spaces or dashes between characters, O for 0, I or L for 1: the same code."""
    typed = ""
    for char in code.replace("-", ""):
        shown = char
        if char == "0":
            shown = data.draw(st.sampled_from(["0", "O", "o"]))
        elif char == "1":
            shown = data.draw(st.sampled_from(["1", "I", "l", "L"]))
        elif data.draw(st.booleans()):
            shown = char.lower()
        typed += shown + data.draw(_TYPING)
    assert normalise_code(typed) == code
    assert code_hash(normalise_code(typed)) == code_hash(code)


def test_new_codes_are_printable_and_differ() -> None:
    """Codes are in their printed form and (60 random bits) never repeat in practice."""
    codes = {new_activation_code() for _ in range(1_000)}
    assert len(codes) == 1_000
    assert all(normalise_code(code) == code for code in codes)


@given(st.text(max_size=30))
def test_anything_else_is_no_code(typed: str) -> None:
    """A normalised code is empty or exactly the printed form (never a near miss)."""
    result = normalise_code(typed)
    assert result == "" or (len(result) == 14 and result.count("-") == 2)


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.floats(min_value=0, max_value=5000)),
        max_size=40,
    )
)
def test_the_failure_window_counts_like_a_list(events: list[tuple[str, float]]) -> None:
    """The window's answer equals counting, in a plain list, the failures of the last window."""
    window = FailureWindow(3, 900.0)
    seen: dict[str, list[float]] = {"a": [], "b": []}
    now = 0.0
    for key, gap in events:
        now += gap
        recent = [moment for moment in seen[key] if moment > now - 900.0]
        expected = 0.0 if len(recent) < 3 else recent[0] + 900.0 - now
        assert window.wait_seconds(key, now) == pytest.approx(expected)
        window.fail(key, now)
        seen[key] = [*recent, now]


async def test_an_officer_cannot_reset_an_activated_learners_password(bank: Bank) -> None:
    """Once a learner has an account, only the bank (an admin) prints them a new code: a
    former employer knowing their ID number cannot take the account over."""
    await _with_learners(bank, range(1, 2))
    identifiers = [("cn_resident_id", resident_id(1))]
    [first], _ = await bank.accounts.invite_identifiers(ISSUER, identifiers, "hr")
    await bank.accounts.activate(
        "cn_resident_id", resident_id(1), first.code, "password one", "10.0.0.7"
    )
    again, missing = await bank.accounts.invite_identifiers(ISSUER, identifiers, "hr")
    assert again == []
    assert missing == [0]
    assert await bank.accounts.invite_batch(ISSUER, "acme-training", 0, 100, "hr") == []
    [renewed], _ = await bank.accounts.invite_identifiers(ADMIN, identifiers, "admin")
    assert renewed.invitee.identifier == resident_id(1)
