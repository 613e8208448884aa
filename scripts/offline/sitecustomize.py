"""Network guard for the book build and the tests' subprocesses.

`scripts/build_book.py` puts this folder on PYTHONPATH and sets STEERLENS_OFFLINE=1, so every
Python process of the build (Sphinx, and each notebook's kernel) refuses to open a connection
to anything but the loopback interface. A chapter that quietly depends on a download fails the
build instead of working only on a networked machine.
"""

import os

if os.environ.get("STEERLENS_OFFLINE") == "1":
    import ipaddress
    import socket

    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def _is_local(host) -> bool:
        if isinstance(host, bytes):
            host = host.decode()
        if host in (None, "", "localhost") or str(host).endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _refuse(host):
        raise OSError(
            f"network access to {host!r} is disabled (STEERLENS_OFFLINE=1): the book and the "
            f"tests must run offline. Ship the data with the package or skip this step offline."
        )

    def _guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(address[0])
        return _connect(self, address)

    def _guarded_connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(address[0])
        return _connect_ex(self, address)

    def _guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            _refuse(host)
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
