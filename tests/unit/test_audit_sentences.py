"""Every change the code writes to the audit log reads as a sentence on the audit page, not as raw machinery."""
import re
from pathlib import Path

import pytest

from screener.web import history

ROOT = Path(__file__).resolve().parents[2]
# A string literal naming an audit action: an area, a dot, what was done ("peer.revert", f"report.{kind}").
AREAS = ("blocklist", "allowlist", "line", "user", "review", "evidence", "report", "neverblock", "peer", "feed",
         "api", "jobs", "backup", "secret", "alerts", "recordings", "curators")
LITERAL = re.compile(r"""f?["']((?:%s)(?:\.[a-z_{}]+)+)["']""" % "|".join(AREAS))
# The f-string actions and the kinds they are written with (screener/reporting.py).
KINDS = {"report.{kind}": ("report", "confirm", "false_positive"), "evidence.{kind}": ("confirm", "false_positive")}
NOT_ACTIONS = re.compile(r"\.(html|json|csv|txt)$")


def written_actions(endpoints: set[str]) -> set[str]:
    """Audit actions named in the code: such literals that are neither a page's endpoint nor a template."""
    found: set[str] = set()
    for path in [*ROOT.joinpath("screener").rglob("*.py"), *ROOT.joinpath("workers").rglob("*.py")]:
        for name in LITERAL.findall(path.read_text(encoding="utf-8")):
            found |= {name.replace("{kind}", k) for k in KINDS[name]} if name in KINDS else {name}
    return {name for name in found if name not in endpoints and not NOT_ACTIONS.search(name)}


@pytest.fixture()
def actions(app):
    return written_actions({rule.endpoint for rule in app.url_map.iter_rules()})


def test_every_audit_action_the_code_writes_reads_as_a_sentence(app, actions):
    assert {"blocklist.add", "blocklist.import", "review.accept", "peer.revert", "backup.take"} <= actions
    untold = []
    with app.test_request_context():
        for action in sorted(actions):
            if action in history.PENDING:  # a two-person kind: written as kind.propose, .confirm, .discard
                action += ".propose"
            entry = {"actor": "web:anna", "action": action, "target": "+375291234567"}
            if history.sentence(entry) == str(history.OTHER) % {"who": "web:anna", "action": action,
                                                                 "target": "+375291234567"}:
                untold.append(action)
    assert not untold, f"audit actions with no sentence in screener/web/history.py: {untold}"


def test_a_partner_revert_reads_as_a_sentence_in_russian(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        told = history.sentence({"actor": "cli:admin", "action": "peer.revert", "target": "viasna"})
    assert "viasna" in told and "cli:admin" in told and "took back" not in told
