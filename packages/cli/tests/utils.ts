/** What a spawned CLI process printed and how it ended. */
export interface CliOutcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `bun <entry> ...args` with only PATH, no dotenv file, and `env`, and collects its output. */
export async function runCli(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<CliOutcome> {
  const proc = Bun.spawn(["bun", entry, ...args], {
    env: { PATH: process.env.PATH ?? "", SEMENTE_ENV_FILE: "/nonexistent/.env", ...env },
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/**
 * The environment of a CLI run against a test database in isolated dev: the control-plane and
 * verifier roles' URLs and the local dev key of `keyFile` (CI unset, so the dev key is allowed).
 */
export function localDevEnv(urls: { app: string; verifier: string }, keyFile: string): Record<string, string> {
  return {
    SEMENTE_APP_DATABASE_URL: urls.app,
    SEMENTE_VERIFIER_DATABASE_URL: urls.verifier,
    KEY_PROVIDER: "local-dev",
    SEMENTE_ISOLATED_DEV: "true",
    SEMENTE_DEV_KEY_FILE: keyFile,
    CI: "",
  };
}
