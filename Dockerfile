# opsbot: slim runtime image, non-root, health-checked.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
# No DATABASE_URL here: the default ``./opsbot.db`` is /data/opsbot.db (the working
# directory), and an image-level value would clash with DATABASE_URL_FILE.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPSBOT_HOST=0.0.0.0 \
    OPSBOT_PORT=8080
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --home-dir /data --create-home opsbot
USER opsbot
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('OPSBOT_PORT', '8080')}/healthz\", timeout=2)"]
CMD ["opsbot", "serve"]
