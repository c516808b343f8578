"""A real, throw-away PostgreSQL server for the tests (Debian's `postgresql` package).

The server lives in a temporary folder, listens on 127.0.0.1 on a free port, and requires a
password over TCP (so that bad credentials can be tested). PostgreSQL refuses to run as
root; as root the server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "crmlab", "s3cret-test"


def binary(name: str) -> str | None:
    """A PostgreSQL program on PATH or in Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    folder: Path
    port: int
    as_user: list[str]

    def url(self, password: str = PASSWORD, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql_file: Path | None = None, command: str | None = None) -> None:
        args = [binary("psql"), self.url(), "-v", "ON_ERROR_STOP=1", "-q"]
        args += ["-f", str(sql_file)] if sql_file else ["-c", command]
        subprocess.run(args, check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                binary("pg_ctl"),
                "-D",
                str(self.folder / "db"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Server:
    """initdb + pg_ctl start in a fresh temporary folder; raises when PostgreSQL is absent."""
    if binary("initdb") is None or binary("pg_ctl") is None:
        raise FileNotFoundError("PostgreSQL server programs (initdb, pg_ctl) not found")
    folder = Path(tempfile.mkdtemp(prefix="crmlab-pg-"))
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    (folder / "pw").write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(folder / "pw", "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        [
            *as_user,
            binary("initdb"),
            "-D",
            str(folder / "db"),
            "-U",
            USER,
            f"--pwfile={folder / 'pw'}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *as_user,
            binary("pg_ctl"),
            "-D",
            str(folder / "db"),
            "-o",
            options,
            "-w",
            "-l",
            str(folder / "log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    return Server(folder, port, as_user)
