"""``python -m kv_sdk.cli``, the same as ``kv``."""

import sys

from kv_sdk.cli.commands import main

sys.exit(main())
