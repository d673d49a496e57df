# Science Gateway portal: gunicorn on python:3.11-slim, as a non-root user.
# Build stage: one wheel from the source tree. It carries the templates, static files, migrations
# and the shipped gunicorn config inside the `app` package, so the image needs no source tree.
# Runtime: that wheel (with the PostgreSQL driver) in a virtualenv, started from /. The image
# runs neither the emulator nor the demo; point it at Globus with the environment (see
# config/example.env): GATEWAY_ENV=production refuses to start without SECRET_KEY,
# TOKEN_ENCRYPTION_KEYS (or _FILE), GLOBUS_CLIENT_ID/SECRET and TRUSTED_HOSTS.
#   docker run --rm --env-file prod.env IMAGE gateway db upgrade     # once per release
#   docker run -d -p 8000:8000 --env-file prod.env IMAGE             # gateway run --gunicorn
# The background worker runs from the same image (QUEUE_BACKEND=redis in prod.env): exactly one
# container with the scheduler, and as many as needed, on any hosts, without it:
#   docker run -d --env-file prod.env IMAGE gateway worker --workers 4
#   docker run -d --env-file prod.env IMAGE gateway worker --workers 4 --no-scheduler
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY app ./app
COPY config ./config
COPY emulator ./emulator
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip wheel --no-deps --wheel-dir /wheels . && cp constraints.txt /wheels/

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/gateway/bin:$PATH \
    GATEWAY_ENV=production \
    GATEWAY_INSTANCE_DIR=/var/lib/gateway \
    GUNICORN_BIND=0.0.0.0:8000

COPY --from=build /wheels /wheels
RUN python -m venv /opt/gateway \
    && /opt/gateway/bin/pip install -c /wheels/constraints.txt "$(ls /wheels/science_gateway-*.whl)[postgres]" \
    && rm -rf /wheels \
    && groupadd --system gateway \
    && useradd --system --gid gateway --home-dir /var/lib/gateway --shell /usr/sbin/nologin gateway \
    && install -d -o gateway -g gateway -m 0700 /var/lib/gateway

USER gateway
WORKDIR /
EXPOSE 8000
# gunicorn with the config shipped in the wheel (app/conf/gunicorn.conf.py), serving app.wsgi:app;
# GUNICORN_* variables tune it. exec'd, so gunicorn is PID 1 and gets the stop signal.
CMD ["gateway", "run", "--gunicorn"]
