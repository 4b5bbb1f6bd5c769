import { Injectable, SetMetadata, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import { forbidden, unauthenticated } from '../graphql/graphql-errors';
import type { GatewayContext } from '../graphql/gateway-context';
import type { GatewayRole, Principal } from './jwt-tokens';

const ROLES_KEY = 'fleetwarden:roles';

/** Only these roles may call the operation (default: every authenticated role). */
export const Roles = (...roles: GatewayRole[]) => SetMetadata(ROLES_KEY, roles);

/**
 * Requires a valid bearer token (`UNAUTHENTICATED` otherwise) and, with {@link Roles}, one of the
 * listed roles (`FORBIDDEN` otherwise). Stores the caller in the context for {@link CurrentPrincipal}.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
    if (!ctx.auth) throw unauthenticated('missing bearer token');
    const principal = (ctx.principal ??= await ctx.auth.principal());
    const roles = this.reflector.getAllAndOverride<GatewayRole[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (roles && !roles.includes(principal.role)) {
      const name = GqlExecutionContext.create(context).getInfo<{ fieldName: string }>().fieldName;
      throw forbidden(`Role ${principal.role} may not call ${name} (allowed: ${roles.join(', ')})`);
    }
    return true;
  }
}

/** The caller verified by {@link AuthGuard}. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = GqlExecutionContext.create(context).getContext<GatewayContext>().principal;
  if (!principal) throw unauthenticated('missing bearer token');
  return principal;
});
