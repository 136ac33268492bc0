"""The two baselines the webhook is measured against, served by gunicorn like the webhook itself.

`twilio_sample`: what Twilio's own Flask sample for blocking spam calls does per call: parse the form,
look at the spam add-on results when Twilio sent any, answer <Reject/> or <Say/><Hangup/> built with
VoiceResponse. No signature check, no store, no log.
`constant`: a bare Flask endpoint returning a constant document.
"""
from __future__ import annotations

import json

from flask import Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse

# The sample's hard-coded list (Twilio's "reject a call" how-to uses two such numbers).
_SAMPLE_BLOCKLIST = frozenset({"+14155554345", "+16105557069"})

twilio_sample = Flask("twilio_sample")
constant = Flask("constant")


def _spam_add_on_says_block(raw: str) -> bool:
    results = json.loads(raw).get("results", {})
    nomorobo = results.get("nomorobo_spamscore", {})
    return nomorobo.get("status") == "successful" and nomorobo.get("result", {}).get("score") == 1


@twilio_sample.post("/voice/incoming")
def sample_voice() -> Response:
    response = VoiceResponse()
    blocked = request.values.get("From") in _SAMPLE_BLOCKLIST
    add_ons = request.values.get("AddOns")
    if add_ons and not blocked:
        try:
            blocked = _spam_add_on_says_block(add_ons)
        except (ValueError, AttributeError):
            blocked = False
    if blocked:
        response.reject()
    else:
        response.say("Welcome to the jungle.")
        response.hangup()
    return Response(str(response), mimetype="text/xml")


_CONSTANT = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>'


@constant.post("/voice/incoming")
def constant_voice() -> Response:
    return Response(_CONSTANT, mimetype="text/xml")
