"""Report kernels forked from a warm process: the same kernel as a fresh one (session,
directory, environment, inline plots, own random state), started with the stack imported;
a kernel that dies or hangs fails its report, not the run; the switch turns it off."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from crmlab.reports import load_catalogue, run_catalogue
from crmlab.reports.warm_kernels import MIN_REPORTS, Zygote, interpreter_of, kept_zygote

warm_kernels = importlib.import_module(
    "crmlab.reports.warm_kernels"
)  # the module, not its function
pytestmark = pytest.mark.notebook
QUIET = {"echo": lambda *_: None, "demo": True}  # no data: nothing to pseudonymize

FACTS = """
import json, os, random, sys
preloaded = "pandas" in sys.modules  # before this notebook imports anything
import matplotlib.pyplot as plt
import numpy as np
letters = lambda n: "".join(chr(97 + int(d) % 26) for d in str(n))  # digits read as phones
print(json.dumps({
    "preloaded": preloaded,
    "runner_is_parent": os.getppid() == int(os.environ["RUNNER_PID"]),
    "watches_its_parent": os.environ["JPY_PARENT_PID"] == str(os.getppid()),
    "own_session": os.getsid(0) == os.getpid(),
    "cwd": os.getcwd(),
    "load_cache": bool(os.environ.get("CRMLAB_LOAD_CACHE")),
    "draws": letters(np.random.randint(1 << 30)) + letters(random.getrandbits(30)),
    "main": sys.modules["__main__"].__name__,
}))
plt.plot([1, 2, 3])
plt.show()
"""


def _project(root, cells: dict[str, str]):
    """notebooks/<name>.ipynb with a parameters cell and one code cell each, catalogued."""
    (root / "notebooks").mkdir()
    entries = []
    for name, code in cells.items():
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('source = ""  # unused')
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(code)]
        nb.metadata["kernelspec"] = {
            "name": "crmlab",
            "display_name": "crmlab",
            "language": "python",
        }
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
        entries.append({"name": name, "notebook": f"notebooks/{name}.ipynb"})
    (root / "reports.yaml").write_text(yaml.safe_dump({"reports": entries}))
    return load_catalogue(root / "reports.yaml")


def _facts(root, name) -> dict:
    cells = json.loads((root / "reports" / f"{name}.ipynb").read_text())["cells"]
    outputs = cells[-1]["outputs"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot is inline"
    text = [o["text"] for o in outputs if o.get("name") == "stdout"]
    return json.loads("".join("".join(t) if isinstance(t, list) else t for t in text))


@pytest.mark.parametrize(
    "how", ["kept warm", "warm for the run", "switched off", "other thread pools"]
)
def test_kernels_start_warm_and_are_the_same_kernel(tmp_path, monkeypatch, capfd, how):
    """Forked kernels from the session's warm process, or (as a run on its own does) from
    one started for the run and stopped after it; fresh kernels when the switch is off, or
    when a run wants thread pools of another size than the warm process has (they were
    sized when it imported NumPy)."""
    kept_zygote("crmlab")  # the session's warm process, started with its thread settings
    monkeypatch.setenv("RUNNER_PID", str(os.getpid()))
    monkeypatch.setenv("CRMLAB_WARM_KERNELS", "0" if how == "switched off" else "1")
    if how == "other thread pools":
        monkeypatch.setenv("OMP_NUM_THREADS", str(int(os.environ.get("OMP_NUM_THREADS", 1)) + 1))
    if how == "warm for the run":
        monkeypatch.setattr(warm_kernels, "_kept", None)  # as outside keep_warm
    warm = how.startswith(("kept", "warm"))
    before = _warm_processes()
    # a run's own warm process needs a run that repays it; the others differ from two on
    names = [f"facts_{i}" for i in range(MIN_REPORTS if how == "warm for the run" else 2)]
    catalogue = _project(tmp_path, dict.fromkeys(names, FACTS))
    results = run_catalogue(catalogue, tmp_path / "reports", jobs=2, **QUIET)
    assert [r.status for r in results] == ["ok"] * len(names), [r.error for r in results]
    facts = [_facts(tmp_path, name) for name in names]
    for fact in facts:
        assert fact["preloaded"] is warm and fact["runner_is_parent"] is not warm
        assert fact["watches_its_parent"] and fact["own_session"] and fact["load_cache"]
        assert fact["cwd"] == str(tmp_path.resolve()) and fact["main"] == "__main__"
    assert len({fact["draws"] for fact in facts}) == len(facts)  # each kernel its own seeds
    assert _warm_processes() <= before  # a run's own warm process stops with the run
    assert "[IPKernelApp]" not in capfd.readouterr().err  # kernels log nothing into the run's


def _warm_processes() -> set[str]:
    """This process's children that are warm processes."""
    return {
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit() and _parent(pid) == os.getpid() and b"kernel_zygote" in _cmdline(pid)
    }


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_kernel_that_dies_or_hangs_fails_its_report_not_the_run(tmp_path):
    catalogue = _project(
        tmp_path,
        {
            "dies": "import os\nos._exit(3)",
            "hangs": "import time\ntime.sleep(600)",
            "works": "print('fine')",
        },
    )
    results = {
        r.name: r for r in run_catalogue(catalogue, tmp_path / "reports", cell_timeout=3, **QUIET)
    }
    assert results["works"].status == "ok"
    assert results["dies"].status == "failed" and "died" in results["dies"].error.lower()
    assert results["hangs"].status == "failed" and "timed out" in results["hangs"].error
    kept = kept_zygote("crmlab")  # the test session keeps one warm process (conftest.py)
    kernels = [p for p in os.listdir("/proc") if p.isdigit() and _parent(p) == kept._process.pid]
    assert kernels == []  # every kernel gone and reaped


