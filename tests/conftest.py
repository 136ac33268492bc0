"""Shared fixtures: a real redis-server on a free port, the app, signed Twilio requests, a Twilio stand-in."""
from __future__ import annotations

import subprocess
import time

from typing import Iterator

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from screener import create_app
from screener.cli import main as cli_main
from screener.config import Settings, load_settings
from screener.model import Line
from screener.services import Services
from screener.store.redis_process import RedisProcess
from screener.dev.simulate import SimulatedCall, signature
from screener.dev import twilio_contract
from screener.dev import twilio_webhooks as webhooks
from screener.voice.protocol import CONNECTION_OVERRIDES
from screener.dev.twilio_standin import TwilioStandIn, start as start_outbox

OVERRIDES = "#" + CONNECTION_OVERRIDES  # the fragment every URL we hand to Twilio ends with
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
SECRET_KEY = "test-secret-key-" + "x" * 40
LINE = "+12025550143"
DESTINATION = "+48601234567"
ALERT_PHONE = "+4915112345678"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisProcess]:
    with RedisProcess(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_client(redis_server) -> redis_lib.Redis:
    client = redis_lib.Redis.from_url(redis_server.url)
    client.flushall()
    return client


def wait_until_serving(url: str, process: subprocess.Popen | None = None, seconds: float = 60) -> None:
    """Wait until `url` answers 2xx; a loaded 2-core machine can take a while to boot a server. Raises
    (with what the process said, if it exited) when it does not."""
    import requests

    deadline = time.monotonic() + seconds
    while True:
        if process is not None and process.poll() is not None:
            said = process.stderr.read().decode()[-2000:] if process.stderr else ""
            raise RuntimeError(f"the server exited ({process.returncode}) before answering {url}: {said}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")
        time.sleep(0.05)



@pytest.fixture
def serve(env, svc):
    """Start `screener serve` (a real gunicorn) on a free port with the test environment: `serve(workers)`
    returns its base URL; every server started is stopped after the test."""
    import os
    import sys

    from screener.store.redis_process import free_port

    started: list[subprocess.Popen] = []

    def start(workers: int = 1) -> str:
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "screener", "serve", "--port", str(port),
                                    "--workers", str(workers)], env={**os.environ},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base + "/healthz", process)
        return base

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def outbox_server():
    outbox = TwilioStandIn(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
    server = start_outbox(outbox)
    yield outbox, server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def strict_twilio(outbox_server):
    """A fresh stand-in account per test, holding the Twilio number of the tests' line; at teardown, any
    request Twilio's API description refuses fails the test that sent it."""
    box, _ = outbox_server
    assert twilio_contract.load() is not None, "openapi-core is needed: pip install -e '.[test]'"
    box.reset()
    box.add_number(LINE)
    yield box
    assert box.violations == [], "requests Twilio would refuse (400)"


@pytest.fixture
def outbox(strict_twilio) -> TwilioStandIn:
    return strict_twilio


@pytest.fixture
def env(redis_server, outbox_server, tmp_path, monkeypatch) -> dict[str, str]:
    """The environment of a configured deployment; also set in os.environ for workers and the CLI."""
    _, server = outbox_server
    values = {
        "REDIS_URL": redis_server.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE": f"http://127.0.0.1:{server.server_address[1]}",
        "SCREENER_SECRET_KEY": SECRET_KEY,
        "SCREENER_INSTANCE": str(tmp_path / "instance"),
    }
    monkeypatch.delenv("SCREENER_PUBLIC_URL", raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def settings(env, redis_client) -> Settings:
    return load_settings()


@pytest.fixture
def app(settings) -> Flask:
    return create_app({"TESTING": True}, settings=settings)


@pytest.fixture
def svc(app) -> Services:
    return app.extensions["screener"]


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def line(svc) -> Line:
    """One configured line with an alert number."""
    item = Line(LINE, DESTINATION, "US", alert_sms=(ALERT_PHONE,), label="Press office")
    svc.lines.save(item)
    return item


class Twilio:
    """Posts requests to the app the way Twilio does: form-encoded and signed for the called URL."""

    def __init__(self, client: FlaskClient, token: str = AUTH_TOKEN, base: str = "http://localhost") -> None:
        self.client = client
        self.token = token
        self.base = base

    def post(self, path: str, form: dict[str, str], *, signed_url: str | None = None, token: str | None = None,
             headers: dict[str, str] | None = None):
        url = signed_url or (self.base + path)
        sig = signature(token or self.token, url, form)
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": sig, **(headers or {})})

    def callback(self, url: str, form: dict[str, str], before_retry=None):
        """Deliver a URL we handed to Twilio (relative or absolute, with its fragment) as Twilio would:
        signed for the URL without the fragment, retried only as the fragment's overrides say. The last
        response, with `.attempts` (every response) on it."""
        path = "/" + url.split("://", 1)[-1].split("/", 1)[1] if "://" in url else url

        def attempt(requested: str):
            return self.post(requested, form, signed_url=self.base + requested)

        responses = webhooks.deliver(path, attempt, lambda response: response.status_code, before_retry)
        responses[-1].attempts = responses
        return responses[-1]

    def call(self, from_: str, to: str = LINE, **kwargs):
        sim = SimulatedCall(from_=from_, to=to, account_sid=ACCOUNT_SID)
        response = self.post("/voice/incoming", sim.incoming_form(), **kwargs)
        response.sim = sim
        return response


@pytest.fixture
def twilio(client) -> Twilio:
    return Twilio(client)


@pytest.fixture
def runner(env) -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner):
    """Invoke the `screener` command in-process with the test environment."""

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli_main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def run_worker(env):
    """Drain the alerts, recordings and imports queues with the real worker in burst mode; like production
    it is rq's SimpleWorker, so each job runs in this test's process, with no work horse forked."""
    from workers.main import run_worker as work

    def drain() -> None:
        work(burst=True)

    return drain


@pytest.fixture
def doomed_redis(env, monkeypatch, tmp_path):
    """An app on a Redis of its own, and `kill()` to make that Redis die mid-call. Yields (Twilio, kill)."""
    server = RedisProcess(tmp_path).start()
    monkeypatch.setenv("REDIS_URL", server.url)
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener"].lines.save(Line(LINE, DESTINATION, "US"))
    yield Twilio(app.test_client()), server.kill
    server.kill()


@pytest.fixture
def full_redis(env, monkeypatch, tmp_path):
    """An app on a Redis of its own with a 2 MB limit and no eviction (as deploy/redis.conf refuses writes
    when full), and `fill()` to write to it until it refuses writes. Yields (app, fill)."""
    server = RedisProcess(tmp_path / "full-redis", "--maxmemory", "2mb", "--maxmemory-policy", "noeviction").start()
    monkeypatch.setenv("REDIS_URL", server.url)
    app = create_app({"TESTING": True}, settings=load_settings())

    def fill() -> None:
        client = server.client()
        with pytest.raises(redis_lib.exceptions.OutOfMemoryError):
            for i in range(100_000):
                client.set(f"filler:{i}", "x" * 4096)

    yield app, fill
    server.stop()
