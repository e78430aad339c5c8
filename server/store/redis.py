"""Sessions in Redis, shared by server processes on any number of machines.

Keys (all under ``mlp:``): ``s:{id}`` a hash (``version``, ``state``,
``client``), ``lru`` a sorted set of ids by last use, ``client:{addr}`` the
ids a client created, ``lease:{id}`` the lease owner (``SET ... PX``, so a
dead owner's lease expires by itself), ``want:{id}`` another process waits
for it, ``tomb:{id}`` why a session went (kept a day), ``created:{addr}``
recent creations. Every read-check-write is one Lua script, so it is atomic
on the server. Durability is Redis's: configure AOF (``appendonly yes``,
``appendfsync everysec``) for restarts of Redis itself.
"""
from __future__ import annotations

import uuid

import redis

from .base import Backend, Lease

P = "mlp:"
TOMBSTONE_SECONDS = 86_400

_ACQUIRE = """
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return {1, -1} end
local cur = redis.call('GET', KEYS[2])
if cur and cur ~= ARGV[1] then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[2])
  return {0, tonumber(v)}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
return {1, tonumber(v)}
"""

_SAVE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) return -1 end
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[3] == '1' then redis.call('DEL', KEYS[2]) end
return v
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 0
"""

_DELETE = """
local client = redis.call('HGET', KEYS[1], 'client')
if not client then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', ARGV[4] .. client, ARGV[1])
if ARGV[2] ~= '' then redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3]) end
return 1
"""

_CREATION = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2]))
return 1
"""


class RedisBackend(Backend):
    """:class:`~server.store.base.Backend` on the Redis server at ``url`` (``redis://HOST:PORT/DB``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.r = redis.Redis.from_url(url)  # a thread-safe connection pool
        self.r.ping()  # fail at startup, not on the first request
        self._acquire = self.r.register_script(_ACQUIRE)
        self._save = self.r.register_script(_SAVE)
        self._release = self.r.register_script(_RELEASE)
        self._renew = self.r.register_script(_RENEW)
        self._delete = self.r.register_script(_DELETE)
        self._creation = self.r.register_script(_CREATION)

    def insert(self, session_id: str, state: bytes, client: str, now: float) -> None:
        with self.r.pipeline(transaction=True) as p:
            p.hset(P + "s:" + session_id, mapping={"version": 1, "state": state, "client": client})
            p.zadd(P + "lru", {session_id: now})
            p.sadd(P + "client:" + client, session_id)
            p.execute()

    def load(self, session_id: str) -> tuple[int, bytes] | None:
        version, state = self.r.hmget(P + "s:" + session_id, ["version", "state"])
        return None if version is None or state is None else (int(version), bytes(state))

    def acquire(self, session_id: str, owner: str, ttl: float, now: float) -> Lease:
        ok, version = self._acquire(keys=[P + "s:" + session_id, P + "lease:" + session_id,
                                          P + "want:" + session_id, P + "lru"],
                                    args=[owner, max(1, int(ttl * 1000)), repr(now), session_id])
        return Lease(bool(ok), None if version < 0 else int(version))

    def save(self, session_id: str, owner: str, state: bytes, release: bool) -> int | None:
        version = self._save(keys=[P + "s:" + session_id, P + "lease:" + session_id],
                             args=[owner, state, "1" if release else "0"])
        return None if version < 0 else int(version)

    def release(self, session_id: str, owner: str) -> None:
        self._release(keys=[P + "lease:" + session_id], args=[owner])

    def renew(self, session_ids: list[str], owner: str, ttl: float, now: float) -> None:
        if session_ids:
            self._renew(keys=[P + "lease:" + s for s in session_ids], args=[owner, max(1, int(ttl * 1000))])

    def wanted(self, session_ids: list[str]) -> set[str]:
        if not session_ids:
            return set()
        with self.r.pipeline(transaction=False) as p:
            for sid in session_ids:
                p.exists(P + "want:" + sid)
            flags = p.execute()
        return {sid for sid, flag in zip(session_ids, flags) if flag}

    def delete(self, session_id: str, why: str | None) -> bool:
        return bool(self._delete(keys=[P + "s:" + session_id, P + "lru", P + "lease:" + session_id,
                                       P + "tomb:" + session_id],
                                 args=[session_id, why or "", TOMBSTONE_SECONDS, P + "client:"]))

    def why_gone(self, session_id: str) -> str | None:
        why = self.r.get(P + "tomb:" + session_id)
        return None if why is None else why.decode()

    def ids(self) -> list[str]:
        return [s.decode() for s in self.r.zrange(P + "lru", 0, -1)]

    def count(self, client: str | None = None) -> int:
        if client is None:
            return int(self.r.zcard(P + "lru"))
        return int(self.r.scard(P + "client:" + client))

    def evict(self, keep: int, idle_before: float, why_full: str, why_idle: str) -> list[str]:
        idle = [s.decode() for s in self.r.zrangebyscore(P + "lru", "-inf", f"({idle_before!r}")]
        idle = [s for s in idle if self.delete(s, why_idle)]
        excess = int(self.r.zcard(P + "lru")) - keep
        full = [s.decode() for s in self.r.zrange(P + "lru", 0, excess - 1)] if excess > 0 else []
        full = [s for s in full if self.delete(s, why_full)]
        return idle + full

    def note_creation(self, client: str, now: float, window: float, limit: int) -> bool:
        return bool(self._creation(keys=[P + "created:" + client],
                                   args=[repr(now), repr(window), limit, f"{now!r}:{uuid.uuid4().hex[:8]}"]))

    def close(self) -> None:
        self.r.close()
