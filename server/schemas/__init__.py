"""The REST contract as pydantic models, one module per job:

* :mod:`.requests` -- request bodies (``SessionConfig`` and the requests on a session);
* :mod:`.answers` -- what the endpoints send (documentation for ``/docs``);
* :mod:`.export` -- the export document that an import takes back;
* :mod:`.lessons` -- the lessons' requests and answers.
"""
