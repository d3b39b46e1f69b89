"""The node's periodic jobs: due times, one run at a time across processes, failures recorded,
run by the scheduler's round, listed and run from the command line, shown to the manager."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from node import create_app
from node.cli import main
from node.db import db
from node.demo import DemoNode
from node.demo.federation import peer_demo_nodes, start_sync
from node.events import events, registrations
from node.events.registrations import Registrant
from node.federation import jobs, scheduler
from node.federation.jobs import Every, Job, Weekly
from node.federation.keyring import RUNTIME_INFO_KEY
from node.models import JobState, PeerStats, Registration

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday


class Calls:
    """A job function that counts its runs (and can be told to fail or to take its time)."""

    def __init__(self, *, error: str | None = None, duration: float = 0.0) -> None:
        self.count = 0
        self.error = error
        self.duration = duration
        self._lock = threading.Lock()

    def __call__(self, app) -> str:
        with self._lock:
            self.count += 1
        time.sleep(self.duration)
        if self.error:
            raise RuntimeError(self.error)
        return f"run {self.count}"


def state_of(app, name: str) -> JobState | None:
    with db.new_session(app) as session:
        return session.get(JobState, name)


def only(app, *keep: Job) -> None:
    """Leave ``keep`` as the application's only jobs (the areas' real ones are tested below)."""
    app.extensions[jobs.EXTENSION_KEY] = {}
    for job in keep:
        jobs.add_job(app, job)


def test_an_interval_job_runs_when_due_and_not_before(app):
    calls = Calls()
    job = Job("test.every", Every(timedelta(minutes=10)), calls)
    only(app, job)
    assert [o.name for o in jobs.run_due(app, T0)] == ["test.every"]  # never ran: due at once
    assert jobs.run_due(app, T0 + timedelta(minutes=9, seconds=59)) == []
    assert calls.count == 1
    (outcome,) = jobs.run_due(app, T0 + timedelta(minutes=10))
    assert outcome.ok and outcome.summary == "run 2" and calls.count == 2
    state = state_of(app, "test.every")
    assert state.last_started_at == T0 + timedelta(minutes=10) and state.last_outcome == "ok"
    assert state.last_summary == "run 2" and state.failures == 0


def test_a_weekly_job_waits_for_its_day_and_hour_in_its_time_zone(app):
    calls = Calls()
    only(app, Job("test.weekly", Weekly(0, clock_time(8, 0), "Europe/Paris"), calls))
    assert jobs.run_due(app, T0) == []  # first seen on a Saturday: waits for Monday
    monday_8_paris = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # winter time, UTC+1
    assert jobs.run_due(app, monday_8_paris - timedelta(minutes=1)) == []
    # The scheduler was down at 08:00: the run is caught up at its next round.
    assert len(jobs.run_due(app, monday_8_paris + timedelta(hours=2))) == 1
    assert jobs.run_due(app, monday_8_paris + timedelta(days=6)) == []
    assert len(jobs.run_due(app, monday_8_paris + timedelta(days=7))) == 1
    assert calls.count == 2
    # In summer, 08:00 in Paris is 06:00 UTC.
    summer = Weekly(0, clock_time(8, 0), "Europe/Paris")
    assert summer.slot_after(datetime(2027, 7, 3, tzinfo=UTC)) == datetime(2027, 7, 5, 6, 0, tzinfo=UTC)


def test_a_failing_job_is_recorded_and_the_next_job_still_runs(app):
    failing, working = Calls(error="the mail server said no"), Calls()
    only(app, Job("a.fails", Every(timedelta(days=1)), failing),
         Job("b.works", Every(timedelta(days=1)), working))
    outcomes = jobs.run_due(app, T0)
    assert [(o.name, o.ok) for o in outcomes] == [("a.fails", False), ("b.works", True)]
    assert "the mail server said no" in outcomes[0].error
    failed = state_of(app, "a.fails")
    assert (failed.last_outcome, failed.failures, failed.last_success_at) == ("error", 1, None)
    assert failed.last_error == "RuntimeError: the mail server said no"
    assert state_of(app, "b.works").last_outcome == "ok"
    # A failed job is tried again after ERROR_RETRY, not a whole interval later.
    assert jobs.run_due(app, T0 + jobs.ERROR_RETRY - timedelta(minutes=1)) == []
    retried = jobs.run_due(app, T0 + jobs.ERROR_RETRY + timedelta(minutes=1))
    assert [o.name for o in retried] == ["a.fails"] and state_of(app, "a.fails").failures == 2
    failing.error = None
    jobs.run_due(app, T0 + 2 * jobs.ERROR_RETRY + timedelta(minutes=2))
    recovered = state_of(app, "a.fails")
    assert (recovered.last_outcome, recovered.failures, recovered.last_error) == ("ok", 0, None)
    assert recovered.last_success_at is not None


def test_two_processes_running_due_jobs_at_once_run_each_job_once(app):
    """Two application instances on one database (two workers or hosts), started together."""
    twin = create_app(dict(app.config))
    try:
        slow = Calls(duration=0.5)
        for instance in (app, twin):
            only(instance, Job("test.slow", Every(timedelta(hours=1)), slow))
        start = threading.Barrier(2)
        results: dict[int, list] = {}

        def runner(index, instance):
            start.wait()
            results[index] = jobs.run_due(instance, T0)

        threads = [threading.Thread(target=runner, args=(i, a)) for i, a in enumerate((app, twin))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert slow.count == 1
        assert sorted(len(outcomes) for outcomes in results.values()) == [0, 1]
        # The lease is free again and the job is not due: a later runner does nothing.
        assert jobs.run_due(twin, T0 + timedelta(minutes=1)) == [] and slow.count == 1
    finally:
        db.engine(twin).dispose()


@pytest.mark.real_timers
def test_a_job_that_outlives_its_lease_time_keeps_its_lease(app):
    """The lease is renewed while the job runs: a forced run elsewhere (which ignores the
    schedule) cannot start the job again, even long after the lease's time to live."""
    slow = Calls(duration=1.2)
    job = Job("test.long", Every(timedelta(minutes=1)), slow,
                         lock_ttl=timedelta(milliseconds=300))
    only(app, job)
    twin = create_app(dict(app.config))
    try:
        only(twin, Job("test.long", Every(timedelta(minutes=1)), slow,
                       lock_ttl=timedelta(milliseconds=300)))
        first = threading.Thread(target=jobs.run_job, args=(app, job), kwargs={"force": True})
        first.start()
        time.sleep(0.8)  # well past the 300 ms time to live, the first run still going
        second = jobs.run_job(twin, jobs.get_job(twin, "test.long"), force=True)
        first.join(30)
        assert second.ran is False and slow.count == 1
        # Released at the end: the next forced run takes it at once.
        assert jobs.run_job(twin, jobs.get_job(twin, "test.long"), force=True).ran
        assert slow.count == 2
    finally:
        db.engine(twin).dispose()


