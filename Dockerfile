# opsbot: slim runtime image, non-root, health-checked.
# PYTHON_IMAGE: the same image from a registry mirror, or a local stand-in (.ci/docker-smoke).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir --prefix=/install .

FROM ${PYTHON_IMAGE}
# No DATABASE_URL here: the default ``./opsbot.db`` is /data/opsbot.db (the working
# directory), and an image-level value would clash with DATABASE_URL_FILE.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPSBOT_HOST=0.0.0.0 \
    OPSBOT_PORT=8080
# pg_dump/pg_restore for ``opsbot backup|restore`` on PostgreSQL: Debian bookworm's client is
# 15, so the compose file's PostgreSQL is 15 too (pg_dump refuses a newer server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --home-dir /data --create-home opsbot
USER opsbot
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('OPSBOT_PORT', '8080')}/healthz\", timeout=2)"]
CMD ["opsbot", "serve"]
