"""Write screener/dev/twilio_oai/twilio_api_v2010.trimmed.json: the paths of Twilio's OpenAPI description that
the service calls, with every schema they reference, nothing else changed.

    python3 scripts/trim_twilio_oai.py ../shared/twilio-oai/twilio_api_v2010.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

PATHS = [
    "/2010-04-01/Accounts/{AccountSid}/Messages.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json",
    "/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
    "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
]
OUT = Path(__file__).resolve().parent.parent / "screener/dev/twilio_oai/twilio_api_v2010.trimmed.json"


def refs(node: object) -> set[str]:
    """Names of the component schemas a node refers to."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(refs(v) for v in node))
    return set()


def trim(spec: dict) -> dict:
    paths = {p: spec["paths"][p] for p in PATHS}
    schemas, todo = {}, refs(paths)
    while todo:
        name = todo.pop()
        schemas[name] = spec["components"]["schemas"][name]
        todo |= refs(schemas[name]) - schemas.keys()
    return {
        "openapi": spec["openapi"], "info": spec["info"], "servers": spec["servers"], "security": spec["security"],
        "tags": spec.get("tags", []), "paths": paths,
        "components": {"securitySchemes": spec["components"]["securitySchemes"],
                       "schemas": dict(sorted(schemas.items()))},
    }


if __name__ == "__main__":
    source = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    OUT.write_text(json.dumps(trim(source), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
