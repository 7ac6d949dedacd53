"""The data layer's exceptions: one family, one line each.

Every message is a single line that starts with (or names) the file or folder
concerned and says what is wrong, so a command-line tool can print it as is::

    DataError                       anything the data layer refuses
    ├── IDXFormatError  (ValueError)        a malformed IDX file
    ├── DownloadError   (OSError)           no mirror delivered a good file
    ├── DataFileMissing (FileNotFoundError) a data folder or file is not there
    └── DataPathError   (OSError)           a path is the wrong kind or unreadable
"""


class DataError(Exception):
    """A dataset file or folder cannot be used; the message is one line."""


class IDXFormatError(DataError, ValueError):
    """An IDX file is malformed; the message names the file and the problem."""


class DownloadError(DataError, OSError):
    """No mirror delivered the file within the limits and with the expected checksum."""


class DataFileMissing(DataError, FileNotFoundError):
    """A data folder given explicitly, or a needed data file, does not exist."""


class DataPathError(DataError, OSError):
    """A data path exists but is the wrong kind (file vs folder) or cannot be read."""
