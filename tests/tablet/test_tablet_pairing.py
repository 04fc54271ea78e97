"""Pairing codes and tokens, the home-network check, the names the device answers to, and its certificate."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from voice_assistant.tablet.network import allowed_host, ensure_certificate, is_local_address
from voice_assistant.tablet.pairing import CODE_ATTEMPTS, PairingError, PairingStore


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def test_a_code_gives_one_token_once_and_only_its_hash_is_kept(tmp_path):
    store = PairingStore(tmp_path / "tablet.db")
    code = store.new_code()
    assert len(code.code) == 6 and code.code.isdigit()
    token = store.redeem(f" {code.code[:3]} {code.code[3:]} ")  # spaces as people type them
    assert store.verify(token) == "tablet 1"
    assert token not in (tmp_path / "tablet.db").read_bytes().decode("latin-1")
    with pytest.raises(PairingError) as used:
        store.redeem(code.code)  # one-time
    assert used.value.reason == "none"
    assert store.verify("vat_not-a-token") is None and store.verify(None) is None


def test_wrong_codes_are_limited_then_the_code_is_cancelled(tmp_path):
    store = PairingStore(tmp_path / "tablet.db")
    code = store.new_code().code
    wrong = "000000" if code != "000000" else "111111"
    for left in range(CODE_ATTEMPTS - 1, 0, -1):
        with pytest.raises(PairingError) as refused:
            store.redeem(wrong)
        assert (refused.value.reason, refused.value.attempts_left) == ("wrong", left)
    with pytest.raises(PairingError) as refused:
        store.redeem(wrong)
    assert refused.value.reason == "used_up"
    with pytest.raises(PairingError):
        store.redeem(code)  # even the right code: make a new one
    assert store.tablets() == []


def test_a_code_expires_after_ten_minutes_and_a_new_code_replaces_the_old(tmp_path):
    clock = Clock()
    store = PairingStore(tmp_path / "tablet.db", clock=clock)
    old = store.new_code().code
    new = store.new_code().code
    if old != new:
        with pytest.raises(PairingError):
            store.redeem(old)
    store.new_code()
    late = store.new_code().code
    clock.now += timedelta(minutes=10, seconds=1)
    with pytest.raises(PairingError) as expired:
        store.redeem(late)
    assert expired.value.reason == "expired"


def test_tablets_are_listed_and_revoked(tmp_path):
    store = PairingStore(tmp_path / "tablet.db")
    first = store.redeem(store.new_code().code)
    second = store.redeem(store.new_code().code)
    assert [t.name for t in store.tablets()] == ["tablet 1", "tablet 2"]
    assert store.revoke("tablet 1") == 1
    assert store.verify(first) is None and store.verify(second) == "tablet 2"
    assert store.revoke() == 1 and store.verify(second) is None


@pytest.mark.parametrize("address, local", [
    ("127.0.0.1", True), ("::1", True), ("192.168.1.20", True), ("10.0.0.7", True), ("172.16.4.2", True),
    ("169.254.10.1", True), ("fe80::1%eth0", True), ("fd12:3456::1", True), ("::ffff:192.168.1.20", True),
    ("8.8.8.8", False), ("2a00:1450::1", False), ("::ffff:8.8.8.8", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("", False), (None, False), ("not-an-ip", False),
])
def test_only_the_home_network_may_connect(address, local):
    assert is_local_address(address) is local


@pytest.mark.parametrize("host, allowed", [
    ("192.168.1.20:8766", True), ("127.0.0.1:8766", True), ("[::1]:8766", True), ("localhost:8766", True),
    ("evil.example.com:8766", False), ("evil.example.com", False), ("", False), (None, False),
    ("192.168.1.20:8766/x", False),
])
def test_only_the_device_own_names_are_served(host, allowed):
    assert allowed_host(host, ["localhost", "kitchen-pi", "kitchen-pi.local"]) is allowed


def test_the_certificate_is_made_once_for_the_lan_addresses(tmp_path):
    from cryptography import x509

    made = ensure_certificate(tmp_path, ["192.168.1.20"], ["localhost", "kitchen-pi"])
    assert made.created and len(made.fingerprint.split(":")) == 32
    assert (made.key_path.stat().st_mode & 0o777) == 0o600
    again = ensure_certificate(tmp_path, ["192.168.1.20"], ["localhost", "kitchen-pi"])
    assert not again.created and again.fingerprint == made.fingerprint
    cert = x509.load_pem_x509_certificate(made.cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kitchen-pi" in san.get_values_for_type(x509.DNSName)
    moved = ensure_certificate(tmp_path, ["192.168.1.31"], ["localhost", "kitchen-pi"])  # a new address (DHCP)
    assert moved.created and moved.fingerprint != made.fingerprint
