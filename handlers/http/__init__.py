"""HTTP routes and middleware (FastAPI)."""
