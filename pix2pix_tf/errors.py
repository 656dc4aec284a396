"""Errors for bad user input: the CLI prints them as one line, never a traceback."""


class DataError(ValueError):
    """A data file, folder or dataset name cannot be used; the message names it."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint was kept."""
