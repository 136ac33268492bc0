"""A line's Twilio number pointed at us: the webhooks on its IncomingPhoneNumber, compared and set over REST."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException, TwilioRestException

from screener.config import Settings
from screener.voice import protocol
from screener.twilio_rest import WORKER_TIMEOUT_SECONDS, twilio_client

# Answered by nginx itself (deploy/nginx/screener.conf), so it still works when gunicorn, the app or Redis is down.
FALLBACK_PATH = "/voice/fallback"
# A page must not wait on Twilio for long: the line's page shows "Twilio unreachable" instead.
PAGE_TIMEOUT_SECONDS = 3.0

# Twilio's parameter name and the instance's attribute, in the order they are printed.
FIELDS = (
    ("VoiceUrl", "voice_url"), ("VoiceMethod", "voice_method"),
    ("StatusCallback", "status_callback"), ("StatusCallbackMethod", "status_callback_method"),
    ("VoiceFallbackUrl", "voice_fallback_url"), ("VoiceFallbackMethod", "voice_fallback_method"),
)


class NotConfigurable(ValueError):
    """The settings give no URL a real Twilio number can call."""


class NumberNotFound(LookupError):
    """The Twilio account has no such number."""

    def __init__(self, number: str) -> None:
        super().__init__(f"the Twilio account has no number {number}")
        self.number = number


class TwilioUnavailable(RuntimeError):
    """Twilio's REST API refused, timed out or could not be reached."""


@dataclass(frozen=True)
class Setting:
    """One webhook setting of a number: what we want and what Twilio has."""

    field: str
    expected: str
    actual: str

    @property
    def matches(self) -> bool:
        return self.expected == self.actual


def _reachable_base(url: str | None, name: str) -> str:
    """An https base URL, or http://127.0.0.1 (the local stand-in), else NotConfigurable naming the variable."""
    if not url:
        raise NotConfigurable(f"{name} is not set: Twilio needs the https URL it calls (e.g. https://screener.example.org)")
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname != "127.0.0.1":
        raise NotConfigurable(f"{name} must be https:// for a real Twilio number (got {url})")
    return url.rstrip("/")


def wanted(settings: Settings) -> dict[str, str]:
    """The setting of each field, by Twilio's parameter name."""
    base = _reachable_base(settings.public_url, "SCREENER_PUBLIC_URL")
    fallback = (_reachable_base(settings.fallback_url, "SCREENER_FALLBACK_URL") if settings.fallback_url
                else base + FALLBACK_PATH)
    # With Twilio's connection overrides, like every URL we hand it: a 503 on these is retried too.
    return {"VoiceUrl": protocol.step_url(base, "incoming"), "VoiceMethod": "POST",
            "StatusCallback": protocol.step_url(base, "status"), "StatusCallbackMethod": "POST",
            "VoiceFallbackUrl": fallback, "VoiceFallbackMethod": "POST"}


def _find(settings: Settings, number: str, timeout: float):
    """The account's IncomingPhoneNumber for exactly this number."""
    try:
        client = twilio_client(settings, timeout)
        # The filter also matches longer numbers containing this one: keep the exact match only.
        found = [n for n in client.incoming_phone_numbers.list(phone_number=number, limit=20)
                 if n.phone_number == number]
    except (TwilioException, OSError, RuntimeError) as exc:
        raise TwilioUnavailable(_reason(exc)) from exc
    if not found:
        raise NumberNotFound(number)
    return found[0]


def _reason(exc: Exception) -> str:
    if isinstance(exc, TwilioRestException):
        return f"Twilio answered {exc.status} (code {exc.code}): {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def _settings_of(instance, expected: dict[str, str]) -> list[Setting]:
    found = [Setting(name, expected[name], getattr(instance, attribute) or "") for name, attribute in FIELDS]
    if instance.voice_application_sid:  # Twilio then ignores VoiceUrl and the fallback entirely
        found.append(Setting("VoiceApplicationSid", "", instance.voice_application_sid))
    if instance.trunk_sid:
        found.append(Setting("TrunkSid", "", instance.trunk_sid))
    return found


def check(settings: Settings, number: str, timeout: float = WORKER_TIMEOUT_SECONDS) -> list[Setting]:
    """Every webhook setting of the number, expected against actual (`.matches`)."""
    expected = wanted(settings)
    return _settings_of(_find(settings, number, timeout), expected)


def configure(settings: Settings, number: str) -> list[Setting]:
    """Set the number's webhooks; returns the settings changed (expected = new, actual = old)."""
    expected = wanted(settings)
    instance = _find(settings, number, WORKER_TIMEOUT_SECONDS)
    current = _settings_of(instance, expected)
    blocking = [s for s in current if s.field in ("VoiceApplicationSid", "TrunkSid")]
    if blocking:
        raise NotConfigurable(f"{number} is routed by {blocking[0].field} {blocking[0].actual}, so Twilio would "
                              "never call VoiceUrl: remove it in the Twilio Console, then run this again")
    changed = [s for s in current if not s.matches]
    if changed:
        try:
            instance.update(**{_snake(s.field): s.expected for s in changed})
        except (TwilioException, OSError) as exc:
            raise TwilioUnavailable(_reason(exc)) from exc
    return changed


def _snake(name: str) -> str:
    """VoiceFallbackUrl -> voice_fallback_url (the twilio library's argument names)."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
