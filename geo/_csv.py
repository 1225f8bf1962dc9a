"""CSV text as people save it: the encodings and separators spreadsheets write."""

from __future__ import annotations

import csv
from pathlib import Path

from geo._errors import GeoError


def decode_text(path: Path, what: str = "file") -> str:
    """The text of ``path``: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252.

    Raises
    ------
    GeoError
        When the file cannot be read, holds NUL bytes (binary), or is none of those encodings.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GeoError(f"Could not read the {what} {path}: {exc.strerror or exc}.") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text" is UTF-16 with a BOM
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in raw:
        raise GeoError(f"The {what} {path} contains NUL bytes, so it is not a CSV text file; save it as 'CSV UTF-8'.")
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows still writes cp1252
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GeoError(f"The {what} {path} is neither UTF-8 nor Windows-1252 text; save it as 'CSV UTF-8'.")


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: comma, semicolon (European Excel) or tab."""
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        return ","
