"""Errors a user sees: each carries a Chinese message and the exit code the CLI gives it."""


class NianbaoError(Exception):
    """A problem with the user's input or command; the message is shown as is."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class FormatDefinitionError(Exception):
    """A format definition in workbook_templates/ is inconsistent (a developer's error)."""


class UnreadableFile(NianbaoError):
    """A file that cannot be read as what it was supposed to be."""
