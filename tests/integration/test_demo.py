"""`screener demo` from an empty folder: embedded Redis, web, worker, and the calls it suggests."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from screener.store.embedded_redis import ensure_running, is_running, stop
from screener.store.redis_process import free_port
from tests.conftest import wait_until_serving

CONFIG_VARS = ("REDIS_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE", "SCREENER_SECRET_KEY",
               "SCREENER_PUBLIC_URL", "SCREENER_INSTANCE")


def test_embedded_redis_starts_under_the_instance_folder_with_aof(tmp_path):
    instance = tmp_path / "instance"
    url = ensure_running(instance)
    try:
        assert url == f"unix://{instance / 'redis.sock'}"
        assert ensure_running(instance) == url  # a second call reuses the running server
        import redis

        client = redis.Redis.from_url(url)
        assert client.config_get("appendonly")["appendonly"] == "yes"
        assert oct((instance / "redis.sock").stat().st_mode & 0o777) == "0o600"
    finally:
        stop(instance)
    assert not is_running(instance)


@pytest.fixture
def demo(tmp_path):
    """`screener demo` started the way the README says, in an empty folder with no configuration."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    port = free_port()
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "screener", "demo", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base + "/readyz", process)
    yield base, tmp_path, env
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def screener(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "screener", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=30)


def wait_for(path: Path, text: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        content = path.read_text()
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path}:\n{path.read_text()[-3000:]}")


@pytest.mark.slow
def test_demo_shows_block_forward_and_screen_and_sends_the_alert(demo):
    base, folder, env = demo
    welcome = wait_for(folder / "demo.log", "screener call --from")
    assert "Ctrl-C" in welcome
    blocked = screener(folder, env, "call", "--from", "+375291234567", "--url", base)
    assert blocked.returncode == 0 and '<Reject reason="busy" />' in blocked.stdout
    forwarded = screener(folder, env, "call", "--from", "+442079460123", "--url", base)
    assert "<Number>+48601234567</Number>" in forwarded.stdout
    screened = screener(folder, env, "call", "--from", "anonymous", "--url", base)
    assert "<Record" in screened.stdout and "<Dial" not in screened.stdout
    # The whole dialogue: on hold in a conference, the press secretary rung through the Twilio stand-in,
    # the whisper, 1 to accept, then * to end and report.
    walked = screener(folder, env, "call", "--from", "anonymous", "--url", base, "--press", "1*")
    assert walked.returncode == 0, walked.stderr
    assert "<Conference" in walked.stdout and "Press 1 to accept" in walked.stdout
    assert 'hangupOnStar="true"' in walked.stdout and "has been reported" in walked.stdout
    wait_for(folder / "demo.log", "[Calls] ringing the press secretary +48601234567")
    log = wait_for(folder / "demo.log", "[SMS outbox] to +4915112345678")
    assert "+375291234567" in log.split("[SMS outbox]")[1]
    assert (folder / "instance" / "appendonly.aof").exists() or (folder / "instance" / "appendonlydir").exists()
    assert oct((folder / "instance" / "screener.env").stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_demo_admin_signs_in_and_sees_the_simulated_call(demo):
    import re

    base, folder, env = demo
    welcome = wait_for(folder / "demo.log", "sign in as demo / ")
    password = re.search(r"sign in as demo / (\S+)", welcome).group(1)
    screener(folder, env, "call", "--from", "+375291234567", "--url", base)
    session = requests.Session()
    login = session.get(base + "/login")
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login.text).group(1)
    signed_in = session.post(base + "/login", data={"username": "demo", "password": password, "csrf_token": token})
    assert signed_in.ok and "Sign out" in signed_in.text
    calls = session.get(base + "/calls/").text
    assert "+375291234567" in calls


@pytest.mark.slow
def test_the_demo_lines_twilio_number_is_configured_and_checked_against_the_stand_in(demo):
    base, folder, env = demo
    wait_for(folder / "demo.log", "screener call --from")
    before = screener(folder, env, "twilio", "check")
    assert before.returncode == 1 and "VoiceUrl" in before.stdout + before.stderr
    configured = screener(folder, env, "twilio", "configure")
    assert configured.returncode == 0, configured.stderr
    assert f"{base}/voice/incoming#" in configured.stdout
    checked = screener(folder, env, "twilio", "check")
    assert checked.returncode == 0 and "ok" in checked.stdout, checked.stdout + checked.stderr


@pytest.mark.slow
def test_a_closed_terminal_stops_the_demo_and_all_it_started(demo):
    base, folder, env = demo
    wait_for(folder / "demo.log", "screener call --from")  # the banner comes once the web app answers
    assert requests.get(base + "/healthz", timeout=5).ok
    os.kill(_demo_pid(base.rsplit(":", 1)[1]), signal.SIGHUP)
    log = wait_for(folder / "demo.log", "stopping the demo", seconds=30)
    assert "stopped unexpectedly" not in log
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (is_running(folder / "instance") or _answers(base)):
        time.sleep(0.2)
    assert not is_running(folder / "instance") and not _answers(base)


@pytest.mark.slow
def test_ctrl_c_stops_the_demo_quietly_and_says_it_stopped_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    port = free_port()
    # As a terminal's Ctrl-C does: SIGINT to the demo alone (its children run in their own sessions).
    process = subprocess.Popen([sys.executable, "-m", "screener", "demo", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/readyz", process)
        time.sleep(1)  # the banner and the worker's start-up lines
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    lines = [line for line in output.splitlines() if line.strip()]
    assert process.returncode == 0, output
    assert "stopped cleanly" in lines[-1], output
    assert "stopped unexpectedly" not in output and "Traceback" not in output
    assert not [line for line in lines if "warn" in line.lower() or "Control socket" in line], output


def test_the_demo_refuses_a_port_that_is_taken(tmp_path):
    import socket

    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "screener", "demo", "--port", str(port)], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and f"port {port} is taken" in result.stderr
    assert not (tmp_path / "instance").exists()  # nothing was started or written


def _demo_pid(port: str) -> int:
    """The `screener demo --port PORT` process (what a closed terminal would signal)."""
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"demo" in args and b"--port" in args and port.encode() in args:
            return int(proc.name)
    raise AssertionError(f"no screener demo on port {port}")


def _answers(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=1).ok
    except requests.RequestException:
        return False
