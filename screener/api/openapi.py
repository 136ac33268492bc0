"""The OpenAPI 3 document of /api/v1/ (served at /api/v1/openapi.json; schemathesis tests the API against it)."""
from __future__ import annotations

from typing import Any

from screener.api_tokens import SCOPES
from screener.evidence_rules import CATEGORIES

NUMBER_PATTERN = r"^\+?[0-9][0-9 ().-]{5,24}$"
STATES = ["block", "warn", "none"]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_NUMBER_PARAM = {"name": "number", "in": "path", "required": True, "description": "A phone number in E.164 (+...)",
                 "schema": {"type": "string", "pattern": NUMBER_PATTERN, "example": "+375291234567"}}
_AUTH = {"401": _error("No token, or a token that is unknown or revoked"),
         "403": _error("The token lacks the scope this needs")}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "screener API", "version": "1.0.0",
             "description": "Look a number up, file a report, read a number's evidence. Tokens are made with "
                            "`screener api token add OWNER --scope ...`; scopes: " + ", ".join(SCOPES) + "."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/numbers/{number}": {"get": {
            "operationId": "lookup", "summary": "What the service does with calls from a number (scope lookup)",
            "parameters": [_NUMBER_PARAM],
            "responses": {"200": _ok("The number's state", "Lookup"), "400": _error("Not a phone number"), **_AUTH}}},
        "/reports": {"post": {
            "operationId": "report", "summary": "Report a number (scope report); it counts as the token owner's",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewReport"}}}},
            "responses": {"201": _ok("Counted as evidence", "Filed"), "202": _ok("Over the daily quota: sent to review", "Filed"),
                          "400": _error("Not a JSON report, not a number, or an unknown category"),
                          "409": _error("The number is on the never-block list"), **_AUTH}}},
        "/evidence/{number}": {"get": {
            "operationId": "evidence", "summary": "Why a number is in its state (scope evidence)",
            "parameters": [_NUMBER_PARAM],
            "responses": {"200": _ok("The number's evidence", "Evidence"), "400": _error("Not a phone number"),
                          "404": _error("No evidence on this number"), **_AUTH}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "Lookup": {"type": "object", "required": ["number", "state", "entry", "source"], "additionalProperties": False,
                       "properties": {"number": {"type": "string"}, "state": {"type": "string", "enum": STATES},
                                      "entry": {"type": "string", "nullable": True,
                                                "description": "The list entry that matches: the number or a prefix"},
                                      "source": {"type": "string", "nullable": True,
                                                 "description": "evidence, or who else listed it (manual, import, ...)"}}},
            "NewReport": {"type": "object", "required": ["number", "category"], "additionalProperties": False,
                          "properties": {"number": {"type": "string", "maxLength": 64, "example": "+375291234567"},
                                         "category": {"type": "string", "enum": list(CATEGORIES)},
                                         "note": {"type": "string", "maxLength": 1000},
                                         "region": {"type": "string", "maxLength": 2, "description": "Country for a national number"}}},
            "Filed": {"type": "object", "required": ["number", "outcome", "state"], "additionalProperties": False,
                      "properties": {"number": {"type": "string"}, "outcome": {"type": "string", "enum": ["counted", "review"]},
                                     "state": {"type": "string", "enum": [*STATES, None], "nullable": True}}},
            "Vote": {"type": "object", "required": ["kind", "by", "at", "category", "note", "reverted"], "additionalProperties": False,
                     "properties": {"kind": {"type": "string", "enum": ["report", "confirm", "false_positive", "seen"]},
                                    "by": {"type": "string"}, "at": {"type": "integer"}, "category": {"type": "string"},
                                    "note": {"type": "string"}, "reverted": {"type": "boolean"}}},
            "Evidence": {"type": "object", "additionalProperties": False,
                         "required": ["number", "state", "reasons", "people", "organisations", "reporters", "partners",
                                      "confirmations", "false_positives", "categories", "last_seen", "changes_at",
                                      "changes_to", "votes"],
                         "properties": {"number": {"type": "string"}, "state": {"type": "string", "enum": STATES},
                                        "reasons": {"type": "array", "items": {"type": "string"}},
                                        "people": {"type": "number"}, "organisations": {"type": "number"},
                                        "reporters": {"type": "array", "items": {"type": "string"}},
                                        "partners": {"type": "array", "items": {"type": "string"}},
                                        "confirmations": {"type": "integer"},
                                        "false_positives": {"type": "array", "items": {"type": "string"}},
                                        "categories": {"type": "object", "additionalProperties": {"type": "integer"}},
                                        "last_seen": {"type": "integer"},
                                        "changes_at": {"type": "integer", "nullable": True},
                                        "changes_to": {"type": "string", "enum": [*STATES, None], "nullable": True},
                                        "votes": {"type": "array", "items": {"$ref": "#/components/schemas/Vote"}}}},
        },
    },
}
