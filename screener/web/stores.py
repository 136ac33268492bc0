"""The web page's own stores, bound to the app's Redis client; `stores()` gets them in a request."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from screener.services import Services
from screener.store.blocklist_search import BlocklistSearch
from screener.store.proposals import Proposals
from screener.store.reviews import Reviews
from screener.store.users import Users, WebSessions
from screener.web.config import WebSettings


@dataclass
class WebStores:
    """Accounts, sessions, reviews and the blocklist search, next to the shared Services."""

    settings: WebSettings
    users: Users
    sessions: WebSessions
    reviews: Reviews
    blocklist_search: BlocklistSearch
    proposals: Proposals

    @classmethod
    def build(cls, svc: Services, settings: WebSettings) -> "WebStores":
        return cls(
            settings=settings,
            users=Users(svc.client, svc.keys),
            sessions=WebSessions(svc.client, svc.keys, settings.session_idle_seconds, settings.session_max_seconds),
            reviews=Reviews(svc.client, svc.keys),
            blocklist_search=BlocklistSearch(svc.blocklist),
            proposals=Proposals(svc.client, svc.keys),
        )


def stores() -> WebStores:
    return current_app.extensions["screener.web"]
