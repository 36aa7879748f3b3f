"""flowdesk: work with web APIs visually, from a window or the command line."""

__version__ = "0.1.0"

__all__ = ["__version__"]
