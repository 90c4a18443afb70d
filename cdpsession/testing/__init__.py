"""Test helpers for code built on cdpsession (public, for users too)."""

from ._fake import FakeChromium as FakeChromium
from ._fake import ReceivedCommand as ReceivedCommand

__all__ = ["FakeChromium", "ReceivedCommand"]