def test_a_runner_that_finds_the_job_leased_skips_it(app, session):
    calls = Calls()
    only(app, Job("test.leased", Every(timedelta(minutes=5)), calls))
    assert scheduler.try_lock(session, "job.test.leased", "other-host:1")
    assert jobs.run_due(app, T0) == [] and calls.count == 0
    scheduler.release_lock(session, "job.test.leased", "other-host:1")
    assert len(jobs.run_due(app, T0)) == 1 and calls.count == 1


def test_the_scheduler_round_runs_due_jobs_after_the_federation_work(app):
    failing, working = Calls(error="boom"), Calls()
    only(app, Job("a.fails", Every(timedelta(minutes=5)), failing),
         Job("b.works", Every(timedelta(minutes=5)), working))
    runtime = app.extensions[RUNTIME_INFO_KEY]
    report = scheduler.run_round(runtime)
    assert report.ran and [(o.name, o.ok) for o in report.jobs] == [("a.fails", False), ("b.works", True)]
    assert scheduler.run_round(runtime).jobs == []  # not due again yet
    app.config["PERIODIC_JOBS"] = False
    assert scheduler.run_round(runtime).jobs == []


def test_a_scheduler_round_passes_an_expired_seat_offer_to_the_next_person(app, session, create_member, outbox, clock):
    """End to end: the registered ``events.tick`` job, run by an ordinary round."""
    manager = create_member(role="manager")
    holder, late, next_one = create_member(), create_member(), create_member()
    now = clock.now()  # unpinned: the round's jobs read the system clock too
    freed_at = now - timedelta(hours=3)
    start = now + timedelta(days=7)
    event = events.create_event(session, manager, {
        "title": "Atelier compta", "type": "atelier", "start_at": start, "end_at": start + timedelta(hours=2),
        "status": "published", "audience": "space", "capacity": 1}, freed_at)
    occurrence_id = event.occurrences[0].id
    seat = registrations.register(session, occurrence_id, Registrant.local(holder), freed_at,
                                  viewer=holder).registration
    for person in (late, next_one):
        registrations.register(session, occurrence_id, Registrant.local(person), freed_at, viewer=person)
    # The seat was freed three hours ago; ``late`` had one hour to take it and did not.
    (offer,) = registrations.cancel_registration(session, seat, freed_at, timedelta(hours=1))
    session.commit()
    assert offer.member_id == late.id and offer.status == "offered"
    assert [m.to for m in outbox] == [holder.email]  # her confirmation (the waitlist: in the portal)
    outbox.clear()

    report = scheduler.run_round(app.extensions[RUNTIME_INFO_KEY])

    assert [(o.name, o.ok, o.summary) for o in report.jobs if o.name == "events.tick"] == [
        ("events.tick", True, "1 new seat offer(s).")]
    session.expire_all()
    statuses = dict(session.execute(select(Registration.member_id, Registration.status)
                                    .where(Registration.occurrence_id == occurrence_id)).all())
    assert statuses == {holder.id: "cancelled", late.id: "expired", next_one.id: "offered"}
    assert [mail.to for mail in outbox] == [next_one.email]
    assert state_of(app, "events.tick").last_outcome == "ok"


