"""The tablet: a one-button talk page served on the home network, driving the device's one Session.

pairing.py (one-time spoken code, then a cookie), network.py (home network only, self-signed certificate),
link.py (the page as the live loop's microphone and speaker), page.py (HTML and words), server.py (HTTP and
WebSocket on one port), cli.py (`voice-assistant tablet`), static/ (the page's script, audio worklet and style).
"""

from voice_assistant.tablet.pairing import PairingError, PairingStore
from voice_assistant.tablet.server import CannotHear, TabletServer

__all__ = ["CannotHear", "PairingError", "PairingStore", "TabletServer"]
