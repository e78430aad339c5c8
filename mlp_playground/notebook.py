"""``Session.show()``: the live playground, opened on one session, inside a notebook's output.

An iframe of the session's page (:attr:`Session.url`) through IPython's display machinery,
so it works wherever a notebook renders HTML (JupyterLab, classic Notebook, VS Code, a
notebook saved as HTML) and the browser can reach the server. The page and Python drive the
same session on the server: the page follows what Python does to it, and Python reads what
the page did on its next call."""
from __future__ import annotations

import html

from .transport import Transport


def frame_html(url: str, height: int) -> str:
    """The iframe (and a plain link for a viewer that shows no frames)."""
    src = html.escape(url, quote=True)
    return (f'<iframe src="{src}" width="100%" height="{int(height)}" '
            f'style="border: 1px solid #cbd5e1; border-radius: 4px" '
            f'title="MLP Playground" data-mlp-playground-session="{src}"></iframe>'
            f'<div><a href="{src}" target="_blank" rel="noopener">Open this session in a browser tab</a></div>')


def framing_refused(headers: dict[str, str]) -> bool:
    """Whether the page's headers forbid every frame (a standalone server does)."""
    csp = headers.get("content-security-policy", "")
    return headers.get("x-frame-options", "").upper() == "DENY" or "frame-ancestors 'none'" in csp


def show(server: Transport, url: str, height: int) -> None:
    """Display the page at ``url`` (a session's) in the output; a server whose page may not
    be framed gets the link and the reason instead of an empty frame."""
    try:
        from IPython.display import HTML, display
    except ImportError as exc:
        raise ImportError("Session.show() displays in a notebook, through IPython: "
                          "pip install ipykernel (or run it in Jupyter or VS Code)") from exc

    if framing_refused(server.headers("")):
        link = html.escape(url, quote=True)
        display(HTML(f'<p>This server does not let its page be shown in a frame (it guards '
                     f'against clickjacking); <code>Client.local()</code> starts one that does. '
                     f'<a href="{link}" target="_blank" rel="noopener">Open this session in a browser '
                     f'tab</a>.</p>'))
        return
    display(HTML(frame_html(url, height)))
