"""The package's errors for bad input: the CLIs print them as one line (exit status 2,
or 1 for a diverged run). Any other exception is a bug or an environment failure
and keeps its traceback."""


class Pix2PixError(Exception):
    """Base of the errors whose message alone tells the user what to fix."""


class ConfigError(Pix2PixError, ValueError):
    """An option value cannot work; the message names the option."""


class DataError(Pix2PixError, ValueError):
    """A data file, folder, dataset name or run file cannot be used; the message names it."""


class TrainingDiverged(Pix2PixError, RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint was kept."""


def tf_reason(message: object) -> str:
    """The first line of a TensorFlow error without where in the graph it failed
    (TensorFlow prefixes `{{function_node ...}}`): what failed, for a one-line error."""
    import re

    lines = str(message).splitlines()
    return re.sub(r"\{\{[^}]*\}\}\s*", "", lines[0] if lines else "").strip()
