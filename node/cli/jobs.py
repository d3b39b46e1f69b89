"""``coworknet jobs list|run``: the node's periodic jobs (run by ``coworknet sync``)."""

from __future__ import annotations

import logging
from datetime import datetime

import click
from flask import Flask

from ..app import create_app
from ..db import db
from ..federation import jobs


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def run_now(app: Flask, name: str, *, force: bool = True, named: bool = True) -> jobs.JobOutcome:
    """Run the job ``name`` now under its lease, print its summary (after its name when
    ``named``: the older commands print the bare summary, as they always did); a failure exits
    non-zero."""
    job = jobs.get_job(app, name)
    if job is None:
        known = ", ".join(j.name for j in jobs.registered_jobs(app))
        raise click.UsageError(f"No job named {name!r} (known: {known}).")
    outcome = jobs.run_job(app, job, force=force)
    if not outcome.ran:
        click.echo(f"{name}: not run (another process is running it).")
    elif not outcome.ok:
        raise click.ClickException(f"{name} failed: {outcome.error}")
    else:
        click.echo(f"{name}: {outcome.summary}" if named else outcome.summary)
    return outcome


@click.group("jobs")
def jobs_group() -> None:
    """Periodic jobs: list them with their last run, or run one now."""


@jobs_group.command("list")
def jobs_list() -> None:
    """List the jobs: schedule, last run, last outcome, next due (times in UTC)."""
    app = create_app()
    with app.app_context():
        for status in jobs.job_statuses(db.session, app):
            state = status.state
            outcome = (state.last_outcome or "never run") if state else "never run"
            detail = (state.last_error if outcome == "error" else state.last_summary) if state else ""
            click.echo(f"{status.job.name}\t{status.job.schedule.describe()}\t"
                       f"last={_when(state.last_started_at if state else None)}\t{outcome}"
                       f"{' (' + detail + ')' if detail else ''}\tnext={_when(status.next_due_at)}")


@jobs_group.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run the job NAME now, due or not (waits for nobody: skipped if another process runs it)."""
    logging.basicConfig(level=logging.INFO)
    run_now(create_app(), name)


def register(main: click.Group) -> None:
    main.add_command(jobs_group)
