import { assertAllowed, Action, type Principal, Role } from "../auth/index.ts";
import { SementeError } from "@semente/core/errors";

/**
 * Throws FORBIDDEN unless the principal holds the `admin` role for this tenant × environment: the
 * lifecycle operations (maintenance, purge) are admin-only, whatever the runner role may do.
 */
export function assertAdmin(principal: Principal, scope: { tenant: string; environment: string }): void {
  if (!principal.roles.includes(Role.admin)) throw new SementeError("FORBIDDEN", "this operation needs the admin role");
  assertAllowed(principal, Action.read, scope);
}
