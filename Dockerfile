# Science Gateway portal: gunicorn on python:3.11-slim, as a non-root user.
# Same install as the README: `pip install '.[postgres]'` from the source tree, then
# `gateway db upgrade` once per release and gunicorn with config/gunicorn.conf.py.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GATEWAY_ENV=production \
    GATEWAY_INSTANCE_DIR=/var/lib/gateway

RUN groupadd --system gateway && useradd --system --gid gateway --home-dir /srv/gateway gateway \
    && mkdir -p /var/lib/gateway && chown gateway:gateway /var/lib/gateway

WORKDIR /srv/gateway
COPY pyproject.toml README.md ./
COPY app ./app
COPY config ./config
COPY emulator ./emulator
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY wsgi.py ./
RUN pip install '.[postgres]'

USER gateway
EXPOSE 8000
# Templates, static files and migrations are read from /srv/gateway (the working directory).
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"]
