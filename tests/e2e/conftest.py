"""The end-to-end tests need the stack tests/e2e/run.sh starts; without it they skip and say so."""

import os

import pytest

from .stack import Stack


@pytest.fixture(scope="session")
def stack():
    if not os.environ.get("E2E_PROFILE"):
        pytest.skip("the end-to-end tests run through tests/e2e/run.sh (bash .ci/test e2e), which starts the stack")
    return Stack()


@pytest.fixture(scope="session")
def log():
    def emit(message):
        print("[e2e] %s" % message, flush=True)

    return emit
