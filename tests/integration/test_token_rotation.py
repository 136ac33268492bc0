"""Changing the Twilio auth token without refusing a call: the old token's signatures pass while it is named."""
import pytest

from screener import create_app
from screener.config import load_settings
from tests.conftest import Twilio

OLD = "old-auth-token-0123456789abcdef0"
STRANGER = "someone-elses-token-0123456789ab"


@pytest.fixture
def rotating(env, redis_client, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_OLD", OLD)
    return create_app({"TESTING": True}, settings=load_settings()).test_client()


def test_calls_and_callbacks_signed_with_either_token_are_answered(rotating):
    assert Twilio(rotating).call("anonymous").status_code == 200  # the new token
    signed_old = Twilio(rotating, token=OLD).call("anonymous")
    assert signed_old.status_code == 200 and b"<Response>" in signed_old.data
    status = Twilio(rotating, token=OLD).post("/voice/status", {**signed_old.sim.status_form("completed")})
    assert status.status_code == 200  # the Flask steps take the same gate


def test_a_token_that_is_not_ours_is_still_refused(rotating):
    assert Twilio(rotating, token=STRANGER).call("anonymous").status_code == 403


def test_without_the_old_token_named_its_signatures_are_refused(client):
    assert Twilio(client, token=OLD).call("anonymous").status_code == 403
