from .base import TownshipScopedViewSet, exception_handler

__all__ = ["TownshipScopedViewSet", "exception_handler"]
