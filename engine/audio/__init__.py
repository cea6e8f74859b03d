"""The audio library: recorded prompts per instance, and text spoken by espeak-ng."""
