"""foundry-tui: a terminal chat client for Claude models on Microsoft Foundry."""

__version__ = "0.1.0"
