"""/api/v1/: look a number up, file a report, read a number's evidence; bearer tokens with scopes
(screener.api_tokens). Answers are JSON, errors too ({"error": ...}). Nothing here reads the call log: the API
only says what the lists and the evidence say about a number its client already has."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from screener import api_tokens, reporting
from screener.api.openapi import DOCUMENT
from screener.evidence_rules import State
from screener.numbers import InvalidNumber, parse_number
from screener.services import services
from screener.store.blocklist import prefix_fields

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    """An answer other than success: its HTTP status and a sentence saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> tuple[Response, int]:
    response = jsonify(error=error.message)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="screener"'
    return response, error.status


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[Response, int]:
    return jsonify(error=error.description or error.name), error.code or 500


def scoped(scope: str) -> Callable:
    """The view needs a token carrying `scope`; g.token is the token."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def checked(*args, **kwargs):
            token = api_tokens.authenticate(services(), request.headers.get("Authorization"))
            if token is None:
                raise ApiError(401, "a valid bearer token is needed (Authorization: Bearer scr_...)")
            if scope not in token.scopes:
                raise ApiError(403, f"this token lacks the {scope} scope")
            g.token = token
            return view(*args, **kwargs)
        return checked
    return decorate


def _number(text: str) -> str:
    try:
        return parse_number(text)
    except InvalidNumber as exc:
        raise ApiError(400, str(exc)) from None


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(DOCUMENT)


@bp.get("/numbers/<path:number>")
@scoped("lookup")
def lookup(number: str) -> Response:
    """The state the call path gives the number: block, warn (screened) or none, and the entry that says so."""
    e164 = _number(number)
    svc = services()
    found = svc.blocklist.get(e164)
    if found is None:
        covering = svc.blocklist.get_many(["+" + p + "*" for p in prefix_fields(e164)])
        found = max(covering, key=lambda e: len(e.entry)) if covering else None
    if found is None:
        return jsonify(number=e164, state=State.NONE.value, entry=None, source=None)
    state = State.WARN if found.meta.action == "screen" else State.BLOCK
    return jsonify(number=e164, state=state.value, entry=found.entry, source=found.meta.source)


@bp.post("/reports")
@scoped("report")
def report() -> tuple[Response, int]:
    """A report by the token's owner, counted like one from the web page (quotas and probation included)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("number"), str) or not isinstance(body.get("category"), str):
        raise ApiError(400, "send a JSON object with number and category (see /api/v1/openapi.json)")
    note, region = body.get("note", ""), body.get("region") or None
    if not isinstance(note, str) or len(note) > 1000 or not (region is None or isinstance(region, str)) \
            or set(body) - {"number", "category", "note", "region"} or len(body["number"]) > 64:
        raise ApiError(400, "note is text up to 1000 characters, region a country code; nothing else is taken")
    try:
        filed = reporting.file_report(services(), g.token.owner, body["number"], body["category"], note,
                                      region=region if region and len(region) == 2 else None,
                                      actor=f"api:{g.token.owner}")
    except InvalidNumber as exc:
        raise ApiError(400, str(exc)) from None
    except reporting.NeverBlocked as exc:
        raise ApiError(409, str(exc)) from None
    except reporting.ReportError as exc:
        raise ApiError(400, str(exc)) from None
    state = filed.state.value if filed.state else None
    return jsonify(number=filed.number, outcome=filed.outcome, state=state), 201 if filed.outcome == "counted" else 202


@bp.get("/evidence/<path:number>")
@scoped("evidence")
def evidence(number: str) -> Response:
    """Why a number is in its state, with every vote (reverted ones marked). Only numbers with evidence."""
    e164 = _number(number)
    svc = services()
    votes = svc.votes.votes(e164)
    if not votes:
        raise ApiError(404, "no evidence on this number")
    found = reporting.explanation(svc, e164)
    return jsonify(
        number=e164, state=found.state.value, reasons=list(found.reasons), people=found.people,
        organisations=found.organisations, reporters=list(found.reporters), partners=list(found.partners),
        confirmations=found.confirmations, false_positives=list(found.false_positives), categories=found.categories,
        last_seen=found.last_seen, changes_at=found.changes_at,
        changes_to=found.changes_to.value if found.changes_to else None,
        votes=[{"kind": v.kind, "by": v.principal, "at": v.at, "category": v.category, "note": v.note,
                "reverted": v.reverted} for v in votes])
