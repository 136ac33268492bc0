"""The production files in deploy/, checked by the tools that will run them."""
from __future__ import annotations

import configparser
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import redis

from screener.config import ConfigError, load_settings, read_env_file, require_secrets
from screener.dev.simulate import SimulatedCall, signature
from screener.store.redis_process import RedisProcess, free_port, redis_binary, stop_process
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
SITE = DEPLOY / "nginx" / "screener.conf"
ENV_EXAMPLE = DEPLOY / "screener.env.example"
VENV_BIN = Path(sys.executable).parent  # gunicorn and the screener script sit next to this python
INSTALL_BIN = "/opt/screener/venv/bin"  # where the units expect the production virtualenv
PUBLIC_HOST = "screener.example.org"
CALLER = "+48601234567"


def wait_until(check, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (OSError, redis.ConnectionError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    finally:
        connection.close()


def listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def running(process: subprocess.Popen, name: str, log: Path) -> bool:
    """True while the process runs; fails the test at once, with its log, when it has exited."""
    if process.poll() is not None:
        raise AssertionError(f"{name} exited with status {process.returncode}:\n{log.read_text()}")
    return True


# --- Redis ------------------------------------------------------------------------------------------


@pytest.fixture
def deployed_redis(tmp_path):
    """Start redis-server with deploy/redis.conf; only port, folders and logging are overridden."""
    binary = redis_binary(prefer_system=True)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    major = int(re.search(r"v=(\d+)", version).group(1))
    if major < 7:
        pytest.skip(f"deploy/redis.conf needs Redis >= 7 (listpack settings); {binary} is {version.split()[2]}:"
                    " install Debian's redis-server (scripts/apt-packages.txt)")
    processes = []

    def start(*overrides: str) -> redis.Redis:
        port = free_port()
        process = subprocess.Popen(
            [binary, str(DEPLOY / "redis.conf"), "--port", str(port), "--dir", str(tmp_path),
             "--daemonize", "no", "--logfile", "", "--pidfile", str(tmp_path / "redis.pid"), *overrides],
            stdout=subprocess.DEVNULL,
        )
        processes.append(process)
        client = redis.Redis(port=port)
        wait_until(lambda: process.poll() is None and client.ping(), "redis-server with deploy/redis.conf answering")
        return client

    yield start
    for process in processes:
        if process.poll() is None:
            stop_process(process)


def test_redis_conf_keeps_every_write_in_the_append_only_file(deployed_redis):
    client = deployed_redis()

    config = client.config_get("*")

    assert config["appendonly"] == "yes"
    assert config["appendfsync"] == "everysec"
    assert config["maxmemory-policy"] == "noeviction"
    assert config["protected-mode"] == "yes"
    assert config["bind"].split()[0] == "127.0.0.1"


def test_redis_restart_keeps_data_without_a_snapshot(deployed_redis):
    client = deployed_redis()
    client.set("scr:probe", "kept")

    client.shutdown(nosave=True)  # no RDB snapshot: only the append-only file can bring the key back
    restarted = deployed_redis()

    assert restarted.get("scr:probe") == b"kept"


def test_full_redis_refuses_writes_instead_of_evicting(deployed_redis):
    client = deployed_redis("--maxmemory", "4mb")
    written = 0
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        for written in range(10_000):
            client.set(f"scr:entry:{written}", "x" * 10_000)

    assert client.dbsize() == written
    assert client.exists("scr:entry:0")


def test_blocklist_bucket_of_128_numbers_stays_compact(deployed_redis):
    client = deployed_redis()

    client.hset("scr:bucket", mapping={f"4860123{i:04d}": "m1" for i in range(128)})

    assert client.object("encoding", "scr:bucket") == b"listpack"


def test_sentinels_find_the_master_with_quorum_two(tmp_path):
    master = RedisProcess(tmp_path).start()
    conf = tmp_path / "sentinel.conf"  # sentinel rewrites its file: give it a copy
    text, count = re.subn(r"^(sentinel monitor screener) \S+ \d+ (\d+)$", rf"\1 127.0.0.1 {master.port} \2",
                          (DEPLOY / "sentinel.conf").read_text(), flags=re.M)
    assert count == 1, "sentinel.conf should monitor one master named screener"
    conf.write_text(text)
    port = free_port()
    sentinel_process = subprocess.Popen(
        [redis_binary(prefer_system=True), str(conf), "--sentinel", "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path), "--logfile", "", "--pidfile", str(tmp_path / "sentinel.pid")],
        stdout=subprocess.DEVNULL,
    )
    try:
        sentinel = redis.Sentinel([("127.0.0.1", port)], socket_timeout=1)
        found = wait_until(lambda: sentinel.discover_master("screener"), "sentinel reporting the master")
        state = redis.Redis(port=port).sentinel_master("screener")
    finally:
        stop_process(sentinel_process)
        master.stop()

    assert found == ("127.0.0.1", master.port)
    assert state["quorum"] == 2


# --- systemd ----------------------------------------------------------------------------------------


def read_unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(DEPLOY / "systemd" / name)
    return parser


@pytest.mark.parametrize("unit", ["screener-web.service", "screener-worker@.service"])
def test_service_runs_as_screener_user_confined_to_its_instance(unit):
    service = read_unit(unit)["Service"]
    instance = read_env_file(ENV_EXAMPLE)["SCREENER_INSTANCE"]

    assert service["User"] == "screener"
    assert service["EnvironmentFile"] == "/etc/screener/screener.env"
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert instance in service["ReadWritePaths"].split()


def test_units_start_the_documented_entry_points():
    web = read_unit("screener-web.service")["Service"]["ExecStart"].split()
    worker = read_unit("screener-worker@.service")["Service"]["ExecStart"].split()

    assert web[0] == f"{INSTALL_BIN}/gunicorn" and web[-1] == "screener.wsgi:app"
    assert worker == [f"{INSTALL_BIN}/screener", "worker"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_analyze_accepts_the_units(tmp_path):
    # Point the units at this virtualenv so systemd can check that the commands exist and run.
    for unit in [*(DEPLOY / "systemd").glob("*.service"), *(DEPLOY / "systemd").glob("*.timer")]:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALL_BIN, str(VENV_BIN)))

    result = subprocess.run(
        ["systemd-analyze", "verify", "./screener-web.service", "./screener-worker.service",
         "./screener-worker@1.service", "./screener-backup.service", "./screener-backup.timer",
         *(f"./screener-{task}.timer" for task in HOUSEKEEPING), *(f"./screener-housekeeping@{task}.service"
                                                                 for task in HOUSEKEEPING)],
        cwd=tmp_path, capture_output=True, text=True,
    )

    # verify exits 0 on unknown keys and bad values but prints them: any mention of our units fails.
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "screener" in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_backup_timer_starts_the_backup_nightly_and_catches_up_after_downtime():
    timer = read_unit("screener-backup.timer")["Timer"]
    service = read_unit("screener-backup.service")["Service"]

    assert timer["OnCalendar"].startswith("*-*-* ")  # every day
    assert timer["Persistent"] == "yes"
    assert service["Type"] == "oneshot" and service["User"] == "screener"
    assert service["EnvironmentFile"] == "/etc/screener/screener.env"
    assert service["ExecStartPost"].split()[0] == "/usr/bin/find"  # old backups go only after a new one


def test_backup_service_command_writes_a_dated_backup(env, tmp_path):
    command = read_unit("screener-backup.service")["Service"]["ExecStart"]
    script = re.fullmatch(r"/bin/sh -c '(.*)'", command).group(1)
    # What systemd hands the shell: $$ and %% are a literal $ and %.
    script = script.replace("$$", "$").replace("%%", "%").replace(INSTALL_BIN, str(VENV_BIN))
    script = script.replace("/var/lib/screener-backups", str(tmp_path / "backups"))

    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "backups").iterdir()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d{6}Z", folder.name)
    assert (folder / "manifest.json").is_file()


HOUSEKEEPING = ("reports-refresh", "feed-build", "peer-sync")


def housekeeping_script(task: str) -> str:
    """What screener-housekeeping@TASK.service hands the shell, pointed at this virtualenv."""
    command = read_unit("screener-housekeeping@.service")["Service"]["ExecStart"]
    command = re.sub(r"\\\n", " ", command)  # systemd joins a line ending in a backslash with the next
    script = re.fullmatch(r"/bin/sh -c '(.*)'", command, re.S).group(1)
    return script.replace("%i", task).replace(INSTALL_BIN, str(VENV_BIN))


@pytest.mark.parametrize("task", HOUSEKEEPING)
def test_each_housekeeping_timer_starts_its_task_and_catches_up_after_downtime(task):
    timer = read_unit(f"screener-{task}.timer")["Timer"]

    assert timer["Unit"] == f"screener-housekeeping@{task}.service" and timer["Persistent"] == "yes"
    assert f"{task})" in housekeeping_script(task)


def test_housekeeping_tasks_run_against_a_deployment(env, tmp_path):
    key = tmp_path / "feed.key"
    made = subprocess.run([str(VENV_BIN / "screener"), "feed", "keygen", str(key)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    feed = tmp_path / "feed"
    environment = {**os.environ, "SCREENER_FEED_KEY": str(key), "SCREENER_FEED_DIR": str(feed)}

    def run(task: str) -> subprocess.CompletedProcess:
        return subprocess.run(["/bin/sh", "-c", housekeeping_script(task)], env=environment, capture_output=True,
                              text=True, timeout=120)

    for task in HOUSEKEEPING:
        done = run(task)
        assert done.returncode == 0, (task, done.stderr)
    assert (feed / "manifest.json").is_file() and (feed / "manifest.json.minisig").is_file()
    unknown = run("flush-everything")
    assert unknown.returncode == 2 and "no task flush-everything" in unknown.stderr


# --- gunicorn ---------------------------------------------------------------------------------------


def gunicorn(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "gunicorn"), *args, "-c", str(GUNICORN_CONF), "screener.wsgi:app"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, **kwargs)


def test_gunicorn_accepts_the_config_and_loads_the_app(env):
    result = gunicorn("--check-config")

    assert result.returncode == 0, result.stderr


def test_gunicorn_serves_loopback_only_with_threads_and_no_preload(env, monkeypatch):
    monkeypatch.delenv("SCREENER_BIND", raising=False)

    result = gunicorn("--print-config")

    settings = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, flags=re.M))
    assert settings["bind"] == "['127.0.0.1:8000']"
    assert settings["worker_class"] == "gthread"
    assert settings["preload_app"] == "False"