def test_no_kernel_outlives_a_killed_run(tmp_path):
    """kill -9 of the whole run: its warm process goes with it, and each forked kernel sees
    its parent gone and ends (as a fresh kernel ends when its launcher dies)."""
    pids, sleeper = _sleeper(tmp_path)
    _project(tmp_path, {f"sleeps_{i}": sleeper for i in range(MIN_REPORTS)})
    cmd = [sys.executable, "-m", "crmlab.cli", "reports", "run", "--demo", "--jobs", "2"]
    run = subprocess.Popen(
        [*cmd, "--catalogue", str(tmp_path / "reports.yaml"), "--out", str(tmp_path / "reports")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    kernels = _wait_for(
        lambda: [int(p.name) for p in pids.iterdir()] if len(list(pids.iterdir())) == 2 else None
    )
    assert all(_parent(str(pid)) not in (None, run.pid) for pid in kernels)  # forked, warm
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in kernels) or None)


def test_ctrl_c_stops_the_run_and_records_what_finished(tmp_path):
    """Ctrl-C: the report that finished is recorded, the running one is stopped (its kernel
    ends with the warm process), the queued one never starts, and the command says so."""
    pids, sleeper = _sleeper(tmp_path)
    _project(tmp_path, {"quick": "print('fine')", "sleeps": sleeper, "queued": "print('late')"})
    # Python turns SIGINT into KeyboardInterrupt even where the test runner ignores it
    entry = "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    entry += "runpy.run_module('crmlab.cli', run_name='__main__')"
    args = [
        "reports",
        "run",
        "--demo",
        "--jobs",
        "1",
        "--catalogue",
        str(tmp_path / "reports.yaml"),
    ]
    run = subprocess.Popen(
        [sys.executable, "-c", entry, *args, "--out", str(tmp_path / "reports")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        kernel = _wait_for(lambda: [int(p.name) for p in pids.iterdir()])[0]
        os.killpg(run.pid, signal.SIGINT)  # as a terminal's Ctrl-C reaches the whole group
        output, _ = run.communicate(timeout=120)  # a hang guard, not a speed limit
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)  # a run that did not stop leaves nothing behind
    assert run.returncode == 130 and "interrupted" in output, output
    status = json.loads((tmp_path / "reports" / "_status.json").read_text())
    assert {name: entry["status"] for name, entry in status.items()} == {"quick": "ok"}
    assert not (tmp_path / "reports" / "queued.html").exists()
    assert "queued: running" not in output
    assert _wait_for(lambda: not Path(f"/proc/{kernel}").exists() or None)


def _sleeper(tmp_path) -> tuple[Path, str]:
    """(a folder, a cell that writes its kernel's process id there and then sleeps)."""
    pids = tmp_path / "pids"
    pids.mkdir()
    code = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(pids)!r}, str(os.getpid())).touch()\n"
        "time.sleep(600)"
    )
    return pids, code


def _wait_for(check, seconds: float = 60):
    """check()'s first true answer; the limit only keeps a broken run from hanging the suite."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answer := check():
            return answer
        time.sleep(0.2)
    raise AssertionError(f"still waiting after {seconds} s")


def _parent(pid: str) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_only_ipykernel_launcher_commands_are_forked(monkeypatch):
    zygote = Zygote.__new__(Zygote)  # no process: only the command check
    zygote.interpreter = [sys.executable, "-Xfrozen_modules=off"]
    launch = [*zygote.interpreter, "-m", "ipykernel_launcher", "-f", "k.json", "--debug"]
    assert zygote.kernel_args(launch) == ["-f", "k.json", "--debug"]
    assert zygote.kernel_args([sys.executable, "-m", "ipykernel_launcher", "-f", "k"]) is None
    assert zygote.kernel_args(["/usr/bin/R", "--slave", "-f", "k.json"]) is None
    assert interpreter_of("crmlab") is not None  # the spec `make` registers is forkable
    monkeypatch.setattr(sys, "platform", "darwin")  # fork only where it is known to be safe
    assert interpreter_of("crmlab") is None
