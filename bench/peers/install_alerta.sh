#!/usr/bin/env bash
# Install alerta-server, the peer that `python -m bench.ingest` compares opsbot with, into its
# own virtual environment (never opsbot's). Idempotent: a venv holding exactly these pins is
# left alone. Usage: bench/peers/install_alerta.sh [VENV]
#   VENV    default $OPSBOT_BENCH_ALERTA_VENV or ~/.cache/opsbot/bench/alerta-venv
#   PYTHON  interpreter to build the venv from (default python3; alerta 9.1 needs >= 3.9)
# Not run by .ci/run: the benchmark runs it on demand.
set -euo pipefail

VENV="${1:-${OPSBOT_BENCH_ALERTA_VENV:-$HOME/.cache/opsbot/bench/alerta-venv}}"
PYTHON="${PYTHON:-python3}"
# alerta-server and the two things it needs here: psycopg2 for PostgreSQL, a WSGI server.
# Flask and Werkzeug are pinned too: alerta's upper bounds are loose.
PINS=(
  "alerta-server==9.1.0"
  "psycopg2-binary==2.9.13"
  "gunicorn==27.0.1"
  "Flask==3.1.3"
  "Werkzeug==3.1.9"
)
STAMP="$VENV/.opsbot-bench-pins"

ready() {
  [ -x "$VENV/bin/gunicorn" ] &&
    [ "$(cat "$STAMP" 2>/dev/null)" = "${PINS[*]}" ] &&
    "$VENV/bin/python" -c 'import alerta.app, psycopg2' 2>/dev/null
}

if ready; then
  echo "alerta-server ready in $VENV"
  exit 0
fi

echo "installing ${PINS[*]} into $VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "${PINS[@]}"
"$VENV/bin/python" -c 'import alerta.app, psycopg2'
echo "${PINS[*]}" > "$STAMP"
echo "alerta-server ready in $VENV"
