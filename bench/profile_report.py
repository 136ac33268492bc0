"""Read a py-spy raw (collapsed stacks) profile of the webhook and say where the time goes."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

# Stages of one webhook request, each recognised by a frame on the stack ("function (file"); the
# markers cover both the two-round-trip call path (lookup, then log) and the one-Lua-call one, and both
# the Flask view (screener/voice.py, before the fast path) and the plain WSGI handler (incoming_wsgi.py,
# now screener/voice/wsgi.py and voice/incoming.py): old profiles keep their names.
# A sample counts for every stage whose frame is on its stack, so nested stages overlap.
STAGES: dict[str, tuple[str, ...]] = {
    "plain WSGI handler for /voice/incoming (screener/voice/wsgi.py)": ("__call__ (screener/incoming_wsgi.py",
                                                                     "__call__ (screener/voice/wsgi.py"),
    "signature check: screener.voice.protocol.verify_params": ("verify (screener/signature.py", "verify_params (screener/signature.py",
                                                             "verify_params (screener/voice/protocol.py"),
    "  RequestValidator.validate (2 HMAC-SHA1: URL with and without port)": ("validate (twilio/request_validator.py",),
    "  form parsing (werkzeug, or voice.wsgi.Form.parse)": ("_load_form_data (", "parse (screener/incoming_wsgi.py",
                                                          "parse (screener/voice/wsgi.py"),
    "Flask-Limiter before_request (no limit applies to /voice)": ("(flask_limiter/",),
    "Flask cookie session opened (SECRET_KEY set)": ("open_session (flask/sessions.py",),
    "view incoming() / IncomingCalls.answer_call": ("incoming (screener/voice.py", "answer_call (screener/incoming_wsgi.py",
                                                   "answer_call (screener/voice/incoming.py"),
    "  normalise (phonenumbers)": ("normalise (screener/numbers.py",),
    "  policy (decide / candidates)": ("decide (screener/policy.py", "candidates (screener/policy.py"),
    "  Redis: lists + decision + call log (all round trips)": (
        "decide_and_log (screener/store/call_path.py", "lookup (screener/store/lookup.py", "record (screener/store/calls.py"),
    "  keyed hash + AES-GCM encryption of the number (privacy)": ("link_hash (screener/privacy.py", "encrypt (screener/privacy.py"),
    "  alert enqueue (RQ, blocked calls only)": ("enqueue_blocked_call (screener/alerts.py", "enqueue_blocked_call (screener/jobs.py"),
    "  TwiML building (VoiceResponse) or kept answers": ("answer (screener/twiml.py", "answer (screener/answer_cache.py",
                                                         "answer (screener/voice/twiml.py", "answer (screener/voice/answer_cache.py"),
    "  per-call log line (logging.info; DEBUG-only in incoming_wsgi)": ("info (logging/__init__.py", "_log_call (screener/incoming_wsgi.py",
                                                                 "_log_call (screener/voice/incoming.py"),
    "  prometheus counters": ("inc (prometheus_client/",),
    "redis-py client code, any caller (command packing, socket I/O, parsing)": (
        "execute_command (redis/", "execute (redis/client.py", "__call__ (redis/commands/core.py"),
}
_REQUEST = ("wsgi_app (flask/app.py", "__call__ (screener/incoming_wsgi.py", "__call__ (screener/voice/wsgi.py")
_GUNICORN = "handle (gunicorn/workers/gthread.py"
_NAMED = ("verify (screener/signature.py", "incoming (screener/voice.py", "(flask_limiter/", "open_session (flask/sessions.py",
          "__call__ (screener/incoming_wsgi.py", "verify_params (screener/voice/protocol.py", "__call__ (screener/voice/wsgi.py")
_OTHER_FLASK = "Flask/werkzeug request handling outside the stages above (and outside the /voice/incoming handler)"
_OTHER_GUNICORN = "gunicorn HTTP handling outside Flask"
_LINE = re.compile(r":\d+\)")


def analyse(path: Path, top: int = 15) -> dict:
    """Per stage: share of all samples and of in-request samples; the functions most often on top."""
    totals: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    samples = in_request = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        joined = ";".join(frames)
        samples += count
        leaves[frames[-1]] += count
        for stage, markers in STAGES.items():
            if any(marker in joined for marker in markers):
                totals[stage] += count
        if any(marker in joined for marker in _REQUEST):
            in_request += count
            if not any(marker in joined for marker in _NAMED):
                totals[_OTHER_FLASK] += count
        elif _GUNICORN in joined:
            totals[_OTHER_GUNICORN] += count
    if not samples:
        return {"samples": 0}
    stages = list(STAGES) + [_OTHER_FLASK, _OTHER_GUNICORN]
    return {
        "samples": samples,
        "in_request_samples": in_request,
        "stages_pct_of_all": {s: round(100 * totals[s] / samples, 1) for s in stages},
        "stages_pct_of_request": {s: round(100 * totals[s] / max(in_request, 1), 1) for s in stages if s != _OTHER_GUNICORN},
        "top_self_pct_of_all": [(frame, round(100 * n / samples, 1)) for frame, n in leaves.most_common(top)],
    }


def top_functions(path: Path, top: int = 20) -> dict:
    """Inclusive and self shares of the busiest functions in any py-spy raw profile."""
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        samples += count
        leaves[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not samples:
        return {"samples": 0}
    return {
        "samples": samples,
        "inclusive_pct": [(f, round(100 * n / samples, 1)) for f, n in inclusive.most_common(top)],
        "self_pct": [(f, round(100 * n / samples, 1)) for f, n in leaves.most_common(top)],
    }
