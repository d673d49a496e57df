"""gunicorn settings for the portal (values can be overridden with GUNICORN_* variables).

Shipped inside the installed package (app/conf/gunicorn.conf.py); `gateway run --gunicorn` uses it
from any working directory. It names the installed entry point, so `gunicorn -c <this file>` needs
no argument; from a source checkout `gunicorn -c config/gunicorn.conf.py wsgi:app` works too.

Metrics with several workers: set PROMETHEUS_MULTIPROC_DIR to a directory only this gunicorn
uses (e.g. /run/gateway-metrics, on tmpfs). Each worker then writes its samples there, /metrics
on any worker reports the sum, and the hooks below clear it at start and retire dead workers'
live gauges. Without it each worker counts alone and a scrape sees one worker's numbers.
"""

import glob
import os

wsgi_app = "app.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Browser requests to Globus give up after GLOBUS_HTTP_TIMEOUT (10 s) with at most one retry,
# well inside this limit, so a slow Globus yields a 503 page rather than a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# Query strings can carry OAuth codes; log only the path. The last field is the request id the
# portal sent back (X-Request-ID), so an access line can be matched with the app's own lines.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss %({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Empty the metrics directory: files left by a previous run would be counted again."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        for path in glob.glob(os.path.join(directory, "*.db")):
            os.remove(path)


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone, so its live gauges stop being reported."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
