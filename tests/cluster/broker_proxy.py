"""A TCP relay in front of the local RabbitMQ that a test can cut and restore: a broker
outage for one process, without stopping the broker every other test shares."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class BrokerProxy:
    """Relays 127.0.0.1:<port> to the broker. `cut()` drops every connection and refuses
    new ones; `restore()` accepts them again."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5672)) -> None:
        self._upstream = upstream
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if self._cut:
                    client.close()
                    continue
                try:
                    server = socket.create_connection(self._upstream)
                except OSError:
                    client.close()
                    continue
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
