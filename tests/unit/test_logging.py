"""The service log keeps Twilio's per-request lines (with call ids) out, unless asked for at DEBUG."""
import logging
from dataclasses import replace

from screener.config import configure_logging, load_settings


def test_twilio_request_lines_stay_out_of_the_log_at_info_and_in_at_debug(tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENER_INSTANCE", str(tmp_path))
    twilio_log = logging.getLogger("twilio.http_client")
    try:
        configure_logging(replace(load_settings(), log_level="INFO"))
        assert not twilio_log.isEnabledFor(logging.INFO)
        configure_logging(replace(load_settings(), log_level="DEBUG"))
        assert twilio_log.isEnabledFor(logging.INFO)
    finally:
        twilio_log.setLevel(logging.NOTSET)
