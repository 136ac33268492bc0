"""What callers and press secretaries hear, per language (Twilio <Say> language codes).

A line lists its languages; every prompt a caller hears is spoken in each of them in turn, always with
an explicit Twilio voice (VOICES): the account's default voice does not speak every language we offer.
Belarusian has no Twilio text-to-speech voice, so Belarusian lines use the Russian voice.
"""
from __future__ import annotations

from typing import Mapping

PROMPTS: dict[str, dict[str, str]] = {
    "en-US": {
        "screen": "The person you are calling screens calls. After the tone, please say your name and why you are calling.",
        "no_name": "We did not hear a name. Goodbye.",
        "hold": "Please hold while we try to connect you.",
        "not_available": "The person you are calling is not available. Goodbye.",
        "whisper": "Press 1 to accept, 2 to send to voicemail, 9 to block and report.",
        "voicemail": "Please leave a message after the tone.",
        "thanks": "Thank you. Goodbye.",
        "recorded": "This call is recorded.",
        "unavailable": "This line cannot take your call right now. Please try again later. Goodbye.",
        "ended": "This call has ended. Goodbye.",
        "connecting": "Connecting you now. During the call, press star to end it and report the caller.",
        "no_longer_waiting": "This caller is no longer waiting. Goodbye.",
        "report_failed": "The report could not be saved. Please report this call from the call log on the web page. Goodbye.",
        "reported": "The caller has been reported to the curators. Goodbye.",
        "caller_left": "The caller has hung up. Press 9 to block and report them, or just hang up.",
        "forwarded": "A call from {number}.",
        "warned_threat": "Warning: this number was reported for threats.",
        "warned_friendly_approach": "Warning: this number was reported for a so-called friendly approach.",
        "warned_silent_call": "Warning: this number was reported for silent calls.",
        "warned_family_pressure": "Warning: this number was reported for pressure on family.",
        "warned_impersonation": "Warning: this number was reported for impersonation.",
    },
    "ru-RU": {
        "screen": "Абонент проверяет входящие звонки. После сигнала, пожалуйста, назовите себя и цель звонка.",
        "no_name": "Мы не услышали имени. До свидания.",
        "hold": "Пожалуйста, оставайтесь на линии, мы пытаемся вас соединить.",
        "not_available": "Абонент недоступен. До свидания.",
        "whisper": "Нажмите 1, чтобы принять, 2 — в голосовую почту, 9 — заблокировать и сообщить.",
        "voicemail": "Пожалуйста, оставьте сообщение после сигнала.",
        "thanks": "Спасибо. До свидания.",
        "recorded": "Этот звонок записывается.",
        "unavailable": "Линия сейчас не может принять ваш звонок. Пожалуйста, перезвоните позже. До свидания.",
        "ended": "Звонок завершён. До свидания.",
        "connecting": "Соединяем. Во время разговора нажмите звёздочку, чтобы завершить его и сообщить о звонящем.",
        "no_longer_waiting": "Этот абонент больше не ждёт. До свидания.",
        "report_failed": "Сообщение не удалось сохранить. Пожалуйста, сообщите об этом звонке из журнала звонков на сайте. До свидания.",
        "reported": "Сообщение о звонящем передано кураторам. До свидания.",
        "caller_left": "Звонящий повесил трубку. Нажмите 9, чтобы заблокировать его и сообщить, или просто положите трубку.",
        "forwarded": "Звонок с номера {number}.",
        "warned_threat": "Внимание: на этот номер жаловались из-за угроз.",
        "warned_friendly_approach": "Внимание: на этот номер жаловались из-за «дружеских» подходов.",
        "warned_silent_call": "Внимание: на этот номер жаловались из-за молчащих звонков.",
        "warned_family_pressure": "Внимание: на этот номер жаловались из-за давления на родственников.",
        "warned_impersonation": "Внимание: на этот номер жаловались: звонящий выдаёт себя за другого.",
    },
    "uk-UA": {
        "screen": "Абонент перевіряє вхідні дзвінки. Після сигналу, будь ласка, назвіть себе та мету дзвінка.",
        "no_name": "Ми не почули імені. До побачення.",
        "hold": "Будь ласка, залишайтеся на лінії, ми намагаємося вас з'єднати.",
        "not_available": "Абонент недоступний. До побачення.",
        "whisper": "Натисніть 1, щоб прийняти, 2 — до голосової пошти, 9 — заблокувати та повідомити.",
        "voicemail": "Будь ласка, залиште повідомлення після сигналу.",
        "thanks": "Дякуємо. До побачення.",
        "recorded": "Цей дзвінок записується.",
        "unavailable": "Лінія зараз не може прийняти ваш дзвінок. Будь ласка, зателефонуйте пізніше. До побачення.",
        "ended": "Дзвінок завершено. До побачення.",
        "connecting": "З'єднуємо. Під час розмови натисніть зірочку, щоб завершити її та повідомити про абонента.",
        "no_longer_waiting": "Цей абонент більше не чекає. До побачення.",
        "report_failed": "Повідомлення не вдалося зберегти. Будь ласка, повідомте про цей дзвінок із журналу дзвінків на сайті. До побачення.",
        "reported": "Повідомлення про абонента передано кураторам. До побачення.",
        "caller_left": "Абонент поклав слухавку. Натисніть 9, щоб заблокувати його та повідомити, або просто покладіть слухавку.",
        "forwarded": "Дзвінок з номера {number}.",
        "warned_threat": "Увага: на цей номер скаржилися через погрози.",
        "warned_friendly_approach": "Увага: на цей номер скаржилися через «дружні» підходи.",
        "warned_silent_call": "Увага: на цей номер скаржилися через мовчазні дзвінки.",
        "warned_family_pressure": "Увага: на цей номер скаржилися через тиск на родину.",
        "warned_impersonation": "Увага: на цей номер скаржилися: той, хто дзвонить, видає себе за іншого.",
    },
    "pl-PL": {
        "screen": "Osoba, do której dzwonisz, sprawdza połączenia. Po sygnale podaj swoje imię i cel rozmowy.",
        "no_name": "Nie usłyszeliśmy imienia. Do widzenia.",
        "hold": "Prosimy czekać, próbujemy połączyć.",
        "not_available": "Osoba, do której dzwonisz, jest niedostępna. Do widzenia.",
        "whisper": "Naciśnij 1, aby odebrać, 2 — poczta głosowa, 9 — zablokuj i zgłoś.",
        "voicemail": "Zostaw wiadomość po sygnale.",
        "thanks": "Dziękujemy. Do widzenia.",
        "recorded": "To połączenie jest nagrywane.",
        "unavailable": "Linia nie może teraz przyjąć połączenia. Prosimy zadzwonić później. Do widzenia.",
        "ended": "Połączenie zakończone. Do widzenia.",
        "connecting": "Łączymy. W trakcie rozmowy naciśnij gwiazdkę, aby ją zakończyć i zgłosić dzwoniącego.",
        "no_longer_waiting": "Ten dzwoniący już nie czeka. Do widzenia.",
        "report_failed": "Nie udało się zapisać zgłoszenia. Zgłoś to połączenie z rejestru połączeń na stronie. Do widzenia.",
        "reported": "Dzwoniący został zgłoszony kuratorom. Do widzenia.",
        "caller_left": "Dzwoniący się rozłączył. Naciśnij 9, aby go zablokować i zgłosić, albo po prostu się rozłącz.",
        "forwarded": "Połączenie z numeru {number}.",
        "warned_threat": "Uwaga: ten numer zgłoszono za groźby.",
        "warned_friendly_approach": "Uwaga: ten numer zgłoszono za tak zwane przyjazne podejście.",
        "warned_silent_call": "Uwaga: ten numer zgłoszono za głuche telefony.",
        "warned_family_pressure": "Uwaga: ten numer zgłoszono za nacisk na rodzinę.",
        "warned_impersonation": "Uwaga: ten numer zgłoszono za podszywanie się.",
    },
}
# Languages without a Twilio voice, and the language whose voice they use.
VOICE_FOR = {"be-BY": "ru-RU"}
DEFAULT_LANGUAGE = "en-US"
SUPPORTED = tuple(PROMPTS) + tuple(VOICE_FOR)

