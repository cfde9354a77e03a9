import { SementeError } from "@semente/core/errors";
import { Environment } from "@semente/core/manifest";

/**
 * A gateway serves the one environment of its `SEMENTE_ENV` (R3.4, R6.10): a manifest, a run or a
 * listing of another environment is refused, after the token check (403 `ENVIRONMENT_NOT_SERVED`).
 */
export function assertServedEnvironment(served: string, environment: string | undefined): void {
  if (environment === undefined || environment === served) return;
  // Only a known environment name is echoed (a query string may hold anything).
  const named = (Object.values(Environment) as string[]).includes(environment) ? environment : undefined;
  throw new SementeError(
    "ENVIRONMENT_NOT_SERVED",
    named === undefined
      ? `this gateway serves the '${served}' environment only`
      : `this gateway serves the '${served}' environment, not '${named}': send it to the ${named} gateway`,
    { extensions: { served_environment: served, ...(named === undefined ? {} : { environment: named }) } },
  );
}