def test_the_areas_jobs_are_registered_with_their_schedules(app):
    registered = {job.name: job.schedule for job in jobs.registered_jobs(app)}
    assert registered == {
        "events.tick": Every(timedelta(minutes=5)),
        "digest.send": Weekly(0, clock_time(8, 0), "Europe/Paris"),
        "connector.publish_stats": Every(timedelta(days=1)),
        "work.retry": Every(timedelta(minutes=1)),
        "mail.send": Every(timedelta(minutes=1)),
        "events.reminders": Every(timedelta(minutes=15)),
        "skills.renormalise": Every(timedelta(days=1)),
        "regional.digests": Every(timedelta(minutes=1)),
    }
    with pytest.raises(ValueError, match="twice"):
        jobs.add_job(app, Job("events.tick", Every(timedelta(minutes=1)), Calls()))


def _cli(app, monkeypatch, *args):
    for module in ("node.cli.jobs", "node.cli.events", "node.cli.connector", "node.cli.federation"):
        monkeypatch.setattr(f"{module}.create_app", lambda: app)
    return CliRunner().invoke(main, list(args))


def test_jobs_list_and_run_from_the_command_line(app, monkeypatch):
    result = _cli(app, monkeypatch, "jobs", "list")
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line for line in result.output.splitlines()}
    assert set(lines) == {"events.tick", "digest.send", "connector.publish_stats", "work.retry",
                          "mail.send", "events.reminders", "skills.renormalise", "regional.digests"}
    assert "every 5 min" in lines["events.tick"] and "never run" in lines["events.tick"]
    assert "weekly Mon 08:00 Europe/Paris" in lines["digest.send"]

    result = _cli(app, monkeypatch, "jobs", "run", "connector.publish_stats")
    assert result.exit_code == 0, result.output
    assert "connector.publish_stats: statistics published" in result.output
    line = next(line for line in _cli(app, monkeypatch, "jobs", "list").output.splitlines()
                if line.startswith("connector.publish_stats"))
    assert "ok (statistics published)" in line and "last=-" not in line

    unknown = _cli(app, monkeypatch, "jobs", "run", "no.such.job")
    assert unknown.exit_code == 2 and "events.tick" in unknown.output


