"""Glue between acme2certifier (a separate, GPL-3 process) and attestverify, for the e2e tests.

Nothing of acme2certifier is copied here: `adapters.apply()` wraps a few of its functions at run
time, in the server process our launcher (`serve.py`) starts; docs/integrations/acme2certifier.md
lists each adapter and the upstream behaviour it works around.
"""
