"""The ``kv`` command line: items from a terminal or a script, export and import.

Exit codes: 0 done; 1 the API refused or failed, or the server could not be reached;
2 a usage or input mistake (bad arguments, no API key, a value that is not JSON);
3 not found; 4 a conditional write lost (precondition failed); 130 interrupted.
"""

from kv_sdk.cli.commands import main

__all__ = ["main"]
