"""Notification emails, sent after the notification's own transaction committed."""

from __future__ import annotations

from typing import Any

from huey import crontab

from app.services import mail, notifications
from app.worker.queue import enqueue_after_commit, job, periodic_job

# 30 s, 1, 2, 4, 8, 16 min: an SMTP server restarting or greylisting is waited out, within ~half an hour.
EMAIL_RETRIES = 6


@job(retries=EMAIL_RETRIES, retry_delay=30, retry_backoff=2, context=True)
def send_notification_email(notification_id: int, task: Any = None) -> None:
    """Email one notification; an unreachable server makes Huey retry, and the last failure is recorded."""
    try:
        notifications.send_email(notification_id)
    except mail.MailUnavailable as exc:
        if task is not None and task.retries > 0:
            raise  # Huey retries this job later
        notifications.note_email_gave_up(notification_id, str(exc))


@periodic_job(crontab(minute="*/15"))
def resend_stranded_emails() -> None:
    """Every 15 minutes: queue again the emails whose job was lost with a killed worker."""
    for notification_id in notifications.stranded_emails():
        enqueue_after_commit(send_notification_email, notification_id)
