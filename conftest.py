"""pytest hooks for the notebooks nbval runs (notebooks/*.ipynb); the tests' own fixtures
and hooks are in tests/conftest.py, which applies to tests/ only."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """The notebooks share one load cache (``data.load_cache``) for the session, as a report
    run's kernels do: each reads data/sample, which nothing changes while tests run. The
    variable is set only while a notebook's kernel starts (its first cell's setup), so no
    test's own ``load`` is ever cached."""
    if not item.nodeid.startswith("notebooks/"):
        return (yield)
    from crmlab.data.load_cache import ENV

    config = item.config
    if not hasattr(config, "_notebook_load_cache"):
        config._notebook_load_cache = tempfile.mkdtemp(prefix="crmlab-notebook-loads-")
        config.add_cleanup(lambda: shutil.rmtree(config._notebook_load_cache, True))
    os.environ[ENV] = config._notebook_load_cache
    try:
        return (yield)
    finally:
        os.environ.pop(ENV, None)
