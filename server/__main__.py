"""``python -m server``: the same as the ``mlp-playground`` command."""
from .cli import main

if __name__ == "__main__":
    main()
