"""A line built from what a person typed: the same line and audit entry from `screener line add` and the admin
page's form, and bad input refused naming the field, with nothing stored."""
from __future__ import annotations

import pytest

from screener import lines
from screener.model import DEFAULT_POLICY, Action, BlockMode, Line
from tests.integration.web_support import as_role, make_user, web  # noqa: F401 - fixtures

NUMBER = "+12025550199"
TYPED = lines.LineInput(number="+1 202 555 0199", forward_to="+48 601 234 567", country="us",
                        alert_sms=("(202) 555-0123",), alert_email=(" press@example.org ",),
                        languages=("ru-RU", "en-US"), timezone="Europe/Vilnius", quiet_hours="22:00-07:00",
                        policy={"ordinary": "screen", "anonymous": "voicemail"}, retention_days=60)
CLI_ARGS = ["line", "add", "--number", "+1 202 555 0199", "--forward-to", "+48 601 234 567", "--country", "US",
            "--label", "Editor's line", "--alert-sms", "+4915112345678", "--alert-email", "press@example.org",
            "--language", "ru-RU", "--language", "en-US", "--record", "--timezone", "Europe/Vilnius",
            "--quiet-hours", "22:00-07:00", "--policy", "ordinary=screen", "--policy", "anonymous=voicemail"]
PAGE_FORM = {
    "number": "+1 202 555 0199", "label": "Editor's line", "country": "US", "forward_to": "+48 601 234 567",
    "recording": "y", "block_mode": "reject", "block_message": "", "retention_days": "30",
    "alert_sms": "+4915112345678\n", "alert_email": "press@example.org\n", "alert_webhook": "",
    "languages": ["ru-RU", "en-US"], "timezone": "Europe/Vilnius", "quiet_hours": "22:00-07:00",
    "stir_verified": "AB", "stir_missing_unverified": "y",  # as the form shows them to a new line
    **{f"policy_{c}": a.value for c, a in {**DEFAULT_POLICY, "ordinary": Action.SCREEN,
                                            "anonymous": Action.VOICEMAIL}.items()},
}


def _refused_fields(raw: lines.LineInput) -> list[str]:
    with pytest.raises(lines.InvalidLine) as refused:
        lines.build(raw)
    return [error.field for error in refused.value.errors]


def test_typed_settings_become_a_normalised_line():
    line = lines.build(TYPED)
    assert (line.number, line.forward_to, line.country) == (NUMBER, "+48601234567", "US")
    assert line.alert_sms == ("+12025550123",) and line.alert_email == ("press@example.org",)
    assert line.languages == ("ru-RU", "en-US") and line.retention_days == 60
    assert line.action_for("ordinary") is Action.SCREEN and line.action_for("anonymous") is Action.VOICEMAIL
    assert line.block_mode is BlockMode.REJECT and line.block_message == Line(NUMBER, NUMBER, "US").block_message


def test_choosing_a_default_action_stores_no_override():
    line = lines.build(lines.LineInput(NUMBER, "+48601234567", "US", policy={"ordinary": "forward"}))
    assert line.policy == ()


def test_an_edit_without_a_block_message_keeps_the_lines_own():
    existing = Line(NUMBER, "+48601234567", "US", block_message="Not here.")
    assert lines.build(lines.LineInput(NUMBER, "+48601234567", "US"), existing).block_message == "Not here."


@pytest.mark.parametrize("change, field", [
    ({"number": "12345"}, "number"),
    ({"forward_to": "call me"}, "forward_to"),
    ({"country": "XX", "alert_sms": ("+12025550123",)}, "country"),
    ({"alert_sms": ("+48601234567", "nope")}, "alert_sms"),
    ({"alert_email": ("press at example.org",)}, "alert_email"),
    ({"alert_webhook": "http://bridge.example.org/hook"}, "alert_webhook"),
    ({"languages": ("tlh",)}, "languages"),
    ({"block_mode": "explode"}, "block_mode"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"quiet_hours": "late"}, "quiet_hours"),
    ({"policy": {"anonymous": "forward"}}, "policy"),
    ({"policy": {"martians": "block"}}, "policy"),
    ({"retention_days": 0}, "retention_days"),
])
def test_a_bad_setting_is_refused_naming_its_field(change, field):
    assert _refused_fields(lines.LineInput(**{**TYPED.__dict__, **change})) == [field]


def test_every_bad_setting_is_named_at_once():
    raw = lines.LineInput(**{**TYPED.__dict__, "timezone": "Mars/Olympus", "alert_webhook": "http://x.example/"})
    assert _refused_fields(raw) == ["timezone", "alert_webhook"]


def test_policy_text_without_an_action_is_refused_naming_the_policy():
    with pytest.raises(lines.InvalidLine) as refused:
        lines.policy_from_text(["ordinary"])
    assert [e.field for e in refused.value.errors] == ["policy"] and "CLASS=ACTION" in str(refused.value)


def test_saving_a_new_line_over_an_existing_one_is_refused(svc):
    line = lines.build(TYPED)
    assert lines.save(svc, "web:ada", line, new=True) is None
    with pytest.raises(lines.LineExists):
        lines.save(svc, "web:ada", line, new=True)
    assert [e["action"] for e in svc.audit.entries()] == ["line.save"]


def test_saving_again_records_before_and_after(svc):
    first = lines.build(TYPED)
    lines.save(svc, "cli:ops", first)
    second = lines.build(lines.LineInput(**{**TYPED.__dict__, "forward_to": "+48 601 234 568"}))
    assert lines.save(svc, "cli:ops", second) == first
    saved = svc.audit.entries()[-1]
    assert (saved["actor"], saved["action"], saved["target"]) == ("cli:ops", "line.save", NUMBER)
    assert Line.from_json(saved["before"]) == first and Line.from_json(saved["after"]) == second


