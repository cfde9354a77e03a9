import { mintToken, resolveAuthKeys, Role } from "@semente/platform/auth";
import { SementeError } from "@semente/core/errors";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { out, UsageError } from "../io.ts";

const USAGE = `usage: semente token --role <seed-runner|admin|read> --tenant <t>[,<t>…] --env <e>[,<e>…] [--ttl 1h] [--sub <name>]

Mints a dev JWT (HS256, GATEWAY_JWT_SECRET, or in isolated dev the generated secret in .env.local)
and prints it as the last line. Refuses (exit 7, FORBIDDEN) unless SEMENTE_ENV is dev (its default)
and every --env is dev; outside isolated dev (CI set) GATEWAY_JWT_SECRET must be given explicitly
(exit 5, DEV_KEY_FORBIDDEN).`;

const ROLES = new Set<string>(Object.values(Role));

/** `30m`, `1h`, `2d` or plain seconds → seconds (at most 7 days). */
export function parseTtl(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text);
  if (m === null) throw new UsageError(`--ttl must look like 3600, 30m, 1h or 2d, got ${JSON.stringify(text)}`);
  const seconds =
    Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86_400 } as const)[m[2] as "" | "s" | "m" | "h" | "d"];
  if (seconds < 1 || seconds > 7 * 86_400) throw new UsageError("--ttl must be between 1 second and 7 days");
  return seconds;
}

const list = (value: string | undefined, flag: string): string[] => {
  const items = (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0) throw new UsageError(`${flag} is required\n\n${USAGE}`);
  return items;
};

export const tokenCommand: Command = {
  name: "token",
  summary: "mint a dev JWT for the gateway (dev only)",
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        role: { type: "string" },
        tenant: { type: "string" },
        env: { type: "string" },
        ttl: { type: "string" },
        sub: { type: "string" },
      },
      false,
    );
    const roles = list(values.role, "--role");
    for (const role of roles) if (!ROLES.has(role)) throw new UsageError(`unknown role ${JSON.stringify(role)}`);
    const tenants = list(values.tenant, "--tenant");
    const environments = list(values.env, "--env");
    const ttlSeconds = parseTtl(values.ttl ?? "1h");
    const deployment = process.env.SEMENTE_ENV || "dev";
    if (deployment !== "dev" || environments.some((e) => e !== "dev")) {
      throw new SementeError(
        "FORBIDDEN",
        "dev tokens are minted only with SEMENTE_ENV=dev and for the dev environment",
      );
    }
    const keys = resolveAuthKeys();
    const jwt = await mintToken(keys, {
      subject: values.sub ?? `dev-${process.env.USER ?? "user"}`,
      roles: roles as Role[],
      tenants,
      environments,
      ttlSeconds,
      // The CLI is not generation code: a token's issue time is the real clock.
      issuedAt: Math.floor(Date.now() / 1000),
    });
    process.stderr.write(
      `token for ${roles.join(",")} on ${tenants.join(",")} in ${environments.join(",")}, valid ${ttlSeconds}s\n`,
    );
    out(jwt);
    return 0;
  },
};
