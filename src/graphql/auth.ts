/**
 * Admin access. Mutations require `Authorization: Bearer <ADMIN_TOKEN>` (over WebSocket: the
 * connection_init payload `{ "authorization": "Bearer <ADMIN_TOKEN>" }`). Queries and
 * subscriptions are open. A missing token is UNAUTHENTICATED, a wrong one FORBIDDEN.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminAccess, Context } from './context.ts';
import { userError } from './errors.ts';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks an Authorization header value against the admin token (constant time). */
export function adminAccess(authorization: string | null | undefined, token: string): AdminAccess {
  if (authorization === null || authorization === undefined || authorization.trim() === '') return 'missing';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
  if (!match) return 'invalid';
  return timingSafeEqual(digest(match[1]!), digest(token)) ? 'granted' : 'invalid';
}

/**
 * Refuses the operation unless the request carried the admin token.
 * @throws GraphQLError UNAUTHENTICATED, FORBIDDEN
 */
export function requireAdmin(ctx: Context): void {
  if (ctx.admin === 'granted') return;
  if (ctx.admin === 'missing') {
    throw userError(
      'UNAUTHENTICATED',
      'admin mutations need the header "Authorization: Bearer <ADMIN_TOKEN>"',
    );
  }
  throw userError('FORBIDDEN', 'the admin token is wrong');
}
