"""A learner's archive as lines a person reads (the CLI's archive and verify-bundle output)."""

from __future__ import annotations

from schemas.learners import Archive, ArchiveOutcome, ArchiveRecognition, RecognitionResult

__all__ = ["archive_lines", "recognition_lines"]


def archive_lines(archive: Archive) -> list[str]:
    shown = len(archive.outcomes)
    paged = "" if shown == archive.outcomes_total else f", page {archive.page}"
    return [
        f"archive of learner {archive.learner_ref}, as of {archive.as_of}",
        f"outcomes ({shown} of {archive.outcomes_total}{paged}):",
        *(_outcome_line(outcome) for outcome in archive.outcomes),
        f"credits: {archive.credits} (valid {archive.valid_credits})",
        *(
            f"  {total.key}: {total.credits} (valid {total.valid_credits}), "
            f"{total.outcomes} outcome{'' if total.outcomes == 1 else 's'}"
            for total in archive.by_category
        ),
        f"recognitions ({len(archive.recognitions)}):",
        *(_recognition_line(grant) for grant in archive.recognitions),
    ]


def recognition_lines(result: RecognitionResult) -> list[str]:
    lines = [f"recognition toward {result.programme_id} v{result.programme_version}:"]
    for decision in result.decisions:
        if decision.status == "granted":
            outcomes = ", ".join(f"#{index}" for index in decision.outcomes)
            lines.append(
                f"  {decision.requirement_id}: granted {decision.credits_granted} credits at "
                f"entry {decision.index} (outcomes {outcomes})"
            )
        else:
            lines.append(
                f"  {decision.requirement_id}: refused ({decision.reason}): {decision.detail}"
            )
    return lines


def _outcome_line(outcome: ArchiveOutcome) -> str:
    issuer = outcome.issuer_name or outcome.issuer_id
    award = outcome.award
    credits = "no award" if award is None else f"{award.credits} credits ({award.standard})"
    if outcome.revoked is not None:
        status = f"revoked at entry {outcome.revoked.index}: {outcome.revoked.reason}"
    elif outcome.valid_until is not None:
        status = f"{outcome.status} (until {outcome.valid_until})"
    else:
        status = outcome.status
    return (
        f"  #{outcome.index}  {outcome.completed_on}  {issuer}  {outcome.course_title}  "
        f"{outcome.hours} h  {outcome.result}  {credits}  {status}"
    )


def _recognition_line(grant: ArchiveRecognition) -> str:
    programme = " ".join(filter(None, (grant.institution, grant.programme_title)))
    requirement = " ".join(filter(None, (grant.requirement_id, grant.requirement_title)))
    state = (
        "in force"
        if grant.reversed is None
        else f"reversed at entry {grant.reversed.index} ({grant.reversed.cause}): "
        f"{grant.reversed.reason}"
    )
    outcomes = ", ".join(f"#{index}" for index in grant.outcomes)
    return (
        f"  #{grant.index}  {programme} ({grant.programme_id} v{grant.programme_version}), "
        f"requirement {requirement}: {grant.credits_granted} granted for "
        f"{grant.credits_used} used (outcomes {outcomes}); {state}"
    )
