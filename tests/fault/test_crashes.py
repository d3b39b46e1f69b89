"""``kill -9`` of the processes of a deployed node (scenarios e and f of issue 19): the real
``coworknet sync`` scheduler in the middle of a long pull, a gunicorn worker in the middle of
registration requests."""

from __future__ import annotations

from tests.fault import scenarios


def test_e_scheduler_killed_mid_pull_restarted_resumes_within_seconds_no_orphans(live_nodes, tmp_path):
    outcome = scenarios.scheduler_killed(live_nodes, tmp_path, entries=4000, page=100, resume_timeout=20)
    outcome.check()
    assert outcome.seconds < 15, outcome.report()  # seconds, not the 600 s of a lease


def test_f_gunicorn_worker_killed_mid_registration_no_half_write_answers_agree(tmp_path, clock):
    outcome = scenarios.web_worker_killed(tmp_path, clock.now(), members=40, kills=4, capacity=10)
    outcome.check()
    assert outcome.figures["killed workers"] >= 2, outcome.report()  # the faults did happen
    print(outcome.report())
