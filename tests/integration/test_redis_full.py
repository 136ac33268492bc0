"""At Redis's memory limit (noeviction: writes refused, reads still work): calls are still decided."""
from xml.etree import ElementTree

import pytest

from screener.model import Line
from screener.store.blocklist import EntryMeta
from tests.conftest import ALERT_PHONE, DESTINATION, LINE, Twilio
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


def test_a_call_redis_could_not_log_is_logged_once_memory_frees(full_redis, outbox, run_worker, caplog):
    app, fill = full_redis
    svc = app.extensions["screener"]
    svc.lines.save(Line(LINE, DESTINATION, "US", alert_sms=(ALERT_PHONE,)))
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats", added_by="test"))
    fill()
    sid = Twilio(app.test_client()).call(BLOCKED).sim.sid
    outage = app.extensions["screener.outage"]
    outage.tick()  # Redis still refuses the write: the record stays in the spool
    assert svc.calls.get(sid) is None and "call_spooled" in caplog.text and "redis_full" in caplog.text

    svc.client.delete(*svc.client.keys("filler:*"))  # memory frees
    outage.tick()
    outage.tick()  # a second round writes nothing twice
    record = svc.calls.get(sid)
    assert (record["action"], record["rule"], record["caller"], record["spooled"]) == (
        "block", "blocklist", BLOCKED, "redis_full")
    assert [s for s in svc.calls.recent() if s.get("sid") == sid] == [record]
    svc.client.config_set("maxmemory", "64mb")  # an RQ worker's own bookkeeping needs more than this toy 2 MB
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]  # the blocked call's alert, once


def test_sign_in_answers_503_not_500_when_redis_is_full(full_redis):
    app, fill = full_redis
    app.extensions["screener"].users.create("anna", "admin", PASSWORD)
    fill()
    response = WebUser(app.test_client()).login("anna")
    assert response.status_code == 503
    assert b"cannot sign anyone in" in response.data and b"blocklisted callers still rejected" in response.data
