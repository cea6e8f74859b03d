"""The audio library (F6): recorded prompts per instance, and text spoken by espeak-ng."""
