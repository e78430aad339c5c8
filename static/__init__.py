"""The page (HTML, JS, CSS): installed as the package ``server.static``, whose files
:mod:`server.assets` serves. Python never runs anything here; this file only makes the
folder a package, so :mod:`importlib.resources` finds it in editable installs as well."""
