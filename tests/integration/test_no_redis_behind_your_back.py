"""Only `screener demo` starts the embedded Redis: every other command without REDIS_URL says what to do."""
import os
import subprocess
import sys

import pytest

CONFIG_VARS = ("REDIS_URL", "REDIS_SENTINELS", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE",
               "SCREENER_SECRET_KEY", "SCREENER_PUBLIC_URL", "SCREENER_INSTANCE")


def screener(tmp_path, *args, **extra_env):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(SCREENER_INSTANCE=str(tmp_path / "instance"), SCREENER_SECRET_KEY="k" * 48,
               TWILIO_AUTH_TOKEN="t" * 32, **extra_env)
    return subprocess.run([sys.executable, "-m", "screener", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("args", [("line", "list"), ("blocklist", "export"), ("verify",), ("worker", "--burst")])
def test_a_command_without_redis_says_how_to_get_one_and_starts_nothing(tmp_path, args):
    result = screener(tmp_path, *args)
    assert result.returncode == 1
    assert "REDIS_URL is unset" in result.stderr and "./scripts/demo" in result.stderr
    assert not (tmp_path / "instance" / "redis.sock").exists()


def test_serve_refuses_a_production_deployment_without_redis(tmp_path):
    result = screener(tmp_path, "serve", SCREENER_PUBLIC_URL="https://screener.example.org")
    assert result.returncode == 1 and "set REDIS_URL" in result.stderr and "production" in result.stderr
    assert not (tmp_path / "instance" / "redis.sock").exists()
