"""Plain words for the bank's codes (outcome types, results, import states, roles, issuer
kinds), in the reader's language. A code without a word here is shown as it is."""

from __future__ import annotations

from portal.i18n import gettext_for as _

__all__ = ["label"]


def _words() -> dict[str, str]:
    # Built on each call: ``_`` translates into the current request's language.
    return {
        "enterprise_training": _("Enterprise training"),
        "community_course": _("Community course"),
        "elderly_course": _("Course for older learners"),
        "vocational_certificate": _("Vocational qualification certificate"),
        "skill_certificate": _("Vocational skill level certificate"),
        "academic_course": _("Academic course"),
        "passed": _("Passed"),
        "completed": _("Completed"),
        "failed": _("Failed"),
        "dry_run": _("Trial run finished: nothing was written"),
        "committed": _("Imported"),
        "rejected": _("Not imported: some rows have errors"),
        "nothing_to_commit": _("Nothing new to import"),
        "running": _("Running"),
        "finished": _("Finished"),
        "interrupted": _("Interrupted"),
        "issuer": _("Issuer officer"),
        "accreditor": _("Accreditation staff"),
        "auditor": _("Auditor"),
        "admin": _("Administrator"),
        "enterprise": _("Enterprise"),
        "community_school": _("Community school"),
        "elderly_university": _("University for older people"),
        "adult_school": _("Adult school"),
        "college": _("College or university"),
        "per_hours": _("By hours"),
        "fixed": _("Fixed"),
        "table": _("By level"),
    }


def label(code: str | None) -> str:
    if code is None:
        return ""
    return _words().get(code, code)