# The voices Twilio's text-to-speech page lists for each language we speak, the default first
# (twilio.com/docs/voice/twiml/say/text-speech). Ukrainian has no row there: Google's uk-UA voices are in
# Twilio's TwiML schema (its SDKs' voice lists) but are not verified on a live account (README).
VOICES: dict[str, tuple[str, ...]] = {
    "en-US": ("Polly.Joanna", "Polly.Matthew", "Polly.Joanna-Neural", "Polly.Matthew-Neural",
              "Google.en-US-Standard-C", "Google.en-US-Standard-D"),
    "ru-RU": ("Polly.Tatyana", "Polly.Maxim", "Google.ru-RU-Standard-A", "Google.ru-RU-Standard-B",
              "Google.ru-RU-Standard-C", "Google.ru-RU-Standard-D", "Google.ru-RU-Standard-E"),
    "uk-UA": ("Google.uk-UA-Standard-A", "Google.uk-UA-Wavenet-A"),
    "pl-PL": ("Polly.Ewa", "Polly.Maja", "Polly.Jacek", "Polly.Jan", "Polly.Ola-Neural",
              "Google.pl-PL-Standard-F", "Google.pl-PL-Standard-G"),
}


Speech = tuple[tuple[str, str], ...]  # (speaking language, Twilio voice) for each of a line's languages


def speaking_language(language: str) -> str:
    """The language Twilio speaks a line's language in: its own, Russian for Belarusian, else English."""
    spoken_as = VOICE_FOR.get(language, language)
    return spoken_as if spoken_as in PROMPTS else DEFAULT_LANGUAGE


def voice(language: str, chosen: Mapping[str, str] | None = None) -> str:
    """The voice for a speaking language: the line's choice when Twilio lists it for that language, else
    our default for it."""
    offered = VOICES[language]
    pick = (chosen or {}).get(language, "")
    return pick if pick in offered else offered[0]


def speech(languages: tuple[str, ...], voices: Mapping[str, str] | None = None) -> Speech:
    """How a line speaks: each of its languages as (speaking language, voice), without repeats."""
    pairs: list[tuple[str, str]] = []
    for language in languages or (DEFAULT_LANGUAGE,):
        speaking = speaking_language(language)
        pair = (speaking, voice(speaking, voices))
        if pair not in pairs:
            pairs.append(pair)
    return tuple(pairs)


DEFAULT_SPEECH = speech((DEFAULT_LANGUAGE,))


def spoken(key: str, how: Speech, **values: str) -> list[tuple[str, str, str]]:
    """(language, voice, text) for a prompt in each of a line's languages; `values` fill the prompt's
    {placeholders}."""
    said = []
    for language, chosen in how:
        text = PROMPTS[language][key]
        said.append((language, chosen, text.format(**values) if values else text))
    return said
