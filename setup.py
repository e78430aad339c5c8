"""Everything about the build is in ``pyproject.toml`` but one thing it cannot say: the page's
folder ``static/`` ships as the package ``server.static`` (its ``package-dir`` and
``package-data`` are there). Package discovery (``packages.find``) only finds folders under
their own names, so the package is added here, after ``pyproject.toml`` is read."""
from setuptools import setup
from setuptools.dist import Distribution

PAGE_PACKAGE = "server.static"


class WithPage(Distribution):
    def parse_config_files(self, *args, **kwargs) -> None:
        super().parse_config_files(*args, **kwargs)
        if PAGE_PACKAGE not in (self.packages or []):
            self.packages = [*(self.packages or []), PAGE_PACKAGE]


setup(distclass=WithPage)
