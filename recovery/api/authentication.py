"""API tokens with a lifetime (issue 9, finding 12): DRF's TokenAuthentication, refusing a token older
than TOKEN_TTL_HOURS (counted from its `created`) with 401. POST /api/token/ issues a fresh token when
the old one expired; DELETE /api/token/ revokes it."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

EXPIRED = "The token has expired: ask POST /api/token/ for a new one."


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.TOKEN_TTL_HOURS)


def token_expired(token) -> bool:
    return token.created <= timezone.now() - token_lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(EXPIRED)
        return user, token


def issue_token(user):
    """The user's token: the current one while it lives, else a fresh one (the expired key is deleted)."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    if token is None:
        token, _ = Token.objects.get_or_create(user=user)
    return token
