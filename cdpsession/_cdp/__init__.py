"""Typed Chrome DevTools Protocol bindings.

``_command.Command`` is hand-written; everything under ``generated/`` is produced by
``scripts/gen_cdp.py`` from ``protocol/chromium-156.json`` and must not be edited by hand.
"""
