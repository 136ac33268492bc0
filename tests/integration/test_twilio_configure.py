"""`screener twilio configure` and `check`: the lines' Twilio numbers pointed at us, against the stand-in."""
import pytest

from screener.store.redis_process import free_port
from tests.conftest import DESTINATION, LINE, OVERRIDES

PUBLIC = "https://screener.example.org"
OTHER_LINE = "+12025550188"


@pytest.fixture
def public_url(monkeypatch):
    monkeypatch.setenv("SCREENER_PUBLIC_URL", PUBLIC)
    return PUBLIC


def test_configure_sets_the_webhooks_and_prints_each_change(cli, outbox, line, public_url):
    result = cli("twilio", "configure")
    assert result.exit_code == 0, result.output
    assert f"{LINE}: VoiceUrl: https://demo.twilio.com/welcome/voice/ -> {PUBLIC}/voice/incoming{OVERRIDES}" in result.output
    assert f"{LINE}: StatusCallback: (empty) -> {PUBLIC}/voice/status{OVERRIDES}" in result.output
    assert f"{LINE}: VoiceFallbackUrl: (empty) -> {PUBLIC}/voice/fallback" in result.output
    number = outbox.number(LINE)
    assert (number["voice_url"], number["voice_method"]) == (f"{PUBLIC}/voice/incoming{OVERRIDES}", "POST")
    assert (number["status_callback"], number["status_callback_method"]) == (f"{PUBLIC}/voice/status{OVERRIDES}", "POST")
    assert (number["voice_fallback_url"], number["voice_fallback_method"]) == (f"{PUBLIC}/voice/fallback", "POST")


def test_configure_then_check_exits_0(cli, line, public_url):
    assert cli("twilio", "configure").exit_code == 0
    result = cli("twilio", "check")
    assert result.exit_code == 0, result.output
    assert f"{LINE}: ok" in result.output


def test_configure_twice_changes_nothing_the_second_time(cli, outbox, line, public_url):
    cli("twilio", "configure")
    outbox.number_updates.clear()
    result = cli("twilio", "configure")
    assert result.exit_code == 0 and "already configured" in result.output
    assert outbox.number_updates == []


def test_check_names_each_setting_changed_at_twilio(cli, outbox, line, public_url):
    cli("twilio", "configure")
    outbox.number(LINE)["status_callback"] = "https://old.example.org/status"
    result = cli("twilio", "check")
    assert result.exit_code == 1
    assert (f"{LINE}: StatusCallback: expected {PUBLIC}/voice/status{OVERRIDES}, actual https://old.example.org/status"
            in result.output)
    assert "VoiceUrl" not in result.output


def test_check_before_configure_names_every_field(cli, line, public_url):
    result = cli("twilio", "check", "--number", LINE)
    assert result.exit_code == 1
    for field in ("VoiceUrl", "StatusCallback", "VoiceFallbackUrl"):
        assert f"{LINE}: {field}: expected" in result.output


def test_a_number_routed_by_an_application_is_refused_and_reported(cli, outbox, line, public_url):
    outbox.number(LINE)["voice_application_sid"] = "AP" + "2" * 32
    configured = cli("twilio", "configure")
    assert configured.exit_code == 1 and "VoiceApplicationSid" in configured.output
    assert outbox.number_updates == []
    checked = cli("twilio", "check")
    assert checked.exit_code == 1 and "VoiceApplicationSid: expected (empty), actual AP" in checked.output


def test_configure_only_the_number_given(cli, svc, outbox, line, public_url):
    outbox.add_number(OTHER_LINE)
    result = cli("twilio", "configure", "--number", "+1 202 555 0143")
    assert result.exit_code == 0, result.output
    assert outbox.number(OTHER_LINE)["voice_url"] == "https://demo.twilio.com/welcome/voice/"
    assert outbox.number(LINE)["voice_url"] == f"{PUBLIC}/voice/incoming{OVERRIDES}"


def test_a_number_the_account_does_not_have_is_named(cli, line, public_url):
    result = cli("twilio", "configure", "--number", OTHER_LINE)
    assert result.exit_code != 0
    assert f"the Twilio account has no number {OTHER_LINE}" in result.output


def test_a_number_that_only_contains_the_line_is_not_taken_for_it(cli, outbox, line, public_url):
    outbox.phone_numbers.clear()
    outbox.add_number(LINE + "9")  # Twilio's filter matches partial numbers
    result = cli("twilio", "check")
    assert result.exit_code != 0 and f"no number {LINE}" in result.output


@pytest.mark.parametrize("url", [None, "http://screener.example.org", "http://127.0.0.1.example.org"])
def test_configure_refuses_a_public_url_twilio_cannot_use(cli, outbox, line, monkeypatch, url):
    if url:
        monkeypatch.setenv("SCREENER_PUBLIC_URL", url)
    result = cli("twilio", "configure")
    assert result.exit_code != 0 and "SCREENER_PUBLIC_URL" in result.output
    assert outbox.number_updates == []


def test_the_fallback_can_live_on_another_host(cli, outbox, line, public_url, monkeypatch):
    monkeypatch.setenv("SCREENER_FALLBACK_URL", "https://fallback.example.net/screener.xml")
    assert cli("twilio", "configure").exit_code == 0
    assert outbox.number(LINE)["voice_fallback_url"] == "https://fallback.example.net/screener.xml"


def test_check_says_when_twilio_cannot_be_reached(cli, line, public_url, monkeypatch):
    monkeypatch.setenv("TWILIO_API_BASE", f"http://127.0.0.1:{free_port()}")
    result = cli("twilio", "check")
    assert result.exit_code == 1 and f"{LINE}: ConnectionError" in result.output


def test_line_add_tells_the_admin_to_configure_the_number(cli):
    result = cli("line", "add", "--number", LINE, "--forward-to", DESTINATION, "--country", "US")
    assert result.exit_code == 0
    assert f"screener twilio configure --number {LINE}" in result.output


def test_fresh_deployment_configures_and_checks_its_line(cli, monkeypatch, outbox_server):
    _, server = outbox_server
    monkeypatch.setenv("SCREENER_PUBLIC_URL", f"http://127.0.0.1:{server.server_address[1]}")
    assert cli("line", "add", "--number", LINE, "--forward-to", DESTINATION, "--country", "US").exit_code == 0
    configured = cli("twilio", "configure")
    assert configured.exit_code == 0 and "VoiceUrl" in configured.output
    checked = cli("twilio", "check")
    assert checked.exit_code == 0 and checked.output.strip() == f"{LINE}: ok"
