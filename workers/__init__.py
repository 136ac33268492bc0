"""RQ job functions and the worker entry. Jobs call screener.store, never Flask views."""