def test_exited_worker_stops_reporting_its_gauges(tmp_path):
    gauge = tmp_path / "gauge_livesum_4242.db"
    gauge.write_bytes(b"")
    # A separate interpreter, as in gunicorn's master: prometheus_client picks its mode at import.
    exit_worker = ("import runpy, sys, types; hooks = runpy.run_path(sys.argv[1]); "
                   "hooks['child_exit'](None, types.SimpleNamespace(pid=4242))")

    subprocess.run([sys.executable, "-c", exit_worker, str(GUNICORN_CONF)], check=True,
                   env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)})

    assert not gauge.exists()


# --- nginx in front of gunicorn ---------------------------------------------------------------------

needs_nginx = pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed (scripts/apt-packages.txt)")


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> SimpleNamespace:
    """A self-signed certificate for the public host."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, PUBLIC_HOST)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(PUBLIC_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = SimpleNamespace(cert=folder / "fullchain.pem", key=folder / "privkey.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


def site_with(tls, logs: Path) -> str:
    """The site with test certificates and log folder; everything else as shipped."""
    text = SITE.read_text()
    for placeholder, value in {
        "/etc/ssl/screener/fullchain.pem": str(tls.cert),
        "/etc/ssl/screener/privkey.pem": str(tls.key),
        "/var/log/nginx/": f"{logs}/",
        "/var/www/letsencrypt": f"{logs}/acme",
    }.items():
        assert placeholder in text, f"{SITE.name} no longer mentions {placeholder}"
        text = text.replace(placeholder, value)
    return text


def nginx_conf(folder: Path, site: str) -> Path:
    """A minimal nginx.conf that includes the site the way Debian's does (inside http {})."""
    (folder / "site.conf").write_text(site)
    conf = folder / "nginx.conf"
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {folder / kind};" for kind in kinds)
    conf.write_text(
        f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        f"events {{}}\nhttp {{\n  {temp}\n  include {folder / 'site.conf'};\n}}\n"
    )
    return conf


