"""The real client address behind a known number of reverse proxies."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Address of the client, trusting exactly TRUSTED_PROXIES hops.

    Each proxy appends the address it received the request from to
    X-Forwarded-For, and the nearest proxy is REMOTE_ADDR. Counting from the
    right past the trusted proxies gives the client; anything further left was
    written by the client itself and is ignored, so it cannot be spoofed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.GUANXI_TRUSTED_PROXIES
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [remote]
    return chain[max(0, len(chain) - 1 - trusted)]
