"""Real TLS handshakes between certificates the program issued, with strict verification."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from pathlib import Path


def write_secret(path: Path, text: str) -> Path:
    path.write_text(text)
    os.chmod(path, 0o600)
    return path


def strict_context(purpose: ssl.Purpose, ca_pem: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(purpose, cadata=ca_pem)
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT  # what Python 3.13 turns on by default
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def handshake(tmp: Path, ca_pem: str, server_cert: str, server_key: str, hostname: str,
              client_cert: str | None = None, client_key: str | None = None,
              client_ca_pem: str | None = None) -> None:
    """Serve on 127.0.0.1 requiring a client certificate from `ca_pem`; connect as Falco would.

    Raises ssl.SSLError (or ssl.CertificateError) from whichever side rejects the other.
    """
    server_ctx = strict_context(ssl.Purpose.CLIENT_AUTH, ca_pem)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.load_cert_chain(write_secret(tmp / "server.crt", server_cert), write_secret(tmp / "server.key", server_key))
    client_ctx = strict_context(ssl.Purpose.SERVER_AUTH, client_ca_pem or ca_pem)
    if client_cert:
        client_ctx.load_cert_chain(write_secret(tmp / "client.crt", client_cert), write_secret(tmp / "client.key", client_key))

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    server_error: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(tls.recv(64))
        except (ssl.SSLError, OSError) as err:
            server_error.append(err)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with client_ctx.wrap_socket(raw, server_hostname=hostname) as tls:
                tls.sendall(b"POST / falco alert")
                echoed = tls.recv(64)  # TLS 1.3 reports a rejected client certificate here
                if echoed != b"POST / falco alert":
                    raise ssl.SSLError("server closed the connection")
    finally:
        thread.join(10)
        listener.close()
    if server_error:
        raise server_error[0]