@needs_nginx
def test_nginx_accepts_the_site(tls, tmp_path):
    conf = nginx_conf(tmp_path, site_with(tls, tmp_path))

    result = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_metrics_are_denied_to_everyone_outside_the_allowed_networks():
    block = re.search(r"location = /metrics \{(.*?)\}", SITE.read_text(), flags=re.S).group(1)
    rules = re.findall(r"^\s*(allow|deny)\s+(\S+);", block, flags=re.M)

    assert rules[-1] == ("deny", "all")
    assert ("allow", "127.0.0.1") in rules


class PublicHostConnection(http.client.HTTPSConnection):
    """HTTPS to the local nginx, presenting the public host name in TLS (SNI) and in Host."""

    def __init__(self, port: int, context: ssl.SSLContext, sni: str = PUBLIC_HOST) -> None:
        super().__init__(PUBLIC_HOST, port, context=context, timeout=10)
        self.sni = sni

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.sni)


def launch(command: list[str], log: Path, **kwargs) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)


def site_on_ports(tls, folder: Path, ports: SimpleNamespace) -> str:
    """The site on free loopback ports (no IPv6: the test host may lack it), proxying to our gunicorn."""
    text = site_with(tls, folder).replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{ports.app};")
    text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.M)
    text = re.sub(r"listen 443\b", f"listen 127.0.0.1:{ports.https}", text)
    return re.sub(r"listen 80\b", f"listen 127.0.0.1:{ports.http}", text)


