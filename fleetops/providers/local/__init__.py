"""The local provider: every instance a real process on this machine, behind HAProxy."""
