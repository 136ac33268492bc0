"""Checks a REST request against Twilio's own OpenAPI description (the trimmed copy in twilio_oai/), so the
stand-in refuses what Twilio would refuse.

openapi-core checks the path, the method, credentials being present, required parameters, types, enums,
patterns and lengths. Two things it cannot see are added here: parameters the description does not declare
(openapi-core accepts any extra query or form field, because Twilio's schemas leave additionalProperties
open) and Twilio's own formats (`uri`, `endpoint`, `phone-number`), which no stock format checker knows.
openapi-core is a test dependency: without it, `load()` returns None and the stand-in checks nothing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

SPEC_PATH = Path(__file__).with_name("twilio_oai") / "twilio_api_v2010.trimmed.json"
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
# "You can specify partial numbers and use '*' as a wildcard for any digit" (the list filter)
PHONE_FILTER = re.compile(r"^\+?[0-9*]{1,16}$")
HOSTNAME = re.compile(r"^[A-Za-z0-9.-]+$")  # "URLs must contain a valid hostname (underscores are not permitted)"


def is_twilio_uri(value: object) -> bool:
    """An absolute http(s) URL with a hostname Twilio accepts."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and bool(HOSTNAME.match(parts.hostname))


def is_endpoint(value: object) -> bool:
    """A phone number in E.164, or a client:/sip: address."""
    return not isinstance(value, str) or bool(E164.match(value)) or value.startswith(("client:", "sip:"))


def is_phone_number(value: object) -> bool:
    return not isinstance(value, str) or bool(PHONE_FILTER.match(value))


FORMATS = {"uri": is_twilio_uri, "endpoint": is_endpoint, "phone-number": is_phone_number}


@dataclass
class _Request:
    """openapi-core's Request protocol for one request the stand-in received."""

    method: str
    path: str
    parameters: object
    body: bytes | None
    content_type: str
    host_url: str = "https://api.twilio.com"
    full_url_pattern: str | None = None


@dataclass(frozen=True)
class Violation:
    """Why Twilio would refuse a request, with the HTTP status and Twilio error code to answer."""

    status: int
    code: int
    text: str


@dataclass(frozen=True)
class Contract:
    """Twilio's description of the operations we use, ready to check requests against."""

    api: object
    operations: dict[tuple[re.Pattern, str], tuple[set[str], set[str]]]  # (path, method) -> (query, form) names

    def violations(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> list[Violation]:
        """What Twilio's description refuses in this request; [] when it conforms."""
        from openapi_core.datatypes import RequestParameters
        from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
        from openapi_core.validation.request.exceptions import SecurityValidationError
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        path, _, query_text = raw_path.partition("?")
        query = parse_qsl(query_text, keep_blank_values=True)
        content_type = headers.get("Content-Type", "").lower()
        request = _Request(method.lower(), path,
                           RequestParameters(query=ImmutableMultiDict(query), header=Headers(headers),
                                             cookie=ImmutableMultiDict(), path={}),
                           body if body else None, content_type)
        errors = [e for e in self.api.iter_request_errors(request)
                  if not isinstance(e, SecurityValidationError)]  # the stand-in answers 401 itself
        if any(isinstance(e, PathNotFound) for e in errors):
            return [Violation(404, 20404, f"no such resource in Twilio's API: {path}")]
        if any(isinstance(e, OperationNotFound) for e in errors):
            return [Violation(405, 20004, f"method {method} not allowed on {path}")]
        form = parse_qsl(body.decode(), keep_blank_values=True) if "x-www-form-urlencoded" in content_type else []
        return ([Violation(400, 20001, _describe(e)) for e in errors]
                + [Violation(400, 20001, text) for text in self._undeclared(method.lower(), path, query, form)])

    def _undeclared(self, method: str, path: str, query: list, form: list) -> list[str]:
        for (pattern, verb), (query_names, form_names) in self.operations.items():
            if verb == method and pattern.match(path):
                return ([f"unknown query parameter {name!r}" for name, _ in query if name not in query_names]
                        + [f"unknown parameter {name!r}" for name, _ in form if name not in form_names])
        return []


def _describe(error: Exception) -> str:
    """One line per error: openapi-core's message and the schema errors underneath it."""
    cause = error.__cause__
    details = [e.message for e in getattr(cause, "schema_errors", ())]
    return str(error).split(":", 1)[0] + (": " + "; ".join(details) if details else f": {cause or error}")


def _operations(spec: dict) -> dict[tuple[re.Pattern, str], tuple[set[str], set[str]]]:
    found = {}
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[A-Za-z]+\\\}", "[^/]+", re.escape(template)) + "$")
        for method, operation in item.items():
            if method not in ("get", "post", "delete"):
                continue
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            schema = (operation.get("requestBody", {}).get("content", {})
                      .get("application/x-www-form-urlencoded", {}).get("schema", {}))
            found[(pattern, method)] = (query, set(schema.get("properties", {})))
    return found


@lru_cache(maxsize=1)
def load() -> Contract | None:
    """The contract, built once per process; None when openapi-core is not installed (demo installs)."""
    try:
        from openapi_core import OpenAPI
        from openapi_core.configurations import Config
    except ImportError:
        return None
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    api = OpenAPI.from_dict(spec, config=Config(extra_format_validators=FORMATS))
    return Contract(api, _operations(spec))