def test_a_job_that_fails_from_the_command_line_exits_non_zero_and_is_recorded(app, monkeypatch):
    jobs.add_job(app, Job("test.fails", Every(timedelta(days=1)), Calls(error="disk full")))
    result = _cli(app, monkeypatch, "jobs", "run", "test.fails")
    assert result.exit_code == 1 and "disk full" in result.output
    listed = _cli(app, monkeypatch, "jobs", "list").output
    assert "error (RuntimeError: disk full)" in listed


def test_the_old_commands_run_the_same_jobs(app, monkeypatch):
    assert _cli(app, monkeypatch, "events", "tick").output == "0 new seat offer(s).\n"
    assert _cli(app, monkeypatch, "connector", "publish-stats").output == "statistics published\n"
    assert _cli(app, monkeypatch, "digest", "send").output == "0 digests sent\n"
    for name in ("events.tick", "connector.publish_stats", "digest.send"):
        assert state_of(app, name).last_outcome == "ok"


def test_one_sync_round_from_the_command_line_reports_the_jobs_it_ran(app, monkeypatch):
    jobs.add_job(app, Job("test.fails", Every(timedelta(days=1)), Calls(error="disk full")))
    result = _cli(app, monkeypatch, "sync", "--once")
    assert result.exit_code == 0, result.output
    assert "job events.tick: 0 new seat offer(s)." in result.output
    assert "job test.fails: error RuntimeError: disk full" in result.output
    assert "job digest.send" not in result.output  # not due before Monday
    again = _cli(app, monkeypatch, "sync", "--once")
    assert again.exit_code == 0 and "job " not in again.output


def _job_row(page: str, name: str) -> str:
    match = re.search(rf'<tr data-job="{re.escape(name)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {name}"
    return match.group(1)


def test_the_peers_page_shows_each_jobs_last_run_and_error_in_french_and_english(app, portal, create_member):
    jobs.add_job(app, Job("test.fails", Every(timedelta(minutes=5)), Calls(error="SMTP refused")))
    jobs.run_job(app, jobs.get_job(app, "test.fails"))
    jobs.run_job(app, jobs.get_job(app, "events.tick"))
    manager = create_member(role="manager")
    portal.login(manager.email)

    page = portal.get("/admin/peers").get_data(as_text=True)
    assert "Tâches périodiques" in page
    failed = _job_row(page, "test.fails")
    assert "échouée" in failed and "RuntimeError: SMTP refused" in failed
    assert "réussie" in _job_row(page, "events.tick") and "toutes les 5 minutes" in _job_row(page, "events.tick")
    assert "chaque lundi à 08:00" in _job_row(page, "digest.send")
    assert "Lettre hebdomadaire" in _job_row(page, "digest.send")
    assert "Offres de places et événements récurrents" in _job_row(page, "events.tick")
    assert "jamais" in _job_row(page, "digest.send")

    portal.post("/lang", {"lang": "en", "next": "/"})
    page = portal.get("/admin/peers").get_data(as_text=True)
    assert "Periodic jobs" in page
    assert "failed" in _job_row(page, "test.fails") and "SMTP refused" in _job_row(page, "test.fails")
    assert "every Monday at 08:00" in _job_row(page, "digest.send")
    assert "Weekly digest" in _job_row(page, "digest.send")
    assert "every day" in _job_row(page, "connector.publish_stats")


def test_the_demo_sync_loop_runs_the_due_jobs(live_nodes, monkeypatch):
    """The demo's first round per node (its later periodic rounds are not started here)."""
    monkeypatch.setattr(scheduler, "run_forever", lambda runtime, interval: None)
    a, b = live_nodes(2, names=["marseille", "aix"], config={"PERIODIC_JOBS": True})
    demo_nodes = [DemoNode(n.name, {"slug": n.name}, n.app) for n in (a, b)]
    peer_demo_nodes(demo_nodes, {})
    for thread in start_sync(demo_nodes):
        thread.join(60)
    for node in (a, b):
        for name in ("events.tick", "connector.publish_stats"):
            assert state_of(node.app, name).last_outcome == "ok"
        assert state_of(node.app, "digest.send").last_started_at is None  # waits for Monday
    b.round()  # b may have pulled a's feed before a's first jobs ran
    with b.session() as session:
        assert session.get(PeerStats, a.url).content["members_active"] == 0