@pytest.fixture
def site(env, line, tls, tmp_path):
    """gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx/screener.conf, on free ports."""
    ports = SimpleNamespace(app=free_port(), http=free_port(), https=free_port())
    logs = SimpleNamespace(app=tmp_path / "gunicorn.log", nginx=tmp_path / "screener.access.log",
                           nginx_start=tmp_path / "nginx.out")
    web = launch([str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), "screener.wsgi:app"], logs.app, cwd=ROOT,
                 env={**os.environ, "SCREENER_BIND": f"127.0.0.1:{ports.app}", "WEB_CONCURRENCY": "2",
                      "SCREENER_TRUST_PROXY": "1", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")})
    conf = nginx_conf(tmp_path, site_on_ports(tls, tmp_path, ports))
    proxy = launch(["nginx", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                   logs.nginx_start)
    try:
        wait_until(lambda: running(web, "gunicorn", logs.app) and answers(ports.app), "gunicorn answering")
        wait_until(lambda: running(proxy, "nginx", logs.nginx_start) and listening(ports.https), "nginx listening")
        trusted = ssl.create_default_context(cafile=str(tls.cert))
        yield SimpleNamespace(
            https=lambda sni=PUBLIC_HOST, context=trusted: PublicHostConnection(ports.https, context, sni),
            http=lambda: http.client.HTTPConnection("127.0.0.1", ports.http, timeout=10),
            nginx_log=logs.nginx.read_text,
            app_log=logs.app.read_text,
        )
    finally:
        stop_process(proxy)
        stop_process(web)


def fetch(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.text = response.read().decode()
    finally:
        connection.close()
    return response


def signed_call(form: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A call as Twilio posts it, signed for the public https URL configured in the Twilio console."""
    sig = signature(AUTH_TOKEN, f"https://{PUBLIC_HOST}/voice/incoming", form)
    return urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig}


@needs_nginx
@pytest.mark.slow
def test_signed_call_through_nginx_is_answered(site):
    body, headers = signed_call(SimulatedCall(from_=CALLER, to=LINE, account_sid=ACCOUNT_SID).incoming_form())

    response = fetch(site.https(), "POST", "/voice/incoming", body, headers)

    assert response.status == 200, response.text
    assert "<Response>" in response.text


@needs_nginx
@pytest.mark.slow
def test_calls_are_counted_in_metrics_across_gunicorn_workers(site):
    body, headers = signed_call(SimulatedCall(from_=CALLER, to=LINE, account_sid=ACCOUNT_SID).incoming_form())
    for _ in range(4):
        fetch(site.https(), "POST", "/voice/incoming", body, headers)

    metrics = fetch(site.https(), "GET", "/metrics").text

    counted = re.findall(r"^screener_calls_total\{.*\} (\S+)$", metrics, flags=re.M)
    assert sum(float(value) for value in counted) == 4


@needs_nginx
@pytest.mark.slow
def test_plain_http_redirects_to_https(site):
    response = fetch(site.http(), "POST", "/voice/incoming", headers={"Host": PUBLIC_HOST})

    assert response.status == 301
    assert response.getheader("Location") == f"https://{PUBLIC_HOST}/voice/incoming"


@needs_nginx
@pytest.mark.slow
def test_oversized_request_is_refused_before_the_app(site):
    response = fetch(site.https(), "POST", "/voice/incoming", b"x" * 100_000,
                     {"Content-Type": "application/x-www-form-urlencoded"})

    assert response.status == 413
    assert "/voice/incoming" not in site.app_log()


@needs_nginx
@pytest.mark.slow
@pytest.mark.parametrize("method, path, body", [("GET", "/healthz", None), ("POST", "/voice/incoming", b"x" * 100_000)],
                         ids=["app-answer", "nginx-error-page"])
def test_answers_carry_one_copy_of_each_security_header(site, method, path, body):
    response = fetch(site.https(), method, path, body)

    headers = {name.lower(): value for name, value in response.getheaders()}
    assert len(headers) == len(response.getheaders()), response.getheaders()  # no header twice
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@needs_nginx
@pytest.mark.slow
def test_access_logs_leave_out_numbers_in_query_strings(site):
    fetch(site.https(), "GET", f"/readyz?From={CALLER.replace('+', '%2B')}")

    # Both servers write the access line after the answer has gone out.
    logs = wait_until(lambda: "/readyz" in site.nginx_log() and "/readyz" in site.app_log()
                      and site.nginx_log() + site.app_log(), "both access logs naming /readyz")

    assert CALLER[1:] not in logs


@needs_nginx
@pytest.mark.slow
def test_tls_for_an_unknown_host_name_is_refused(site):
    any_certificate = ssl.create_default_context()
    any_certificate.check_hostname = False
    any_certificate.verify_mode = ssl.CERT_NONE  # so only nginx's refusal can fail the handshake

    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        fetch(site.https(sni="other.example.net", context=any_certificate), "GET", "/healthz")


# --- environment ------------------------------------------------------------------------------------


def variables_read_by_the_code() -> set[str]:
    """Our own variables named anywhere in the code, and anything else read through os.environ."""
    ours = re.compile(r"\"((?:SCREENER|TWILIO|REDIS|PROMETHEUS)_[A-Z0-9_]+)\"")
    environ_read = re.compile(r"(?:environ\.get\(|environ\[|getenv\()\"([A-Z][A-Z0-9_]+)\"")
    names: set[str] = set()
    for source in [*(ROOT / "screener").rglob("*.py"), *(ROOT / "workers").rglob("*.py"), GUNICORN_CONF]:
        text = source.read_text()
        names |= set(ours.findall(text)) | set(environ_read.findall(text))
    return names


def test_env_example_documents_every_variable_the_code_reads():
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.M))
    read = variables_read_by_the_code()

    assert {"REDIS_URL", "SCREENER_SECRET_KEY", "PROMETHEUS_MULTIPROC_DIR"} <= read
    assert read - documented == set()


def test_unedited_env_example_refuses_to_start():
    settings = load_settings(read_env_file(ENV_EXAMPLE))

    with pytest.raises(ConfigError, match="SCREENER_SECRET_KEY"):
        require_secrets(settings)


@needs_nginx
@pytest.mark.slow
def test_nginx_takes_a_message_itself_when_the_app_is_down(tls, tmp_path):
    ports = SimpleNamespace(app=free_port(), http=free_port(), https=free_port())  # nothing listens on app
    conf = nginx_conf(tmp_path, site_on_ports(tls, tmp_path, ports))
    proxy = launch(["nginx", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                   tmp_path / "nginx.out")
    try:
        wait_until(lambda: running(proxy, "nginx", tmp_path / "nginx.out") and listening(ports.https), "nginx")
        trusted = ssl.create_default_context(cafile=str(tls.cert))
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert fetch(PublicHostConnection(ports.https, trusted, PUBLIC_HOST), "POST", "/voice/incoming", b"a=1",
                     form).status == 502
        answer = fetch(PublicHostConnection(ports.https, trusted, PUBLIC_HOST), "POST", "/voice/fallback", b"a=1", form)
        done = fetch(PublicHostConnection(ports.https, trusted, PUBLIC_HOST), "POST", "/voice/fallback/done", b"", form)
    finally:
        stop_process(proxy)
    assert answer.status == 200 and answer.getheader("Content-Type") == "application/xml"
    assert answer.text == (ROOT / "deploy" / "fallback.xml").read_text().strip()  # the second host's copy
    record = ElementTree.fromstring(answer.text).find("Record")
    assert record.get("action") == "/voice/fallback/done"
    assert ElementTree.fromstring(done.text)[0].tag == "Hangup"


@needs_nginx
@pytest.mark.slow
def test_certbot_challenges_are_answered_over_plain_http_and_nothing_else_is(tls, tmp_path):
    token = "Zm9vYmFyLXRva2VuLTEyMzQ1Njc4OTA"
    challenges = tmp_path / "acme" / ".well-known" / "acme-challenge"
    challenges.mkdir(parents=True)
    (challenges / token).write_text(f"{token}.thumbprint")
    ports = SimpleNamespace(app=free_port(), http=free_port(), https=free_port())
    conf = nginx_conf(tmp_path, site_on_ports(tls, tmp_path, ports))
    proxy = launch(["nginx", "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                   tmp_path / "nginx.out")
    host = {"Host": PUBLIC_HOST}
    try:
        wait_until(lambda: running(proxy, "nginx", tmp_path / "nginx.out") and listening(ports.http), "nginx")
        answer = fetch(http.client.HTTPConnection("127.0.0.1", ports.http, timeout=10), "GET",
                       f"/.well-known/acme-challenge/{token}", headers=host)
        unknown = fetch(http.client.HTTPConnection("127.0.0.1", ports.http, timeout=10), "GET",
                        "/.well-known/acme-challenge/other", headers=host)
        page = fetch(http.client.HTTPConnection("127.0.0.1", ports.http, timeout=10), "GET", "/login", headers=host)
    finally:
        stop_process(proxy)
    assert answer.status == 200 and answer.text == f"{token}.thumbprint"
    assert unknown.status == 404  # never handed to the app
    assert page.status == 301 and page.getheader("Location") == f"https://{PUBLIC_HOST}/login"