def test_the_command_line_and_the_page_make_the_same_line_and_audit_entry(cli, as_role, svc):
    assert cli(*CLI_ARGS).exit_code == 0
    from_cli = svc.audit.entries()[-1]
    svc.client.hdel(svc.keys.lines(), NUMBER)
    admin = as_role("admin")
    assert admin.post("/lines/new", PAGE_FORM, token_from="/lines/new").status_code == 302
    from_page = svc.audit.entries()[-1]
    assert from_cli["action"] == from_page["action"] == "line.save"
    assert from_cli["target"] == from_page["target"] == NUMBER
    assert from_cli["before"] is None and from_page["before"] is None
    assert Line.from_json(from_cli["after"]) == Line.from_json(from_page["after"]) == svc.lines.get(NUMBER)


def test_bad_input_on_the_command_line_names_the_option_and_stores_nothing(cli, svc):
    result = cli("line", "add", "--number", NUMBER, "--forward-to", "+48601234567", "--country", "US",
                 "--alert-email", "press at example.org")
    assert result.exit_code == 2 and "--alert-email" in result.output and "not an e-mail address" in result.output
    assert svc.lines.all() == {} and svc.audit.entries() == []


def test_bad_input_on_the_page_is_shown_under_its_field_and_stores_nothing(as_role, svc):
    admin = as_role("admin")
    response = admin.post("/lines/new", {**PAGE_FORM, "alert_email": "press at example.org\n",
                                         "alert_sms": "+4915112345678\nnope\n"}, token_from="/lines/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "press at example.org is not an e-mail address." in page and "nope: Not a phone number" in page
    assert svc.lines.all() == {} and "line.save" not in [e["action"] for e in svc.audit.entries()]


def test_a_new_line_on_the_page_does_not_replace_an_existing_one(as_role, svc):
    admin = as_role("admin")
    admin.post("/lines/new", PAGE_FORM, token_from="/lines/new")
    response = admin.post("/lines/new", {**PAGE_FORM, "forward_to": "+48 601 234 568"}, token_from="/lines/new")
    assert response.status_code == 400 and "This line exists already." in response.get_data(as_text=True)
    assert svc.lines.get(NUMBER).forward_to == "+48601234567"


def test_a_chosen_voice_is_kept_and_an_unlisted_one_is_refused_naming_the_field(cli, svc):
    base = ["line", "add", "--number", NUMBER, "--forward-to", "+48601234567", "--country", "US",
            "--language", "ru-RU"]
    refused = cli(*base, "--voice", "ru-RU=Polly.Ewa")
    assert refused.exit_code == 2 and "--voice" in refused.output and "not a Twilio voice for ru-RU" in refused.output
    assert svc.lines.all() == {}
    assert cli(*base, "--voice", "ru-RU=Polly.Maxim").exit_code == 0
    assert svc.lines.get(NUMBER).voices == (("ru-RU", "Polly.Maxim"),)


def test_transcription_is_refused_for_a_line_that_speaks_more_than_american_english(cli, svc):
    base = ["line", "add", "--number", NUMBER, "--forward-to", "+48601234567", "--country", "US", "--transcribe"]
    refused = cli(*base, "--language", "ru-RU", "--language", "en-US")
    assert refused.exit_code == 2 and "--transcribe" in refused.output and "American English only" in refused.output
    assert svc.lines.all() == {}
    assert cli(*base, "--language", "en-US").exit_code == 0 and svc.lines.get(NUMBER).transcribe


def test_the_page_keeps_a_chosen_voice_and_explains_a_refused_transcription(as_role, svc):
    admin = as_role("admin")
    refused = admin.post("/lines/new", {**PAGE_FORM, "transcribe": "y"}, token_from="/lines/new")
    assert refused.status_code == 400 and "American English only" in refused.get_data(as_text=True)
    assert svc.lines.all() == {}
    saved = admin.post("/lines/new", {**PAGE_FORM, "voice_ru_RU": "Polly.Maxim"}, token_from="/lines/new")
    assert saved.status_code == 302 and svc.lines.get(NUMBER).voices == (("ru-RU", "Polly.Maxim"),)


def test_a_line_sets_which_stir_verdicts_count_as_verified(cli, svc):
    base = ["line", "add", "--number", NUMBER, "--forward-to", "+48601234567", "--country", "US",
            "--screen-unverified"]
    assert cli(*base).exit_code == 0
    strict = svc.lines.get(NUMBER)
    assert (strict.stir_verified, strict.stir_missing_unverified) == ("AB", True)
    assert cli(*base, "--stir-verified", "ABC", "--stir-missing-verified").exit_code == 0
    lenient = svc.lines.get(NUMBER)
    assert (lenient.stir_verified, lenient.stir_missing_unverified) == ("ABC", False)
    assert cli(*base, "--stir-verified", "C").exit_code == 2


def test_the_page_and_the_command_line_accept_the_same_retention(cli, as_role, svc):
    assert cli(*CLI_ARGS, "--retention-days", "1000").exit_code == 0
    svc.client.hdel(svc.keys.lines(), NUMBER)
    admin = as_role("admin")
    assert admin.post("/lines/new", {**PAGE_FORM, "retention_days": "1000"}, token_from="/lines/new").status_code == 302
    assert svc.lines.get(NUMBER).retention_days == 1000
    assert cli(*CLI_ARGS, "--retention-days", "3651").exit_code == 2
