"""The one exception type for mistakes a user can make.

The CLI turns an :class:`LrplanError` into a single line on stderr and exit code 2.
Anything else that escapes is a bug in lrplan.
"""

from __future__ import annotations


class LrplanError(Exception):
    """A user-fixable problem: a bad option value, config file or output path.

    The message is one line that names the option (or file) and says what would be valid.
    """
