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
    if not hasattr(config, "_warm_kernels"):
        _warm_nbval_kernels(config)
    os.environ[ENV] = config._notebook_load_cache
    try:
        return (yield)
    finally:
        os.environ.pop(ENV, None)


def _warm_nbval_kernels(config: pytest.Config) -> None:
    """nbval's kernels fork from one warm process per test worker, as a report run's do
    (``reports.warm_kernels``); started for the worker's first notebook."""
    import nbval.kernel

    from crmlab.reports.kernels import KERNEL_NAME
    from crmlab.reports.warm_kernels import SWITCH, Zygote, forking_manager, interpreter_of

    config._warm_kernels = True
    interpreter = interpreter_of(KERNEL_NAME)
    if interpreter is None or os.environ.get(SWITCH) == "0":
        return
    zygote = Zygote(interpreter)
    config.add_cleanup(zygote.close)
    nbval.kernel.KernelManager = forking_manager(zygote, blocking=True)
