"""FastAPI dependencies that admit a request by its bearer token, its tenant and its role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from events.subjects import TOKEN_PATTERN, is_token
from services.application.auth import InvalidToken, Permission, Principal, TokenAuthority

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `okr token --tenant T --role admin|member|auditor|integration`",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


class Gate:
    """Turns the token authority into per-permission FastAPI dependencies."""

    def __init__(self, authority: TokenAuthority) -> None:
        self._authority = authority

    def principal(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        """The verified holder of the request's token; 401 without a valid one."""
        if credentials is None:
            raise _unauthorized("an Authorization: Bearer <token> header is required")
        try:
            return self._authority.verify(credentials.credentials)
        except InvalidToken as exc:
            raise _unauthorized(f"invalid token: {exc}") from None

    def permit(self, permission: Permission) -> Any:
        """A dependency admitting holders of ``permission`` in the path's tenant (else 403)."""

        async def admit(request: Request, credentials: Credentials) -> Principal:
            principal = self.principal(credentials)
            tenant = request.path_params.get("tenant")
            if tenant is not None and not is_token(tenant):
                # Said before the tenant check, so a typo is not reported as a refusal.
                raise HTTPException(422, f"tenant {tenant!r} must match {TOKEN_PATTERN}")
            if tenant is not None and tenant != principal.tenant:
                raise HTTPException(403, f"the token is for tenant {principal.tenant!r}")
            if not principal.may(permission):
                raise HTTPException(
                    403,
                    f"role {principal.role.value!r} may not {permission.value.replace('_', ' ')}",
                )
            return principal

        return Depends(admit)

    def any_role(self) -> Any:
        """A dependency admitting any valid token (tenant-less operational endpoints)."""

        async def admit(credentials: Credentials) -> Principal:
            return self.principal(credentials)

        return Depends(admit)
