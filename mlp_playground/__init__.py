"""MLP Playground from Python: NumPy arrays in and out, an embedded server, and the live
playground inside a notebook.

    from mlp_playground import Client

    with Client.local() as client:                 # or Client("http://127.0.0.1:8000/")
        s = client.session(dataset={"name": "xor"}, model={"layers": [2, 8, 1]})
        trace = s.step()                           # trace.z, .a, .delta, .dW, .db: per layer
        history = s.epochs(50)                     # history.train_loss (epochs,), .grad_norm (epochs, L)
        s.plot()                                   # the page's loss and gradient-norm charts
        s.show()                                   # the page itself, opened on this session

Names are the playground's (``W``, ``b``, ``z``, ``a``, ``delta``, ``dW``, ``db``); samples
are rows and ``W[l]`` is ``(out, in)``. A 4xx answer raises :class:`ClientError`; a server
that cannot be reached raises :class:`ServerUnreachable`, naming the URL.
"""
from .client import Client, Lesson
from .errors import ClientError, ServerUnreachable
from .records import Frame, Gradcheck, History, Params, Trace
from .session import Session

__all__ = ["Client", "ClientError", "Frame", "Gradcheck", "History", "Lesson", "Params", "ServerUnreachable",
           "Session", "Trace"]
