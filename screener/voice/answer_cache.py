"""twiml.answer's documents for a call's first request, rendered once per (decision, line settings).

A call's answer depends on the decision's action, the line's settings and, for a forwarded call, the
caller's number (Dial's callerId). So each document is built once with the twilio builders
(twiml.answer) and kept; a forwarded call's number is put into its place in the kept document. The
key also holds the decision's rule, whether it is degraded and the caller's kind, so that an answer
which comes to depend on those stays right; only the per-call texts (reason, entry) are left out.
"""
from __future__ import annotations

import threading
from xml.sax.saxutils import escape

from screener.voice import twiml
from screener.model import Decision, Line
from screener.numbers import Caller

# Stands for the caller's number while a document is rendered: private-use characters, which neither
# a line's settings nor ElementTree's escaping produce.
_SLOT = "\ue000caller\ue000"
_ATTRIBUTE = {'"': "&quot;"}  # what ElementTree escapes in an attribute value besides & < >


class AnswerCache:
    """Rendered answers, keyed by the decision, the line (by identity: lines are immutable and replaced
    on change) and the caller's kind."""

    def __init__(self, step: twiml.StepUrl, max_entries: int = 2048) -> None:
        self._step = step
        self._max = max_entries
        self._documents: dict[tuple, tuple[Line | None, str | tuple[str, str] | None]] = {}
        self._lock = threading.Lock()

    def answer(self, decision: Decision, line: Line | None, caller: Caller) -> str:
        """The same document as twiml.answer(decision, line, caller, step)."""
        key = (decision.action, decision.rule, decision.degraded, id(line), caller.kind)
        kept = self._documents.get(key)
        if kept is None or kept[0] is not line:
            kept = (line, self._render(decision, line, caller))
            with self._lock:
                if len(self._documents) >= self._max:  # old line versions: start again
                    self._documents.clear()
                self._documents[key] = kept
        document = kept[1]
        if isinstance(document, str):
            return document
        if document is None:
            return twiml.answer(decision, line, caller, self._step)
        head, tail = document
        return head + escape(caller.e164 or "", _ATTRIBUTE) + tail

    def _render(self, decision: Decision, line: Line | None, caller: Caller) -> str | tuple[str, str] | None:
        """A finished document, or the two halves around the caller's number, or None when the number
        cannot be placed (then every call is rendered in full)."""
        if caller.e164 is None:
            return twiml.answer(decision, line, caller, self._step)
        document = twiml.answer(decision, line, Caller(caller.kind, _SLOT), self._step)
        parts = document.split(_SLOT)
        if len(parts) == 1:
            return document  # the number is not in this answer
        if len(parts) == 2:
            return parts[0], parts[1]
        return None
