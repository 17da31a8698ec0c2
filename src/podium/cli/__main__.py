"""``python -m podium.cli``: the same as the ``podium`` console script."""

from podium.cli._root import main

if __name__ == "__main__":
    main()
