"""``python -m lrplan``: the same as the ``lrplan`` command."""

from lrplan.cli import main

if __name__ == "__main__":
    main()
