"""The Twilio boundary: every /voice/* step, the TwiML it answers with, and the REST bridge of a screened call.

protocol.py is the gate every step passes; incoming.py answers a call's first request (wsgi.py serves it);
callbacks.py and screening.py are the Flask steps after it (steps.py is what they share); twiml.py and
bridge_state.py are pure; bridge.py drives Twilio's REST API; prompts.py is what callers hear.
"""
