"""The store's Lua scripts: read once from screener/store/lua/NAME.lua, each documenting its KEYS and ARGV."""
from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

import redis
from redis.commands.core import Script


@cache
def load(name: str) -> str:
    """The source of screener/store/lua/<name>.lua."""
    return files(__package__).joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


@cache
def sha(name: str) -> str:
    """The SHA1 digest Redis knows the script by (EVALSHA)."""
    return hashlib.sha1(load(name).encode()).hexdigest()


def names() -> list[str]:
    """Every script there is, sorted."""
    return sorted(item.name.removesuffix(".lua") for item in files(__package__).joinpath("lua").iterdir()
                  if item.name.endswith(".lua"))


def register(client: redis.Redis, name: str) -> Script:
    """A callable running the script by EVALSHA on `client`, loading it into Redis when Redis lacks it."""
    return client.register_script(load(name))
