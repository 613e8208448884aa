"""Nothing may quietly depend on the network: the tests and the book build run offline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pytest_blocks_non_loopback_connections():
    with pytest.raises(Exception, match="(?i)socket|network|blocked|allowed"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def _run_guarded(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "scripts" / "offline")
    env["STEERLENS_OFFLINE"] = "1"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_build_guard_refuses_remote_hosts_in_subprocesses():
    proc = _run_guarded(
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except OSError as e:\n"
        "    print('refused:', e)\n"
    )
    assert "refused: network access to '192.0.2.1' is disabled" in proc.stdout, proc.stderr


def test_build_guard_refuses_dns_lookups():
    proc = _run_guarded(
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('example.org', 443)\n"
        "except OSError as e:\n"
        "    print('refused:', e)\n"
    )
    assert "refused: network access to 'example.org'" in proc.stdout, proc.stderr


def test_build_guard_allows_loopback():
    proc = _run_guarded(
        "import socket\n"
        "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)\n"
        "c = socket.create_connection(srv.getsockname(), timeout=5)\n"
        "print('connected'); c.close(); srv.close()\n"
    )
    assert "connected" in proc.stdout, proc.stderr
