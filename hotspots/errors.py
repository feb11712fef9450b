"""User-facing errors: one line that says what is wrong and what to do."""


class InputError(ValueError):
    """Input that cannot be used at all (unreadable, empty, no coordinate columns ...).

    The message is one line, names what was seen and the flag or argument to use. The CLI
    prints it and exits with status 2; the app shows it instead of a traceback.
    """


class ParameterError(ValueError):
    """A parameter outside its valid range; the message names the parameter and its unit."""
