.PHONY: install lint format typecheck test test-sqlite test-postgres check demo bench

VENV ?= .venv
BIN := $(VENV)/bin

install:
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck:
	$(BIN)/mypy

test:
	$(BIN)/pytest

test-sqlite:
	$(BIN)/pytest -m "not postgres"

test-postgres:
	OPSBOT_REQUIRE_POSTGRES=1 $(BIN)/pytest -m postgres

check: lint typecheck test

demo:
	$(BIN)/opsbot demo
