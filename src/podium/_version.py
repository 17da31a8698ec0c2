"""The package version, read by the build and reported by the API."""

__version__ = "0.1.0"
API_VERSION = "0.8.4"
