"""HTTP/1.1 header reading shared by the soak's stdlib-only helpers (slow_upstream.py, soak_client.py)."""


async def read_headers(reader):
    """Reads header lines up to the blank line (or the end of the stream); returns them lower-cased by name."""
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
