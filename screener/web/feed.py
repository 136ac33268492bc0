"""/feed/: our signed MISP feed for partner organisations, behind per-partner bearer tokens.

Files are served from SCREENER_FEED_DIR as `screener feed build` left them, with ETag and Last-Modified so
that a partner's conditional request is answered 304. A MISP instance subscribes with the feed URL
https://HOST/feed/ and the header `Authorization: Bearer TOKEN`.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request, send_from_directory

from screener.services import services

bp = Blueprint("feed", __name__, url_prefix="/feed")
FILE = re.compile(r"(manifest\.json|hashes\.csv|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json)"
                  r"(\.minisig)?")


def _unauthorised() -> Response:
    return Response("a partner's bearer token is required\n", status=401, mimetype="text/plain",
                    headers={"WWW-Authenticate": 'Bearer realm="feed"'})


@bp.get("/")
def index() -> Response:
    """The feed's URL itself answers with the manifest."""
    return file("manifest.json")


@bp.get("/<name>")
def file(name: str) -> Response:
    """One file of the feed, for a partner with a valid token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token or services().feed_tokens.check(token.strip()) is None:
        return _unauthorised()
    if not FILE.fullmatch(name):
        abort(404)
    response = send_from_directory(services().settings.feed_path, name, conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
