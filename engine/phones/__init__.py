"""Agents' phones: the SIP phone beside the desk and the softphone in the browser."""
