"""The one error of the command line that is the person's to fix, not the server's."""


class UsageError(Exception):
    """A mistake in the arguments or the input: ``kv`` prints it and exits with 2."""
