"""Sandboxes that emulate third-party services for tests, demos and local development."""
