"""FreeSWITCH event-socket adapter for the IVR interpreter: not built yet.

It will translate the interpreter's actions (engine/ivr/interpreter.py) into
FreeSWITCH commands, in its own process (greenswitch is gevent-based and must not
share the asyncio engine's loop). Nothing here runs today: FreeSWITCH has no package
in the registries this project installs from, so it could not be tested for real.
"""
