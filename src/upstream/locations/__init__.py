"""Code locations: loading the user's code, and the home directory its values go to.

Used by every process that imports user code: workers, `upstream dev`, the CLI.
"""

from upstream.locations.home import default_io_manager, upstream_home
from upstream.locations.loading import (
    CodeLocation,
    CodeLocationError,
    code_location_files,
    forget_code_location,
    load_code_location,
)

__all__ = [
    "CodeLocation",
    "CodeLocationError",
    "code_location_files",
    "default_io_manager",
    "forget_code_location",
    "load_code_location",
    "upstream_home",
]
