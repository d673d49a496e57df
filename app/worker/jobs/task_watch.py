"""Task watching: a tick that finds users with tasks due, and one poll per user."""

from __future__ import annotations

from datetime import timedelta

from huey import crontab

from app.models.timestamps import utcnow
from app.services import task_watch
from app.worker.queue import enqueue_after_commit, job, periodic_job

# A poll due further away than this is left to the next minute's tick.
SELF_RESCHEDULE_WITHIN = timedelta(seconds=60)


@job()
def poll_user_tasks(user_id: int) -> None:
    """Poll one user's due tasks (one task_list call) and, if some are due within a minute, come back then."""
    report = task_watch.poll_user(user_id)
    if report.next_due is not None and report.next_due - utcnow() < SELF_RESCHEDULE_WITHIN:
        enqueue_after_commit(poll_user_tasks, user_id, delay=max(timedelta(seconds=1), report.next_due - utcnow()))


@periodic_job(crontab(minute="*"))
def watch_tasks_tick() -> None:
    """Every minute: queue a poll for each user with tasks due within the minute, at its due time."""
    now = utcnow()
    for user_id, due in task_watch.due_users(now=now):
        enqueue_after_commit(poll_user_tasks, user_id, delay=max(timedelta(0), due - now))
