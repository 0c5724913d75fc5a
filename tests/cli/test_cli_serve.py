"""``creditbank serve`` on a port that is already taken: one clear line, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_serve_on_a_taken_port_names_creditbank_port(tmp_path: Path) -> None:
    """A second ``creditbank serve`` on a port something listens on exits non-zero with one
    line naming the address and CREDITBANK_PORT, and never starts the app (no admin token)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "CREDITBANK_DATA_DIR": str(tmp_path / "data"),
            "CREDITBANK_HOST": "127.0.0.1",
            "CREDITBANK_PORT": str(port),
        }
        env.pop("CREDITBANK_DATABASE_URL", None)
        served = subprocess.run(
            [sys.executable, "-m", "creditbank.cli", "serve"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert served.returncode == 2, served.stdout + served.stderr
    assert served.stdout == ""
    lines = served.stderr.splitlines()
    assert len(lines) == 1, served.stderr
    assert lines[0].startswith(f"creditbank: port_in_use: 127.0.0.1:{port} is already in use")
    assert "CREDITBANK_PORT" in lines[0]
    assert not (tmp_path / "data").exists()  # nothing was set up for a server that cannot run


def test_serve_with_a_port_that_is_not_a_number_says_which_setting(tmp_path: Path) -> None:
    """CREDITBANK_PORT that is not a number is named, instead of a ValueError traceback."""
    env = {**os.environ, "CREDITBANK_DATA_DIR": str(tmp_path / "data"), "CREDITBANK_PORT": "80a"}
    served = subprocess.run(
        [sys.executable, "-m", "creditbank.cli", "serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert served.returncode == 2
    assert served.stderr.startswith("creditbank: bad_setting: CREDITBANK_PORT must be a port")
