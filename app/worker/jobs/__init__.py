"""Every jobs module, imported here so that a consumer registers all of them.

One line per area. Jobs are thin: they parse nothing, decide nothing, and call one service.
"""

import app.worker.jobs.automations  # noqa: F401 - the automations area's jobs
from app.worker.jobs import maintenance, notifications, submissions, task_watch  # noqa: F401 - registers the jobs
