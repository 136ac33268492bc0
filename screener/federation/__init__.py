"""Feeds to and from other organisations: static MISP feeds, signed with minisign (see README "Sharing the
list with other organisations")."""
