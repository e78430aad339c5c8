"""Request bounds: everything that limits what one request, one session or one client may ask.

* :mod:`.fields` -- schema fields bounded by the app's limits (``AtMost``), and the
  middleware that puts the app's limits and budget in force for each request;
* :mod:`.budget` -- work priced in seconds of compute and bytes of memory before it starts;
* :mod:`.body` -- request bodies: size and JSON nesting, refused before parsing;
* :mod:`.security` -- who may ask: host names, other sites, per-client session creation,
  and the security headers on every answer.
"""
