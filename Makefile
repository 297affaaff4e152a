# Quartierslotse — the two commands of the README:
#   make run    set everything up and start the bot on embedded defaults (SQLite, console chat)
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV     := uv==0.13.9

.PHONY: setup peers run chat test lint bench clean

setup: $(STAMP) peers

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(UV)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Test peers: the Telegram Bot API emulator (npm), Synapse (its own virtualenv), Dovecot (apt).
peers: $(STAMP)
	@if [ -x tests/peers/setup_telegram.sh ]; then tests/peers/setup_telegram.sh; fi
	@if [ -x tests/peers/setup_synapse.sh ]; then tests/peers/setup_synapse.sh; fi
	@if [ -x tests/peers/setup_dovecot.sh ]; then tests/peers/setup_dovecot.sh; fi

run: $(STAMP)
	$(BIN)/lotse run

chat: $(STAMP)
	$(BIN)/lotse chat

# On every core (pytest-xdist): the tests with real processes and peers (tests/e2e, e2e_peers,
# bench) run in order on one worker, the others are spread over the rest (tests/conftest.py).
test: setup
	$(BIN)/python -m pytest -n auto --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check bot nlp storage tests
	$(BIN)/mypy

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .peers
