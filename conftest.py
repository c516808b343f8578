"""pytest hooks for the notebooks nbval runs (notebooks/*.ipynb); the tests' own fixtures
and hooks are in tests/conftest.py, which applies to tests/ only."""

from __future__ import annotations

import contextlib
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
    if not hasattr(config, "_warm_kernels"):
        _warm_nbval_kernels(config)
    os.environ[ENV] = config._notebook_load_cache
    try:
        return (yield)
    finally:
        os.environ.pop(ENV, None)


def _warm_nbval_kernels(config: pytest.Config) -> None:
    """nbval's kernels fork from the worker's warm process, as report kernels do
    (``reports.warm_kernels``); set up for the worker's first notebook."""
    import nbval.kernel

    from crmlab.reports.kernels import KERNEL_NAME
    from crmlab.reports.warm_kernels import forking_manager, kept_zygote

    config._warm_kernels = True
    zygote = kept_zygote(KERNEL_NAME)
    if zygote is not None:
        nbval.kernel.KernelManager = forking_manager(zygote, blocking=True)


def pytest_configure(config: pytest.Config) -> None:
    """One warm process per test worker for every report run and notebook (started when
    the first needs it): the suite's runs are mostly of one or two reports, too few to
    repay a warm process each (``reports.warm_kernels.keep_warm``)."""
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        return  # pytest-xdist's controller runs no tests
    from crmlab.reports.warm_kernels import keep_warm

    kept = contextlib.ExitStack()
    kept.enter_context(keep_warm())
    config.add_cleanup(kept.close)
