"""A logger for the SDK's ``logger`` option that keeps what it is told."""

from __future__ import annotations


class ListLogger:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.debugs: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)

    def error(self, message: str) -> None:
        self.errors.append(message)

    def debug(self, message: str) -> None:
        self.debugs.append(message)

    def matching(self, text: str) -> list[str]:
        return [line for line in self.warnings + self.errors if text in line]
