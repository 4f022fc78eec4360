"""CPython's sources from Debian's archive (I/O): the upstream release tarball Debian
ships as ``pythonX.Y_*.orig.tar.xz``, found through the archive's signed index.

Trust: ``dists/<suite>/InRelease`` is checked with ``gpgv`` against Debian's archive
keyring (the ``debian-archive-keyring`` package); the SHA-256 of ``Sources.xz`` is taken
from the verified text, and the tarball's SHA-256 from ``Sources.xz``. Nothing is
installed and nothing in ``/etc`` is touched: the mirror comes from the machine's apt
configuration (or ``WOAPORT_DEBIAN_MIRROR``), and files go to a private directory."""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

DEFAULT_SUITES = ("bookworm", "trixie", "sid")
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
MAX_INDEX = 64 * 1024 * 1024
MAX_TARBALL = 256 * 1024 * 1024
_ORIG = re.compile(r"(?m)^ ([0-9a-f]{64}) \d+ (python[\d.]+_[^\s]+\.orig\.tar\.(?:xz|gz))$")
_APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))


class SourceFetchError(RuntimeError):
    """CPython's sources could not be fetched or verified (message says why)."""


@dataclass(frozen=True)
class Tarball:
    suite: str
    version: str  # Debian's source version
    url: str
    sha256: str


def get_capped(client: httpx.Client, url: str, cap: int, seconds: float = 900.0) -> bytes:
    """GET ``url`` whole, refusing more than ``cap`` bytes or ``seconds`` in all (a
    server that drips a byte a minute never times a read out); any failure is a
    :class:`SourceFetchError` that says why (HTTP status, size, time, transport)."""
    stop = time.monotonic() + seconds
    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise SourceFetchError(f"{url}: HTTP {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise SourceFetchError(f"{url}: larger than {cap // 2**20} MiB")
                if time.monotonic() > stop:
                    raise SourceFetchError(f"{url}: not downloaded within {seconds:.0f} s")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as error:
        raise SourceFetchError(f"{url}: {type(error).__name__}: {error}") from None


def apt_mirror() -> str | None:
    """The Debian mirror this machine's apt uses (its first ``deb.debian.org``-like URI
    for the main archive), or ``WOAPORT_DEBIAN_MIRROR``."""
    if os.environ.get("WOAPORT_DEBIAN_MIRROR"):
        return os.environ["WOAPORT_DEBIAN_MIRROR"].rstrip("/")
    for path in _APT_SOURCES:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for uri in re.findall(r"(?m)^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(https?://\S+)", text):
            if "security" not in uri:
                return str(uri).rstrip("/")
    return None


def verified_release(signed: bytes, keyring: Path = KEYRING) -> str:
    """The text of a clear-signed ``InRelease`` whose signature ``gpgv`` accepts."""
    if shutil.which("gpgv") is None:
        raise SourceFetchError("gpgv is not installed: the archive's signature cannot be checked")
    if not keyring.is_file():
        raise SourceFetchError(f"no archive keyring at {keyring}")
    with tempfile.TemporaryDirectory(prefix="woaport-gpgv-") as tmp:
        signed_path, plain = Path(tmp) / "InRelease", Path(tmp) / "Release"
        signed_path.write_bytes(signed)
        done = subprocess.run(
            ["gpgv", "--keyring", str(keyring), "--output", str(plain), str(signed_path)],
            capture_output=True,
            check=False,
            env={"PATH": os.environ.get("PATH", ""), "GNUPGHOME": tmp, "LC_ALL": "C"},
        )
        if done.returncode != 0 or not plain.is_file():
            raise SourceFetchError("InRelease: the signature does not verify against the archive keyring")
        return plain.read_text(encoding="utf-8", errors="replace")


def release_hash(release: str, name: str) -> str:
    """The SHA-256 a verified Release text gives for ``name`` (``main/source/Sources.xz``)."""
    section = release.split("SHA256:", 1)[-1] if "SHA256:" in release else ""
    for line in section.splitlines()[1:]:
        if not line.startswith(" "):
            break
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return parts[0]
    raise SourceFetchError(f"the Release file lists no SHA-256 for {name}")


def find_tarball(sources: str, python: str) -> tuple[str, str, str] | None:
    """(source version, pool directory, (file, sha256)) of ``pythonX.Y``'s orig tarball."""
    for stanza in sources.split("\n\n"):
        if not re.search(rf"(?m)^Package: python{re.escape(python)}$", stanza):
            continue
        version = re.search(r"(?m)^Version: (\S+)", stanza)
        directory = re.search(r"(?m)^Directory: (\S+)", stanza)
        checksums = stanza.split("Checksums-Sha256:", 1)[-1]
        tarball = re.search(
            r"(?m)^ ([0-9a-f]{64}) \d+ (python[\d.]+_[^\s]+\.orig\.tar\.(?:xz|gz))$", checksums
        )
        if version and directory and tarball:
            return version.group(1), f"{directory.group(1)}/{tarball.group(2)}", tarball.group(1)
    return None


class DebianSources:
    def __init__(
        self,
        mirror: str,
        suites: tuple[str, ...] = DEFAULT_SUITES,
        keyring: Path = KEYRING,
        timeout: float = 60.0,
    ) -> None:
        self.mirror = mirror.rstrip("/")
        self.suites = suites
        self.keyring = keyring
        self.client = httpx.Client(timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def _get(self, url: str, cap: int) -> bytes:
        return get_capped(self.client, url, cap)

    def tarballs(self, python: str) -> Iterator[Tarball]:
        """Each suite's CPython X.Y tarball, in the configured order of suites."""
        for suite in self.suites:
            release = verified_release(
                self._get(f"{self.mirror}/dists/{suite}/InRelease", MAX_INDEX), self.keyring
            )
            expected = release_hash(release, "main/source/Sources.xz")
            packed = self._get(f"{self.mirror}/dists/{suite}/main/source/Sources.xz", MAX_INDEX)
            if hashlib.sha256(packed).hexdigest() != expected:
                raise SourceFetchError(f"{suite}: Sources.xz does not match the signed Release file")
            try:
                sources = lzma.decompress(packed).decode("utf-8", "replace")
            except lzma.LZMAError as error:
                raise SourceFetchError(f"{suite}: Sources.xz: {error}") from None
            found = find_tarball(sources, python)
            if found is not None:
                version, path, sha256 = found
                yield Tarball(suite, version, f"{self.mirror}/{path}", sha256)

    def download(self, tarball: Tarball, destination: Path) -> Path:
        data = self._get(tarball.url, MAX_TARBALL)
        if hashlib.sha256(data).hexdigest() != tarball.sha256:
            raise SourceFetchError(f"{tarball.url}: SHA-256 does not match the archive's index")
        target = destination / tarball.url.rsplit("/", 1)[-1]
        target.write_bytes(data)
        return target
