"""forge: generate the async database layer of a FastAPI project from a spec."""

__version__ = "0.1.0"
