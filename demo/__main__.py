"""``python -m demo``: the same command line as ``python demo/demo.py``."""

import sys

from demo.demo import main

sys.exit(main())
