"""``python -m creditbank.cli``: the same command line as the ``creditbank`` script."""

import sys

from creditbank.cli.main import main

sys.exit(main())
