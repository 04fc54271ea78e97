"""The tablet page is for the home network only: who may connect, which names the device answers to, and the
self-signed certificate that makes the page a secure context on the LAN (browsers give the microphone only to
https pages, and to http://localhost)."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path


CERT_DAYS = 3650


def is_local_address(address: str | None) -> bool:
    """True for loopback, private (home network) and link-local addresses; False for anything else."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_link_local or (ip.is_private and not ip.is_unspecified)


def lan_addresses() -> list[str]:
    """This device's addresses on the home network, best first (the one routes go out through)."""
    found: list[str] = []
    try:  # no packet is sent: connecting a UDP socket only picks the outgoing interface
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    except OSError:
        pass
    local = [a for a in dict.fromkeys(found) if is_local_address(a) and not ipaddress.ip_address(a).is_loopback]
    return local


def host_names() -> list[str]:
    name = socket.gethostname().lower()
    return [n for n in dict.fromkeys(["localhost", name, f"{name}.local"]) if n]


_HOST_HEADER = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def allowed_host(header: str | None, names: list[str]) -> bool:
    """A Host header naming this device: an IP address, or one of its names (not a name someone else's DNS
    points here, which is how a web page on the internet would reach it: DNS rebinding)."""
    if not header or not _HOST_HEADER.match(header):
        return False
    host = header[1:header.index("]")] if header.startswith("[") else header.split(":", 1)[0]
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return host.lower() in names


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  #: SHA-256 of the certificate (DER), as AA:BB:..., to compare on the tablet
    created: bool  #: made just now (a tablet will ask once to accept it)


def ensure_certificate(folder: Path, addresses: list[str], names: list[str]) -> Certificate:
    """The device's self-signed certificate (made once; made again when an address is not in it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = folder / "tablet-cert.pem", folder / "tablet-key.pem"
    wanted_ips = {ipaddress.ip_address(a) for a in [*addresses, "127.0.0.1", "::1"]}
    if cert_path.is_file() and key_path.is_file():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            have = set(san.get_values_for_type(x509.IPAddress))
        except x509.ExtensionNotFound:
            have = set()
        if wanted_ips <= have and cert.not_valid_after_utc > dt.datetime.now(dt.timezone.utc):
            return Certificate(cert_path, key_path, _fingerprint(cert), False)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[1] if len(names) > 1 else "voice-assistant"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "voice-assistant tablet")])
    now = dt.datetime.now(dt.timezone.utc)
    san = x509.SubjectAlternativeName([*(x509.DNSName(n) for n in names),
                                       *(x509.IPAddress(ip) for ip in sorted(wanted_ips, key=str))])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CERT_DAYS)).add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Certificate(cert_path, key_path, _fingerprint(cert), True)


def _fingerprint(cert) -> str:
    from cryptography.hazmat.primitives import serialization

    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
