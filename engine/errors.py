"""Errors the services raise; every face turns them into one clear message."""


class DomainError(Exception):
    """A rule was broken; the message is meant for the operator as is."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Invalid(DomainError):
    pass
