"""At Redis's memory limit (noeviction: writes refused, reads still work): calls are still decided."""
from xml.etree import ElementTree

import pytest

from screener.model import Line
from screener.store.blocklist import EntryMeta
from tests.conftest import DESTINATION, LINE, Twilio
from tests.integration.web_support import PASSWORD, WebUser

BLOCKED = "+375291234567"
ORDINARY = "+442079460123"


@pytest.fixture
def twilio_at_the_limit(full_redis):
    """A Twilio posting to an app whose Redis holds a line and a blocklisted number, then is full."""
    app, fill = full_redis
    svc = app.extensions["screener"]
    svc.lines.save(Line(LINE, DESTINATION, "US"))
    svc.blocklist.add_many([BLOCKED, "+37517*"], EntryMeta(reason="threats", added_by="test"))
    fill()
    return Twilio(app.test_client())


def test_blocklisted_caller_is_still_rejected_when_redis_is_full(twilio_at_the_limit):
    root = ElementTree.fromstring(twilio_at_the_limit.call(BLOCKED).data)
    assert [el.tag for el in root] == ["Reject"]


def test_caller_under_a_blocked_prefix_is_still_rejected_when_redis_is_full(twilio_at_the_limit):
    root = ElementTree.fromstring(twilio_at_the_limit.call("+375172001234").data)
    assert root[0].tag == "Reject"


def test_ordinary_caller_is_still_dialled_when_redis_is_full(twilio_at_the_limit):
    root = ElementTree.fromstring(twilio_at_the_limit.call(ORDINARY).data)
    assert root.find("Dial/Number").text == DESTINATION


def test_a_call_redis_could_not_log_is_counted_and_said(twilio_at_the_limit, caplog):
    from screener import metrics

    before = metrics.CALLS_UNLOGGED._value.get()
    twilio_at_the_limit.call(BLOCKED)
    assert metrics.CALLS_UNLOGGED._value.get() == before + 1
    assert "call_unlogged" in caplog.text and "redis_full" in caplog.text


def test_sign_in_answers_503_not_500_when_redis_is_full(full_redis):
    app, fill = full_redis
    app.extensions["screener"].users.create("anna", "admin", PASSWORD)
    fill()
    response = WebUser(app.test_client()).login("anna")
    assert response.status_code == 503
    assert b"cannot sign anyone in" in response.data and b"blocklisted callers still rejected" in response.data
